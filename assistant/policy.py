"""The policy: the rules no sentence can bypass, applied after understanding and before any frame.

It turns one validated tool call, the speaker's seat (from the request, never from the text)
and the live vehicle state into the VSS values to command, or a refusal with a short spoken
reason. Rules (``../shared/spec/vehicle-signals.md``, "Behaviour"): ranges and clamping of
relative steps; the driver controls every zone, seat and window, others only their own (the
sunroof: driver and front passenger); rear windows do not open for rear speakers while the
child lock is engaged; the driver's seat does not move above a speed limit; nothing outside
the catalogue is actuated.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from assistant.domain import GROUPS, LEVEL_PERCENT, LEVELS, SEATS, STATION
from assistant.domain import SIDE as SEAT
from assistant.domain import level_of as _level_of
from assistant.places import Place, Places, km_between
from assistant.understanding.context import Executed
from assistant.understanding.tools import ToolCall
from vehicle.signals import (
    CHILD_LOCK,
    DESTINATION_LATITUDE,
    DESTINATION_LONGITUDE,
    DESTINATION_NAME,
    HVAC,
    LATITUDE,
    LONGITUDE,
    SPEED,
    SUNROOF,
    SignalCatalog,
    VssValue,
    default_catalog,
)

NEAR_KM = 10.0
"""A place of the kind asked for "near" a named place must lie within this many kilometres of it."""

FEATURE_PATH = {
    "air_conditioning": f"{HVAC}.IsAirConditioningActive",
    "recirculation": f"{HVAC}.IsRecirculationActive",
    "front_defroster": f"{HVAC}.IsFrontDefrosterActive",
    "rear_defroster": f"{HVAC}.IsRearDefrosterActive",
}


@dataclass(frozen=True)
class PolicyConfig:
    """Values of the rules that an integrator may tune."""

    seat_speed_limit_kmh: float = 5.0
    """Above this speed the driver's seat does not move or recline, in km/h."""
    temperature_step: float = 1.0
    """"warmer" / "cooler" without an amount, in degrees Celsius."""


@dataclass
class Step:
    """What the policy decided for one tool call."""

    call: ToolCall
    """The validated call."""
    zones: list[str] = field(default_factory=list)
    """The concrete zones/seats/windows it acts on."""
    targets: dict[str, VssValue] = field(default_factory=dict)
    """VSS path -> value to command."""
    overlay: dict[str, VssValue] = field(default_factory=dict)
    """Head-unit values to record once the command is confirmed (the destination's name)."""
    refusal: str | None = None
    """Spoken reason when nothing may be done."""
    notes: list[str] = field(default_factory=list)
    """Spoken remarks on what was adjusted (a zone left out, a value clamped)."""
    place: Place | None = None
    """The resolved destination of a navigate call."""
    executed: list[Executed] = field(default_factory=list)
    """What the dialogue context remembers once confirmed."""

    @property
    def acts(self) -> bool:
        """Whether this step commands anything."""
        return bool(self.targets) and self.refusal is None


class Refused(Exception):
    """Raised inside the policy to stop a step with a spoken reason."""


def _zone_label(zone: str) -> str:
    return {"driver": "the driver's side", "passenger": "the passenger side", "rear-left": "the rear left",
            "rear-right": "the rear right"}[zone]


