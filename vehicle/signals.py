"""VSS path <-> DBC message/signal table: the only place that knows both names.

Everything else in the project names a vehicle function by its COVESA VSS path; ranges,
units, scaling, choices and start values come from the DBC file (``vehicle/dbc``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import cantools
from cantools.database.can import Database, Message
from cantools.database.namedsignalvalue import NamedSignalValue

from vehicle.errors import NotAnActuatorError, OutOfRangeError, UnknownSignalError, VehicleError

VssValue = float | int | bool | str | None
"""A plain VSS value: what states, MQTT payloads and tests hold (never a cantools type)."""

NO_REQUEST = "NO_REQUEST"
"""Choice of a command signal that leaves the actuator as it is."""

NO_ROUTE = "NO_ROUTE"
"""Choice of a destination signal meaning "no route"; the VSS value is ``None``."""

STATIONS = ("Row1.Driver", "Row1.Passenger", "Row2.Driver", "Row2.Passenger")
"""HVAC stations, in VSS naming."""

SEATS = ("Row1.DriverSide", "Row1.PassengerSide", "Row2.DriverSide", "Row2.PassengerSide")
"""Seats and doors, in VSS naming."""

HVAC = "Vehicle.Cabin.HVAC"
SEAT = "Vehicle.Cabin.Seat"
DOOR = "Vehicle.Cabin.Door"
NAV = "Vehicle.Cabin.Infotainment.Navigation.DestinationSet"

SPEED = "Vehicle.Speed"
LATITUDE = "Vehicle.CurrentLocation.Latitude"
LONGITUDE = "Vehicle.CurrentLocation.Longitude"
AMBIENT = f"{HVAC}.AmbientAirTemperature"
CHILD_LOCK = "Vehicle.Cabin.IsWindowChildLockEngaged"
SUNROOF = "Vehicle.Cabin.Sunroof.Position"
DESTINATION_LATITUDE = f"{NAV}.Latitude"
DESTINATION_LONGITUDE = f"{NAV}.Longitude"
DESTINATION_NAME = f"{NAV}.Name"
"""Overlay, not in VSS: the destination's name stays on the head unit and never crosses the bus."""

PUSH_TO_TALK = "Vehicle.Cabin.SteeringWheel.PushToTalk"
"""Overlay, not in VSS: the steering-wheel push-to-talk button (True while pressed)."""


class ValueKind(StrEnum):
    """How a signal's decoded value becomes a plain VSS value."""

    NUMBER = "number"
    BOOL = "bool"
    CHOICE = "choice"
    COORDINATE = "coordinate"


@dataclass(frozen=True)
class Binding:
    """Where one VSS leaf lives on the bus."""

    path: str
    """The VSS path."""
    ecu: str
    """The DBC node that owns the function (sends its status)."""
    status_message: str
    """Message that reports the value (ECU -> head unit)."""
    status_signal: str
    """Signal of ``status_message`` carrying the value."""
    command_message: str | None
    """Message that sets the value (head unit -> ECU); None for sensors."""
    command_signal: str | None
    """Signal of ``command_message``; None for sensors."""
    kind: ValueKind
    """How the decoded value maps to a VSS value."""

    @property
    def is_actuator(self) -> bool:
        """Whether the assistant may command this function."""
        return self.command_message is not None


