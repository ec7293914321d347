"""A compact answer format for the language model, its grammar, and examples retrieved per request.

JSON costs a small model about 20 generated tokens for one call
(``{"calls":[{"name":"set_window","arguments":{"percent_open":100}}]}``); the same call as
``set_window(percent_open=100)`` costs about 8, and at 7-10 tokens a second on two cores the
difference is a second per request. The grammar is generated from the tools' pydantic models
(the registry's argument models: names, enum values, numbers, quoted text), so the model can
only write calls that exist; values are checked by the same validation and policy as the
parser's. Bounds stay out of the grammar, as before.

Examples: a few (request -> answer) pairs from the project's own paraphrase library
(``data/examples.jsonl``, built by ``scripts/build_examples.py`` from requests the parser
understood), chosen per request by word overlap, go into the user message after the fixed
system prompt, so that the prompt's evaluated prefix is reused.
"""

from __future__ import annotations

import functools
import json
import re
import types
import typing
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from assistant.understanding.lexicon import load
from assistant.understanding.text import tokens
from assistant.understanding.tools import TOOLS, ToolCall, make_call

EXAMPLES = Path(__file__).resolve().parent / "data" / "examples.jsonl"


# -- the format ------------------------------------------------------------------------------------
def dump(calls: list[tuple[str, dict[str, Any]]]) -> str:
    """``set_window(window=rear, percent_open=50); navigate(place="Berlin")``."""
    parts = []
    for name, args in calls:
        inner = ",".join(f"{k}={json.dumps(v) if _is_text(name, k) else _value(v)}" for k, v in args.items())
        parts.append(f"{name}({inner})")
    return ";".join(parts)


def _is_text(tool: str, field: str) -> bool:
    """Whether an argument is free text (quoted in the grammar), not a name from a list."""
    info = TOOLS[tool].model_fields.get(field)
    return info is not None and _kind(info.annotation, {}) == "text"


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, str) and not re.fullmatch(r"[a-z_-]+", v):
        return json.dumps(v)
    return str(v)


_CALL = re.compile(r'\s*([a-z_]+)\(((?:[^()"]|"[^"]*")*)\)\s*')
_ARG = re.compile(r'\s*([a-z_]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,]+?)\s*(?:,|$)')


def parse(text: str) -> list[ToolCall]:
    """Validated calls of a compact answer; raises ValueError (malformed) or pydantic's ValidationError."""
    calls: list[ToolCall] = []
    rest = text.strip().rstrip(";")
    for part in _split_calls(rest):
        m = _CALL.fullmatch(part)
        if m is None or m.group(1) not in TOOLS:
            raise ValueError(f"not a call: {part!r}")
        args: dict[str, Any] = {}
        inner = m.group(2).strip()
        pos = 0
        while pos < len(inner):
            a = _ARG.match(inner, pos)
            if a is None:
                raise ValueError(f"bad arguments: {inner!r}")
            args[a.group(1)] = _literal(a.group(2))
            pos = a.end()
        calls.append(make_call(m.group(1), args))
    if not calls:
        raise ValueError("no call")
    return calls


def _split_calls(text: str) -> list[str]:
    out, depth, quoted, start = [], 0, False, 0
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
        elif not quoted and depth == 0 and ch == ";":
            out.append(text[start:i])
            start = i + 1
    out.append(text[start:])
    return [p for p in out if p.strip()]


def _literal(raw: str) -> Any:
    raw = raw.strip()
    if raw.startswith('"'):
        return json.loads(raw)
    if raw in ("true", "false"):
        return raw == "true"
    try:
        return int(raw)
    except ValueError:
        pass
    try:
        return float(raw)
    except ValueError:
        return raw


# -- the grammar -----------------------------------------------------------------------------------
@functools.cache
def grammar() -> str:
    """GBNF for compact answers, generated from the tools' argument models."""
    rules = ['root ::= call (";" call){0,3}', "call ::= " + " | ".join(f"c-{i}" for i in range(len(TOOLS)))]
    enums: dict[tuple[str, ...], str] = {}
    for i, (name, model) in enumerate(TOOLS.items()):
        alts = []
        for field, info in model.model_fields.items():
            kind = _kind(info.annotation, enums)
            alts.append(f'"{field}=" {kind}')
        if alts:
            rules.append(f'c-{i} ::= "{name}(" (a-{i} ("," a-{i}){{0,3}})? ")"')
            rules.append(f"a-{i} ::= " + " | ".join(alts))
        else:
            rules.append(f'c-{i} ::= "{name}()"')
    for values, rule in enums.items():
        rules.append(f"{rule} ::= " + " | ".join(f'"{v}"' for v in values))
    rules += ['num ::= "-"? [0-9]{1,4} ("." [0-9]{1,2})?', 'bool ::= "true" | "false"',
              'text ::= "\\"" [^"\\\\\\n]{1,60} "\\""']
    return "\n".join(rules) + "\n"


