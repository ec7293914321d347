"""One clause read as action + function + target + amount, and whether the reading accounts for it.

Each tool of the registry says which senses point at it (its keys) and which it can take.
Every tool whose key the clause holds is tried; the reading that leaves the fewest content
chunks unexplained wins, an outright object ("the fan") beating a verb that fits several
("turn up"). A clause that names a function but is not fully explained, or that two tools
explain equally well, is not acted on by the parser: the resolver asks back or hands the
request to the model. Questions, remarks ("I'm cold"), situations ("I can't reach the
pedals"), destinations and functions the car lacks have readings of their own.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from typing import Any

from assistant.registry import FEATURE_OF, REGISTRY, REMARK_TOOL
from assistant.understanding import amounts, targets
from assistant.understanding.clauses import Clause, find_pattern
from assistant.understanding.lexicon import Chunk, Lexicon

# kinds of reading
INTENT = "intent"          # a tool and what was said of it (possibly incomplete: the resolver completes it)
FRAGMENT = "fragment"      # targets, amounts, "it", "too": completes or repeats another clause or turn
REMARK = "remark"          # "I'm cold": acts alone, is a reason beside a request
SITUATION = "situation"    # "I can't reach the pedals": one implied action, a reason beside a request
QUESTION = "question"      # reads state, changes nothing
REPLY = "reply"            # only an answer: a function the car lacks, talk, thanks
NAVIGATE = "navigate"      # a destination
INERT = "inert"            # words with nothing of the car in them: chatter beside a request
UNCLEAR = "unclear"        # names something of the car but is not accounted for: ask or defer
EMPTY = "empty"

_UNIVERSAL = ("filler", "polite", "zone.", "frame.it", "frame.same", "frame.again", "frame.both", "amt.to", "frame.undo",
              "role_claim", "person.noun", "frame.unwant", "frame.yes")
_FUNCTION_SENSES = ("obj.", "act.", "dir.", "feel.", "poi.", "place.home", "place.work", "unsupported")
_FRAGMENT_SENSES = ("obj.", "zone.", "num", "count", "amt.", "frame.it", "person.noun", "frame.same", "frame.again", "frame.both",
                    "frame.undo", "act.on", "act.off", "act.open", "act.close", "act.increase", "act.decrease",
                    "act.warm", "act.cool", "dir.", "act.tilt", "act.recline", "act.upright", "act.set",
                    "frame.unwant", "feel.")


@dataclass
class Reading:
    """What a clause says."""

    clause: Clause
    kind: str
    tool: str | None = None
    feature: str | None = None
    """For ``set_climate_feature``: which feature."""
    chunks: list[Chunk] = field(default_factory=list)
    """The clause's chunks that the tool took (all of them for a fragment)."""
    zones: list[targets.ZoneRef] = field(default_factory=list)
    excluded: list[targets.ZoneRef] = field(default_factory=list)
    """Targets the clause leaves out ("every window except mine", "all the seats but not the driver's")."""
    amount: amounts.Amount = field(default_factory=amounts.Amount)
    unexplained: list[Chunk] = field(default_factory=list)
    rivals: list[str] = field(default_factory=list)
    """Other tools that explain the clause as well (an ambiguity)."""
    feel: str | None = None
    """"cold" or "hot" for a remark; "not" when negated."""
    subject: str | None = None
    """Who a remark is about: own, a seat, a group, or person."""
    args: dict[str, Any] = field(default_factory=dict)
    """Arguments already decided (situations, navigation, replies, questions)."""

    def has(self, *senses: str) -> bool:
        return any(c.has(*senses) for c in self.chunks)

    def senses_in_order(self, prefix: str) -> list[str]:
        """Senses of one family in the order they were said (a chunk's several senses together)."""
        out: list[str] = []
        for c in self.chunks:
            out.extend(s for s in sorted(c.senses) if s.startswith(prefix))
        return out

    @property
    def refers(self) -> bool:
        return self.has("frame.it")

    @property
    def same(self) -> bool:
        return self.has("frame.same")