def _table() -> tuple[Binding, ...]:
    rows: list[Binding] = []

    def add(path: str, ecu: str, status: str, signal: str, command: str | None, kind: ValueKind) -> None:
        rows.append(Binding(path, ecu, status, signal, command, signal if command else None, kind))

    add(SPEED, "Chassis", "Chassis_Speed", "VehicleSpeed", None, ValueKind.NUMBER)
    add(LATITUDE, "GNSS", "GNSS_Location", "Latitude", None, ValueKind.COORDINATE)
    add(LONGITUDE, "GNSS", "GNSS_Location", "Longitude", None, ValueKind.COORDINATE)
    add(PUSH_TO_TALK, "SteeringWheel", "SteeringWheel_Buttons", "PushToTalk", None, ValueKind.BOOL)
    add(AMBIENT, "HVAC", "HVAC_Status", "AmbientAirTemperature", None, ValueKind.NUMBER)
    for leaf, signal in (
        ("IsAirConditioningActive", "AirConditioning"),
        ("IsRecirculationActive", "Recirculation"),
        ("IsFrontDefrosterActive", "FrontDefroster"),
        ("IsRearDefrosterActive", "RearDefroster"),
    ):
        add(f"{HVAC}.{leaf}", "HVAC", "HVAC_Status", signal, "HVAC_Cmd", ValueKind.BOOL)
    for station in STATIONS:
        name = station.replace(".", "")
        for leaf, kind in (
            ("Temperature", ValueKind.NUMBER),
            ("FanSpeed", ValueKind.NUMBER),
            ("AirDistribution", ValueKind.CHOICE),
        ):
            add(f"{HVAC}.Station.{station}.{leaf}", "HVAC", f"HVAC_{name}_Status", leaf, f"HVAC_{name}_Cmd", kind)
    for seat in SEATS:
        name = seat.replace(".", "")
        status, command = f"Seat_{name}_Status", f"Seat_{name}_Cmd"
        add(f"{SEAT}.{seat}.HeatingCooling", "SeatCtrl", status, "HeatingCooling", command, ValueKind.NUMBER)
        if seat.startswith("Row1"):
            add(f"{SEAT}.{seat}.Massage.Level", "SeatCtrl", status, "MassageLevel", command, ValueKind.NUMBER)
            add(f"{SEAT}.{seat}.Position", "SeatCtrl", status, "Position", command, ValueKind.NUMBER)
            add(f"{SEAT}.{seat}.Backrest.Recline", "SeatCtrl", status, "BackrestRecline", command, ValueKind.NUMBER)
    for seat in SEATS:
        signal = f"{seat.replace('.', '')}Window"
        add(f"{DOOR}.{seat}.Window.Position", "Body", "Body_Window_Status", signal, "Body_Window_Cmd", ValueKind.NUMBER)
    add(SUNROOF, "Body", "Body_Window_Status", "Sunroof", "Body_Window_Cmd", ValueKind.NUMBER)
    add(CHILD_LOCK, "Body", "Body_Window_Status", "WindowChildLock", None, ValueKind.BOOL)
    add(DESTINATION_LATITUDE, "Nav", "Nav_Destination_Status", "Latitude", "Nav_Destination_Cmd", ValueKind.COORDINATE)
    add(DESTINATION_LONGITUDE, "Nav", "Nav_Destination_Status", "Longitude", "Nav_Destination_Cmd", ValueKind.COORDINATE)
    return tuple(rows)


BINDINGS: tuple[Binding, ...] = _table()
"""Every VSS leaf carried on the bus."""


@dataclass(frozen=True)
class Limits:
    """The allowed values of a numeric signal, from the DBC."""

    minimum: float
    """Smallest allowed value, in the signal's unit."""
    maximum: float
    """Largest allowed value, in the signal's unit."""
    step: float
    """Resolution of the signal (the DBC scale), in the signal's unit."""
    unit: str
    """Unit as the DBC writes it."""


def dbc_path() -> str:
    """Filesystem path of the project's DBC file."""
    return str(Path(__file__).resolve().parent / "dbc" / "carvoice.dbc")


@functools.cache
def load_database() -> Database:
    """The project's CAN database, loaded strictly once per process."""
    db = cantools.database.load_file(dbc_path(), strict=True)
    assert isinstance(db, Database)
    return db


