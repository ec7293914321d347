"""From clause readings to tool calls: corrections, ellipsis, follow-ups, reasons, questions back.

The readings of a request are walked in order. A correction replaces the matching part of the
clause before it ("19, sorry, 21"); a retraction drops it ("no, forget it"); a fragment
completes the clause before ("roll it down, uh, halfway") or repeats it for another target
("my seat on three, the passenger's on one"); a fragment at the start of a turn repeats the
last turn's action ("now the other side", "okay, then four"). Remarks and situations act
only when nothing else in the request does: beside a request they are its reason. Each plan
is then built into arguments by its tool's builder, reading the registry's steps and
extremes. Anything that names the car but is not accounted for makes the request unsure.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from assistant.domain import BESIDE, ROW, SEATS, seats_of, zone_of
from assistant.registry import BARE_VALUE_TOOL, REGISTRY, REMARK_TOOL, T_MAX, T_MIN, ToolSpec
from assistant.understanding import amounts, frames, targets
from assistant.understanding.amounts import SMALL_TILT, Amount
from assistant.understanding.clauses import Clause
from assistant.understanding.context import DialogueContext, Executed, Pending, restore
from assistant.understanding.frames import Reading
from assistant.understanding.lexicon import Lexicon

RawCall = tuple[str, dict[str, Any]]


@dataclass
class Plan:
    """One action taking shape: a tool and what was said of it, merged across clauses and turns."""

    tool: str | None
    feature: str | None = None
    acts: list[frozenset[str]] = field(default_factory=list)
    """The action senses of each chunk that had any, in order."""
    words: list[str] = field(default_factory=list)
    """The words of those chunks (comparatives: "warmer" is a step, "warm" is not)."""
    dirs: list[frozenset[str]] = field(default_factory=list)
    zones: list[targets.ZoneRef] = field(default_factory=list)
    amount: Amount = field(default_factory=Amount)
    args: dict[str, Any] = field(default_factory=dict)
    """Arguments already decided (a situation, a destination)."""
    source: str = "explicit"
    """``explicit``, or ``reason`` for a remark or situation (acts only alone)."""
    several: bool = False
    refers: bool = False
    excluded: list[targets.ZoneRef] = field(default_factory=list)
    objects: set[str] = field(default_factory=set)
    comparative: frozenset[str] = frozenset()
    """The language's comparatives ("warmer"), more-words ("a bit more") and upright steps, for the builders."""
    more: frozenset[str] = frozenset()
    upright_step: frozenset[str] = frozenset()
    particles: frozenset[str] = frozenset()
    tilt_open: frozenset[str] = frozenset()
    """Verbs that only tilt, also with "open" after them ("tilt the sunroof open")."""
    undo: bool = False
    """ "undo that", "put it back": the last turn taken back."""
    corrects: bool = False
    """It opens its turn with a correction ("no, the other one"): it replaces the last turn's action."""
    object_chunks: list[Any] = field(default_factory=list)
    """The chunks naming its object ("the seat"), for a correction that says only "heat it"."""
    unclear: str = ""
    """Why the clause cannot be acted on as it stands ("I don't want it warmer": not wanted, but what instead?)."""
    sentence: int = -1
    """The sentence of the turn it was said in (-1: not said in this turn)."""
    verbs: list[Any] = field(default_factory=list)
    """The chunks that say what to do ("defrost the windscreen and the rear window": shared by the second)."""

    @classmethod
    def of(cls, lex: Lexicon, r: Reading) -> Plan:
        acts, words, dirs, objects = [], [], [], set()
        for k, c in enumerate(r.chunks):
            a = frozenset(s for s in c.senses if s.startswith("act.") or s == "frame.unwant" or s.startswith("feel."))
            if a and c.text in lex.group("particles") and len(acts) == 1 and _own_direction(acts[0], r.tool):
                a = frozenset()  # "cool my seat down", "warm it up": the particle repeats its verb
            if "act.on" in a and "amt.to" in c.senses and _before_a_value(r.chunks, k):
                a = a - {"act.on"}  # "cooler on my side", "put it on 24": "on" is a preposition
            if a:
                acts.append(a)
                words.append(c.text)
            d = frozenset(s for s in c.senses if s.startswith("dir.") or s in ("obj.windshield", "obj.window"))
            if d and c.has("zone.") and not (r.tool in REGISTRY and REGISTRY[r.tool].directed):
                d = frozenset()  # "up front", "the back": a place in the cabin, not a direction
            if d:
                dirs.append(d)
            objects |= {s for s in c.senses if s.startswith("obj.")}
        acts, words = _verbs_first(r.chunks, acts, words)
        acts, words, unclear = _negated(acts, words)
        return cls(r.tool, r.feature, acts, words, dirs, list(r.zones), r.amount, dict(r.args),
                   several=targets.plural(lex, r.chunks), refers=r.refers, objects=objects, excluded=list(r.excluded),
                   comparative=lex.group("comparative"), more=lex.group("more"), upright_step=lex.group("upright_step"),
                   particles=lex.group("particles"), tilt_open=lex.group("tilt_open"),
                   object_chunks=[c for c in r.chunks if c.has("obj.") and not c.has("act.")], unclear=unclear,
                   verbs=[c for c in r.chunks if c.has("act.")] or _lead_object(r.chunks))

    def override(self, other: Plan) -> Plan:
        """This plan with what ``other`` (a correction or a fragment) says instead."""
        out = copy.deepcopy(self)
        if other.tool is not None and other.tool != self.tool:
            out.tool, out.feature, out.args = other.tool, other.feature, dict(other.args)
            if other.acts:
                out.acts, out.words = list(other.acts), list(other.words)
        elif other.acts:
            out.acts, out.words = list(other.acts), list(other.words)
        if other.feature is not None:
            out.feature = other.feature
        if other.zones:
            sides = {"left", "right"}
            if all(z.kind in sides for z in other.zones) and self.zones and not all(z.kind in sides for z in self.zones):
                rows = {ROW[z.kind] for z in self.zones if z.kind in ROW}  # type: ignore[index]
                rows |= {z.kind for z in self.zones if z.kind in ("front", "rear")}
                out.zones = [targets.ZoneRef(r, r) for r in rows] + list(other.zones)  # "the left rear one, no, the right"
            else:
                out.zones = list(other.zones)
            out.several = other.several
        if not other.amount.empty:
            out.amount = copy.deepcopy(other.amount)
            out.args.pop("copy", None)
            said = self.amount.numbers[-1] if self.amount.numbers else None
            if said is not None and said.unit is not None and out.amount.numbers and all(
                    n.unit is None for n in out.amount.numbers):
                # "back fifty millimetres, no, a hundred": the corrected number keeps its unit and its sense
                out.amount.numbers = [dataclasses.replace(n, unit=said.unit, relative=n.relative or said.relative)
                                      for n in out.amount.numbers]
        if other.dirs:
            out.dirs = list(other.dirs)
        for key in ("place", "category"):
            if key in other.args:
                out.args = {k: v for k, v in out.args.items() if k not in ("place", "category", "refers", "near")}
                out.args[key] = other.args[key]
                if "near" in other.args:
                    out.args["near"] = other.args["near"]
        out.objects |= other.objects
        return out


_OPPOSITE = {"act.open": "act.close", "act.on": "act.off", "act.close": "act.open", "act.off": "act.on"}
_WANTED = frozenset({*_OPPOSITE, "act.warm", "act.cool", "act.increase", "act.decrease", "act.set", "act.tilt",
                     "act.recline", "act.upright", "act.move", "act.point"})


def _lead_object(chunks: list[Any]) -> list[Any]:
    """A clause's first word when it names a function used as a verb ("defrost the windscreen")."""
    content = [c for c in chunks if not (c.is_filler or c.has("polite"))]
    return content[:1] if len(content) > 1 and content[0].has("obj.") and not content[0].has("zone.") else []


def _defroster_of(frag: Plan) -> str | None:
    """Which glass a fragment's rows name after a defroster: "the front", "the rear one", "both"."""
    rows = {z.kind for z in frag.zones}
    if not rows - {"own"}:
        return None
    both = "all" in rows or {"front", "rear"} <= rows or frag.several
    return "both_defrosters" if both else "front_defroster" if "front" in rows else "rear_defroster" \
        if "rear" in rows else None


def _verbs_first(chunks: list[Any], acts: list[frozenset[str]],
                 words: list[str]) -> tuple[list[frozenset[str]], list[str]]:
    """A word that names a thing and an action ("heating", "heat") is the thing when a verb of its own
    is said: "switch off the heating of the rear window", "turn off the heating for all seats"."""
    named = {c.text for c in chunks if c.has("obj.") and c.has("act.")}
    verbs = [w for w in words if w not in named]
    if not named or not verbs:
        return acts, words
    kept = [(g, w) for g, w in zip(acts, words, strict=False) if w not in named or "frame.unwant" in g]
    return [g for g, _ in kept], [w for _, w in kept]


def _negated(acts: list[frozenset[str]], words: list[str]) -> tuple[list[frozenset[str]], list[str], str]:
    """What a clause asks for when it says what it does not want.

    "I don't want any windows open" closes them and "I don't want the fan on" switches it off;
    "I don't want it warmer" says what not to do, not what to do, and is unclear.
    """
    k = next((i for i, g in enumerate(acts) if "frame.unwant" in g), None)
    if k is None or k == len(acts) - 1:
        return acts, words, ""
    after = [(g, w) for g, w in zip(acts[k + 1:], words[k + 1:], strict=False) if g & _WANTED]
    if not after:
        return acts, words, ""
    if all(g & set(_OPPOSITE) for g, _ in after):
        flipped = [frozenset({_OPPOSITE[sorted(g & set(_OPPOSITE))[0]]}) for g, _ in after]
        return acts[:k] + flipped, words[:k] + [w for _, w in after], ""
    return acts, words, f"not wanted: {after[0][1]}"