def read(lex: Lexicon, clause: Clause, speaker: str) -> Reading:
    """The reading of one clause, with the targets it leaves out ("every window except mine")."""
    reading = _read(lex, clause, speaker)
    cut = _cut(lex, clause.chunks)
    if cut is not None:
        tail = [c for c in clause.chunks[cut + 1:] if not c.has("frame.separators") and c.text != "not"]
        if tail and not any(c.has("act.", "dir.", "amt.", "num") or (c.has("obj.") and not c.has("zone."))
                            for c in tail if not c.is_filler):
            reading.excluded = targets.refs(lex, tail)
    return reading


def _read(lex: Lexicon, clause: Clause, speaker: str) -> Reading:
    if "capability" in clause.notes:
        return Reading(clause, REPLY, args={"reason": "capability"})  # "would the car let me open the sunroof?"
    if "settled" in clause.notes:
        return Reading(clause, REPLY, args={"reason": "settled"})  # "it was cold back there earlier"
    if "quiet" in clause.notes:
        return Reading(clause, EMPTY)  # "... while driving?", "... but they're fine now"
    chunks = [c for c in clause.chunks if not c.has("role_claim")]
    chunks = _places_not_switches(lex, chunks)
    chunks = _seats_as_places(lex, chunks)
    chunks = _rolled_windows(lex, chunks)
    here = _speaker_place(lex)
    chunks = [c for k, c in enumerate(chunks) if not (c.has("zone.") and _after_any(chunks[max(0, k - 3):k], here))]
    origin = lex.group("origin")  # "from back here, set the driver's side to 26": where the speaker is, no target
    chunks = [c for k, c in enumerate(chunks) if not (c.text in origin and k + 1 < len(chunks) and chunks[k + 1].has(
        "zone.own")) and not (c.has("zone.own") and k > 0 and chunks[k - 1].text in origin)]
    lead = next((k for k, c in enumerate(chunks) if not c.is_filler), None)
    if lead is not None and lead + 1 < len(chunks) and chunks[lead].text in lex.group("weak_correction") \
            and chunks[lead + 1].has("obj.") and not chunks[lead + 1].has("zone.", "act."):
        # "no massage for me, thanks": not wanted (the clause splitter kept it: no pause after "no")
        chunks[lead] = dataclasses.replace(chunks[lead], senses=frozenset({"frame.unwant"}))
    cut = _cut(lex, chunks)
    if cut is not None:
        chunks = chunks[:cut]  # "blow it at my face instead of my feet": what follows is excluded
    if all(c.senses <= {"filler", "polite"} and c.senses for c in chunks):
        return Reading(clause, EMPTY)
    # what must be accounted for: words that cannot be filler ("please" and "on" may be)
    content = [c for c in chunks if not c.has("filler", "polite")]
    if not content:
        if not any(c.has("act.", "dir.", "amt.", "obj.", "frame.it", "frame.same", "frame.undo", "feel.")
                   or (c.has("zone.") and not c.has("zone.left", "zone.right")) for c in chunks):
            return Reading(clause, EMPTY)  # "Right," "okay then"
        content = [c for c in chunks if not c.is_filler and not c.has("polite")]  # "and mine too please"
    if all(c.text in lex.group("murmurs") for c in content):
        return Reading(clause, EMPTY)  # "mm, now a little cooler": a murmur, not millimetres
    if all(c.has("greeting") for c in content):
        return Reading(clause, REPLY, args={"reason": "greeting"})
    words = [w for c in chunks for w in c.text.split()]
    openers = set(lex.words("frame", "question"))
    lead = next((k for k, c in enumerate(chunks)  # "yo, is my seat heater on": the hesitation is not the question
                 if not c.has("polite") or c.text.split()[0] in openers), 0)
    asked = [w for c in chunks[lead:] for w in c.text.split()]
    # "can we have the sunroof tilted", "could I get the fan on": a request, however it opens
    wish = _starts(words, lex.words("frame", "request_questions")) and asked[:1] and asked[0] in lex.group("wish_verbs")
    question = None if wish else _question(lex, clause, content, asked)
    if question is not None:
        return question
    situation = find_pattern(lex, words)
    statement = is_statement(lex, words)
    reply = _outside(lex, clause, chunks, content)
    if reply is not None and not (situation is not None and (statement or _within(situation[2], chunks, None))):
        return reply
    nav = _navigation(lex, clause, chunks, content)
    if nav is not None:
        return nav
    best = _best_tool(lex, clause, chunks, content, speaker)
    complaint = best is not None and any(c.text in lex.group("complaints") for c in best.chunks if c.has("act."))
    if situation is not None and (best is None or best.kind != INTENT or best.unexplained or (statement and not complaint)):
        tool, args, _ = situation
        reading = Reading(clause, SITUATION, tool=tool, args=args, chunks=chunks)
        reading.zones = targets.refs(lex, chunks)
        return reading
    remark = _remark(lex, clause, chunks, content, words)
    if remark is not None and (best is None or best.kind != INTENT or best.tool in (None, REMARK_TOOL)
                               and not best.has("act.") and not best.has("obj.temperature")):
        return remark
    if remark is not None and statement and best is not None and all(
            c.has("feel.") for c in best.chunks if c.has("act.") and not c.has("filler")):
        return remark  # "it's warm on my side": how it feels (too warm), not "warm it"
    if best is not None and best.kind == INTENT and best.unexplained and statement:
        return Reading(clause, INERT, chunks=chunks, unexplained=best.unexplained)  # "the glass is all fogged"
    if best is not None:
        acts = [c for c in best.chunks if c.has("act.") and not c.has("act.set")]
        if acts and all(c.text in lex.group("complaints") for c in acts):
            best.args["complaint"] = True  # "too much wind": what is wrong, a reason beside a request
        return best
    degree_only = all(c.senses - {"filler", "polite"} <= {"amt.little", "amt.much"} for c in content) and not any(
        c.has("zone.") for c in chunks)  # "a bit" alone is too little to go on; "and mine just a crack" is not
    if statement:
        return Reading(clause, INERT, chunks=chunks, unexplained=content)  # "it's all steamed up": a description
    if all(c.has(*_FRAGMENT_SENSES) or c.is_filler for c in content) and not degree_only:
        r = Reading(clause, FRAGMENT, chunks=chunks)
        r.zones = targets.refs(lex, chunks)
        r.amount = amounts.read(lex, chunks)
        acts = [c for c in chunks if c.has("act.") and not c.has("act.set")]
        if acts and all(c.text in lex.group("complaints") for c in acts) and not r.zones:
            r.args["complaint"] = True  # "that's way too windy, close it": the reason, beside the request
        return r
    generic = {"act.navigate", "act.navigate_strong", "act.set"}
    if any(c.has("obj.") or any(x.startswith("act.") and x not in generic for x in c.senses) for c in content):
        return Reading(clause, UNCLEAR, chunks=chunks, unexplained=[c for c in content if not c.is_filler])
    # commentary ("the sun is burning my head"): nothing to act on; beside a request it is its reason
    return Reading(clause, INERT, chunks=chunks, unexplained=content)