class SignalCatalog:
    """The DBC seen through VSS paths: encoding, decoding, ranges, start values."""

    def __init__(self, db: Database | None = None, bindings: Iterable[Binding] = BINDINGS) -> None:
        self.db = db if db is not None else load_database()
        self._by_path = {b.path: b for b in bindings}
        self._status: dict[int, tuple[Message, list[Binding]]] = {}
        self._command: dict[int, tuple[Message, list[Binding]]] = {}
        for binding in self._by_path.values():
            status = self.db.get_message_by_name(binding.status_message)
            self._status.setdefault(status.frame_id, (status, []))[1].append(binding)
            if binding.command_message:
                command = self.db.get_message_by_name(binding.command_message)
                self._command.setdefault(command.frame_id, (command, []))[1].append(binding)

    # -- lookup -----------------------------------------------------------------------------
    @property
    def paths(self) -> list[str]:
        """Every VSS path on the bus."""
        return list(self._by_path)

    @property
    def actuators(self) -> list[str]:
        """The VSS paths the head unit may command."""
        return [p for p, b in self._by_path.items() if b.is_actuator]

    def binding(self, path: str) -> Binding:
        """The bus location of ``path``."""
        try:
            return self._by_path[path]
        except KeyError:
            raise UnknownSignalError(f"no CAN signal carries {path!r}") from None

    def status_ids(self) -> set[int]:
        """Frame IDs of the messages that ECUs send."""
        return set(self._status)

    def command_ids(self) -> set[int]:
        """Frame IDs of the messages the head unit sends."""
        return set(self._command)

    def status_message(self, path: str) -> Message:
        """The status message reporting ``path``."""
        return self.db.get_message_by_name(self.binding(path).status_message)

    def bindings_of_status(self, frame_id: int) -> list[Binding]:
        """The VSS leaves a status frame reports."""
        return list(self._status[frame_id][1])

    def _status_signal(self, path: str) -> Any:
        b = self.binding(path)
        return self.db.get_message_by_name(b.status_message).get_signal_by_name(b.status_signal)

    def limits(self, path: str) -> Limits:
        """Range and resolution of a numeric signal, read from the DBC."""
        sig = self._status_signal(path)
        if sig.minimum is None or sig.maximum is None:
            raise VehicleError(f"{path} has no range in the DBC")
        return Limits(float(sig.minimum), float(sig.maximum), float(sig.scale), sig.unit or "")

    def choices(self, path: str) -> list[str]:
        """The allowed strings of a choice signal (e.g. air distribution)."""
        sig = self._status_signal(path)
        return [str(v) for v in (sig.choices or {}).values() if str(v) not in (NO_REQUEST, NO_ROUTE)]

    def initial_values(self) -> dict[str, VssValue]:
        """Start value of every leaf, from the DBC's GenSigStartValue attributes."""
        out: dict[str, VssValue] = {}
        for path, b in self._by_path.items():
            sig = self.db.get_message_by_name(b.status_message).get_signal_by_name(b.status_signal)
            out[path] = self.to_vss(b, sig.initial)
        return out

    # -- values -----------------------------------------------------------------------------
    def to_vss(self, binding: Binding, decoded: Any) -> VssValue:
        """A decoded cantools value as a plain VSS value."""
        if isinstance(decoded, NamedSignalValue):
            decoded = decoded.name
        if binding.kind is ValueKind.BOOL:
            if isinstance(decoded, str):
                return decoded in ("ON", "PRESSED")
            return bool(decoded)
        if binding.kind is ValueKind.CHOICE:
            return str(decoded)
        if binding.kind is ValueKind.COORDINATE:
            return None if decoded == NO_ROUTE else round(float(decoded), 7)
        if isinstance(decoded, str):  # a choice where a number belongs: not a valid reading
            raise VehicleError(f"{binding.path}: unexpected choice {decoded!r}", code="malformed-frame")
        step = float(self.limits(binding.path).step)
        if step >= 1 and float(decoded).is_integer():
            return int(decoded)
        return round(float(decoded), max(0, -math.floor(math.log10(step))) + 1)

    def check(self, path: str, value: VssValue) -> VssValue:
        """``value`` validated for commanding ``path``; raises OutOfRangeError naming the range."""
        b = self.binding(path)
        if not b.is_actuator:
            raise NotAnActuatorError(f"{path} is a sensor and cannot be commanded")
        if b.kind is ValueKind.BOOL:
            if not isinstance(value, bool):
                raise OutOfRangeError(f"{path} takes true or false, not {value!r}")
            return value
        if b.kind is ValueKind.CHOICE:
            allowed = self.choices(path)
            if not isinstance(value, str) or value.upper() not in allowed:
                raise OutOfRangeError(f"{path} takes one of {', '.join(allowed)}, not {value!r}")
            return value.upper()
        if b.kind is ValueKind.COORDINATE and value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise OutOfRangeError(f"{path} takes a number, not {value!r}")
        lim = self.limits(path)
        if not lim.minimum <= value <= lim.maximum:
            raise OutOfRangeError(
                f"{path} can be set between {lim.minimum:g} and {lim.maximum:g} {lim.unit}".rstrip()
            )
        return value

    def same(self, path: str, a: VssValue, b: VssValue) -> bool:
        """Whether two values of ``path`` are equal within the signal's resolution."""
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
            return abs(float(a) - float(b)) <= self.limits(path).step / 2 + 1e-9
        return a == b

    # -- frames -----------------------------------------------------------------------------
    def encode_commands(self, values: Mapping[str, VssValue]) -> list[tuple[Message, bytes, dict[str, VssValue]]]:
        """Command frames for ``values``, one per command message, other signals NO_REQUEST.

        Every value is checked against its DBC range first; nothing is encoded when one fails.
        """
        grouped: dict[str, dict[str, VssValue]] = {}
        for path, value in values.items():
            checked = self.check(path, value)
            b = self.binding(path)
            assert b.command_message is not None
            grouped.setdefault(b.command_message, {})[path] = checked
        frames = []
        for name, group in grouped.items():
            message = self.db.get_message_by_name(name)
            signals: dict[str, Any] = {}
            for sig in message.signals:
                signals[sig.name] = NO_REQUEST
            for path, value in group.items():
                b = self.binding(path)
                assert b.command_signal is not None
                signals[b.command_signal] = self._to_dbc(b, value)
            missing = [s for s, v in signals.items() if v == NO_REQUEST and NO_REQUEST not in self._choice_names(message, s)]
            if missing:
                raise VehicleError(f"{name} needs {', '.join(missing)} in the same command", code="incomplete-command")
            try:
                data = message.encode(signals, strict=True)
            except (cantools.database.EncodeError, ValueError, KeyError) as err:
                raise OutOfRangeError(str(err)) from err
            frames.append((message, bytes(data), group))
        return frames

    @staticmethod
    def _choice_names(message: Message, signal: str) -> set[str]:
        return {str(v) for v in (message.get_signal_by_name(signal).choices or {}).values()}

    @staticmethod
    def _to_dbc(binding: Binding, value: VssValue) -> Any:
        if binding.kind is ValueKind.BOOL:
            return int(bool(value))  # raw 0/1 are choices of every boolean signal
        if binding.kind is ValueKind.COORDINATE and value is None:
            return NO_ROUTE
        return value

    def decode_status(self, frame_id: int, data: bytes) -> dict[str, VssValue]:
        """The VSS values a status frame reports; raises VehicleError on a malformed frame."""
        message, bindings = self._status[frame_id]
        decoded = self._decode(message, data)
        values = {b.path: self.to_vss(b, decoded[b.status_signal]) for b in bindings}
        for b in bindings:  # a status outside the DBC's range is garbled or spoofed, not a state
            if b.is_actuator:
                try:
                    self.check(b.path, values[b.path])
                except VehicleError as err:
                    raise VehicleError(f"{message.name}: {err}", code="malformed-frame") from err
        return values

    def decode_command(self, frame_id: int, data: bytes) -> dict[str, VssValue]:
        """The VSS values a command frame requests (NO_REQUEST signals left out)."""
        message, bindings = self._command[frame_id]
        decoded = self._decode(message, data)
        out: dict[str, VssValue] = {}
        for b in bindings:
            assert b.command_signal is not None
            raw = decoded[b.command_signal]
            if isinstance(raw, NamedSignalValue) and raw.name == NO_REQUEST:
                continue
            out[b.path] = self.to_vss(b, raw)
        return out

    def encode_status(self, frame_id: int, values: Mapping[str, VssValue]) -> bytes:
        """A status frame of ``frame_id`` carrying ``values`` (one value per leaf it reports)."""
        message, bindings = self._status[frame_id]
        signals = {b.status_signal: self._to_dbc(b, values[b.path]) for b in bindings}
        return bytes(message.encode(signals, strict=True))

    @staticmethod
    def _decode(message: Message, data: bytes) -> dict[str, Any]:
        if len(data) != message.length:
            raise VehicleError(f"{message.name}: {len(data)} bytes, expected {message.length}", code="malformed-frame")
        try:
            return dict(message.decode(data, decode_choices=True, scaling=True))
        except (cantools.database.DecodeError, ValueError) as err:
            raise VehicleError(f"{message.name}: {err}", code="malformed-frame") from err


@functools.cache
def default_catalog() -> SignalCatalog:
    """The catalogue of the project's DBC, shared by a process."""
    return SignalCatalog()