def _own_direction(verb: frozenset[str], tool: str | None) -> bool:
    """Whether a verb says its own direction for this tool ("cool my seat down", "pop the sunroof up"),
    so that a particle after it repeats it; "pop the window down" is a window opened, not tilted."""
    own = verb & _OWN_DIRECTION
    if not own:
        return False
    if tool is None or tool not in REGISTRY:
        return "act.set" not in verb
    return any(REGISTRY[tool].senses.accepts(x) for x in own)


def _before_a_value(chunks: list[Any], k: int) -> bool:
    nxt = next((c for c in chunks[k + 1:] if not c.is_filler), None)
    return nxt is not None and (nxt.is_number or nxt.has("zone.", "amt.", "dir.", "count"))


_OWN_DIRECTION = frozenset({"act.warm", "act.cool", "act.open", "act.close", "act.recline", "act.upright", "act.tilt"})


@dataclass
class Outcome:
    """What the resolver made of a request."""

    calls: list[RawCall]
    sure: bool
    reason: str = ""
    ask: targets.Ask | None = None
    pending: Pending | None = None
    say: str | None = None
    """A reply that replaces the usual one (reported speech, a negated request)."""
    person: str | None = None
    topic: str | None = None
    verb: str | None = None
    """The words naming what the request acted on ("seat"), for "heat it" next turn."""
    named: bool = False
    """Unsure about a clause that names a function of the car (not only words the grammar has no use for)."""


