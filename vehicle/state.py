"""VehicleState: the live value of every VSS leaf, as the ECUs last reported it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from vehicle.signals import VssValue


@dataclass(frozen=True)
class StateChange:
    """One VSS leaf changed its value."""

    path: str
    """The VSS path."""
    old: VssValue
    """Value before the change (None when it was unknown)."""
    new: VssValue
    """Value now."""
    timestamp: float
    """When the change was seen, seconds since the epoch."""


StateListener = Callable[[StateChange], None]


class VehicleState(Mapping[str, VssValue]):
    """A read-mostly mapping VSS path -> value that tells listeners of every change.

    Updates arrive from the gateway (status frames) and from the head unit's own overlays
    (the destination's name); listeners run in the thread that applied the update.
    """

    def __init__(self, initial: Mapping[str, VssValue] | None = None) -> None:
        self._values: dict[str, VssValue] = dict(initial or {})
        self._listeners: list[StateListener] = []
        self._lock = threading.Lock()

    def __getitem__(self, path: str) -> VssValue:
        return self._values[path]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._values))

    def __len__(self) -> int:
        return len(self._values)

    def snapshot(self) -> dict[str, VssValue]:
        """A copy of every value now."""
        with self._lock:
            return dict(self._values)

    def subscribe(self, listener: StateListener) -> Callable[[], None]:
        """Call ``listener`` on every change; returns a function that unsubscribes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def update(self, values: Mapping[str, VssValue]) -> list[StateChange]:
        """Apply reported values; returns (and announces) those that changed."""
        now = time.time()
        changes: list[StateChange] = []
        with self._lock:
            for path, new in values.items():
                old = self._values.get(path, _MISSING)
                if old is _MISSING or old != new or type(old) is not type(new):
                    self._values[path] = new
                    if old is not _MISSING:
                        changes.append(StateChange(path, old, new, now))  # type: ignore[arg-type]
        for change in changes:
            for listener in list(self._listeners):
                listener(change)
        return changes


_MISSING = object()


def diff(before: Mapping[str, VssValue], after: Mapping[str, VssValue]) -> dict[str, VssValue]:
    """The values of ``after`` that differ from ``before``."""
    return {p: v for p, v in after.items() if p not in before or before[p] != v or type(before[p]) is not type(v)}