# -- tools ---------------------------------------------------------------------------------------
def _best_tool(lex: Lexicon, clause: Clause, chunks: list[Chunk], content: list[Chunk],
               speaker: str) -> Reading | None:
    held: set[str] = set()
    for c in chunks:
        held |= c.senses
    scored: list[tuple[int, int, int, int, str]] = []
    unexplained_of: dict[str, list[Chunk]] = {}
    for order, (name, spec) in enumerate(REGISTRY.items()):
        s = spec.senses
        keys = [key for key in s.keys if key <= held]
        if not keys:
            continue
        unexplained = [c for c in content if not _explains(s, c, lex)]
        # an outright object ("the fan"), not a word that is also a verb ("heat")
        strong = any(x in s.strong for c in content for x in c.senses if not c.has("act."))
        # "heat my seat": the seat heater's key (seat + warm) says more than the temperature's (warm)
        size = max(len(k) for k in keys)
        scored.append((len(unexplained), -size, 0 if strong else 1, order, name))
        unexplained_of[name] = unexplained
    if not scored:
        return None
    scored.sort()
    best = scored[0]
    rivals = [n for (u, sz, st, _, n) in scored[1:] if (u, sz, st) == best[:3]]
    name = best[4]
    spec = REGISTRY[name]
    took = [c for c in chunks if c not in unexplained_of[name]]
    reading = Reading(clause, INTENT, tool=name, chunks=took, unexplained=unexplained_of[name], rivals=rivals)
    directions = spec.directed and spec.per_seat  # "back" is the seat's way, not the rear row
    reading.zones = targets.refs(lex, took, directions=directions)
    reading.amount = amounts.read(lex, took)
    if spec.shape == "feature":
        reading.feature = _feature(lex, took)
    return reading


