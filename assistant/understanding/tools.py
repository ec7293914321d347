"""The tools the assistant may call, as pydantic models: the only shape an action can take.

Whatever understood the request (the parser or the language model) produces ``ToolCall``s;
they are validated here, then by the policy, before anything reaches the bus. Absolute values
are constrained with the DBC's ranges; the model's grammar is built from the same schemas
with those bounds removed, so that an out-of-range request arrives here intact and is refused
with its range instead of being coerced into some allowed value.
"""

from __future__ import annotations

import copy
import functools
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from assistant.domain import FAN_LEVELS, LEVELS, Zone
from vehicle.signals import default_catalog

Feature = Literal["air_conditioning", "recirculation", "front_defroster", "rear_defroster"]
Direction = Literal["up", "middle", "down"]
Category = Literal[
    "charging_station", "fuel_station", "parking", "restaurant", "cafe", "hospital",
    "pharmacy", "supermarket", "car_wash", "hotel", "landmark",
]
Topic = Literal[
    "temperature", "fan_speed", "air_distribution", "air_conditioning", "recirculation", "defroster",
    "rear_defroster",
    "seat_heating", "massage", "seat_position", "window", "sunroof", "destination",
    "outside_temperature", "speed", "child_lock",
]
ReplyReason = Literal["out_of_domain", "unsupported_function", "not_allowed", "unclear", "greeting", "capability", "settled"]

_CAT = default_catalog()


def _range(path: str) -> tuple[float, float]:
    lim = _CAT.limits(path)
    return lim.minimum, lim.maximum


_T_MIN, _T_MAX = _range("Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature")
_F_MIN, _F_MAX = _range("Vehicle.Cabin.HVAC.Station.Row1.Driver.FanSpeed")
_P_MIN, _P_MAX = _range("Vehicle.Cabin.Seat.Row1.DriverSide.Position")
_R_MIN, _R_MAX = _range("Vehicle.Cabin.Seat.Row1.DriverSide.Backrest.Recline")
_W_MIN, _W_MAX = _range("Vehicle.Cabin.Door.Row1.DriverSide.Window.Position")
_S_MIN, _S_MAX = _range("Vehicle.Cabin.Sunroof.Position")
_H_MAX = _range("Vehicle.Cabin.Seat.Row1.DriverSide.HeatingCooling")[1]


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _one_of(args: BaseModel, *fields: str) -> None:
    given = [f for f in fields if getattr(args, f) is not None]
    if len(given) != 1:
        raise ValueError(f"give exactly one of {', '.join(fields)}")


class TemperatureArgs(_Args):
    """Set a zone's cabin temperature: absolute ``celsius`` or relative ``delta``."""

    celsius: Annotated[float, Field(ge=_T_MIN, le=_T_MAX, description="target in degrees Celsius")] | None = None
    delta: Annotated[float, Field(ge=-_T_MAX, le=_T_MAX, description="change in degrees Celsius")] | None = None
    zone: Zone | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> TemperatureArgs:
        _one_of(self, "celsius", "delta")
        return self


class FanArgs(_Args):
    """Set a zone's fan: ``level`` 0-10, ``percent`` 0-100, or relative ``delta`` in percent."""

    level: Annotated[int, Field(ge=0, le=FAN_LEVELS)] | None = None
    percent: Annotated[int, Field(ge=_F_MIN, le=_F_MAX)] | None = None
    delta: Annotated[int, Field(ge=-100, le=100)] | None = None
    zone: Zone | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> FanArgs:
        _one_of(self, "level", "percent", "delta")
        return self


class AirDistributionArgs(_Args):
    """Point a zone's air: ``up`` (windshield), ``middle`` (face), ``down`` (feet)."""

    direction: Direction
    zone: Zone | None = None


class ClimateFeatureArgs(_Args):
    """Switch the air conditioning, recirculation or a defroster on or off."""

    feature: Feature
    on: bool


class SeatLevelArgs(_Args):
    """Set a seat's heating, ventilation or massage: ``level`` 0 off, 1-3, or relative ``delta`` levels."""

    level: Annotated[int, Field(ge=0, le=LEVELS)] | None = None
    delta: Annotated[int, Field(ge=-LEVELS, le=LEVELS)] | None = None
    seat: Zone | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> SeatLevelArgs:
        _one_of(self, "level", "delta")
        return self


class SeatPositionArgs(_Args):
    """Move a front seat: absolute ``position_mm`` from the frontmost position or relative ``delta_mm``."""

    position_mm: Annotated[int, Field(ge=_P_MIN, le=_P_MAX)] | None = None
    delta_mm: Annotated[int, Field(ge=-_P_MAX, le=_P_MAX)] | None = None
    seat: Zone | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> SeatPositionArgs:
        _one_of(self, "position_mm", "delta_mm")
        return self


class ReclineArgs(_Args):
    """Recline a front seat's backrest: absolute ``degrees`` (0 upright) or relative ``delta_degrees``."""

    degrees: Annotated[float, Field(ge=_R_MIN, le=_R_MAX)] | None = None
    delta_degrees: Annotated[float, Field(ge=-_R_MAX, le=_R_MAX)] | None = None
    seat: Zone | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> ReclineArgs:
        _one_of(self, "degrees", "delta_degrees")
        return self


class WindowArgs(_Args):
    """Open or close a window: absolute ``percent_open`` (0 closed, 100 open) or relative ``delta``."""

    percent_open: Annotated[int, Field(ge=_W_MIN, le=_W_MAX)] | None = None
    delta: Annotated[int, Field(ge=-100, le=100)] | None = None
    window: Zone | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> WindowArgs:
        _one_of(self, "percent_open", "delta")
        return self


