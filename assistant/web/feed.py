"""What the pages see: a full snapshot first, then every event of the service's bus, per page bounded.

``CabinFeed`` is one subscriber of the event bus. It serialises each event once and hands the
frame to every connected page's ``PageQueue``; a page that falls ``queue_size`` frames behind
(a slow or stalled browser) loses its backlog and is sent a fresh snapshot instead, so neither
the bus nor the service ever waits for a page. Everything here runs on the event loop's thread,
as the bus and the gateway's state updates do, so a snapshot and the events after it never
overlap or leave a gap.
"""

from __future__ import annotations

import json
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from assistant.bus import EventBus
from assistant.domain import SEATS
from assistant.events import ChangeEvent, Event, EventType, VehicleEvent
from assistant.web.inputs import settable_sensors
from vehicle.gateway import CommandOutcome

if TYPE_CHECKING:
    from assistant.runtime import Car

_LOG = logging.getLogger(__name__)

REQUESTS_KEPT = 100
"""Texts of requests typed in a page, kept for pages opened later (the bus's events do not carry them)."""

_NOT_ANSWERED = {str(CommandOutcome.TIMED_OUT), str(CommandOutcome.UNREACHABLE)}


def frame(data: dict[str, Any]) -> bytes:
    """One server-sent event carrying ``data`` as JSON."""
    return b"data: " + json.dumps(data, separators=(",", ":"), default=str).encode() + b"\n\n"


@dataclass
class PageQueue:
    """The frames waiting for one page; never more than ``size``."""

    size: int
    frames: deque[bytes] = field(default_factory=deque)
    resync: bool = True
    """The page is owed a full snapshot (first, and after its backlog overflowed)."""
    closed: bool = False
    overflows: int = 0
    """Times its backlog was dropped for a fresh snapshot."""
    wake: Callable[[], None] = lambda: None

    def offer(self, data: bytes) -> None:
        """Queue a frame, or drop the backlog and owe a snapshot when the page is too far behind."""
        if self.resync:
            return  # the snapshot it is owed will include this
        if len(self.frames) >= self.size:
            self.frames.clear()
            self.resync = True
            self.overflows += 1
        else:
            self.frames.append(data)
        self.wake()


@dataclass
class _EcuHealth:
    paths: list[str]
    answering: bool | None = None
    """None until a command to it was answered or missed."""
    not_answered: int = 0
    """Commands whose status frame never came (timed out or unsendable)."""
    rejected: int = 0
    last_problem: float | None = None
    """When it last missed or rejected a command, seconds since the epoch."""