def read_as(lex: Lexicon, clause: Clause, tool: str) -> Reading | None:
    """The clause read as a request to ``tool``, if that tool accounts for every word of it (for a
    correction: "air down to my feet, uh, no, up top" is about the air, not the sunroof)."""
    spec = REGISTRY.get(tool)
    if spec is None or spec.shape == "":
        return None
    chunks = [c for c in clause.chunks if not c.has("role_claim")]
    content = [c for c in chunks if not c.has("filler", "polite")]
    if not content or any(not _explains(spec.senses, c, lex) for c in content):
        return None
    reading = Reading(clause, INTENT, tool=tool, chunks=chunks)
    reading.zones = targets.refs(lex, chunks, directions=spec.directed and spec.per_seat)
    reading.amount = amounts.read(lex, chunks)
    if spec.shape == "feature":
        reading.feature = _feature(lex, chunks)
    return reading


def _cut(lex: Lexicon, chunks: list[Chunk]) -> int | None:
    """Where a clause starts saying what it does not mean ("instead of my feet", "off not on")."""
    marks = lex.group("instead_of")
    for k, c in enumerate(chunks):
        if c.text in marks or (k + 1 < len(chunks) and f"{c.text} {chunks[k + 1].text}" in marks):
            return k
    return None


@functools.cache
def _speaker_place(lex: Lexicon) -> list[tuple[str, ...]]:
    """The phrases before a seat that say where the speaker sits ("I sit | in the back")."""
    return [tuple(p.split()) for p in lex.group("speaker_place")]


def _after_any(before: list[Chunk], phrases: list[tuple[str, ...]]) -> bool:
    """Whether the words ``before`` a chunk end with one of ``phrases`` ("I sit | in the back")."""
    words = tuple(w for c in before for w in c.text.split())
    return any(words[-len(p):] == p for p in phrases if p)


def _within(span: tuple[int, int], chunks: list[Chunk], subject: str | None) -> bool:
    """Whether the words a situation matched include the unsupported function's ("too close to the
    steering wheel" is about the seat, not a request for the steering wheel)."""
    words = [w for c in chunks for w in c.text.split()]
    inside = " ".join(words[span[0]:span[1]])
    return not any(c.has("unsupported") and c.text not in inside for c in chunks)


def _explains(s: Any, c: Chunk, lex: Lexicon) -> bool:
    """Whether a tool's senses account for a chunk.

    A word it takes as an action, direction or amount is accounted for; a phrase that names a
    place in the cabin ("the back seats") is, for a tool with zones, whatever object it also
    names; a plain object only when the tool takes that object ("the fan" is no part of the seat).
    """
    if c.is_filler or c.text in lex.counts:
        return True
    if any(s.accepts(x) for x in c.senses if not x.startswith(("obj.", "zone."))):
        return True
    if c.has("zone.") and any(s.accepts(x) for x in c.senses if x.startswith("zone.")):
        return True
    if any(s.accepts(x) for x in c.senses if x.startswith("obj.")):
        return True
    return c.has(*_UNIVERSAL) and not c.has("obj.")