def _kind(annotation: Any, enums: dict[tuple[str, ...], str]) -> str:
    args = [a for a in get_args(annotation) if a is not type(None)] if _is_union(annotation) else [annotation]
    base = args[0]
    if get_origin(base) is typing.Annotated:
        base = get_args(base)[0]
    if get_origin(base) is Literal:
        values = tuple(str(v) for v in get_args(base))
        return enums.setdefault(values, f"e-{len(enums)}")
    if base is bool:
        return "bool"
    if base in (int, float):
        return "num"
    return "text"


def _is_union(annotation: Any) -> bool:
    return get_origin(annotation) in (typing.Union, types.UnionType)


SYSTEM_PROMPT = """You are the voice assistant of a car. Turn what an occupant says into tool calls, written as name(argument=value) separated by ";".
Tools:
set_temperature(celsius | delta, zone): cabin temperature; warmer delta=1, much warmer delta=2, I'm cold delta=1, I'm hot delta=-1
set_fan_speed(level 0-10 | percent | delta, zone): fan; more air delta=10
set_air_distribution(direction=up|middle|down, zone): up windshield, middle face, down feet
set_climate_feature(feature=air_conditioning|recirculation|front_defroster|rear_defroster, on=true|false)
set_seat_heating / set_seat_ventilation / set_massage(level 0-3 | delta, seat)
move_seat(position_mm 0-300 | delta_mm, seat): positive moves back
recline_seat(degrees 0-45 | delta_degrees, seat): 0 upright, positive reclines
set_window(percent_open 0-100 | delta, window): 100 open, 0 closed
set_sunroof(position | delta): 100 open, 0 closed, -100 tilted
navigate(place="..." | category=charging_station|fuel_station|parking|restaurant|cafe|hospital|pharmacy|supermarket|car_wash|hotel, near="...": around a named place, not here)
cancel_navigation()
get_vehicle_state(topic, zone): questions; changes nothing
reply_only(reason=out_of_domain|unsupported_function|not_allowed|unclear|greeting, subject="..."): anything else
Leave out zone, seat and window for the speaker's own; name one (driver, passenger, rear-left, rear-right, front, rear, all) only when said. Lights, music, radio, doors, wipers, horn, phone and tricks get reply_only. Keep numbers as said.
Examples:
I'm cold -> set_temperature(delta=1)
open my window -> set_window(percent_open=100)
the windshield is misted -> set_climate_feature(feature=front_defroster,on=true)
heat the passenger seat -> set_seat_heating(level=3,seat=passenger)
my back hurts -> set_massage(level=2)
take me to Dresden -> navigate(place="Dresden")
I could use a coffee -> navigate(category=cafe)
what's the fan on -> get_vehicle_state(topic=fan_speed)
honk the horn -> reply_only(reason=unsupported_function,subject="the horn")
what's the meaning of life -> reply_only(reason=out_of_domain)"""


# -- examples ----------------------------------------------------------------------------------
@functools.cache
def _library() -> tuple[tuple[frozenset[str], str, str], ...]:
    if not EXAMPLES.exists():
        return ()
    out = []
    for line in EXAMPLES.read_text(encoding="utf-8").splitlines():
        if line.strip():
            ex = json.loads(line)
            out.append((_bag(ex["text"]), ex["text"], ex["answer"]))
    return tuple(out)


def _bag(text: str) -> frozenset[str]:
    """The words that carry a request's content (the language data's filler left out)."""
    lex = load()
    filler = {k[0] for k, v in lex.phrases.items() if len(k) == 1 and v <= {"filler", "polite"}}
    return frozenset(w for w in tokens(text) if w.isalnum() and w not in filler)


@functools.cache
def _idf() -> dict[str, float]:
    import math

    lib = _library()
    counts: dict[str, int] = {}
    for words, _, _ in lib:
        for w in words:
            counts[w] = counts.get(w, 0) + 1
    return {w: math.log((1 + len(lib)) / (1 + n)) + 1 for w, n in counts.items()}


MIN_SIMILARITY = 0.25
"""Below this weighted overlap an example misleads more than it helps (measured on odd requests)."""


def examples(text: str, k: int = 3) -> list[tuple[str, str]]:
    """The ``k`` library examples nearest to ``text``, by word overlap weighted with each word's rarity."""
    bag = _bag(text)
    if not bag or k <= 0:
        return []
    idf = _idf()
    unseen = max(idf.values(), default=1.0)

    def weight(words: frozenset[str]) -> float:
        return sum(idf.get(w, unseen) for w in words)

    scored = []
    for words, ex_text, answer in _library():
        shared = bag & words
        if shared:
            score = weight(shared) / weight(bag | words)
            if score >= MIN_SIMILARITY:
                scored.append((score, ex_text, answer))
    scored.sort(key=lambda t: -t[0])
    return [(t, a) for _, t, a in scored[:k]]