def resolve(lex: Lexicon, readings: list[Reading], speaker: str, ctx: DialogueContext) -> Outcome:
    """The calls of a request's readings."""
    plans: list[Plan] = []
    extra: list[RawCall] = []
    unsure: list[str] = []
    person = ctx.person
    if ctx.speaker not in (None, speaker) and (person is None or ctx.speaker_at > ctx.person_at):
        person = ctx.speaker  # "can I put my window down?" - "go on, open it for her": who asked last
    answered = _answer_pending(lex, readings, speaker, ctx) or _go_ahead(readings, speaker, ctx)
    if answered is not None:
        return answered
    named = False  # whether what was not accounted for names a function of the car
    named_person: str | None = None  # a person this request names, for "her" in later ones
    previous: Plan | None = None
    antecedent: Plan | None = None
    mentioned: list[Any] = []
    retracted = False
    negated_only = False
    verbs_of_reply: list[Any] = []
    i = 0
    while i < len(readings):
        r = readings[i]
        cl = r.clause
        i += 1
        if cl.reported and not (r.kind == frames.REMARK and r.subject == "person"):
            continue  # a command in somebody else's words; "my wife says she's cold" is a remark about her
        mention = _person_mention(lex, r, speaker)
        if mention is not None:
            person = named_person = mention  # _UNKNOWN: somebody named whose seat is not known ("her brother"): ask, never guess
            pure = not any(c.has("act.", "amt.", "num", "frame.same", "frame.it") for c in r.clause.chunks)
            if r.kind in (frames.INERT, frames.UNCLEAR) or (r.kind == frames.FRAGMENT and pure):
                continue  # "my daughter is sitting behind the passenger": who sits where, nothing to do
        if cl.retract:
            if previous is not None and previous in plans:
                plans.remove(previous)
                previous = None
                retracted = True
            elif not plans and r.has("frame.undo"):
                plans.append(Plan(None, undo=True))  # "no, cancel that": the last turn taken back
                previous = plans[-1]
            continue
        if cl.negated and r.kind == frames.FRAGMENT and r.zones and previous is not None and previous in plans \
                and previous.zones and not any(c.has("act.", "amt.", "num", "obj.") for c in r.chunks if not c.has("zone.")):
            previous.excluded.extend(r.zones)  # "heat all the seats but not the driver's"
            continue
        if cl.negated:
            negated_only = True
            named_here = _named(r)
            if named_here:
                mentioned = _objects_only(named_here)
            if i < len(readings) and readings[i].kind == frames.FRAGMENT and previous is not None:
                readings[i].clause.correction = True  # "not the driver, the passenger"
            if r.kind == frames.INTENT:
                antecedent = Plan.of(lex, r)  # "don't open the sunroof all the way, just tilt it": "it" is the sunroof
            continue
        if r.excluded and r.kind in (frames.EMPTY, frames.FRAGMENT) and previous is not None and previous in plans \
                and previous.zones and not r.has("act.", "amt.", "num"):
            previous.excluded.extend(r.excluded)  # "roll down every window, uh, except mine"
            continue
        nxt_r = readings[i] if i < len(readings) else None
        if r.kind == frames.REMARK and r.zones and nxt_r is not None and nxt_r.kind in (frames.FRAGMENT, frames.INTENT) \
                and not nxt_r.zones and nxt_r.clause.sentence == cl.sentence and not nxt_r.clause.reported \
                and not nxt_r.args.get("complaint"):
            nxt_r.zones = list(r.zones)  # "hers is too hot now, back to one": the request is for whom the remark is about
        if r.excluded and r.kind == frames.EMPTY and nxt_r is not None and nxt_r.refers and not nxt_r.zones \
                and nxt_r.has("act.") and nxt_r.clause.sentence == cl.sentence and not nxt_r.clause.reported:
            nxt_r.zones = list(r.excluded)  # "except the back right, close that one": that one is the back right
            continue
        if r.kind == frames.EMPTY:
            continue
        if r.kind == frames.INTENT and frames.describes(lex, cl.words) and any(
                o.kind == frames.INTENT and o.tool == r.tool and o.clause.sentence == cl.sentence
                and not o.clause.reported and not frames.describes(lex, o.clause.words) for o in readings[i:]):
            # "the fan's blowing right in my face, point it at my feet": how it is now, then what is wanted
            mentioned = _objects_only(_named(r))
            continue
        if (r.args.get("complaint") or r.kind == frames.SITUATION) and nxt_r is not None \
                and nxt_r.kind == frames.FRAGMENT and nxt_r.refers \
                and nxt_r.has("act.", "dir.") and not nxt_r.has("obj.") and nxt_r.clause.sentence == cl.sentence \
                and not nxt_r.clause.reported:
            # "that massage is too much, switch it off", "the air's blowing in my face, can it go down to my feet":
            # what is wrong is the reason; "it" is what it names
            named_here = _objects_only(_named(r))
            if named_here and _reread(lex, named_here + nxt_r.clause.chunks, cl.sentence, speaker):
                mentioned = named_here
                continue
        if r.kind == frames.QUESTION and any(
                n.kind == frames.FRAGMENT and n.has("act.") and not n.has("obj.") for n in readings[i:]):
            # "the sunroof is tilted; open it fully instead", "is the window open? close it": what "it" is
            named_here = _named(r)
            if named_here:
                mentioned = _objects_only(named_here)
                continue  # the request says what is wanted; how it is now needs no answer
        if r.kind in (frames.REPLY, frames.QUESTION):
            if r.kind == frames.QUESTION:
                args = dict(r.args)
                zones = targets.resolve(r.zones, speaker, recent=[], person=person, several=True, per_seat=False)
                if isinstance(zones, list) and zones and zones[0] is not None:
                    args["zone"] = zones[0]
                extra.append(("get_vehicle_state", args))
            else:
                extra.append(("reply_only", dict(r.args)))
                if r.args.get("reason") == "unsupported_function":
                    verbs_of_reply = [c for c in cl.chunks if c.has("act.")]  # "heat the steering wheel and my seat"
            continue
        if r.kind == frames.INERT and previous is not None and previous in plans and previous.source == "explicit" \
                and previous.tool is not None and previous.amount.empty and cl.sentence == previous.sentence \
                and _degree_only(lex, r):
            degree = frames.Reading(cl, frames.FRAGMENT, chunks=r.chunks)
            degree.amount = amounts.read(lex, r.chunks)
            merged = previous.override(Plan.of(lex, degree))  # "massage on please, something gentle": how much
            plans[plans.index(previous)] = merged
            previous = merged
            continue
        last = plans[-1] if plans else None
        if r.kind == frames.INERT and last is not None and last.tool is None and last.zones and not (
                last.undo or last.acts or last.dirs or not last.amount.empty) and _degree_only(lex, r):
            last.amount = amounts.read(lex, r.chunks)  # "his too, just a little bit": the follow-up's amount
            continue
        if r.kind == frames.INERT:
            narrowed = _narrow(lex, previous, r, speaker)
            if narrowed:
                continue
            named = _named(r)
            if named:
                mentioned = _objects_only(named)
            target = previous if previous is not None else _last_navigation(ctx) if cl.correction else None
            if target is not None and target.tool == "navigate" and (cl.correction or not (
                    set(target.args) & {"place", "category"})):
                # "let's go to, um, Salzburg"; "take me to Augsburg... no, Ingolstadt"
                target.args = {"place": frames.place_text(lex, r.clause.chunks)}
                if target not in plans:
                    plans.append(target)
                previous = target
            continue
        if r.kind == frames.UNCLEAR:
            named_here = _named(r)
            nxt = readings[i] if i < len(readings) else None
            if named_here and nxt is not None and nxt.clause.sentence == cl.sentence and nxt.refers and not any(
                    c.has("obj.") for c in nxt.clause.chunks if not c.has("act.")):
                # "my seat's sticky, cool it down": how the thing is, then "it" - when "it" makes a request of it
                if _reread(lex, _objects_only(named_here) + nxt.clause.chunks, cl.sentence, speaker):
                    mentioned = _objects_only(named_here)
                    continue
            if _talk_around(lex, r, readings):
                continue  # "is there a pharmacy around here, I need to pick up a prescription": why, not what
            unsure.append(cl.text)
            named = True
            continue
        if r.kind == frames.NAVIGATE and "category" in r.args and not r.has("act.") \
                and frames.is_statement(lex, cl.words) and any(
                    o.kind == frames.INTENT and o.clause.sentence == cl.sentence and not o.clause.reported
                    and o.tool not in (None, "navigate") for o in readings if o is not r):
            continue  # "slide my seat back a bit, we're just creeping through the car park": where we are
        if r.kind == frames.INTENT and r.rivals and not r.unexplained:
            same = previous.tool if previous is not None else ctx.function if ctx.speaker == speaker else None
            if same in r.rivals:
                r = dataclasses.replace(r, rivals=[], tool=same)  # "cool my seat down, like, ventilation level one"
            settled = _weak(lex, Plan.of(lex, r), r, previous, speaker, ctx, mentioned)
            if r.rivals and settled.object_chunks and settled.tool not in (r.tool, *r.rivals):
                r = dataclasses.replace(r, rivals=[], tool=settled.tool)  # "switch mine to cooling": the seat's
        if r.kind == frames.INTENT and (r.unexplained or r.rivals):
            why = f"{r.tool} leaves {[c.text for c in r.unexplained]}" if r.unexplained else \
                f"{r.tool} or {r.rivals}"
            unsure.append(f"{cl.text} ({why})")
            named = True
            continue
        if r.kind == frames.NAVIGATE and r.has("frame.unwant"):
            continue  # "I don't want to go home, take me to work": not a destination
        plan = Plan.of(lex, r)
        plan.sentence = cl.sentence
        if plan.unclear:
            unsure.append(f"{cl.text} ({plan.unclear})")
            named = True
            continue
        if r.kind == frames.INTENT and not plan.acts and plan.amount.empty and previous is not None \
                and previous in plans and previous.verbs and cl.joined_by in lex.group("list_joiners") \
                and _names_object(r):
            # "defrost the windscreen and the rear window", "close the sunroof and all the windows": one verb
            shared = _reread(lex, previous.verbs + r.clause.chunks, cl.sentence, speaker)
            if shared is not None:
                r = shared
                plan = Plan.of(lex, r)
        nxt_r = readings[i] if i < len(readings) else None
        if r.kind == frames.INTENT and not plan.acts and plan.amount.empty and not plan.dirs and nxt_r is not None \
                and (nxt_r.kind == frames.FRAGMENT or (nxt_r.kind == frames.INTENT and nxt_r.tool == r.tool)) \
                and not nxt_r.clause.correction \
                and nxt_r.clause.sentence == cl.sentence:
            # "and the back of the seat, more lying please": the thing, then what to do with it
            readings[i] = frames.read(lex, Clause(r.clause.chunks + nxt_r.clause.chunks, cl.sentence), speaker)
            continue
        if r.kind == frames.FRAGMENT and r.has("frame.it") and all(g <= {"act.set"} for g in plan.acts) \
                and plan.amount.empty and not plan.dirs \
                and not plan.zones and nxt_r is not None and nxt_r.kind == frames.FRAGMENT \
                and nxt_r.clause.sentence == cl.sentence and not nxt_r.clause.correction:
            # "can you make it, um, twenty-three in here": the pause cut one request in two
            readings[i] = frames.read(lex, Clause(r.clause.chunks + nxt_r.clause.chunks, cl.sentence), speaker)
            continue
        here = plans[-1] if plans and plans[-1].sentence == cl.sentence else None
        if r.kind == frames.FRAGMENT and r.has("frame.it") and here is not None and not plan.zones:
            said = " ".join(c.text for c in cl.chunks if not c.has("polite") and c.text not in (",", "."))
            if here.source == "explicit" and said in lex.group("confirm_request"):
                continue  # "we're off to Landshut, set it up": the request just made, confirmed
            if here.source == "reason" and here.tool in REGISTRY and any(
                    g & {"act.increase", "act.decrease", "act.warm", "act.cool"} for g in plan.acts):
                again = frames.read_as(lex, cl, here.tool)
                if again is not None:  # "it's chilly, bump it up": "it" is what the remark is about
                    r, plan = again, Plan.of(lex, again)
                    plan.sentence = cl.sentence
        if r.kind == frames.NAVIGATE and "refers" in r.args:
            if previous is not None and previous.tool == "navigate":
                continue  # "is there parking nearby? take me to the nearest one"
            last = next((ex for ex in reversed(ctx.last) if ex.name == "navigate"), None)
            if last is None:
                unsure.append(f"{cl.text} (which destination?)")
                continue
            plan.args = {"place": last.absolute.get("place")}
        if r.kind == frames.NAVIGATE and plan.args.get("near") == "there":
            # "take me to the Olympic Park... er, the parking deck there": around the place just named
            named_place = next((p.args["place"] for p in reversed(plans) if p.tool == "navigate" and p.args.get("place")),
                               None) or next((ex.absolute.get("place") for ex in reversed(ctx.last)
                                              if ex.name == "navigate"), None)
            plan.args = {k: v for k, v in plan.args.items() if k != "near"}
            if named_place:
                plan.args["near"] = named_place
        if r.kind in (frames.REMARK, frames.SITUATION) or r.args.get("complaint"):
            plan.source = "reason"
            plan.tool = plan.tool or REMARK_TOOL
            plan.args = {**plan.args, "feel": r.feel, "subject": r.subject} if r.kind == frames.REMARK else plan.args
            if r.kind != frames.INTENT:
                plan.args["kind"] = r.kind
        if r.kind == frames.FRAGMENT and previous is not None and previous in plans and previous.zones:
            content = [c for c in cl.chunks if not (c.is_filler or c.has("polite", "frame.separators"))]
            if content and all(c.has("frame.both") or c.text in ("both", "both sides", "both of them", "the two of them")
                               for c in content):
                continue  # "back seats to 22, both of them", "the front temperature up, both sides": said already
        glass = _defroster_of(plan) if r.kind == frames.FRAGMENT and previous is not None and previous in plans \
            and previous.tool == "set_climate_feature" and str(previous.feature).endswith("defroster") else None
        if glass is not None:
            # "turn on the rear defrost, sorry, the front"; "the rear defroster, and the front one as well"
            acts = list(plan.acts) or list(previous.acts)
            words = list(plan.words) or list(previous.words)
            new = dataclasses.replace(copy.deepcopy(previous), feature=glass, acts=acts, words=words, zones=[])
            if cl.correction:
                plans[plans.index(previous)] = new
            else:
                plans.append(new)
            previous = new
            continue
        if not cl.correction and previous is not None and previous in plans and r.kind in (
                frames.INTENT, frames.FRAGMENT) and any(c.text in lex.group("instead") for c in cl.chunks) \
                and cl.joined_by not in lex.group("list_joiners"):  # "close the sunroof and open my window instead": both
            cl.correction = True  # "heat the passenger seat - oh wait, she's asleep - heat mine instead"
        if r.kind == frames.INTENT and previous is not None and previous in plans and previous.tool is not None \
                and not cl.correction and cl.joined_by == "," \
                and cl.sentence == previous.sentence and not r.zones and not r.amount.empty and previous.amount.empty \
                and previous.source == "explicit" and not r.has("act."):
            again = frames.read_as(lex, cl, previous.tool)
            if again is not None:  # "cool my seat down, like, ventilation level one": how much, of the same thing
                how_much = Plan.of(lex, again)
                moves = any(g & {"dir.back", "dir.forward"} for g in previous.dirs) or any(
                    g & {"act.recline", "act.upright"} for g in previous.acts)
                if moves and previous.tool == "recline_seat":  # "lean the backrest back, like ten degrees": by ten
                    how_much.amount.numbers = [n if n.relative or n.value > SMALL_TILT or any(
                        c.text in lex.group("target") for c in again.chunks[:n.at]) else dataclasses.replace(n, relative=True)
                        for n in how_much.amount.numbers]
                merged = previous.override(how_much)
                plans[plans.index(previous)] = merged
                previous = merged
                continue
        if r.kind == frames.INTENT and previous is not None and previous in plans and previous.tool is not None \
                and plan.tool != previous.tool and cl.correction and cl.sentence == previous.sentence and not r.zones:
            again = frames.read_as(lex, cl, previous.tool)
            if again is not None:  # the same thing, said more precisely or corrected
                r, plan = again, Plan.of(lex, again)
                plan.sentence = cl.sentence
                cl.correction = True
                merged = previous.override(plan)
                plans[plans.index(previous)] = merged
                previous = merged
                continue
        if cl.correction and previous is not None:
            if r.kind == frames.INTENT and plan.tool != previous.tool and not _names_object(r) and not any(
                    c.has("act.") for c in r.chunks):
                plan.tool = None  # "recline me to 25, no, 28 degrees": the value, not the cabin temperature
            if r.kind == frames.INTENT and previous.object_chunks and not _names_object(r):
                # "cool the seat, no, heat it": "it" is the seat, so the correction is the seat heater
                reread = frames.read(lex, Clause(_objects_only(previous.object_chunks) + r.clause.chunks, cl.sentence),
                                     speaker)
                if reread.kind == frames.INTENT and not reread.unexplained:
                    plan = Plan.of(lex, reread)
            merged = previous.override(plan)
            plans[plans.index(previous)] = merged
            previous = merged
            continue
        if r.kind == frames.FRAGMENT and extra and previous is None and all(
                c.has("frame.same") or c.is_filler for c in r.chunks):
            continue  # "What's the temperature set, too?": the recogniser's comma, not a request
        if r.kind == frames.FRAGMENT and r.args.get("complaint") and any(
                o is not r and o.kind in (frames.INTENT, frames.FRAGMENT) and not o.args.get("complaint")
                and not o.clause.reported and (o.has("act.") or not o.amount.empty) for o in readings):
            continue  # "that's way too windy, close it": what is wrong is the reason for the request beside it
        if r.kind == frames.FRAGMENT:
            if previous is not None and previous.tool == "navigate" and plan.objects == {"obj.route"} and not (
                    plan.zones or not plan.amount.empty) and all(g & {"act.on", "act.set"} for g in plan.acts):
                continue  # "search for the closest pharmacy and start the navigation": the same request
            if previous is not None and previous in plans and previous.zones and plan.zones and not plan.acts \
                    and plan.amount.empty and cl.joined_by == "," and cl.sentence == previous.sentence \
                    and not r.same and _restates(previous.zones, plan.zones, speaker):
                continue  # "open the window on the other side back here, the left one": the same window, said again
            if previous is not None and previous.source == "explicit" and _takes(previous, plan):
                target = _fragment_into(previous, plan)
                if target is previous:
                    merged = previous.override(plan)
                    if not plan.zones and not plan.amount.empty and any(
                            c.text in lex.group("distributive") for c in cl.chunks):
                        for k, other in enumerate(plans):  # "heat my seat and the passenger's, level one each"
                            if other is not previous and other.source == "explicit" and other.amount.empty \
                                    and other.sentence == previous.sentence and _takes(other, plan):
                                plans[k] = other.override(plan)
                    plans[plans.index(previous)] = merged
                    previous = merged
                else:
                    plans.append(target)
                    previous = target
                continue
            nxt = readings[i] if i < len(readings) else None
            if antecedent is not None and antecedent.tool is not None:
                plan.tool, plan.feature = antecedent.tool, antecedent.feature
                plan.zones = plan.zones or list(antecedent.zones)
                plans.append(plan)
                previous, antecedent = plan, None
                continue
            if nxt is not None and nxt.kind == frames.INTENT and not nxt.clause.reported and not nxt.clause.correction \
                    and nxt.clause.sentence == cl.sentence and nxt.clause.joined_by == "," and not plan.objects \
                    and not plan.refers and previous is None:
                joined = _reread(lex, r.clause.chunks + nxt.clause.chunks, cl.sentence, speaker, tool=nxt.tool)
                if joined is not None:
                    readings[i] = joined  # "sit me all the way up, fully upright": one request, said twice
                    continue
            if nxt is not None and not nxt.clause.reported and not nxt.clause.correction and (
                    (plan.zones and not plan.acts and plan.amount.empty and nxt.kind in (frames.INTENT, frames.FRAGMENT))
                    or (nxt.kind == frames.FRAGMENT and plan.objects != Plan.of(lex, nxt).objects)
                    or (plan.objects and not plan.acts and plan.amount.empty and nxt.refers
                        and nxt.kind in (frames.INTENT, frames.FRAGMENT) and nxt.clause.sentence == cl.sentence)):
                # "the air, point it at my feet": the thing, then what to do with "it"
                # "the two back seats, heat them up on high": the topic and the request are one clause
                joined = Clause(r.clause.chunks + nxt.clause.chunks, nxt.clause.sentence, correction=r.clause.correction)
                readings[i] = frames.read(lex, joined, speaker)
                continue
            if verbs_of_reply and not plan.acts and plan.objects and previous is None:
                reread = _reread(lex, verbs_of_reply + r.clause.chunks, cl.sentence, speaker)
                if reread is not None:
                    plan = Plan.of(lex, reread)  # "heat the steering wheel and my seat": the seat is heated
                    plans.append(plan)
                    previous = plan
                    continue
            if mentioned and plan.acts and (not plan.objects or plan.refers):
                # "the twins keep fiddling with the windows, close both back ones"
                reread = _reread(lex, mentioned + r.clause.chunks, cl.sentence, speaker)
                if reread is not None:
                    plan = Plan.of(lex, reread)
                    plans.append(plan)
                    previous = plan
                    continue
            # a fragment of its own: later fragments and corrections complete it ("make it, uh, twenty, no,
            # nineteen"); what is still missing at the end comes from the last turn ("okay, then four")
            plan.tool = None
            # "set it back to twenty": the value said is where it goes back to, not the one before
            plan.undo = r.has("frame.undo") and not plan.amount.numbers
            plan.corrects = cl.correction and not plans
            plans.append(plan)
            previous = plan
            continue
        if r.kind == frames.INTENT and r.has("frame.undo") and plan.tool is not None and not plan.amount.numbers:
            plans.append(Plan("undo", args={"tool": plan.tool, "feature": plan.feature}))  # "undo the recirc"
            previous = plans[-1]
            continue
        if r.kind == frames.INTENT and not plan.acts and plan.amount.empty and not plan.dirs and previous is None \
                and not plans and ctx.verb and ctx.last and (cl.joined_by in lex.group("list_joiners") or r.same) \
                and ctx.function != plan.tool:
            reread = _reread(lex, lex.chunk(ctx.verb.split()) + cl.chunks, cl.sentence, speaker, tool=plan.tool)
            if reread is not None:
                r, plan = reread, Plan.of(lex, reread)  # "open my window" - "and the sunroof": open it too
        if r.kind == frames.INTENT and not plan.acts and not plan.dirs and not plan.amount.empty \
                and not plan.amount.numbers and plan.amount.named is None and not r.has("dir.") and previous is not None \
                and previous in plans and previous.source == "explicit" and previous.tool != plan.tool \
                and previous.verbs and cl.sentence == previous.sentence and cl.joined_by in lex.group("list_joiners"):
            reread = _reread(lex, list(previous.verbs) + cl.chunks, cl.sentence, speaker, tool=plan.tool)
            if reread is not None:
                r, plan = reread, Plan.of(lex, reread)  # "open the sunroof, and the back windows just a bit": open them
        if r.kind == frames.INTENT and r.same and not plan.acts and plan.amount.empty and not previous and ctx.last:
            follow = _follow_up(dataclasses.replace(plan, tool=None), speaker, ctx)  # "same temperature for me"
            mine = [p for p in follow or [] if p.tool == plan.tool and p.feature == plan.feature]
            if mine or (follow and not _names_object(r)):
                plans.extend(mine or follow)
                previous = plans[-1]
                continue
            # "and the front defroster too" after something else: the thing it names, switched on
        if r.kind == frames.INTENT and plan.tool is not None:
            plan = _weak(lex, plan, r, previous, speaker, ctx, mentioned)
            if previous is not None and not plan.zones and plan.refers and (previous.tool == plan.tool or (
                    previous.tool in REGISTRY and plan.tool in REGISTRY
                    and REGISTRY[previous.tool].key == REGISTRY[plan.tool].key == "seat")):
                plan.zones = list(previous.zones)  # "move the passenger seat back and recline its backrest"
            restates = any(w.split()[-1] in plan.comparative for w in plan.words) or plan.amount.degree is not None \
                or (bool(plan.amount.numbers) and all(n.relative for n in plan.amount.numbers)
                    and not plan.acts and not plan.dirs)  # "a tiny bit warmer, like half a degree": how much
            if previous is not None and previous.tool == plan.tool and previous in plans and not plan.zones \
                    and previous.source == plan.source == "explicit" and restates and plan.feature is None:
                merged = previous.override(plan)  # "make it colder back here, like way colder": one request
                plans[plans.index(previous)] = merged
                previous = merged
                continue
            _inherit_context(plan, r, speaker, ctx)
        plan.sentence = cl.sentence
        plans.append(plan)
        if plan.source == "explicit":
            previous = plan
    completed: list[Plan] = []
    for plan in plans:
        if plan.tool is not None:
            completed.append(plan)
            continue
        follow = _follow_up(plan, speaker, ctx)
        if follow is None and _bare_temperature(plan):
            follow = [dataclasses.replace(plan, tool=BARE_VALUE_TOOL)]
        if follow is None:
            unsure.append("a fragment with nothing to refer to")
            continue
        completed.extend(follow)
    plans = completed
    explicit = [p for p in plans if p.source == "explicit"]
    if explicit or extra:
        plans = explicit
    else:  # two remarks about one function say the same thing twice: the first is the one meant
        seen_tools: set[str | None] = set()
        plans = [p for p in plans if not (p.tool in seen_tools or seen_tools.add(p.tool))]
    calls: list[RawCall] = []
    ask: targets.Ask | None = None
    pending: Pending | None = None
    def bare(p: Plan) -> bool:  # the thing named and nothing else ("fan...")
        return not (p.acts or not p.amount.empty or p.zones or p.args or p.feature or p.undo) and \
            not any(c.has("dir.") and not c.has("obj.") for c in p.verbs)

    for plan in plans:
        if bare(plan) and any(o is not plan and o.tool == plan.tool and not bare(o) for o in plans):
            continue  # "fan... fan on max": the thing named alone, then said in full
        built = _build(plan, speaker, ctx, person)
        if isinstance(built, targets.Ask):
            ask = built
            pending = Pending(built.question, built.slot, _unzoned(plan, speaker, ctx, person), built.options, speaker)
            continue
        if built is None:
            unsure.append(f"{plan.tool}: not enough said")
            continue
        for call in built:
            if call not in calls:
                calls.append(call)
    for call in extra:
        if call not in calls:
            calls.append(call)
    if unsure:
        return Outcome(calls, False, reason="not understood: " + " | ".join(unsure), person=_known(named_person), named=named)
    if ask is not None and not calls:
        return Outcome([], True, ask=ask, pending=pending, person=_known(named_person))
    if not calls:
        if any(r.clause.reported for r in readings):
            return Outcome([], True, say="That sounds like somebody else's words. Tell me if you want me to do it.",
                           person=_known(named_person))
        if retracted or negated_only:
            return Outcome([], True, say="Okay, I'll leave it as it is.", person=_known(named_person))
        return Outcome([], False, reason="nothing recognised", person=_known(named_person))
    topic = next((" ".join(c.text for c in p.object_chunks) if p.object_chunks else lex.data["tool_nouns"].get(p.tool)
                  for p in reversed(plans) if p.tool in lex.data["tool_nouns"]), None)
    verb = next((" ".join(c.text for c in p.verbs if c.has("act.") and not c.has("obj.")) for p in reversed(plans)
                 if p.tool in lex.data["tool_nouns"] and any(c.has("act.") and not c.has("obj.") for c in p.verbs)), None)
    return Outcome(calls, True, ask=ask, pending=pending, person=_known(named_person), topic=topic, verb=verb)