def _feature(lex: Lexicon, chunks: list[Chunk]) -> str:
    objects = [s for c in chunks for s in sorted(c.senses) if s in FEATURE_OF]
    if "obj.rear_glass" in objects:
        return "rear_defroster"
    if not objects:
        objects = []
    if "obj.defroster" in objects:
        rear = any(c.has("zone.rear") or c.text in lex.group("rear_words") for c in chunks)
        front = any(c.has("obj.windshield") or c.has("zone.front") for c in chunks)
        if any(c.has("zone.all", "frame.both") for c in chunks) or (rear and front):
            return "both_defrosters"  # "front and rear defrost on"
        return "rear_defroster" if rear and not front else "front_defroster"
    if "obj.recirculation" in objects or "obj.fresh_air" in objects:
        return "recirculation"
    if "obj.ac" in objects:
        return "air_conditioning"
    # "heat the back window", "heat the windshield"
    rear = any(c.has("zone.rear") or c.text in lex.group("rear_words") for c in chunks)
    return "rear_defroster" if rear else "front_defroster"


# -- questions -----------------------------------------------------------------------------------
_TOPIC_OF = {"obj.seat_heating": "seat_heating", "obj.seat_ventilation": "seat_heating", "obj.massage": "massage",
             "obj.sunroof": "sunroof", "obj.window": "window", "obj.backrest": "seat_position",
             "obj.seat": "seat_position", "obj.fan": "fan_speed", "obj.ac": "air_conditioning",
             "obj.recirculation": "recirculation", "obj.fresh_air": "recirculation", "obj.defroster": "defroster",
             "obj.rear_glass": "rear_defroster", "obj.vents": "air_distribution", "obj.air": "air_distribution",
             "obj.temperature": "temperature", "feel.cold": "temperature", "feel.hot": "temperature",
             "obj.route": "destination"}


def _question(lex: Lexicon, clause: Clause, content: list[Chunk], words: list[str]) -> Reading | None:
    opener = _starts(words, lex.words("frame", "question")) and not any(c.has("frame.same") for c in clause.chunks)
    requests = _starts(words, lex.words("frame", "request_questions"))
    if requests or any(w in words for w in ("nearest", "closest")):
        return None  # "can you open the window", "where is the nearest charger": requests
    statement = _state_statement(lex, words)
    if opener and len(words) > 1 and words[1] in lex.group("not_question"):
        opener = False  # "Is too much, go back", "do the same for her": not questions
    if not (opener or statement):
        return None
    if words[0] in lex.group("complaint") and any(c.has("feel.") for c in content):
        return None  # "why is it so cold in here" is a complaint
    if words[0] in lex.group("aux") and any(w in lex.group("favour") for w in words):
        return None
    topic = None
    text = " " + " ".join(words) + " "
    for name, phrases in lex.data["topic"].items():
        if any(f" {p} " in text for p in phrases):
            topic = name
            break
    if topic is None:
        for c in content:
            found = next((t for s, t in _TOPIC_OF.items() if s in c.senses), None)
            if found:
                topic = found
                break
    if topic is None:
        return Reading(clause, REPLY, args={"reason": "out_of_domain"})
    r = Reading(clause, QUESTION, args={"topic": topic}, chunks=clause.chunks)
    r.zones = [z for z in targets.refs(lex, clause.chunks) if z.kind not in ("own",)]
    return r


def _head(lex: Lexicon, words: list[str]) -> list[str]:
    """The first four words of a clause after its interjections ("okay, it's clear now")."""
    k = 0
    while k < len(words) - 1 and words[k] in lex.group("interjections"):
        k += 1
    return words[k:k + 4]


def is_statement(lex: Lexicon, words: list[str]) -> bool:
    """A subject and a verb of being first: "I'm sitting too upright", "my knees are squashed"."""
    head = _head(lex, words)
    if any(head[:len(p.split())] == p.split() for p in lex.group("wishes")):
        return False  # "I would like the driver's zone at 18": a request
    return bool(head) and head[0] in lex.group("subjects") and any(w in lex.group("being") for w in head[1:])


