"""A check that a model's tool call is about something the request mentions.

A small model asked about jazz may still pick *some* tool. The policy stops what is unsafe;
this stops what is merely unfounded: an acting call whose function no word of the request
points at becomes "I didn't get that". The lists are broad on purpose (indirect requests
like "I'm hungry" or "I can't see out" must pass); they only reject calls from nowhere.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from assistant.registry import REGISTRY
from assistant.understanding.lexicon import load
from assistant.understanding.text import normalize
from assistant.understanding.tools import ToolCall


@functools.cache
def _words(language: str = "en") -> dict[str, Any]:
    """The cue lists of ``language`` (``lang/<language>.toml``, section ``grounding``), as tuples."""
    data = load(language).data["grounding"]

    def tup(v: Any) -> Any:
        return tuple(v) if isinstance(v, list) else {k: tup(x) for k, x in v.items()}

    return {k: tup(v) for k, v in data.items()}


def grounded(call: ToolCall, text: str) -> bool:
    """Whether the request mentions anything the call is about (questions and replies always are)."""
    cues = _words()["tool"].get(call.name)
    if cues is None:
        return True
    words = normalize(text)
    if {"place", "category"} & set(type(call.arguments).model_fields):
        return _destination_grounded(call, words)
    return _said_any(cues, words) and _zone_grounded(call, words) and _direction_grounded(call, words)


def _direction_grounded(call: ToolCall, words: str) -> bool:
    """Where the air goes must have been said ("left air" is no request for the windshield)."""
    direction = getattr(call.arguments, "direction", None)
    if direction is None:
        return True
    return _said_any(_words()["direction"].get(str(direction), ()), words)


def _zone_grounded(call: ToolCall, words: str) -> bool:
    """A seat or zone other than the speaker's own must have been named: a small model widens
    "my seat" to both front seats when the request was unclear."""
    zone = getattr(call.arguments, "zone", None) or getattr(call.arguments, "seat", None)
    if zone is None:
        return True
    cues = _words()["driver"] if str(zone) == "driver" else _words()["people"]
    return _said_word(cues, words)


def _said_any(cues: tuple[str, ...], words: str) -> bool:
    """Whether a word starting with one of ``cues`` was said ("charg" matches "charging")."""
    return any(re.search(rf"\b{re.escape(cue)}", words) for cue in cues)


def _said_word(cues: tuple[str, ...], words: str) -> bool:
    """Whether one of ``cues`` was said as a whole word ("i" must not match "in")."""
    return any(re.search(rf"\b{re.escape(cue)}\b", words) for cue in cues)


def _destination_grounded(call: ToolCall, words: str) -> bool:
    """A model's destination must have been said: the place's own words, or its category's cue.

    Mere navigation words ("route", "take me") do not ground a place the model picked: a misheard
    "cancel the route" must not become a drive to a charging hub.
    """
    place = getattr(call.arguments, "place", None)
    category = getattr(call.arguments, "category", None)
    if category is not None:
        near = getattr(call.arguments, "near", None)
        if near is not None and not _place_said(near, words):
            return False  # the place to look around must have been said too
        return _said_any(_words()["category"].get(category, (category.replace("_", " "),)), words)
    if not place:
        return False
    return _place_said(place, words)


def _place_said(place: str, words: str) -> bool:
    name = normalize(place)
    favourite = _words()["favourite"].get(name)
    if favourite is not None:
        return _said_any(favourite, words)
    said = set(words.split())
    own = [w for w in name.split() if w not in _words()["generic_place"] and len(w) > 2]
    if own:
        return any(w in said for w in own)
    return name in words


_ABSOLUTE = ("celsius", "level", "percent", "position_mm", "degrees", "percent_open", "position")


def numbers_grounded(call: ToolCall, text: str) -> bool:
    """Whether every absolute value of a model's call was said (as a number or an equivalent word).

    A small model fills a required number with a plausible one ("set the temperature to high in"
    became 25 degrees); a value nobody said must not reach the car.
    """
    args = call.arguments.model_dump(exclude_none=True)
    words = normalize(text)
    if "delta" in args and not _said_any(_words()["relative"], words):
        return False  # "set the temperature to 4D": an unheard value is no licence for a step
    said = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", words)]
    for key in _ABSOLUTE:
        if key not in args or isinstance(args[key], bool):
            continue
        value = float(args[key])
        if any(abs(n - value) < 1e-6 or (key == "percent" and abs(n * 10 - value) < 1e-6) for n in said):
            continue
        if _said_word(_words()["qualitative"].get(f"{value:g}", ()), words):
            continue
        if key == "level" and not said and call.name in REGISTRY and REGISTRY[call.name].shape == "level":
            continue  # "turn on the massage": the level is the tool's default, not a claim
        return False
    return True