# -- between clauses and turns -------------------------------------------------------------------
def _narrow(lex: Lexicon, previous: Plan | None, r: Reading, speaker: str) -> bool:
    """ "make it warmer on the kids' side, they sit behind me": a description naming one seat of the group."""
    if previous is None or not previous.zones:
        return False
    named = [z for z in targets.refs(lex, r.clause.chunks) if z.kind not in ("own", "person")]
    if not named:
        return False
    one = targets.resolve(named, speaker, recent=[], person=None, several=False, per_seat=False)
    group = targets.resolve(previous.zones, speaker, recent=[], person=None, several=True, per_seat=False)
    if isinstance(one, list) and isinstance(group, list) and len(one) == 1 and one[0] in SEATS and \
            len(group) == 1 and group[0] in ("front", "rear", "all") and one[0] in seats_of(str(group[0])):
        previous.zones = [targets.ZoneRef(str(one[0]), "")]
        return True
    return False


def _takes(previous: Plan, frag: Plan) -> bool:
    """Whether a fragment can belong to the plan before it: its actions and directions are the tool's."""
    if previous.tool is None or previous.tool not in REGISTRY:
        return True
    s = REGISTRY[previous.tool].senses
    return all(any(s.accepts(x) for x in group) for group in frag.acts + frag.dirs)


