"""Dialogue context: what one session remembers so that follow-ups do the right thing.

"a bit warmer", "turn it off again", "and the same for the passenger", "now the other side",
"okay, then four", "undo that": each refers to the last function, zone and value of the
session. "Which window, rear left or rear right?" leaves a question open that the next turn
may answer; "my daughter is sitting behind the passenger" names a person "her" refers to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assistant.registry import REGISTRY
from vehicle.signals import VssValue


@dataclass(frozen=True)
class Executed:
    """One acting tool call as it was carried out."""

    name: str
    """Tool name."""
    zone: str | None
    """Zone, seat or window as the speaker named it (None: their own)."""
    absolute: dict[str, Any]
    """The call's arguments with the result as an absolute value (e.g. ``celsius``)."""
    direction: int = 0
    """+1 or -1 when the call was a relative change, else 0."""
    before: dict[str, VssValue] = field(default_factory=dict)
    """VSS path -> value before the call (for "undo that")."""


@dataclass
class Pending:
    """A question the assistant asked, waiting for the next turn."""

    question: str
    """What was asked ("Which one, rear left or rear right?")."""
    kind: str
    """``zone``: a target is missing; ``confirm``: a yes or no decides."""
    calls: list[tuple[str, dict[str, Any]]]
    """For ``zone``: the calls without their target; for ``confirm``: the calls to make on a yes."""
    options: tuple[str, ...] = ()
    speaker: str = "driver"


@dataclass
class DialogueContext:
    """Per-session memory of the last acting calls."""

    last: list[Executed] = field(default_factory=list)
    """The acting calls of the last request that acted, in order."""
    turns: int = 0
    """Requests seen in this session."""
    speaker: str | None = None
    """The seat the last acting request came from."""
    pending: Pending | None = None
    """A question waiting for its answer."""
    person: str | None = None
    """The seat of the person last named ("my daughter behind the passenger")."""
    person_at: int = 0
    """The request (counted like ``turns``) that named ``person``."""
    speaker_at: int = 0
    """The request that set ``speaker``: "his too" means whoever of the two came last."""
    topic: str | None = None
    """The words that named what the last request acted on ("seat"), for "heat it" in the next one."""
    verb: str | None = None
    """The words that said what the last request did ("open"), for "and the sunroof" in the next one."""
    recent: dict[str, list[str]] = field(default_factory=dict)
    """Tool -> the seats it acted on over the last requests, oldest first."""
    history: list[list[Executed]] = field(default_factory=list)
    """The acting calls of the last few requests that acted, newest first ("undo the recirc")."""
    tried: list[Executed] = field(default_factory=list)
    """The acting calls the last request asked for, as said (whether or not they were carried out)."""
    tried_done: bool = True
    """Whether the last request that asked for an action did act."""
    missed: bool = False
    """Whether the last request was not understood: "me too" after it cannot know what it asked for."""

    @property
    def asked(self) -> list[Executed]:
        """The last request's calls: what it did, or what it asked for when that was not carried out."""
        return self.last if self.tried_done or not self.tried else self.tried

    def zone_of(self, ex: Executed, key: str) -> Any:
        """The zone, seat or window one of the last request's calls was for (none named: the asker's own)."""
        return ex.absolute.get(key) or self.speaker

    @property
    def function(self) -> str | None:
        """The tool of the last acting call."""
        return self.last[-1].name if self.last else None

    def remember(self, executed: list[Executed], speaker: str, tried: list[Executed] | None = None,
                 missed: bool = False) -> None:
        """Record what the latest request did (nothing recorded when it did nothing), what it asked for, and
        whether it was not understood at all (``missed``)."""
        self.turns += 1
        self.missed = missed and not executed and not tried
        if tried:
            self.tried, self.tried_done = tried, bool(executed)
            self.speaker, self.speaker_at = speaker, self.turns
        if executed:
            # "no, sorry, the other one": what the correction set back is not what "it" means next
            kept = [ex for ex in executed if not any(_sets_back(ex, p) for p in self.last)]
            self.last = kept or executed
            self.speaker, self.speaker_at = speaker, self.turns
            self.history = [executed, *self.history][:5]
            for ex in executed:
                seat = next((v for k, v in ex.absolute.items() if k in ("zone", "seat", "window")), None)
                if isinstance(seat, str):
                    seen = self.recent.setdefault(ex.name, [])
                    if seat in seen:
                        seen.remove(seat)
                    seen.append(seat)
                    del seen[:-4]

    def zones_of(self, tool: str, key: str, speaker: str) -> list[str]:
        """The concrete zones the last request acted on with ``tool``, if the same speaker made it."""
        if speaker != self.speaker:
            return []
        out: list[str] = []
        for ex in self.last:
            zone = ex.absolute.get(key)
            if ex.name == tool and isinstance(zone, str) and zone not in out:
                out.append(zone)
        return out


def restore(ex: Executed) -> tuple[str, dict[str, Any]] | None:
    """The call that sets back what ``ex`` changed ("undo that")."""
    if not ex.before:
        return None
    value = next(iter(ex.before.values()))
    spec = REGISTRY.get(ex.name)
    if spec is None:
        return None
    if spec.undo_with is not None:
        return (spec.undo_with, {}) if value is None else None
    if spec.restore is None:
        return None
    # the arguments that chose what was moved: the zone/seat/window, or which feature
    which = {k: ex.absolute[k] for k in (spec.key, "feature") if k and k in ex.absolute}
    return (ex.name, {**which, **spec.restore(value)})


def _sets_back(ex: Executed, earlier: Executed) -> bool:
    """Whether ``ex`` put back what ``earlier`` changed: the call that undoes ``earlier``, on the same leaf."""
    back = restore(earlier)
    if back is None or back[0] != ex.name or len(earlier.before) != 1 or set(ex.before) != set(earlier.before):
        return False
    return all(ex.absolute.get(k) == v for k, v in back[1].items())


def moved_at(ex: Executed, seats: list[str]) -> bool:
    """Whether ``ex`` changed the setting of one of ``seats`` ("back to normal for her")."""
    spec = REGISTRY.get(ex.name)
    if spec is None or spec.leaf is None or not spec.key:
        return False
    return any(spec.leaf(seat) in ex.before for seat in seats)  # type: ignore[arg-type]
