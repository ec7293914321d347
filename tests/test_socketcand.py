"""Processes share one simulated bus through ``carvoice sim`` and python-can's stock socketcand client."""

from __future__ import annotations

import asyncio
import json
import subprocess
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager

import can
import pytest

from tests.conftest import PYTHON, free_port
from vehicle.gateway import CanGateway, CommandOutcome
from vehicle.sim.socketcand import SocketcandServer, parse_rawfilter, parse_send
from vehicle.transport import CanTransport

TEMP = "Vehicle.Cabin.HVAC.Station.Row1.Passenger.Temperature"


@contextmanager
def sim_process(port: int, *extra: str) -> Iterator[subprocess.Popen[str]]:
    """``carvoice sim`` as its own process, ready to accept clients."""
    proc = subprocess.Popen(
        [PYTHON, "-m", "assistant.cli", "sim", "--port", str(port), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "socketcand can0@127.0.0.1" in line, line
        yield proc
    finally:
        proc.terminate()
        proc.communicate(timeout=10)


CLIENT = textwrap.dedent(
    """
    import json, sys, time, can
    from vehicle.signals import default_catalog
    cat = default_catalog()
    path, value, port = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    bus = can.Bus(interface="socketcand", channel="can0", host="127.0.0.1", port=port)
    [(msg, data, _)] = cat.encode_commands({path: value})
    status = cat.status_message(path).frame_id
    bus.send(can.Message(arbitration_id=msg.frame_id, data=data, is_extended_id=False))
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        frame = bus.recv(0.5)
        if frame is not None and frame.arbitration_id == status:
            seen = cat.decode_status(status, bytes(frame.data))[path]
            if seen == value:
                print(json.dumps({"confirmed": seen}))
                break
    bus.shutdown()
    """
)


def test_second_process_commands_through_carvoice_sim_and_reads_confirmation() -> None:
    port = free_port()
    with sim_process(port, "--set", "Vehicle.Speed=30"):
        out = subprocess.run([PYTHON, "-c", CLIENT, TEMP, "26.5", str(port)], capture_output=True, text=True, timeout=60)
        assert json.loads(out.stdout.strip().splitlines()[-1]) == {"confirmed": 26.5}, out.stderr

        async def observe() -> None:
            gw = await CanGateway(CanTransport("socketcand", "can0", port=port)).start()
            try:
                assert gw.state[TEMP] == 26.5  # the other process's change, seen here
                assert gw.state["Vehicle.Speed"] == 30.0
                [r] = await gw.command({TEMP: 18.0})
                assert r.confirmed
            finally:
                await gw.close()

        asyncio.run(observe())


def test_gateway_reconnects_when_carvoice_sim_restarts() -> None:
    port = free_port()

    async def main() -> None:
        with sim_process(port):
            gw = await CanGateway(CanTransport("socketcand", "can0", port=port), backoff=(0.05, 0.5)).start()
        try:
            for _ in range(100):  # the simulator process is gone
                if not gw.connected:
                    break
                await asyncio.sleep(0.05)
            assert not gw.connected
            [down] = await gw.command({TEMP: 24.0})
            assert down.outcome in (CommandOutcome.UNREACHABLE, CommandOutcome.TIMED_OUT)
            with sim_process(port):
                for _ in range(200):
                    if gw.connected:
                        break
                    await asyncio.sleep(0.05)
                assert gw.connected and gw.stats.reconnects == 1
                await asyncio.sleep(0.2)
                [r] = await gw.command({TEMP: 24.0})
                assert r.confirmed
        finally:
            await gw.close()

    asyncio.run(main())


def test_handshake_survives_a_busy_bus() -> None:
    """A stream of frames must not share a TCP segment with the final ``< ok >``."""
    port = free_port()
    with sim_process(port):
        flooder = can.Bus(interface="socketcand", channel="can0", host="127.0.0.1", port=port)
        try:
            deadline = time.monotonic() + 1.0
            clients = 0
            while time.monotonic() < deadline:
                flooder.send(can.Message(arbitration_id=0x5FF, data=bytes(8), is_extended_id=False))
                bus = can.Bus(interface="socketcand", channel="can0", host="127.0.0.1", port=port)
                bus.shutdown()
                clients += 1
            assert clients >= 3
        finally:
            flooder.shutdown()


def test_send_tokens_are_parsed_strictly() -> None:
    msg = parse_send("< send 301 3 2d ff ff >")
    assert msg.arbitration_id == 0x301 and bytes(msg.data) == b"\x2d\xff\xff" and not msg.is_extended_id
    for bad in ("< send 301 2 2d ff ff >", "< send zz 1 00 >", "< send 301 9 0 0 0 0 0 0 0 0 0 >", "< frob >"):
        with pytest.raises(ValueError):
            parse_send(bad)


def test_rawfilter_tokens_are_parsed_strictly() -> None:
    assert parse_rawfilter("< rawfilter 401 7FF 500 700 >") == [
        {"can_id": 0x401, "can_mask": 0x7FF}, {"can_id": 0x500, "can_mask": 0x700}]
    assert parse_rawfilter("< rawfilter >") == []
    for bad in ("< rawfilter 401 >", "< rawfilter zz 7FF >", "< rawfilter 401 7FF 40000000 7FF >", "< send 1 0 >"):
        with pytest.raises(ValueError):
            parse_rawfilter(bad)


def _collect(bus: can.BusABC, seconds: float) -> list[int]:
    ids: list[int] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        msg = bus.recv(0.05)
        if msg is not None:
            ids.append(msg.arbitration_id)
    return ids


def test_server_forwards_only_what_a_filtered_client_asked_for() -> None:
    """The gateway's acceptance filter keeps a flooded bus out of its process (``< rawfilter >``)."""
    channel = f"filter-{free_port()}"
    ecus = can.Bus(interface="virtual", channel=channel)
    server = SocketcandServer(channel, port=0).start()
    host, port = server.address
    filtered = CanTransport("socketcand", "can0", host, port).open()
    plain = CanTransport("socketcand", "can0", host, port).open()
    try:
        filtered.set_filters([{"can_id": 0x401, "can_mask": 0x7FF, "extended": False}])
        time.sleep(0.3)  # handshake quiet period and the filter token
        forwarded_before = server.frames_forwarded
        for i in range(200):
            ecus.send(can.Message(arbitration_id=0x600 + i % 8, data=bytes(8), is_extended_id=False))
            if i % 20 == 0:
                ecus.send(can.Message(arbitration_id=0x401, data=bytes(8), is_extended_id=False))
        got_filtered, got_plain = _collect(filtered, 0.5), _collect(plain, 0.2)
        assert got_filtered == [0x401] * 10
        assert len(got_plain) == 210  # a client without a filter still gets the whole bus
        assert server.frames_forwarded - forwarded_before == 220  # the flood never crossed TCP to `filtered`
        filtered.set_filters(None)  # cleared: everything again
        time.sleep(0.1)
        ecus.send(can.Message(arbitration_id=0x600, data=bytes(8), is_extended_id=False))
        assert _collect(filtered, 0.3) == [0x600]
    finally:
        filtered.shutdown()
        plain.shutdown()
        server.stop()
        ecus.shutdown()