def _degree_only(lex: Lexicon, r: Reading) -> bool:
    """A clause that says only how much ("something gentle", "halfway-ish"), with no thing or target."""
    degrees = ("amt.little", "amt.much", "amt.half", "amt.quarter", "amt.third", "amt.three_quarters",
               "amt.two_thirds", "amt.low", "amt.medium", "amt.high", "amt.max", "amt.min")
    said = [c for c in r.clause.chunks if not (c.is_filler and not c.has("amt.")) and not c.has("polite", "frame.separators")]
    return bool(said) and any(c.has(*degrees) for c in said) and all(
        c.has(*degrees) or c.text in lex.group("vague") for c in said)


def _restates(before: list[targets.ZoneRef], after: list[targets.ZoneRef], speaker: str) -> bool:
    """Whether a target said after a comma only repeats the one before it ("the other side back here, the
    left one"): read together, they name the same seats as the first alone."""
    first = targets.resolve(before, speaker, recent=[], person=None, several=False, per_seat=False)
    if isinstance(first, targets.Ask) or None in first:
        return False
    rows = {ROW[s] for z in first for s in seats_of(z)}  # type: ignore[arg-type, index]
    after = [r for r in after if r.kind not in rows]  # "the passenger seat, the front one": the row it is in
    both = targets.resolve(before + after, speaker, recent=[], person=None, several=False, per_seat=False)
    return first == both


def _fragment_into(previous: Plan, frag: Plan) -> Plan:
    """Whether a fragment completes the plan before it (returns it) or repeats it elsewhere (a new plan)."""
    new_target = bool(frag.zones) and bool(previous.zones or not previous.amount.empty or previous.acts)
    new_value = not frag.amount.empty and not previous.amount.empty
    if new_target and (not frag.amount.empty or not previous.zones or frag.zones != previous.zones):
        copy_ = previous.override(frag)
        if frag.amount.empty and not frag.acts:
            copy_.amount = copy.deepcopy(previous.amount)
        return copy_
    if new_value and not frag.zones:
        return previous  # "set it to 19, 21": the later value (the caller merges)
    return previous


def _last_navigation(ctx: DialogueContext) -> Plan | None:
    """A plan repeating the last turn's navigation (for "actually, make that the Deutsches Museum")."""
    if ctx.function != "navigate":
        return None
    return Plan("navigate")


def _weak(lex: Lexicon, plan: Plan, r: Reading, previous: Plan | None, speaker: str,
          ctx: DialogueContext, mentioned: list[Any] | None = None) -> Plan:
    """A clause that names no object of its own ("heat it", "the heating please you stop", "five more
    degrees") is about the object last named: in this request, or in the last turn."""
    moves_it = plan.refers and any(c.has("act.move") for c in r.chunks)  # "slide it forward": "it" says what
    if _names_object(r) or (any(c.has("act.set") for c in r.chunks) and not moves_it) or not (plan.refers or plan.objects):
        return plan  # "make it warmer" is the cabin; "slide me back" says what it moves
    topics = []
    if previous is not None and previous.object_chunks:
        topics.append(previous.object_chunks)
    elif mentioned:
        topics.append(mentioned)
    elif ctx.topic and (plan.refers or not plan.zones):
        topics.append(lex.chunk(ctx.topic.split()))
    for topic in topics:
        reread = _reread(lex, list(topic) + r.clause.chunks, r.clause.sentence, speaker)
        if reread is not None:
            better = Plan.of(lex, reread)
            better.object_chunks = list(topic)
            return better
    last = ctx.function
    named = [c for c in r.chunks if c.has("obj.") and not c.has("amt.")]
    if last and last != plan.tool and not named and last in REGISTRY and ctx.speaker == speaker:
        s = REGISTRY[last].senses
        content = [c for c in r.chunks if not c.is_filler]
        if s.keys and all(any(s.accepts(x) for x in c.senses) or c.has("filler", "polite") for c in content):
            plan.tool = last  # "five more degrees" after reclining: the backrest, not the cabin
            _inherit_context(plan, r, speaker, ctx, force=True)
    return plan


def _talk_around(lex: Lexicon, r: Reading, readings: list[Reading]) -> bool:
    """A clause that names nothing of the car, only a wish verb ("I need to pick up a prescription"), beside
    a request in the same sentence: the speaker's reason, not a part of the request left unexplained."""
    said = [c for c in r.clause.chunks if not c.is_filler and not c.has("polite")]
    if any(c.has("obj.", "zone.", "amt.", "num", "dir.", "feel.", "poi.", "place.", "unsupported") for c in said):
        return False
    if any(c.has("act.") and not (c.senses - {"filler"}) <= {"act.set"} for c in said):
        return False
    return any(o is not r and o.clause.sentence == r.clause.sentence and not o.clause.reported
               and o.kind in (frames.INTENT, frames.NAVIGATE, frames.SITUATION) for o in readings)


def _reread(lex: Lexicon, chunks: list[Any], sentence: int, speaker: str,
            tool: str | None = None) -> frames.Reading | None:
    """``chunks`` read as one clause (words of one clause lent to another: "the air, point it at my feet",
    "open my window" - "and the sunroof"), when that is a request fully accounted for with one tool
    (``tool``, when given)."""
    reading = frames.read(lex, Clause(list(chunks), sentence), speaker)
    if reading.kind != frames.INTENT or reading.unexplained or reading.rivals or tool not in (None, reading.tool):
        return None
    return reading


def _objects_only(chunks: list[Any]) -> list[Any]:
    """What was named, without where: "the driver's seat" said in passing lends "seat", not "driver"."""
    return [dataclasses.replace(c, senses=frozenset(s for s in c.senses if s.startswith("obj."))) for c in chunks]


def _named(r: Reading) -> list[Any]:
    """The chunks of a clause that name a thing of the car (not a verb such as "heat", or a unit: "degrees")."""
    return [c for c in r.clause.chunks if c.has("obj.") and not c.has("act.", "amt.")]


def _names_object(r: Reading) -> bool:
    """Whether a clause names the thing it acts on (not only a verb such as "heat it", or a unit: "degrees")."""
    return any(c.has("obj.") and not c.has("act.", "amt.") for c in r.chunks)


def _bare_temperature(plan: Plan) -> bool:
    """ "set it to 22", "make it 19 back here": with nothing to refer to, a bare value of cabin temperatures."""
    n = plan.amount.last(None, "degrees")
    air = {"dir.up", "dir.middle", "dir.down"}
    # two degrees either side of the range: "set it to 15" is a temperature out of range, not nonsense
    return n is not None and not n.relative and T_MIN - 2 <= n.value <= T_MAX + 2 and not any(d & air for d in plan.dirs)


