"""Shared fixtures: a fresh simulated car on a private virtual channel, free ports, the spec."""

from __future__ import annotations

import socket
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import can
import pytest

from vehicle.gateway import CanGateway
from vehicle.signals import VssValue
from vehicle.sim import VehicleSimulator
from vehicle.transport import CanTransport

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
PYTHON = sys.executable


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def car(
    initial: dict[str, VssValue] | None = None, *, timeout: float = 0.3, frame_log: str | None = None
) -> AsyncIterator[tuple[VehicleSimulator, CanGateway]]:
    """A simulator and a gateway sharing a fresh in-process virtual bus."""
    channel = f"test-{uuid.uuid4().hex[:8]}"
    gateway = CanGateway(CanTransport("virtual", channel), timeout=timeout, frame_log=frame_log)
    await gateway.connect()  # listening before the ECUs' first broadcast
    ecu_bus = can.Bus(interface="virtual", channel=channel)
    sim = VehicleSimulator(ecu_bus, initial=initial).start()
    await gateway.wait_for_state(2.0)
    try:
        yield sim, gateway
    finally:
        sim.stop()
        await gateway.close()
        ecu_bus.shutdown()


@pytest.fixture
def shared() -> Path:
    """The shared specification folder (../shared)."""
    if not SHARED.exists():
        pytest.fail(f"{SHARED} is missing: the specification must lie beside the checkout")
    return SHARED


@pytest.fixture
def port() -> Iterator[int]:
    """A free loopback TCP port."""
    yield free_port()


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[object]:
    """A real mosquitto on free loopback ports (plain, and TLS + password + ACL)."""
    from tests.broker import make_broker

    b = make_broker(tmp_path / "broker").start()
    try:
        yield b
    finally:
        b.stop()
