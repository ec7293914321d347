"""Simulated ECUs: they apply command frames within the DBC's ranges and report status frames.

Modelled on cantools' ``tester``: every status message's signals are seeded from the DBC's
start values, sent periodically at the DBC's cycle time and at once after each command.
The simulator runs in its own thread, as a real ECU runs beside the head unit.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

import can

from vehicle.errors import VehicleError
from vehicle.signals import (
    DESTINATION_LATITUDE,
    DESTINATION_LONGITUDE,
    PUSH_TO_TALK,
    SignalCatalog,
    ValueKind,
    VssValue,
    default_catalog,
)

_LOG = logging.getLogger(__name__)


@dataclass
class SimulatorStats:
    """Counters of what the simulator received and sent."""

    frames_in: int = 0
    """Frames received, of any ID."""
    frames_out: int = 0
    """Status frames sent."""
    commands_applied: int = 0
    """Command values applied to an actuator."""
    values_ignored: int = 0
    """Command values outside the DBC range, ignored as a real ECU would."""
    malformed: int = 0
    """Command frames that could not be decoded."""


class VehicleSimulator:
    """The car's ECUs on a python-can bus (in-process ``virtual`` or any other interface)."""

    def __init__(
        self,
        bus: can.BusABC,
        catalog: SignalCatalog | None = None,
        *,
        initial: Mapping[str, VssValue] | None = None,
        period: float | None = None,
    ) -> None:
        self.catalog = catalog or default_catalog()
        self._bus = bus
        self._values: dict[str, VssValue] = self.catalog.initial_values()
        for path, value in (initial or {}).items():
            self._values[path] = self._validated(path, value)
        self._period = period
        self._silent: set[str] = set()
        self._jammed: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.stats = SimulatorStats()
        self._status_of_command: dict[int, set[int]] = {}
        for path in self.catalog.actuators:
            b = self.catalog.binding(path)
            assert b.command_message is not None
            cmd = self.catalog.db.get_message_by_name(b.command_message).frame_id
            self._status_of_command.setdefault(cmd, set()).add(self.catalog.status_message(path).frame_id)
        self._ecu_of_status = {
            fid: self.catalog.bindings_of_status(fid)[0].ecu for fid in self.catalog.status_ids()
        }
        self._cycle = {
            fid: (period if period is not None else (self.catalog.db.get_message_by_frame_id(fid).cycle_time or 100) / 1000)
            for fid in self.catalog.status_ids()
        }

    # -- life cycle ---------------------------------------------------------------------------
    def start(self) -> VehicleSimulator:
        """Broadcast every status once and start the ECUs' thread."""
        self._broadcast(self.catalog.status_ids())
        self._thread = threading.Thread(target=self._run, name="vehicle-sim", daemon=True)
        self._thread.start()
        return self

    def stop(self, wait: bool = True) -> None:
        """Stop the ECUs' thread (the bus stays open; its owner shuts it down)."""
        self._stop.set()
        if wait and self._thread is not None:
            self._thread.join(timeout=2)

    def __enter__(self) -> VehicleSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what tests and the batch contract's ``init`` use -------------------------------------
    def set(self, path: str, value: VssValue) -> None:
        """Set a sensor or actuator value directly (as the physical world would) and report it."""
        with self._lock:
            self._values[path] = self._validated(path, value)
        self._broadcast({self.catalog.status_message(path).frame_id})

    def value(self, path: str) -> VssValue:
        """The value an ECU holds now."""
        with self._lock:
            return self._values[path]

    def snapshot(self) -> dict[str, VssValue]:
        """Every value the ECUs hold now."""
        with self._lock:
            return dict(self._values)

    def silence(self, ecu: str, silent: bool = True) -> None:
        """Make one ECU (a DBC node, e.g. ``HVAC``) stop answering and reporting, or resume."""
        if silent:
            self._silent.add(ecu)
        else:
            self._silent.discard(ecu)

    def jam(self, path: str, jammed: bool = True) -> None:
        """Make one actuator stuck: its ECU answers but the value no longer moves (or free it)."""
        self.catalog.binding(path)
        if jammed:
            self._jammed.add(path)
        else:
            self._jammed.discard(path)

    def press_push_to_talk(self, hold: float = 0.05) -> None:
        """Press and release the steering wheel's push-to-talk button."""
        self.set(PUSH_TO_TALK, True)
        time.sleep(hold)
        self.set(PUSH_TO_TALK, False)

    # -- the ECUs -----------------------------------------------------------------------------
    def _validated(self, path: str, value: VssValue) -> VssValue:
        b = self.catalog.binding(path)
        if b.is_actuator:
            return self.catalog.check(path, value)
        if b.kind is ValueKind.BOOL:
            return bool(value)
        if not isinstance(value, (int, float)):
            raise VehicleError(f"{path} takes a number, not {value!r}", code="out-of-range")
        lim = self.catalog.limits(path)
        if not lim.minimum <= value <= lim.maximum:
            raise VehicleError(f"{path} must be within {lim.minimum:g}..{lim.maximum:g}", code="out-of-range")
        return float(value)

    def _run(self) -> None:
        due = {fid: time.monotonic() + cyc for fid, cyc in self._cycle.items()}
        while not self._stop.is_set():
            timeout = max(0.0, min(due.values()) - time.monotonic())
            try:
                msg = self._bus.recv(timeout=min(timeout, 0.2))
            except (can.CanError, OSError, ValueError) as err:
                if self._stop.is_set():
                    return
                _LOG.warning("simulator bus failed: %s", err)
                time.sleep(0.1)
                continue
            if msg is not None:
                self._on_frame(msg)
            now = time.monotonic()
            ready = {fid for fid, t in due.items() if t <= now}
            if ready:
                self._broadcast(ready)
                for fid in ready:
                    due[fid] = max(due[fid] + self._cycle[fid], now)

    def _on_frame(self, msg: can.Message) -> None:
        self.stats.frames_in += 1
        statuses = self._status_of_command.get(msg.arbitration_id)
        if statuses is None or msg.is_error_frame or msg.is_remote_frame:
            return
        try:
            requested = self.catalog.decode_command(msg.arbitration_id, bytes(msg.data))
        except VehicleError:
            self.stats.malformed += 1
            return
        answering = {fid for fid in statuses if self._ecu_of_status[fid] not in self._silent}
        if not answering:
            return
        accepted: dict[str, VssValue] = {}
        for path, value in requested.items():
            if path in self._jammed:
                self.stats.values_ignored += 1
                continue
            try:
                accepted[path] = self.catalog.check(path, value)
            except VehicleError:
                self.stats.values_ignored += 1
        lat, lon = DESTINATION_LATITUDE, DESTINATION_LONGITUDE
        if (lat in accepted) != (lon in accepted) or (lat in accepted and (accepted[lat] is None) != (accepted[lon] is None)):
            accepted.pop(lat, None)  # a destination is both coordinates or none
            accepted.pop(lon, None)
            self.stats.values_ignored += 1
        with self._lock:
            self._values.update(accepted)
        self.stats.commands_applied += len(accepted)
        self._broadcast(answering)

    def _broadcast(self, frame_ids: set[int]) -> None:
        with self._lock:
            values = dict(self._values)
        for fid in sorted(frame_ids):
            if self._ecu_of_status[fid] in self._silent:
                continue
            data = self.catalog.encode_status(fid, values)
            try:
                self._bus.send(can.Message(arbitration_id=fid, data=data, is_extended_id=False))
            except (can.CanError, OSError, ValueError) as err:
                if self._stop.is_set():
                    return  # the owner closed the bus while we were stopping
                _LOG.warning("simulator could not send 0x%03X: %s", fid, err)
                continue
            self.stats.frames_out += 1