def _places_not_switches(lex: Lexicon, chunks: list[Chunk]) -> list[Chunk]:
    """ "turn the heat off on the seat", "switch it off on my side": an "on" right after a switch said
    already says where, not "on"."""
    out = list(chunks)
    for k in range(1, len(out) - 1):
        c, before, after = out[k], out[k - 1], out[k + 1]
        if c.has("act.on") and c.has("filler") and before.has("act.off", "act.on") and (
                after.text.split()[0] in lex.group("before_things") or after.has("zone.", "obj.")):
            out[k] = dataclasses.replace(c, senses=frozenset({"filler"}))
    return out


def _rolled_windows(lex: Lexicon, chunks: list[Chunk]) -> list[Chunk]:
    """ "wind mine down a quarter", "roll it up": a verb that winds a window, with "up" or "down" after it,
    says the window (and "wind" is no fan there)."""
    lead = next((k for k, c in enumerate(chunks) if not c.is_filler and not c.has("polite")), None)
    if lead is None or chunks[lead].text not in lex.group("window_verbs") or not any(
            c.has("dir.up", "dir.down") for c in chunks[lead + 1:]):
        return chunks
    named = any(c.has("obj.") for k, c in enumerate(chunks) if k != lead)
    out = list(chunks)
    out[lead] = dataclasses.replace(chunks[lead], senses=frozenset({"act.set"} | (set() if named else {"obj.window"})))
    return out


def _seats_as_places(lex: Lexicon, chunks: list[Chunk]) -> list[Chunk]:
    """ "the blower for the rear left seat", "wind speed for the passenger seat": with the cabin's fan named,
    a seat after "for" says whose fan it is, not that the seat's own fan is meant ("the seat fan")."""
    if not any(c.has("obj.fan") and not c.has("obj.seat_ventilation") for c in chunks):
        return chunks
    marks = lex.group("seat_as_place")
    out = list(chunks)
    for k, c in enumerate(chunks):
        if not c.has("obj.seat") or c.has("obj.seat_ventilation", "obj.seat_heating"):
            continue
        at = next((j for j in range(k - 1, max(-1, k - 5), -1) if chunks[j].text in marks), None)
        if at is not None and all(b.has("zone.") or b.is_filler for b in chunks[at + 1:k]):
            rest = frozenset(s for s in c.senses if s != "obj.seat")  # "rear left seat": the zone stays
            out[k] = dataclasses.replace(c, senses=rest or frozenset({"filler"}))
    return out


def describes(lex: Lexicon, words: list[str]) -> bool:
    """How a thing is, not what the speaker wants: "the fan's blowing in my face" (not "I would like ...")."""
    head = _head(lex, words)
    return bool(head) and head[0] in lex.group("subjects") and head[0] not in lex.group("speakers") and any(
        w in lex.words("frame", "state_words") for w in head[1:])


def _starts(words: list[str], phrases: list[str]) -> bool:
    return any(words[: len(p.split())] == p.split() for p in phrases)


def _state_statement(lex: Lexicon, words: list[str]) -> bool:
    """"the window is open": speech loses the question mark, and saying how something is asks for nothing."""
    if not words or words[0] not in lex.group("determiners"):
        return False
    states = set(lex.words("frame", "state_values"))
    verbs = set(lex.words("frame", "state_words"))
    for i, w in enumerate(words):
        if w in verbs and i + 1 < len(words) and words[-1] in states and words[-1] not in lex.group("state_not_final"):
            return not any(x in lex.group("state_commands") for x in words[:i])
        if w in lex.group("state_commands"):
            return False
    return False


# -- outside the catalogue -------------------------------------------------------------------------
_CATALOGUE = ("obj.", "poi.", "place.home", "place.work")