class CabinFeed:
    """Snapshots and live frames for the pages, from the bus, the car and the model's status."""

    def __init__(self, bus: EventBus, car: Car, model_status: Callable[[], dict[str, Any] | None], *,
                 queue_size: int = 256) -> None:
        self.bus = bus
        self.car = car
        self._model_status = model_status
        self.queue_size = queue_size
        self.pages: list[PageQueue] = []
        self._requests: OrderedDict[str, dict[str, Any]] = OrderedDict()
        catalog = car.gateway.catalog
        self._ecu_of = {p: catalog.binding(p).ecu for p in catalog.paths}
        self._ecus: dict[str, _EcuHealth] = {}
        for path, ecu in self._ecu_of.items():
            self._ecus.setdefault(ecu, _EcuHealth([])).paths.append(path)
        self.sensors = settable_sensors(catalog)
        self._unsubscribe: Callable[[], None] | None = None
        self._last_health = ""
        self._last_model = ""

    def start(self) -> None:
        """Subscribe to the bus."""
        self._unsubscribe = self.bus.subscribe(self._on_event)

    def stop(self) -> None:
        """Unsubscribe and close every page's queue."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        for page in list(self.pages):
            page.closed = True
            page.wake()

    # -- pages --------------------------------------------------------------------------------
    def connect(self) -> PageQueue:
        """A queue for a new page (owed a snapshot first)."""
        page = PageQueue(self.queue_size)
        self.pages.append(page)
        return page

    def disconnect(self, page: PageQueue) -> None:
        """Forget a page that went away."""
        page.closed = True
        if page in self.pages:
            self.pages.remove(page)

    def take(self, page: PageQueue) -> list[bytes]:
        """What to write to ``page`` now: a snapshot when it is owed one, else its queued frames."""
        if page.resync:
            page.resync = False
            page.frames.clear()
            return [frame(self.snapshot())]
        frames = list(page.frames)
        page.frames.clear()
        return frames

    def broadcast(self, data: dict[str, Any]) -> None:
        """Send a frame of the page's own (not a bus event) to every page."""
        encoded = frame(data)
        for page in self.pages:
            page.offer(encoded)

    def note_request(self, interaction: str, text: str, seat: str, source: str = "web") -> None:
        """Remember (and show every page) the text of a request typed in a page."""
        entry = {"type": "request", "interaction": interaction, "text": text, "seat": seat, "source": source,
                 "ts": time.time()}
        self._requests[interaction] = entry
        while len(self._requests) > REQUESTS_KEPT:
            self._requests.popitem(last=False)
        self.broadcast(entry)

    # -- what a page is sent ------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """Everything a page needs to draw the car and the conversation so far."""
        return {
            "type": "snapshot",
            "ts": time.time(),
            "state": self.car.gateway.state.snapshot(),
            "health": self.health(),
            "model": self._model_status(),
            "events": [e.model_dump(mode="json") for e in self.bus.recent()],
            "requests": list(self._requests.values()),
            "simulator": self.car.simulator is not None,
            "sensors": self.sensors if self.car.simulator is not None else {},
            "seats": list(SEATS),
        }

    def health(self) -> dict[str, Any]:
        """The bus link, the gateway's counters and each ECU's health."""
        gateway = self.car.gateway
        state = gateway.state.snapshot()
        ecus = []
        for name, ecu in sorted(self._ecus.items()):
            reported = all(p in state for p in ecu.paths)
            if not reported:
                status = "no-status"
            elif ecu.answering is False:
                status = "silent"
            else:
                status = "ok"
            ecus.append({"name": name, "status": status, "not_answered": ecu.not_answered,
                         "rejected": ecu.rejected, "last_problem": ecu.last_problem})
        return {"connected": gateway.connected, "bus": gateway.describe, "stats": asdict(gateway.stats),
                "ecus": ecus}

    def tick(self) -> None:
        """Send the health and the model's status to every page when they changed (called periodically)."""
        health = json.dumps(self.health(), sort_keys=True, default=str)
        if health != self._last_health:
            self._last_health = health
            self.broadcast({"type": "health", "health": json.loads(health), "ts": time.time()})
        model = json.dumps(self._model_status(), sort_keys=True, default=str)
        if model != self._last_model:
            self._last_model = model
            self.broadcast({"type": "model", "model": json.loads(model), "ts": time.time()})

    # -- the bus ------------------------------------------------------------------------------
    def _on_event(self, event: Event) -> None:
        self._learn(event)
        encoded = frame(event.model_dump(mode="json"))
        for page in self.pages:
            page.offer(encoded)
        if event.type is EventType.VEHICLE:
            self.tick()  # a silent ECU shows at once, not at the next tick

    def _learn(self, event: Event) -> None:
        """ECU health from what the bus tells: commands answered or missed, values reported."""
        if isinstance(event, VehicleEvent):
            for path in event.confirmed:
                self._ecu(path, answering=True)
            for path, outcome in event.failed.items():
                ecu = self._ecu(path, answering=outcome not in _NOT_ANSWERED)
                if ecu is not None:
                    ecu.last_problem = event.ts
                    if outcome in _NOT_ANSWERED:
                        ecu.not_answered += 1
                    else:
                        ecu.rejected += 1
        elif isinstance(event, ChangeEvent):
            self._ecu(event.path, answering=True)  # a status frame came, with news

    def _ecu(self, path: str, *, answering: bool) -> _EcuHealth | None:
        name = self._ecu_of.get(path)
        if name is None:
            return None
        ecu = self._ecus[name]
        ecu.answering = answering
        return ecu