def _inherit_context(plan: Plan, r: Reading, speaker: str, ctx: DialogueContext, force: bool = False) -> None:
    """ "a bit warmer", "close it again": act where the same speaker's last request acted with this tool."""
    spec = REGISTRY[plan.tool] if plan.tool else None
    if spec is None or spec.key is None or plan.zones:
        return
    if ctx.speaker != speaker:
        if plan.refers and ctx.speaker is not None:
            # "can I put my window down?" (rear left, refused) - the driver: "go on, open it": "it" is
            # the one just asked about, whoever asked; without "it" ("open the window") it is the speaker's
            zones = {ctx.zone_of(ex, spec.key) for ex in ctx.asked if ex.name == plan.tool}
            if len(zones) == 1 and (zone := next(iter(zones))) in SEATS:
                plan.zones = [targets.ZoneRef(str(zone), "it")]
        return
    if ctx.function != plan.tool:
        if plan.refers and spec.key == "seat":
            # "move the passenger seat back" - "and recline it a little": "it" is the seat just moved
            seats = {ex.absolute.get("seat") for ex in ctx.last if REGISTRY.get(ex.name) and REGISTRY[ex.name].key == "seat"}
            if len(seats) == 1 and next(iter(seats)) in SEATS:
                plan.zones = [targets.ZoneRef(str(next(iter(seats))), "it")]
        return
    relative = any(w.split()[-1] in plan.comparative for w in plan.words) or plan.amount.degree is not None or any(
        n.relative for n in plan.amount.numbers)
    off = any(g & {"act.off", "frame.unwant"} for g in plan.acts)  # "forget the seat heating": the one just heated
    if not (force or relative or off or plan.refers or any("frame.again" in c.senses for c in r.chunks)):
        return
    zones = ctx.zones_of(plan.tool, spec.key, speaker)
    plan.zones = [targets.ZoneRef(z, z) for z in zones if z in SEATS]


# objects a fragment may name of any function it continues ("turn it up" after the seat heating: "heating")
_LOOSE_OBJECTS = frozenset({"obj.heating", "obj.temperature"})


def _opened(ex: Executed, spec: ToolSpec) -> int:
    """+1 when a window call opened (or asked to open: "open mine", refused), -1 when it closed, else 0."""
    value = ex.absolute.get(spec.absolute or "percent_open") if spec.shape == "opening" else None
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
        return 0  # not an opening, or a tilt
    before = next(iter(ex.before.values()), None) if ex.before else None
    if isinstance(before, (int, float)) and not isinstance(before, bool) and before >= 0 and before != value:
        return 1 if value > before else -1
    return 1 if value > 0 else -1


def _follow_up(frag: Plan, speaker: str, ctx: DialogueContext) -> list[Plan] | None:
    """A fragment at the start of a turn: the last turn's action again, with what the fragment changes.

    Only targets ("and the passenger too", "now the other side"): the same values elsewhere.
    A value or an action ("okay, then four", "turn it off", "a bit more"): the same function,
    where it acted, with the new value; "more" keeps the last step's direction.
    """
    if frag.undo:
        # after a question back, the request asked about never happened: undoing an older one would be a guess
        # "and back to normal for her": the last change where she sits, not the last change
        return [Plan("undo", args={"undo": True}, zones=list(frag.zones))] if ctx.last and ctx.pending is None else None
    # the last turn's request: what it did, or what it asked for when that was refused
    # ("I can only move the driver's seat while the car is stopped" - "okay, then the passenger seat")
    last = ctx.asked
    if not last:
        return None
    things = {(ex.name, ex.absolute.get("feature")) for ex in last}
    if frag.refers and not frag.several and len(things) > 1 and not frag.zones:
        return None  # "switch that one off" after the front and rear defrosters went on: which one?
    out: list[Plan] = []
    says_value = bool([g for g in frag.acts if g - {"act.set"}] or frag.dirs or not frag.amount.empty)
    if ctx.missed and not says_value:
        return None  # "can I have that too" right after a request that was not understood: that one, unknown
    for ex in last:
        spec = REGISTRY.get(ex.name)
        feature = ex.absolute.get("feature", "")
        if ex.name == "set_climate_feature" and str(feature).endswith("defroster") and (
                frag.zones or any("frame.both" in g for g in [frozenset(frag.objects)])):
            new = _defroster_of(frag)
            if new is not None:  # "and the front" after the rear defroster; "turn them both off"
                out.append(Plan("set_climate_feature", feature=new, acts=list(frag.acts), words=list(frag.words),
                                args={} if frag.acts else {"copy_on": ex.absolute.get("on")}))
                continue
        if spec is None or (frag.zones and spec.key is None):
            continue
        if any(not spec.senses.accepts(o) for o in frag.objects if o not in _LOOSE_OBJECTS):
            continue  # "move my seat a bit lower" after the fan: the seat is not the fan
        moves = [g & _POSITIONAL for g in frag.dirs if g & _POSITIONAL]
        if moves and len(moves) == len(frag.dirs) and not frag.acts and not frag.amount.numbers and not any(
                spec.senses.accepts(x) for g in moves for x in g):
            continue  # "and mine back a bit too" after the seat heating: a seat moves back, the heating does not
        own = [targets.ZoneRef(str(ex.absolute[spec.key]), "")] if spec.key and spec.key in ex.absolute \
            and ctx.speaker == speaker else []
        if spec.key and frag.refers and ctx.speaker not in (None, speaker):
            # the passenger: "open my window" - the driver: "close it": "it" is theirs (no key: their own)
            own = [targets.ZoneRef(str(ctx.zone_of(ex, spec.key)), "it")]
        if says_value and ex.before and any("act.on" in g for g in frag.acts) and _switched_off(ex) and (
                frag.amount.empty and any(w.split()[0] in ("back",) or "again" in w for w in frag.words)):
            restored = restore(ex)  # "turn it back on": as it was before it was switched off
            if restored is not None:
                out.append(Plan(restored[0], args={"copy": {k: v for k, v in restored[1].items() if k != spec.key}},
                                zones=own))
                continue
        if says_value:
            plan = Plan(ex.name, feature=ex.absolute.get("feature"), acts=list(frag.acts), words=list(frag.words),
                        dirs=list(frag.dirs), zones=list(frag.zones) or own, amount=copy.deepcopy(frag.amount),
                        args={"direction": ex.direction or _opened(ex, spec)}, several=frag.several,
                        comparative=frag.comparative,
                        more=frag.more, upright_step=frag.upright_step, tilt_open=frag.tilt_open)
        else:
            values = {k: v for k, v in ex.absolute.items() if k != spec.key}
            if ex.name == "navigate":
                continue
            plan = Plan(ex.name, feature=ex.absolute.get("feature"), zones=list(frag.zones) or own,
                        args={"copy": values}, several=frag.several)
        out.append(plan)
    if out and frag.corrects and frag.zones and not says_value and ctx.tried_done and ctx.last \
            and not any("frame.same" in g for g in frag.acts):
        # "no, sorry, the other one": the last action was on the wrong target - take it back there
        out.insert(0, Plan("undo", args={"undo": True}))
    return out or None


_UNKNOWN = "?"
_POSITIONAL = frozenset({"dir.back", "dir.forward"})


def _known(person: str | None) -> str | None:
    """The seat of the person named, for later turns (None when their seat is not known)."""
    return None if person == _UNKNOWN else person


def _switched_off(ex: Executed) -> bool:
    value = ex.absolute.get("level", ex.absolute.get("on", ex.absolute.get("percent", None)))
    return value in (0, False)


def _person_mention(lex: Lexicon, r: Reading, speaker: str) -> str | None:
    """ "my daughter is sitting behind the passenger": the seat a named person sits in; a partner named
    without a seat sits beside the speaker."""
    nouns = [c for c in r.clause.chunks if c.has("person.noun")]
    words = r.clause.words
    pronoun = not nouns and words[:1] and words[0] in lex.group("third_person") and any(
        w in lex.group("being") for w in words[1:3])  # "she's behind the passenger"
    if pronoun:
        nouns = r.clause.chunks[:1]
    if not nouns:
        return None
    named = [z for z in (r.zones or targets.refs(lex, r.clause.chunks)) if z.kind not in ("person", "own")]
    zones = targets.resolve(named, speaker, recent=[], person=None, several=True, per_seat=False) if named else None
    if isinstance(zones, list) and len(zones) == 1 and zones[0] in SEATS:
        return zones[0]
    if pronoun:
        return None  # "she's cold": the person already named
    if any(w in lex.words("person", "beside") for c in nouns for w in c.text.split()):
        return BESIDE[speaker]  # type: ignore[index]
    return _UNKNOWN  # somebody new, seat unknown: "her brother wants his on too" must be asked about


def _answer_pending(lex: Lexicon, readings: list[Reading], speaker: str, ctx: DialogueContext) -> Outcome | None:
    """The answer to the question the assistant asked last turn, if this turn is one."""
    p = ctx.pending
    if p is None or p.speaker != speaker:
        return None
    if p.kind == "confirm":
        live = readings
    else:
        live = [r for r in readings if r.kind != frames.EMPTY] or [
            r for r in readings if targets.refs(lex, r.clause.chunks)]  # "right." answers "rear left or rear right?"
    if not live:
        return None
    if p.kind == "confirm":
        if all(r.kind in (frames.FRAGMENT, frames.INERT, frames.REPLY, frames.EMPTY) for r in readings):
            if _said(readings, "frame.yes") and not _said(readings, "frame.no"):
                return Outcome(list(p.calls), True)
            if _said(readings, "frame.no"):
                return Outcome([], True, say="Okay, I'll leave it as it is.")
        return None
    if len(live) != 1 or live[0].kind not in (frames.FRAGMENT, frames.INTENT, frames.INERT, frames.REMARK):
        return None  # "the left one", "she's on the right"
    r = live[0]
    if r.kind == frames.INTENT and r.tool != p.calls[0][0] if p.calls else True:
        return None
    found = r.zones or targets.refs(lex, r.clause.chunks)
    zones = targets.resolve(found, speaker, recent=list(p.options), person=ctx.person, several=True,
                            per_seat=False) if found else None
    if not isinstance(zones, list) or zones == [None]:
        return None
    calls: list[RawCall] = []
    for name, args in p.calls:
        key = REGISTRY[name].key
        for z in zones:
            calls.append((name, {**args, **({key: z} if key and z is not None else {})}))
    return Outcome(calls, True)