def _outside(lex: Lexicon, clause: Clause, chunks: list[Chunk], content: list[Chunk]) -> Reading | None:
    ours = any(c.has(*_CATALOGUE) for c in content)
    # "heat the steering wheel": the verb's own sense of a thing ("heat": the heating) names nothing here
    named = any(c.has(*_CATALOGUE) and not c.has("act.") for c in content)
    for c in content:
        if c.has("unsupported") and not (c.has("unsupported.soft") and named) and not c.has("obj."):
            subject = lex.unsupported.get(c.text)
            return Reading(clause, REPLY, args={"reason": "unsupported_function", **({"subject": subject} if subject else {})})
    if not ours and any(c.has("chitchat") for c in content) and not any(c.has("act.", "feel.") for c in content):
        return Reading(clause, REPLY, args={"reason": "out_of_domain"})
    return None


# -- destinations ----------------------------------------------------------------------------------
def _navigation(lex: Lexicon, clause: Clause, chunks: list[Chunk], content: list[Chunk]) -> Reading | None:
    words = [w for c in chunks for w in c.text.split()]
    text = " " + " ".join(words) + " "
    verb = next((c for c in chunks if c.has("act.navigate")), None)
    strong = next((c for c in chunks if c.has("act.navigate_strong")), None)
    category = next((c.family("poi")[0] for c in content if c.has("poi.")), None)
    nearest = any(f" {w} " in text for w in lex.words("place", "nearest"))
    catalogue = [c for c in content if c.has("obj.") and not c.has("poi.", "obj.route")]
    if category is not None and strong is not None and not nearest:
        # "navigate to Olympic Park" names a place that contains a category word
        named = [c for c in chunks if c.start >= strong.end and not (c.is_filler or c.has("poi.", "place."))]
        if named:
            category = None
    if category is not None and not catalogue and (verb is not None or nearest or len(content) <= 3):
        if category == "parking" and any(c.has("act.move", "dir.") for c in content):
            return None
        at = next(k for k, c in enumerate(chunks) if c.has("poi."))
        if verb is None and at + 1 < len(chunks) and chunks[at + 1].is_unknown and \
                chunks[at + 1].text.split()[0] not in lex.group("place_heads"):
            return None  # "stuck behind some diesel truck": the category word names another thing
        near_words = set(lex.words("place", "nearest"))
        if at > 0 and chunks[at - 1].is_unknown and chunks[at - 1].text not in near_words \
                and chunks[at].text in lex.group("kind_heads"):
            first = at
            while first > 0 and chunks[first - 1].is_unknown and chunks[first - 1].text not in near_words:
                first -= 1  # "the nearest ski rental shop": another kind of shop, not a supermarket
            return Reading(clause, NAVIGATE, tool="navigate",
                           args={"place": " ".join(c.text for c in chunks[first:at + 1])}, chunks=chunks)
        if strong is None and not nearest and at > 0 and chunks[at - 1].is_unknown:
            place = place_text(lex, chunks)  # "actually no, Olympic Park": a name with a category word in it
            if place:
                return Reading(clause, NAVIGATE, tool="navigate", args={"place": place}, chunks=chunks)
        args: dict[str, Any] = {"category": category}
        around = _around(lex, chunks, at)
        if around:
            args["near"] = around  # "parking near the Olympic Park"; "the parking deck there": around the last one
        return Reading(clause, NAVIGATE, tool="navigate", args=args, chunks=chunks)
    home = next((c for c in content if c.has("place.home", "place.work")), None)
    if home is not None and not catalogue and (verb is not None or len(content) <= 2):
        return Reading(clause, NAVIGATE, tool="navigate",
                       args={"place": "home" if home.has("place.home") else "work"}, chunks=chunks)
    if strong is None:
        return None
    after = [c for c in chunks if c.start >= strong.end]
    if not [c for c in after if not c.is_filler and not c.has("polite")]:
        after = [c for c in chunks if c.end <= strong.start]  # "to the central station you bring me"
    place = place_text(lex, after)
    if place and strong.text.endswith(" to") and any(
            f"{place} ".startswith(f"{v} ") for v in lex.group("infinitive_heads")):
        return None  # "it is going to be a long drive", "I have got to get petrol": no place
    if not place and any(c.has("frame.it") for c in after):
        return Reading(clause, NAVIGATE, tool="navigate", args={"refers": "there"}, chunks=chunks)  # "navigate there"
    if not place:
        if strong.text in lex.group("nav_without_place"):
            return None
        return Reading(clause, NAVIGATE, tool="navigate", args={}, chunks=chunks)  # "take me there": the resolver
    if any(c.has("obj.", "act.on", "act.off", "amt.level", "amt.degrees", "amt.percent", "dir.") and not c.has("poi.")
           for c in after):
        return None  # "take the temperature to 22" is not a place
    if set(place.split()) <= set(lex.words("place", "nearest")) | lex.group("place_refers"):
        return Reading(clause, NAVIGATE, tool="navigate", args={"refers": place}, chunks=chunks)
    return Reading(clause, NAVIGATE, tool="navigate", args={"place": place}, chunks=chunks)


