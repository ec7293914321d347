"""Errors raised by the vehicle layer; each carries a machine-readable ``code``."""

from __future__ import annotations


class VehicleError(Exception):
    """Base error of the vehicle layer."""

    code = "vehicle-error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class UnknownSignalError(VehicleError):
    """A VSS path that the CAN database does not carry."""

    code = "unknown-signal"


class OutOfRangeError(VehicleError):
    """A value outside the range the DBC allows for its signal."""

    code = "out-of-range"


class NotAnActuatorError(VehicleError):
    """An attempt to command a sensor."""

    code = "not-an-actuator"


class TransportError(VehicleError):
    """The CAN transport could not be opened or was lost."""

    code = "can-transport"
