"""CanGateway: commands out as frames, confirmation from status frames, a live VehicleState.

All blocking python-can calls run off the event loop: one receive thread per open bus (which
also decodes and filters, so a flood of unrelated frames never reaches the loop) and one
send thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum

import can

from vehicle.errors import TransportError, VehicleError
from vehicle.signals import SignalCatalog, VssValue, default_catalog
from vehicle.state import VehicleState
from vehicle.transport import CanTransport

_LOG = logging.getLogger(__name__)


class CommandOutcome(StrEnum):
    """What became of a command."""

    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    TIMED_OUT = "timed-out"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class CommandResult:
    """The outcome of one command frame (one ECU message)."""

    outcome: CommandOutcome
    """Confirmed, rejected by the ECU, not answered in time, or not sendable."""
    ecu: str
    """The DBC node that was commanded."""
    requested: dict[str, VssValue]
    """VSS path -> value asked for."""
    reported: dict[str, VssValue]
    """VSS path -> value the ECU last reported for the same paths."""
    attempts: int
    """Frames sent (1 + retries used)."""
    elapsed_ms: float
    """From the first send to the outcome, in milliseconds."""

    @property
    def confirmed(self) -> bool:
        """Whether the ECU reported every requested value."""
        return self.outcome is CommandOutcome.CONFIRMED


@dataclass
class GatewayStats:
    """Counters of the gateway's traffic."""

    frames_rx: int = 0
    """Frames received."""
    frames_tx: int = 0
    """Frames sent."""
    ignored: int = 0
    """Frames with IDs the head unit does not read (unknown or other nodes' commands)."""
    malformed: int = 0
    """Status frames that failed to decode."""
    reconnects: int = 0
    """Times the transport was reopened after a loss."""
    timeouts: int = 0
    """Command attempts that got no status frame in time."""


@dataclass
class _Pending:
    expected: dict[str, VssValue]
    future: asyncio.Future[CommandOutcome]
    sent_at: float = 0.0


@dataclass
class _Link:
    bus: can.BusABC
    thread: threading.Thread | None = None
    alive: threading.Event = field(default_factory=threading.Event)


def acceptance_filters(frame_ids: set[int]) -> list[can.typechecking.CanFilter]:
    """python-can filters that pass exactly these standard (11-bit) frame IDs."""
    return [{"can_id": i, "can_mask": 0x7FF, "extended": False} for i in sorted(frame_ids)]