def _go_ahead(readings: list[Reading], speaker: str, ctx: DialogueContext) -> Outcome | None:
    """ "turn the driver's seat heating on" (the passenger: refused, not their seat) - the driver: "yeah,
    do it": a yes with no question open, from another seat, right after a request that was not carried
    out, asks for that request on this speaker's authority (their own seat stays the asker's)."""
    if ctx.pending is not None or ctx.tried_done or not ctx.tried or ctx.speaker in (None, speaker):
        return None
    if not all(r.kind in (frames.FRAGMENT, frames.INERT, frames.REPLY, frames.EMPTY) for r in readings) \
            or not _said(readings, "frame.yes") or _said(readings, "frame.no") \
            or any(not (c.has("frame.yes", "frame.same", "frame.separators", "polite") or c.is_filler)
                   for r in readings for c in r.clause.chunks):
        return None
    calls: list[RawCall] = []
    for ex in ctx.tried:
        key = REGISTRY[ex.name].key if ex.name in REGISTRY else None
        calls.append((ex.name, {**ex.absolute, **({key: ctx.zone_of(ex, key)} if key else {})}))
    return Outcome(calls, True)


def _said(readings: list[Reading], sense: str) -> bool:
    return any(c.has(sense) for r in readings for c in r.clause.chunks)


def _unzoned(plan: Plan, speaker: str, ctx: DialogueContext, person: str | None) -> list[RawCall]:
    """The calls of a plan with its target left open (for a question back)."""
    spec = REGISTRY[plan.tool] if plan.tool else None
    if spec is None:
        return []
    probe = copy.deepcopy(plan)
    probe.zones = []
    built = _build(probe, speaker, ctx, person)
    if not isinstance(built, list):
        return []
    key = spec.key
    return [(n, {k: v for k, v in a.items() if k != key}) for n, a in built]


# -- building arguments ----------------------------------------------------------------------------
def _build(plan: Plan, speaker: str, ctx: DialogueContext, person: str | None) -> list[RawCall] | targets.Ask | None:
    if plan.tool == "undo":
        args = {k: v for k, v in plan.args.items() if k in ("tool", "feature") and v}
        if plan.zones:
            seats = targets.resolve(plan.zones, speaker, recent=[], person=person, several=True, per_seat=False)
            if not isinstance(seats, list) or not all(z in SEATS for z in seats):
                return seats if isinstance(seats, targets.Ask) else None
            args["seats"] = list(seats)
        return [("undo", args)]
    if plan.tool is None and _bare_temperature(plan):
        plan.tool = BARE_VALUE_TOOL
    if plan.tool is None:
        return None
    if plan.args.get("kind") == "remark":
        feel = plan.args.get("feel")
        if feel not in ("cold", "hot"):
            return []
        args: dict[str, Any] | None = {"delta": 1.0 if feel == "cold" else -1.0}
        plan.tool = REMARK_TOOL
        if plan.args.get("subject") == "person" and not plan.zones:
            if person is None or person == _UNKNOWN:
                return targets.Ask("Who do you mean: the passenger, or someone in the back?", "zone",
                                   ("passenger", "rear-left", "rear-right"))
            plan.zones = [targets.ZoneRef(person, "")]
        if plan.args.get("subject") == "all" and not plan.zones:
            plan.zones = [targets.ZoneRef("all", "")]
    elif plan.args.get("kind") == "situation":
        if plan.tool == "close_openings":
            return _close_openings(plan, speaker, ctx, person)
        args = {k: v for k, v in plan.args.items() if k != "kind"}
    elif plan.tool == "navigate":
        return _navigate(plan, ctx)
    elif "copy" in plan.args:
        args = dict(plan.args["copy"])
    elif plan.tool == "set_climate_feature" and plan.feature == "both_defrosters":
        on = _feature(dataclasses.replace(plan, feature="front_defroster"), REGISTRY[plan.tool])
        return [("set_climate_feature", {**(on or {}), "feature": f}) for f in ("front_defroster", "rear_defroster")]
    else:
        builder = BUILDERS.get(REGISTRY[plan.tool].shape) if plan.tool in REGISTRY else None
        if builder is None:
            return None
        args = builder(plan, REGISTRY[plan.tool])
    if args is None:
        return None
    spec = REGISTRY[plan.tool]
    if spec.key is None:
        return [(plan.tool, args)]
    zones = targets.resolve(plan.zones, speaker, recent=ctx.recent.get(plan.tool, []), person=person,
                            several=plan.several, per_seat=spec.per_seat, window=spec.key == "window",
                            there=_last_zones(ctx), others_acted=ctx.speaker not in (None, speaker))
    if isinstance(zones, targets.Ask):
        return zones
    if plan.excluded:
        zones = _without(zones, plan.excluded, speaker, person)
        if not zones:
            return None  # "all the seats but not mine" from the only seat there is: nothing left to do
    return [(plan.tool, {**args, **({spec.key: z} if z is not None else {})}) for z in zones]


def _without(zones: list[str | None], excluded: list[targets.ZoneRef], speaker: str,
             person: str | None) -> list[str | None]:
    """``zones`` less the seats ``excluded`` names ("every window except mine": the other three)."""
    out = targets.resolve(excluded, speaker, recent=[], person=person, several=True, per_seat=False)
    if isinstance(out, targets.Ask):
        return []
    left_out = {s for z in out for s in seats_of(z or speaker)}
    seats = [s for z in zones for s in seats_of(z or speaker) if s not in left_out]
    try:
        return [zone_of(seats)] if seats else []
    except ValueError:
        return list(dict.fromkeys(seats))


def _last_zones(ctx: DialogueContext) -> list[str]:
    """The seats the last request acted on ("and the fan there")."""
    out: list[str] = []
    for ex in ctx.last:
        seat = next((v for k, v in ex.absolute.items() if k in ("zone", "seat", "window")), None)
        if isinstance(seat, str) and seat not in out:
            out.append(seat)
    return out


def _close_openings(plan: Plan, speaker: str, ctx: DialogueContext, person: str | None) -> list[RawCall]:
    """Rain or noise coming in: close what may be open (only open ones change) that the speaker controls."""
    zones = targets.resolve(plan.zones, speaker, recent=[], person=person, several=True, per_seat=False)
    if not isinstance(zones, list) or zones == [None]:
        zones = ["all"]
    calls: list[RawCall] = [("set_window", {"percent_open": 0, "window": z}) for z in zones if z is not None]
    if speaker in ("driver", "passenger") and not plan.zones:
        calls.append(("set_sunroof", {"position": 0}))
    return calls


def _navigate(plan: Plan, ctx: DialogueContext) -> list[RawCall] | None:
    args = {k: v for k, v in plan.args.items() if k in ("place", "category")}
    if "category" in args and plan.args.get("near"):
        args["near"] = plan.args["near"]
    if args:
        return [("navigate", args)]
    last = next((ex for ex in reversed(ctx.last) if ex.name == "navigate"), None)
    return None if last is None else None


# the last action said wins; each builder says which senses it understands
def _last(plan: Plan, options: tuple[str, ...]) -> tuple[str | None, str]:
    for group, word in zip(reversed(plan.acts), reversed(plan.words), strict=False):
        for o in options:
            if o in group:
                return o, word
    return None, ""


def _dir(plan: Plan, options: tuple[str, ...]) -> str | None:
    for group in reversed(plan.dirs):
        for o in options:
            if o in group:
                return o
    return None


def _sign(plan: Plan, act: str | None, word: str, up: tuple[str, ...], down: tuple[str, ...]) -> int:
    """+1, -1 or 0 for the action said; a bare "more" after a step keeps that step's direction."""
    sign = 1 if act in up else -1 if act in down else 0
    if sign > 0 and word in plan.more and plan.args.get("direction") == -1:
        return -1
    return sign


def _size(plan: Plan, spec: ToolSpec, count: float | None = None) -> float:
    if count is not None:
        return spec.step * count
    return {"little": spec.little, "much": spec.much}.get(plan.amount.degree or "", spec.step)


def _temperature(plan: Plan, spec: ToolSpec) -> dict[str, Any] | None:
    a = plan.amount
    act, word = _last(plan, ("act.warm", "act.cool", "act.increase", "act.decrease", "act.on", "act.off", "act.set"))
    sign = _sign(plan, act, word, ("act.warm", "act.increase"), ("act.cool", "act.decrease"))
    if "obj.ac" in plan.objects and "obj.temperature" not in plan.objects:
        sign = -sign  # "crank up the AC": more cooling
    n = a.last("degrees", "fahrenheit", None)
    steps = a.last("level")
    if n is not None:
        value = n.value
        if n.unit == "fahrenheit" or (n.unit is None and 50 <= value <= 95 and plan.objects & {"obj.temperature"} and False):
            value = round((value - 32) * 5 / 9 * 2) / 2
        if n.relative:
            sign = sign or n.sign
            if not sign:
                return None
            return {"delta": sign * (value if n.unit != "fahrenheit" else abs(n.value) * 5 / 9)}
        return {"celsius": float(value)}
    if steps is not None and steps.relative and sign:
        return {"delta": sign * spec.step * steps.value}
    if a.extreme == "warmest" or (a.extreme == "max" and sign >= 0 and act != "act.cool"):
        return {"celsius": float(spec.maximum)}  # type: ignore[arg-type]
    if a.extreme in ("coldest", "min") or (a.extreme == "max" and sign < 0):
        return {"celsius": float(spec.minimum)}  # type: ignore[arg-type]
    if sign:
        return {"delta": sign * _size(plan, spec)}
    if act == "act.on":
        return dict(spec.on or {})
    if act == "act.off":
        return dict(spec.off or {})
    return None