class SunroofArgs(_Args):
    """Move the sunroof: ``position`` 0 closed, 100 open, -100 fully tilted; or relative ``delta``."""

    position: Annotated[int, Field(ge=_S_MIN, le=_S_MAX)] | None = None
    delta: Annotated[int, Field(ge=-100, le=100)] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> SunroofArgs:
        _one_of(self, "position", "delta")
        return self


class NavigateArgs(_Args):
    """Route to a named ``place`` (home, work, a city, a landmark) or the nearest of a ``category``."""

    place: Annotated[str, Field(min_length=1, max_length=80)] | None = None
    category: Category | None = None
    near: Annotated[str, Field(min_length=1, max_length=80)] | None = None
    """With ``category``: the named place to look around ("parking near the Olympic Park"), not here."""

    @model_validator(mode="after")
    def _exactly_one(self) -> NavigateArgs:
        _one_of(self, "place", "category")
        if self.near is not None and self.category is None:
            raise ValueError("near goes with a category")
        return self


class NoArgs(_Args):
    """No arguments."""


class QueryArgs(_Args):
    """Read a value of the car and say it; changes nothing."""

    topic: Topic
    zone: Zone | None = None


class ReplyArgs(_Args):
    """Only answer: out of domain, a function the car lacks, or not clear enough to act."""

    reason: ReplyReason
    subject: Annotated[str, Field(max_length=60)] | None = None


TOOLS: dict[str, type[_Args]] = {
    "set_temperature": TemperatureArgs,
    "set_fan_speed": FanArgs,
    "set_air_distribution": AirDistributionArgs,
    "set_climate_feature": ClimateFeatureArgs,
    "set_seat_heating": SeatLevelArgs,
    "set_seat_ventilation": SeatLevelArgs,
    "set_massage": SeatLevelArgs,
    "move_seat": SeatPositionArgs,
    "recline_seat": ReclineArgs,
    "set_window": WindowArgs,
    "set_sunroof": SunroofArgs,
    "navigate": NavigateArgs,
    "cancel_navigation": NoArgs,
    "get_vehicle_state": QueryArgs,
    "reply_only": ReplyArgs,
}
"""Tool name -> its argument model."""

ACTING_TOOLS = frozenset(TOOLS) - {"get_vehicle_state", "reply_only"}
"""Tools that may change the car."""


class ToolCall(BaseModel):
    """One validated call: a tool name and its arguments."""

    model_config = ConfigDict(frozen=True)

    name: str
    arguments: _Args

    def dump(self) -> dict[str, Any]:
        """As the batch contract writes it: ``{"name": ..., "arguments": {...}}`` without unset fields."""
        return {"name": self.name, "arguments": self.arguments.model_dump(exclude_none=True)}

    def replace(self, **changes: Any) -> ToolCall:
        """A copy with some arguments changed (validated again)."""
        return make_call(self.name, {**self.arguments.model_dump(exclude_none=True), **changes})


def make_call(name: str, arguments: dict[str, Any] | None = None) -> ToolCall:
    """A validated ToolCall; raises ValidationError (or KeyError for an unknown tool)."""
    model = TOOLS[name]
    return ToolCall(name=name, arguments=model.model_validate(arguments or {}))


def _call_model(name: str, args: type[_Args]) -> type[BaseModel]:
    from pydantic import create_model

    return create_model(  # type: ignore[call-overload, no-any-return]
        f"Call_{name}",
        __config__=ConfigDict(extra="forbid"),
        name=(Literal[name], ...),  # type: ignore[valid-type]
        arguments=(args, ...),
    )


@functools.cache
def calls_adapter() -> TypeAdapter[Any]:
    """Validates a model's answer: ``{"calls": [{"name": ..., "arguments": {...}}, ...]}``."""
    union = Annotated[
        functools.reduce(lambda a, b: a | b, [_call_model(n, a) for n, a in TOOLS.items()]),  # type: ignore[arg-type, return-value]
        Field(discriminator="name"),
    ]
    envelope = _envelope(union)
    return TypeAdapter(envelope)


def _envelope(union: Any) -> type[BaseModel]:
    from pydantic import create_model

    return create_model(  # type: ignore[call-overload, no-any-return]
        "Answer",
        __config__=ConfigDict(extra="forbid"),
        calls=(Annotated[list[union], Field(min_length=1, max_length=4)], ...),  # type: ignore[valid-type]
    )


def answer_schema(*, with_ranges: bool = False) -> dict[str, Any]:
    """JSON schema of a model's answer, titles stripped; numeric bounds removed unless asked."""
    schema = calls_adapter().json_schema()
    return _strip(copy.deepcopy(schema), with_ranges)


_BOUNDS = {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}


def _strip(node: Any, with_ranges: bool) -> Any:
    if isinstance(node, dict):
        for key in list(node):
            if key == "title" or (not with_ranges and key in _BOUNDS) or key in ("description", "default"):
                if key == "title" and isinstance(node.get("properties"), dict) and "title" in node["properties"]:
                    continue
                del node[key]
        for value in node.values():
            _strip(value, with_ranges)
    elif isinstance(node, list):
        for value in node:
            _strip(value, with_ranges)
    return node


def parse_answer(text: str) -> list[ToolCall]:
    """A model's JSON answer as validated ToolCalls; raises ValidationError."""
    answer = calls_adapter().validate_json(text)
    return [ToolCall(name=c.name, arguments=c.arguments) for c in answer.calls]


__all__ = [
    "ACTING_TOOLS",
    "FAN_LEVELS",
    "LEVELS",
    "Zone",
    "TOOLS",
    "ToolCall",
    "ValidationError",
    "answer_schema",
    "make_call",
    "parse_answer",
]
