"""What a page may send, as pydantic models with size limits, and the checks beyond their types.

A typed request and push-to-talk are the MQTT commands' own models (``TextCommand``,
``PushToTalkCommand``), so that the page meets exactly the validation, seat rules and policy an
MQTT client meets. Setting a sensor is the page's own door into the simulator: only sensors,
only within the DBC's range; actuators are asked for in a request, where the policy decides.
"""

from __future__ import annotations

import json
import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, ValidationError

from vehicle.errors import VehicleError
from vehicle.signals import PUSH_TO_TALK, SignalCatalog, ValueKind

MAX_DEPTH = 8
"""Deepest JSON nesting accepted (the inputs are flat objects)."""


class InputError(ValueError):
    """A page's input that changes nothing: ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, *, code: str = "bad-request", status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


class SensorSetting(BaseModel):
    """Set one sensor of the simulated car, as the physical world would (``carvoice sim --set``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(min_length=1, max_length=128)
    """The sensor's VSS path, e.g. ``Vehicle.Speed``."""
    value: StrictBool | StrictInt | StrictFloat
    """The new value, in the signal's DBC unit (km/h, degrees, true/false)."""


def parse_json(body: bytes) -> Any:
    """The JSON document in ``body``; raises InputError (400) when it is not one."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise InputError(f"the body is not JSON: {str(err).splitlines()[0]}") from err
    if _depth(data) > MAX_DEPTH:
        raise InputError("the body is nested too deeply")
    return data


def validate(model: type[BaseModel], data: Any) -> Any:
    """``data`` as ``model``; raises InputError (400) naming the first problem."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise InputError(f"{where}: {first['msg']}") from err


def settable_sensors(catalog: SignalCatalog) -> dict[str, dict[str, Any]]:
    """The sensors a page may set on the simulator, with their kind and DBC range."""
    out: dict[str, dict[str, Any]] = {}
    for path in catalog.paths:
        binding = catalog.binding(path)
        if binding.is_actuator or path == PUSH_TO_TALK:  # the button has its own door: push-to-talk
            continue
        entry: dict[str, Any] = {"kind": str(binding.kind), "ecu": binding.ecu}
        if binding.kind is not ValueKind.BOOL:
            lim = catalog.limits(path)
            entry.update(minimum=lim.minimum, maximum=lim.maximum, step=lim.step, unit=lim.unit)
        out[path] = entry
    return out


def check_sensor(catalog: SignalCatalog, setting: SensorSetting) -> bool | float:
    """The value of ``setting`` checked against the DBC; raises InputError (400) for anything else."""
    path, value = setting.path, setting.value
    try:
        binding = catalog.binding(path)
    except VehicleError:
        raise InputError(f"{path} is not a signal of this car", code="unknown-signal") from None
    if binding.is_actuator:
        raise InputError(f"{path} is an actuator: ask for it in a request, so that the policy decides",
                         code="not-a-sensor")
    if path == PUSH_TO_TALK:
        raise InputError(f"{path} is the push-to-talk button: use push-to-talk", code="not-a-sensor")
    if binding.kind is ValueKind.BOOL:
        if not isinstance(value, bool):
            raise InputError(f"{path} takes true or false, not {value!r}", code="out-of-range")
        return value
    if isinstance(value, bool) or not math.isfinite(value):
        raise InputError(f"{path} takes a number, not {value!r}", code="out-of-range")
    lim = catalog.limits(path)
    if not lim.minimum <= value <= lim.maximum:
        raise InputError(f"{path} takes {lim.minimum:g} to {lim.maximum:g} {lim.unit}".rstrip() + f", not {value:g}",
                         code="out-of-range")
    return float(value)


def _depth(data: Any, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(data, dict):
        return max((_depth(v, level + 1) for v in data.values()), default=level + 1)
    if isinstance(data, list):
        return max((_depth(v, level + 1) for v in data), default=level + 1)
    return level