def _fan(plan: Plan, spec: ToolSpec) -> dict[str, Any] | None:
    a = plan.amount
    act, word = _last(plan, ("act.off", "act.increase", "act.decrease", "act.on", "act.set", "act.warm", "act.cool",
                             "frame.unwant"))
    sign = _sign(plan, act, word, ("act.increase",), ("act.decrease",))
    if act in ("act.off", "frame.unwant"):
        return dict(spec.off or {})  # "switch the fan off completely"
    n = a.last("percent", "level", None)
    if n is not None:
        if n.relative:
            sign = sign or 1
            return {"delta": int(round(sign * (n.value if n.unit == "percent" else n.value * spec.step)))}
        if n.unit == "percent" or (n.unit is None and n.value > 10):
            return {"percent": int(round(n.value))}
        return {"level": int(round(n.value))}
    if a.extreme == "max" and sign >= 0:
        return {"percent": int(spec.maximum)}  # type: ignore[arg-type]
    if a.extreme in ("min", "max"):  # "turn the fan all the way down": as far as it goes, downwards
        return {"percent": int(spec.minimum)}  # type: ignore[arg-type]
    if a.fraction is not None and not sign:
        return {"percent": int(a.fraction)}  # "fan at half speed"
    if a.named is not None and act not in ("act.off",) and not sign:
        return {"percent": int(spec.named[a.named])}
    if act in ("act.off", "frame.unwant"):
        return dict(spec.off or {})
    if sign:
        return {"delta": int(sign * _size(plan, spec))}
    if act == "act.on":
        return dict(spec.on or {})
    return None


def _air(plan: Plan, spec: ToolSpec) -> dict[str, Any] | None:
    d = _dir(plan, ("dir.up", "dir.middle", "dir.down", "obj.windshield", "obj.window"))
    if d is None:
        return None
    if any("obj.windshield" in g for g in plan.dirs) and any(z.kind in ("rear", "rear-left", "rear-right")
                                                            for z in plan.zones):
        return None  # "point the rear at the windshield": the rear vents do not reach it (a mishearing, or unclear)
    return {"direction": {"obj.windshield": "up", "obj.window": "up"}.get(d, d.removeprefix("dir."))}


def _feature(plan: Plan, spec: ToolSpec) -> dict[str, Any] | None:
    act, _ = _last(plan, ("act.off", "act.close", "frame.unwant", "act.on", "act.open", "act.set", "act.warm"))
    on = act not in ("act.off", "act.close", "frame.unwant") if act or "copy_on" not in plan.args else bool(
        plan.args["copy_on"])  # "and the front" after "turn off the rear defroster"
    feature = plan.feature or "air_conditioning"
    if feature == "recirculation" and "obj.fresh_air" in plan.objects and "obj.recirculation" not in plan.objects:
        on = not on  # "use outside air": recirculation off
    return {"feature": feature, "on": on}


def _seat_level(plan: Plan, spec: ToolSpec) -> dict[str, Any] | None:
    a = plan.amount
    act, word = _last(plan, ("act.off", "frame.unwant", "act.decrease", "act.increase", "act.warm", "act.cool",
                             "act.on", "act.set", "act.open", "act.close", "feel.hot", "feel.cold"))
    last = (word.split() or [""])[-1]
    # "warmer" is a step; "warm up both seats" switches them on, "heat it up a level" is a step again
    comparative = word in plan.comparative or act in ("act.increase", "act.decrease") or (
        last in plan.comparative and (last not in plan.particles or plan.amount.degree is not None))
    if act in ("act.off", "frame.unwant", "act.close"):
        return {"level": 0}
    if act == "feel.hot" and spec.warms > 0:
        return {"delta": -1}
    n = a.last("level", None)
    if n is not None:
        if n.relative:
            sign = -1 if act == "act.decrease" else 1
            return {"delta": int(sign * n.value)}
        return {"level": int(round(n.value))}
    if a.extreme == "max" and act != "act.decrease":
        return {"level": int(spec.maximum)}  # type: ignore[arg-type]
    if a.extreme in ("min", "max"):  # "the seat heating all the way down": its lowest level
        return {"level": int(spec.minimum)}  # type: ignore[arg-type]
    if a.named is not None:
        return {"level": int(spec.named[a.named])}
    if comparative and act in ("act.increase", "act.warm", "act.cool", "act.decrease"):
        up = act == "act.increase" or (act == "act.warm" and spec.warms > 0) or (act == "act.cool" and spec.warms < 0)
        return {"delta": int(_size(plan, spec)) * (1 if up else -1)}
    if a.degree == "little":
        return {"level": 1}
    return dict(spec.on or {})


def _move(plan: Plan, spec: ToolSpec) -> dict[str, Any] | None:
    a = plan.amount
    d = _dir(plan, ("dir.back", "dir.forward"))
    if d is None and plan.args.get("direction") and (a.degree is not None or any(
            w in plan.more or w.split()[-1] in plan.more for w in plan.words)):
        d = "dir.back" if plan.args["direction"] > 0 else "dir.forward"  # "bit more" after "move it back"
    if d is None:
        n = a.last(None, "mm")
        if n is not None and not n.relative:
            return {"position_mm": int(round(n.value))}
        return None
    sign = 1 if d == "dir.back" else -1
    if a.extreme is not None:
        return {"position_mm": int(spec.maximum if sign > 0 else spec.minimum)}  # type: ignore[arg-type]
    n = a.last("mm", "cm", "inch")
    if n is not None:
        mm = n.value * {"mm": 1, "cm": 10, "inch": 25}[n.unit or "mm"]
        return {"delta_mm": int(round(sign * mm))}
    return {"delta_mm": int(sign * _size(plan, spec))}


def _recline(plan: Plan, spec: ToolSpec) -> dict[str, Any] | None:
    a = plan.amount
    act, word = _last(plan, ("act.upright", "act.recline", "act.increase", "act.decrease"))
    d = _dir(plan, ("dir.back", "dir.forward"))
    sign = -1 if act in ("act.upright", "act.decrease") or (act is None and d == "dir.forward") else 1
    if act in ("act.increase", "act.decrease") and d is None:
        # a backrest lowered ("lower my backrest", "put it down a bit") lies further back; raised, it sits up
        if act == "act.decrease" and any("dir.down" in g for g in plan.dirs):
            sign = 1
        elif act == "act.increase" and any("dir.up" in g for g in plan.dirs):
            sign = -1
    if act == "act.recline" and len(plan.acts) > 1 and "act.decrease" in plan.acts[-2] and "act.recline" in plan.acts[-1] \
            and not any("dir.down" in g for g in plan.dirs):
        sign = -1  # "decrease the recline": "recline" names what is decreased
    n = a.last("degrees", None)
    if n is not None:
        if n.relative:
            return {"delta_degrees": sign * n.value}
        return {"degrees": float(n.value)}
    if a.extreme is not None:
        return {"degrees": float(spec.maximum if sign > 0 and a.extreme != "min" else spec.minimum)}  # type: ignore[arg-type]
    if act is None and d is None:
        return None
    if sign < 0 and a.degree is None and word not in plan.upright_step and act != "act.recline":
        return {"degrees": float(spec.minimum)}  # "sit me up straight"
    return {"delta_degrees": sign * _size(plan, spec)}


def _opening(plan: Plan, spec: ToolSpec) -> dict[str, Any] | None:
    a = plan.amount
    field_name = spec.absolute or "percent_open"
    act, word = _last(plan, ("act.tilt", "act.open", "act.close", "act.increase", "act.decrease", "act.set",
                             "act.move"))
    if act == "act.open" and spec.tilts and len(plan.acts) > 1 and plan.words[-2] in plan.tilt_open and \
            plan.acts[-1] == plan.acts[-1] & {"act.open", "filler", "amt.to"}:
        act = "act.tilt"  # "tilt the sunroof open": open is where tilting takes it
    if act == "act.tilt" and spec.tilts:
        return {"position": -int(a.fraction) if a.fraction is not None else -100}  # "tilt it halfway"
    opening = act in ("act.open", "act.increase")
    closing = act in ("act.close", "act.decrease")
    if act is None and plan.args.get("direction"):  # "and mine just a crack" after a window was opened
        opening, closing = plan.args["direction"] > 0, plan.args["direction"] < 0
    slid = _dir(plan, ("dir.back", "dir.forward")) if spec.tilts and act in (None, "act.move") else None
    if slid is not None:  # "slide the sunroof back": a sliding roof opens backwards
        opening, closing = slid == "dir.back", slid == "dir.forward"
    n = a.last("percent", None)
    if n is not None and 0 <= n.value <= 100 or (n is not None and n.unit == "percent"):
        if n.relative:
            return {"delta": int(round(n.value * (-1 if closing else 1)))}
        return {field_name: int(round(n.value))}
    if a.fraction is not None:
        return {field_name: int(a.fraction)}
    if a.extreme is not None:
        return {field_name: 0 if closing or a.extreme == "min" else 100}
    if a.degree is not None or act in ("act.increase", "act.decrease") or any(
            w in plan.more or w.split()[-1] in plan.more for w in plan.words):
        if not (opening or closing):
            return None
        return {"delta": int(_size(plan, spec)) * (-1 if closing else 1)}
    if opening:
        return dict(spec.on or {})
    if closing:
        return dict(spec.off or {})
    return None


def _cancel(plan: Plan, spec: ToolSpec) -> dict[str, Any] | None:
    return {}


BUILDERS: dict[str, Callable[[Plan, ToolSpec], dict[str, Any] | None]] = {
    "temperature": _temperature, "fan": _fan, "air": _air, "feature": _feature, "level": _seat_level,
    "move": _move, "recline": _recline, "opening": _opening, "cancel": _cancel,
}
"""A registry entry's ``shape`` -> how what was said becomes its arguments."""
