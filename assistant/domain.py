"""The cabin's vocabulary, defined once: seats, zones, their VSS names, and the level tables.

Below both understanding and policy (and the events, the batch contract and the replies):
nothing else defines which seats exist, what "front" or "all" means, or how a spoken level
becomes a percentage.
"""

from __future__ import annotations

from typing import Literal, get_args

Seat = Literal["driver", "passenger", "rear-left", "rear-right"]
"""Where someone sits (a speaker's seat); also the name of that seat's zone, seat and window."""

SEATS: tuple[Seat, ...] = get_args(Seat)

Zone = Literal["driver", "passenger", "rear-left", "rear-right", "front", "rear", "all"]
"""A cabin zone, seat or window; ``front``, ``rear`` and ``all`` name several. Omitted: the speaker's own."""

GROUPS: dict[str, tuple[Seat, ...]] = {
    "front": ("driver", "passenger"), "rear": ("rear-left", "rear-right"), "all": SEATS,
}
"""Zones that name several seats."""

STATION: dict[Seat, str] = {"driver": "Row1.Driver", "passenger": "Row1.Passenger", "rear-left": "Row2.Driver",
                            "rear-right": "Row2.Passenger"}
"""Seat -> VSS HVAC station (left-hand drive: the driver sits on the left)."""

SIDE: dict[Seat, str] = {"driver": "Row1.DriverSide", "passenger": "Row1.PassengerSide",
                         "rear-left": "Row2.DriverSide", "rear-right": "Row2.PassengerSide"}
"""Seat -> VSS seat and door position."""

BESIDE: dict[Seat, Seat] = {"driver": "passenger", "passenger": "driver", "rear-left": "rear-right",
                            "rear-right": "rear-left"}
"""The seat across the row ("next to me", "the other side")."""

BEHIND: dict[Seat, Seat] = {"driver": "rear-left", "passenger": "rear-right"}
"""The seat behind a front seat."""

ROW: dict[Seat, str] = {"driver": "front", "passenger": "front", "rear-left": "rear", "rear-right": "rear"}
LEFT: dict[str, Seat] = {"front": "driver", "rear": "rear-left"}
RIGHT: dict[str, Seat] = {"front": "passenger", "rear": "rear-right"}

LEVELS = 3
"""Seat heating, ventilation and massage have levels 1..3."""

LEVEL_PERCENT = {0: 0, 1: 33, 2: 67, 3: 100}
"""Spoken level -> percent of seat heating, ventilation and massage (ventilation is negative)."""

FAN_LEVELS = 10
"""Spoken fan level N (0..10) is N x 10 %."""


def level_of(percent: int) -> int:
    """The spoken level (0..3) nearest to a percentage."""
    return min(LEVEL_PERCENT, key=lambda lvl: abs(LEVEL_PERCENT[lvl] - abs(percent)))


def seats_of(zone: str) -> tuple[Seat, ...]:
    """The seats a zone names."""
    if zone in GROUPS:
        return GROUPS[zone]
    if zone in SEATS:
        return (zone,)  # type: ignore[return-value]
    raise ValueError(f"unknown zone {zone!r}")


def zone_of(seats: list[str] | tuple[str, ...] | set[str]) -> str:
    """The one zone naming exactly these seats ("front" for driver and passenger)."""
    wanted = set(seats)
    if len(wanted) == 1:
        return next(iter(wanted))
    for name, members in GROUPS.items():
        if wanted == set(members):
            return name
    raise ValueError(f"no zone names exactly {sorted(wanted)}")
