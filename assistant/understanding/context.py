"""Dialogue context: what one session remembers so that follow-ups do the right thing.

"a bit warmer", "turn it off again", "and the same for the passenger", "no wait, just tilt
it", "undo that": each refers to the last function, zone and value of the session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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
class DialogueContext:
    """Per-session memory of the last acting calls."""

    last: list[Executed] = field(default_factory=list)
    """The acting calls of the last request that acted, in order."""
    turns: int = 0
    """Requests seen in this session."""
    speaker: str | None = None
    """The seat the last acting request came from."""

    @property
    def function(self) -> str | None:
        """The tool of the last acting call."""
        return self.last[-1].name if self.last else None

    def remember(self, executed: list[Executed], speaker: str) -> None:
        """Record what the latest request did (nothing recorded when it did nothing)."""
        self.turns += 1
        if executed:
            self.last = executed
            self.speaker = speaker

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
