"""``carvoice sim``: the simulated car as its own process, shared over socketcand."""

from __future__ import annotations

import logging
import signal
import threading
import uuid
from collections.abc import Mapping

import can

from vehicle.signals import VssValue
from vehicle.sim.ecus import VehicleSimulator
from vehicle.sim.socketcand import SocketcandServer

_LOG = logging.getLogger(__name__)


class SimulatedCar:
    """The ECUs plus a socketcand server on one private virtual channel."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 29536,
        can_name: str = "can0",
        initial: Mapping[str, VssValue] | None = None,
    ) -> None:
        self.channel = f"carvoice-sim-{uuid.uuid4().hex[:8]}"
        self._ecu_bus = can.Bus(interface="virtual", channel=self.channel)
        self.simulator = VehicleSimulator(self._ecu_bus, initial=initial)
        self.server = SocketcandServer(self.channel, host=host, port=port, can_name=can_name)

    def start(self) -> SimulatedCar:
        """Start the ECUs and serve the bus in background threads."""
        self.simulator.start()
        self.server.start()
        return self

    def stop(self) -> None:
        """Stop serving and the ECUs."""
        self.server.stop()
        self.simulator.stop()
        self._ecu_bus.shutdown()


def run_forever(car: SimulatedCar) -> None:
    """Run until SIGINT or SIGTERM."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    car.start()
    host, port = car.server.address
    _LOG.info("simulated car on socketcand %s@%s:%d", car.server.can_name, host, port)
    try:
        while not stop.wait(1.0):
            pass
    finally:
        car.stop()