class CanGateway:
    """The head unit's window onto the bus."""

    def __init__(
        self,
        transport: CanTransport | Callable[[], can.BusABC],
        catalog: SignalCatalog | None = None,
        *,
        timeout: float = 0.3,
        retries: int = 1,
        frame_log: str | None = None,
        backoff: tuple[float, float] = (0.1, 5.0),
    ) -> None:
        self.catalog = catalog or default_catalog()
        self._open_bus = transport.open if isinstance(transport, CanTransport) else transport
        self.describe = transport.describe() if isinstance(transport, CanTransport) else "custom bus"
        self.timeout = timeout
        self.retries = retries
        self.state = VehicleState()
        self.stats = GatewayStats()
        self._backoff = backoff
        self._status_ids = self.catalog.status_ids()
        self._pending: dict[int, list[_Pending]] = {}
        self._seen: set[int] = set()
        self._link: _Link | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tx = ThreadPoolExecutor(max_workers=1, thread_name_prefix="can-tx")
        self._reconnecting: asyncio.Task[None] | None = None
        self._closed = False
        self._log_lock = threading.Lock()
        self._frame_log = can.CanutilsLogWriter(frame_log) if frame_log else None
        self._state_ready = asyncio.Event()
        self._reject_after = min(0.15, timeout / 2)
        """Seconds after sending from which a disagreeing status frame means "rejected"."""

    # -- life cycle ---------------------------------------------------------------------------
    async def start(self, wait_for_state: float = 1.0) -> CanGateway:
        """Open the transport and wait (up to ``wait_for_state`` s) until every status was seen."""
        await self.connect()
        return await self.wait_for_state(wait_for_state)

    async def connect(self) -> CanGateway:
        """Open the transport and start receiving (the state fills as status frames arrive)."""
        self._loop = asyncio.get_running_loop()
        bus = await self._loop.run_in_executor(self._tx, self._open_bus)
        self._attach(bus)
        return self

    async def wait_for_state(self, wait_for_state: float = 1.0) -> CanGateway:
        """Wait (up to ``wait_for_state`` s) until every status message was seen once."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._state_ready.wait(), wait_for_state)
        if not self._state_ready.is_set():
            missing = sorted(self.catalog.db.get_message_by_frame_id(f).name for f in self._status_ids - self._seen)
            _LOG.warning("no status yet from %s", ", ".join(missing))
        return self

    async def close(self) -> None:
        """Stop receiving, close the bus and the frame log."""
        self._closed = True
        if self._reconnecting is not None:
            self._reconnecting.cancel()
        link, self._link = self._link, None
        if link is not None:
            # no join: the receive thread sees the closed bus on its next poll and ends by itself
            await self._loop_or_running().run_in_executor(self._tx, self._detach, link, False)
        self._tx.shutdown(wait=True)
        if self._frame_log is not None:
            with self._log_lock:
                log, self._frame_log = self._frame_log, None
                log.stop()

    async def __aenter__(self) -> CanGateway:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def connected(self) -> bool:
        """Whether a bus is open and being read."""
        return self._link is not None and self._link.alive.is_set()

    # -- commands -----------------------------------------------------------------------------
    async def command(self, values: Mapping[str, VssValue]) -> list[CommandResult]:
        """Send ``values`` (VSS path -> value) and wait for each ECU's confirmation.

        Raises OutOfRangeError (and sends nothing) when any value is outside its DBC range.
        """
        frames = self.catalog.encode_commands(values)
        return list(await asyncio.gather(*(self._command_one(m, data, group) for m, data, group in frames)))

    async def _command_one(self, message: object, data: bytes, group: dict[str, VssValue]) -> CommandResult:
        frame_id = getattr(message, "frame_id")  # noqa: B009 - cantools Message
        first = next(iter(group))
        status_id = self.catalog.status_message(first).frame_id
        ecu = self.catalog.binding(first).ecu
        started = time.perf_counter()
        outcome = CommandOutcome.TIMED_OUT
        attempts = 0
        for _ in range(1 + self.retries):
            attempts += 1
            pending = _Pending(dict(group), self._loop_or_running().create_future(), time.perf_counter())
            self._pending.setdefault(status_id, []).append(pending)
            try:
                try:
                    await self._send(can.Message(timestamp=time.time(), arbitration_id=frame_id, data=data, is_extended_id=False))
                except TransportError as err:
                    _LOG.warning("command to %s not sent: %s", ecu, err)
                    outcome = CommandOutcome.UNREACHABLE
                    await asyncio.sleep(self.timeout)
                    continue
                try:
                    outcome = await asyncio.wait_for(asyncio.shield(pending.future), self.timeout)
                except TimeoutError:
                    self.stats.timeouts += 1
                    outcome = CommandOutcome.TIMED_OUT
                    continue
                if outcome is CommandOutcome.REJECTED:
                    continue  # a busy bus or ECU may answer late: one more try before calling it rejected
                break
            finally:
                self._pending[status_id].remove(pending)
        reported = {p: self.state.get(p) for p in group}
        elapsed = (time.perf_counter() - started) * 1000
        _LOG.debug("%s %s -> %s after %d attempt(s), %.1f ms", ecu, group, outcome, attempts, elapsed)
        return CommandResult(outcome, ecu, dict(group), reported, attempts, elapsed)

    def set_overlay(self, path: str, value: VssValue) -> None:
        """Record a head-unit-only value (e.g. the destination's name) in the state."""
        self.state.update({path: value})

    async def _send(self, msg: can.Message) -> None:
        await self._loop_or_running().run_in_executor(self._tx, self._send_blocking, msg)

    def _send_blocking(self, msg: can.Message) -> None:
        link = self._link
        if link is None or not link.alive.is_set():
            raise TransportError("CAN transport is down")
        try:
            link.bus.send(msg)
        except (can.CanError, OSError, ValueError) as err:
            raise TransportError(f"send failed: {err}") from err
        self.stats.frames_tx += 1
        self._log_frame(msg)

    # -- receiving ----------------------------------------------------------------------------
    def _attach(self, bus: can.BusABC) -> None:
        # Acceptance filter on the status IDs: kernel filters on SocketCAN, server-side on
        # ``carvoice sim``'s socketcand, in python-can otherwise. Other traffic (a busy or flooded
        # bus) then never costs this process a frame to parse.
        try:
            bus.set_filters(acceptance_filters(self._status_ids))
        except (can.CanError, OSError, ValueError) as err:
            _LOG.warning("no acceptance filter on %s (%s): every frame is read and sorted here", self.describe, err)
        link = _Link(bus)
        link.alive.set()
        link.thread = threading.Thread(target=self._receive, args=(link,), name="can-rx", daemon=True)
        self._link = link
        link.thread.start()

    @staticmethod
    def _detach(link: _Link, wait: bool = True) -> None:
        link.alive.clear()
        if wait and link.thread is not None and link.thread is not threading.current_thread():
            link.thread.join(timeout=1)
        with contextlib.suppress(Exception):
            link.bus.shutdown()

    def _receive(self, link: _Link) -> None:
        loop = self._loop
        assert loop is not None
        while link.alive.is_set():
            try:
                msg = link.bus.recv(timeout=0.1)
            except Exception as err:  # noqa: BLE001 - any failure of a third-party transport is a lost link
                if link.alive.is_set():
                    loop.call_soon_threadsafe(self._transport_lost, link, err)
                return
            if msg is None:
                continue
            self.stats.frames_rx += 1
            self._log_frame(msg)
            if msg.arbitration_id not in self._status_ids or msg.is_error_frame or msg.is_remote_frame:
                self.stats.ignored += 1
                continue
            try:
                values = self.catalog.decode_status(msg.arbitration_id, bytes(msg.data))
            except VehicleError:
                self.stats.malformed += 1
                continue
            with contextlib.suppress(RuntimeError):  # loop closed while shutting down
                loop.call_soon_threadsafe(self._on_status, msg.arbitration_id, values)

    def _on_status(self, frame_id: int, values: dict[str, VssValue]) -> None:
        self.state.update(values)
        if frame_id not in self._seen:
            self._seen.add(frame_id)
            if self._seen >= self._status_ids:
                self._state_ready.set()
        for pending in self._pending.get(frame_id, ()):
            if pending.future.done():
                continue
            if all(self.catalog.same(p, values[p], v) for p, v in pending.expected.items()):
                pending.future.set_result(CommandOutcome.CONFIRMED)
            elif time.perf_counter() - pending.sent_at >= self._reject_after:
                # Frames sent before the ECU read the command still show the old value; one that
                # disagrees after the ECU had ample time to act is its answer.
                pending.future.set_result(CommandOutcome.REJECTED)

    # -- reconnection -------------------------------------------------------------------------
    def _transport_lost(self, link: _Link, err: BaseException) -> None:
        if self._closed or link is not self._link:
            return
        _LOG.warning("CAN transport %s lost: %s", self.describe, err)
        link.alive.clear()
        self._tx.submit(self._detach, link)
        if self._reconnecting is None or self._reconnecting.done():
            self._reconnecting = asyncio.ensure_future(self._reconnect())

    async def _reconnect(self) -> None:
        delay, ceiling = self._backoff
        while not self._closed:
            await asyncio.sleep(delay)
            try:
                bus = await self._loop_or_running().run_in_executor(None, self._open_bus)
            except (TransportError, can.CanError, OSError) as err:
                _LOG.info("CAN transport still down (%s); next try in %.1f s", err, min(delay * 2, ceiling))
                delay = min(delay * 2, ceiling)
                continue
            self.stats.reconnects += 1
            self._attach(bus)
            _LOG.info("CAN transport %s reconnected", self.describe)
            return

    # -- helpers ------------------------------------------------------------------------------
    def _log_frame(self, msg: can.Message) -> None:
        if self._frame_log is not None:
            with self._log_lock:
                if self._frame_log is not None:  # closed meanwhile by close()
                    self._frame_log.on_message_received(msg)

    def _loop_or_running(self) -> asyncio.AbstractEventLoop:
        return self._loop or asyncio.get_running_loop()