class Policy:
    """Decides, for each call, what may be commanded."""

    def __init__(self, places: Places, config: PolicyConfig | None = None, catalog: SignalCatalog | None = None) -> None:
        self.places = places
        self.config = config or PolicyConfig()
        self.catalog = catalog or default_catalog()

    def plan(self, call: ToolCall, speaker: str, state: Mapping[str, VssValue]) -> Step:
        """The step for ``call`` said from ``speaker``'s seat, given the live ``state``."""
        if speaker not in SEATS:
            return Step(call, refusal="I don't know which seat you are in.")
        step = Step(call)
        handler = getattr(self, f"_{call.name}", None)
        if handler is None:
            return step  # questions and reply-only calls change nothing
        try:
            handler(step, call.arguments, speaker, state)
        except Refused as why:
            step.targets.clear()
            step.refusal = str(why)
        for path, value in step.targets.items():  # nothing the policy lets through may leave the DBC's range
            self.catalog.check(path, value)
        return step

    # -- zones ---------------------------------------------------------------------------------
    def _zones(self, zone: str | None, speaker: str, step: Step, *, what: str) -> list[str]:
        if zone is None:
            return [speaker]
        if zone in GROUPS:
            wanted = list(GROUPS[zone])
            allowed = [z for z in wanted if speaker == "driver" or z == speaker]
            if not allowed:
                raise Refused(f"You can only change your own {what}.")
            return allowed
        if speaker != "driver" and zone != speaker:
            raise Refused(f"You can only change your own {what}.")
        return [zone]

    # -- climate -------------------------------------------------------------------------------
    def _set_temperature(self, step: Step, a: Any, speaker: str, state: Mapping[str, VssValue]) -> None:
        lim = self.catalog.limits(f"{HVAC}.Station.Row1.Driver.Temperature")
        for z in self._zones(a.zone, speaker, step, what="temperature zone"):
            path = f"{HVAC}.Station.{STATION[z]}.Temperature"
            if a.celsius is not None:
                value = _snap(a.celsius, lim.step)
            else:
                value = _clamp(_snap(float(state[path]) + a.delta, lim.step), lim.minimum, lim.maximum)  # type: ignore[arg-type]
            step.targets[path] = value
            step.zones.append(z)
            step.executed.append(Executed("set_temperature", a.zone, {"zone": z, "celsius": value},
                                          _sign(a.delta), {path: state.get(path)}))

    def _set_fan_speed(self, step: Step, a: Any, speaker: str, state: Mapping[str, VssValue]) -> None:
        for z in self._zones(a.zone, speaker, step, what="fan"):
            path = f"{HVAC}.Station.{STATION[z]}.FanSpeed"
            if a.level is not None:
                value = a.level * 10
            elif a.percent is not None:
                value = a.percent
            else:
                value = int(_clamp(int(state[path]) + a.delta, 0, 100))  # type: ignore[arg-type]
            step.targets[path] = int(value)
            step.zones.append(z)
            step.executed.append(Executed("set_fan_speed", a.zone, {"zone": z, "percent": int(value)},
                                          _sign(a.delta), {path: state.get(path)}))

    def _set_air_distribution(self, step: Step, a: Any, speaker: str, state: Mapping[str, VssValue]) -> None:
        for z in self._zones(a.zone, speaker, step, what="air vents"):
            path = f"{HVAC}.Station.{STATION[z]}.AirDistribution"
            step.targets[path] = a.direction.upper()
            step.zones.append(z)
            step.executed.append(Executed("set_air_distribution", a.zone, {"zone": z, "direction": a.direction},
                                          0, {path: state.get(path)}))

    def _set_climate_feature(self, step: Step, a: Any, speaker: str, state: Mapping[str, VssValue]) -> None:
        if a.feature == "front_defroster" and not a.on and speaker != "driver":
            raise Refused("Only the driver can switch off the windshield defroster.")
        path = FEATURE_PATH[a.feature]
        step.targets[path] = bool(a.on)
        step.executed.append(Executed("set_climate_feature", None, {"feature": a.feature, "on": a.on}, 0,
                                      {path: state.get(path)}))

    # -- seats ---------------------------------------------------------------------------------
    def _seat_level(self, step: Step, a: Any, speaker: str, state: Mapping[str, VssValue], *, kind: str) -> None:
        what = {"heat": "seat heating", "vent": "seat ventilation", "massage": "massage"}[kind]
        zones = self._zones(a.seat, speaker, step, what="seat")
        if kind == "massage" and a.seat in GROUPS:  # "massage for everyone": the seats that have one
            zones = [z for z in zones if f"Vehicle.Cabin.Seat.{SEAT[z]}.Massage.Level" in self.catalog.paths] or zones
        for z in zones:
            if kind == "massage":
                path = f"Vehicle.Cabin.Seat.{SEAT[z]}.Massage.Level"
                if path not in self.catalog.paths:
                    raise Refused("Only the front seats have a massage function.")
                current = _level_of(int(state[path]))  # type: ignore[arg-type]
            else:
                path = f"Vehicle.Cabin.Seat.{SEAT[z]}.HeatingCooling"
                raw = int(state[path])  # type: ignore[arg-type]
                same_mode = (raw > 0) if kind == "heat" else (raw < 0)
                current = _level_of(abs(raw)) if same_mode else 0
            level = a.level if a.level is not None else int(_clamp(current + a.delta, 0, LEVELS))
            pct = LEVEL_PERCENT[level]
            value = -pct if kind == "vent" else pct
            if a.level is None and level == current:
                step.notes.append(f"The {what} is already {'off' if level == 0 else f'at level {level}'}.")
            step.targets[path] = value
            step.zones.append(z)
            step.executed.append(Executed(step.call.name, a.seat, {"seat": z, "level": level}, _sign(a.delta),
                                          {path: state.get(path)}))

    def _set_seat_heating(self, step: Step, a: Any, speaker: str, state: Mapping[str, VssValue]) -> None:
        self._seat_level(step, a, speaker, state, kind="heat")

    def _set_seat_ventilation(self, step: Step, a: Any, speaker: str, state: Mapping[str, VssValue]) -> None:
        self._seat_level(step, a, speaker, state, kind="vent")

    def _set_massage(self, step: Step, a: Any, speaker: str, state: Mapping[str, VssValue]) -> None:
        self._seat_level(step, a, speaker, state, kind="massage")

    def _seat_motion(self, step: Step, a: Any, speaker: str, state: Mapping[str, VssValue], *, leaf: str) -> None:
        zones = self._zones(a.seat, speaker, step, what="seat")
        if a.seat in GROUPS:  # "move all seats": the ones that move
            zones = [z for z in zones if f"Vehicle.Cabin.Seat.{SEAT[z]}.{leaf}" in self.catalog.paths] or zones
        for z in zones:
            path = f"Vehicle.Cabin.Seat.{SEAT[z]}.{leaf}"
            if path not in self.catalog.paths:
                raise Refused("Only the front seats can be moved.")
            if z == "driver" and float(state.get(SPEED) or 0.0) > self.config.seat_speed_limit_kmh:  # type: ignore[arg-type]
                if a.seat in GROUPS and len(zones) > 1:  # "move both front seats back" at speed: the passenger's moves
                    step.notes.append("The driver's seat stays where it is while the car is moving.")
                    continue
                raise Refused("I can only move the driver's seat while the car is stopped.")
            lim = self.catalog.limits(path)
            if leaf == "Position":
                absolute, delta, key = a.position_mm, a.delta_mm, "position_mm"
            else:
                absolute, delta, key = a.degrees, a.delta_degrees, "degrees"
            if absolute is not None:
                value = absolute
            else:
                value = _clamp(float(state[path]) + delta, lim.minimum, lim.maximum)  # type: ignore[arg-type]
            value = int(round(value)) if leaf == "Position" else _snap(float(value), lim.step)
            step.targets[path] = value
            step.zones.append(z)
            step.executed.append(Executed(step.call.name, a.seat, {"seat": z, key: value}, _sign(delta),
                                          {path: state.get(path)}))

    def _move_seat(self, step: Step, a: Any, speaker: str, state: Mapping[str, VssValue]) -> None:
        self._seat_motion(step, a, speaker, state, leaf="Position")

    def _recline_seat(self, step: Step, a: Any, speaker: str, state: Mapping[str, VssValue]) -> None:
        self._seat_motion(step, a, speaker, state, leaf="Backrest.Recline")

    # -- windows and sunroof ---------------------------------------------------------------------
    def _set_window(self, step: Step, a: Any, speaker: str, state: Mapping[str, VssValue]) -> None:
        for z in self._zones(a.window, speaker, step, what="window"):
            path = f"Vehicle.Cabin.Door.{SEAT[z]}.Window.Position"
            current = int(state[path])  # type: ignore[arg-type]
            value = a.percent_open if a.percent_open is not None else int(_clamp(current + a.delta, 0, 100))
            if speaker.startswith("rear") and z.startswith("rear") and state.get(CHILD_LOCK) and value > current:
                raise Refused("The child lock is on, so the rear windows stay closed.")
            step.targets[path] = int(value)
            step.zones.append(z)
            # the way it moved, for "and mine just a crack", "a bit more" after "open it halfway"
            way = _sign(a.delta) if a.percent_open is None else _sign(value - current)
            step.executed.append(Executed("set_window", a.window, {"window": z, "percent_open": int(value)},
                                          way, {path: state.get(path)}))

    def _set_sunroof(self, step: Step, a: Any, speaker: str, state: Mapping[str, VssValue]) -> None:
        if speaker not in ("driver", "passenger"):
            raise Refused("Only the front seats can control the sunroof.")
        current = int(state[SUNROOF])  # type: ignore[arg-type]
        value = a.position if a.position is not None else int(_clamp(max(current, 0) + a.delta, 0, 100))
        step.targets[SUNROOF] = int(value)
        step.executed.append(Executed("set_sunroof", None, {"position": int(value)}, _sign(a.delta),
                                      {SUNROOF: state.get(SUNROOF)}))

    # -- navigation ----------------------------------------------------------------------------
    def _navigate(self, step: Step, a: Any, speaker: str, state: Mapping[str, VssValue]) -> None:
        here = (float(state.get(LATITUDE) or 0.0), float(state.get(LONGITUDE) or 0.0))  # type: ignore[arg-type]
        if a.category is not None:
            if a.near is not None:  # "parking near the Olympic Park": the nearest to that place, not to the car
                around = self.places.resolve(a.near, here if state.get(LATITUDE) is not None else None)
                if around is None:
                    raise Refused(f"I couldn't find {a.near} on the map.")
                here = (around.latitude, around.longitude)
            place = self.places.nearest(a.category, here)
            if place is not None and a.near is not None and km_between(here, (place.latitude, place.longitude)) > NEAR_KM:
                raise Refused(f"I don't know any {a.category.replace('_', ' ')} near {around.name}.")
            if place is None:
                raise Refused(f"I don't know any {a.category.replace('_', ' ')} nearby.")
        else:
            place = self.places.resolve(a.place, here if state.get(LATITUDE) is not None else None)
            if place is None:
                raise Refused(f"I couldn't find {a.place} on the map.")
        step.place = place
        step.targets[DESTINATION_LATITUDE] = round(place.latitude, 7)
        step.targets[DESTINATION_LONGITUDE] = round(place.longitude, 7)
        step.overlay[DESTINATION_NAME] = place.name
        before = {p: state.get(p) for p in (DESTINATION_LATITUDE, DESTINATION_LONGITUDE)}
        step.executed.append(Executed("navigate", None, {"place": place.name}, 0, before))

    def _cancel_navigation(self, step: Step, a: Any, speaker: str, state: Mapping[str, VssValue]) -> None:
        if state.get(DESTINATION_LATITUDE) is None:
            raise Refused("There is no route to cancel.")
        step.targets[DESTINATION_LATITUDE] = None
        step.targets[DESTINATION_LONGITUDE] = None
        step.overlay[DESTINATION_NAME] = None
        before = {p: state.get(p) for p in (DESTINATION_LATITUDE, DESTINATION_LONGITUDE)}
        step.executed.append(Executed("cancel_navigation", None, {}, 0, before))


def _snap(value: float, step: float) -> float:
    return round(round(value / step) * step, 2)


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _sign(delta: float | None) -> int:
    if delta is None or delta == 0 or (isinstance(delta, float) and math.isnan(delta)):
        return 0
    return 1 if delta > 0 else -1