def _around(lex: Lexicon, chunks: list[Chunk], at: int) -> str | None:
    """The place a category is looked for around: "a cafe close to the English Garden" -> "english garden",
    "the parking deck there" -> "there" (the place just named); None for here ("near me", "around here")."""
    marks = lex.group("near_place")
    nearest = any(c.text in lex.words("place", "nearest") for c in chunks[:at])
    for k in range(at + 1, len(chunks)):
        one, two = chunks[k].text, " ".join(c.text for c in chunks[k:k + 2])
        width = 2 if two in marks else 1 if one in marks or (one == "to" and nearest) else 0
        if not width:
            if chunks[k].has("zone.there") and not chunks[k].has("obj."):
                return "there"
            continue
        rest = chunks[k + width:]
        if all(c.is_filler or c.has("zone.own", "polite") for c in rest):
            return None  # "near me", "around here"
        place = place_text(lex, rest)
        return place or None
    return None


def place_text(lex: Lexicon, chunks: list[Chunk]) -> str:
    while chunks and (chunks[0].senses <= {"filler", "polite"} and chunks[0].has("polite")
                      or chunks[0].has("act.set", "frame.it")):
        chunks = chunks[1:]  # "um, Salzburg", "make it the Deutsches Museum"
    words = [w for c in chunks for w in c.text.split()]
    lead = {tuple(p.split()) for p in lex.words("place", "lead")}
    trail = {tuple(p.split()) for p in lex.words("place", "trail")}
    changed = True
    while changed and words:
        changed = False
        for p in sorted(lead, key=len, reverse=True):
            if tuple(words[:len(p)]) == p and len(words) > len(p):
                words = words[len(p):]
                changed = True
                break
        for p in sorted(trail, key=len, reverse=True):
            if tuple(words[-len(p):]) == p and len(words) > len(p):
                words = words[:-len(p)]
                changed = True
                break
    return " ".join(w for w in words if w not in (",",))


# -- remarks ---------------------------------------------------------------------------------------
def _remark(lex: Lexicon, clause: Clause, chunks: list[Chunk], content: list[Chunk], words: list[str]) -> Reading | None:
    feel = next((c for c in content if c.has("feel.cold", "feel.hot")), None)
    if feel is None:
        return None
    if any(c.has("obj.seat", "obj.seat_heating", "obj.seat_ventilation", "obj.window", "obj.sunroof", "obj.fan")
           for c in content):
        return None
    negated = any(c.has("feel.not") for c in content if c.start < feel.start) or clause.negated
    kind = "cold" if feel.has("feel.cold") else "hot"
    r = Reading(clause, REMARK, feel="not" if negated else kind, chunks=chunks)
    before = [w for c in chunks if c.start < feel.start for w in c.text.split()]
    if any(w in lex.group("third_person") for w in before) or any(c.has("person.noun") for c in content):
        r.subject = "person"
    r.zones = [z for z in targets.refs(lex, chunks) if z.kind != "own"]
    if any(w in lex.group("everyone") for w in before):
        r.subject = "all"
    return r
