"""The real service process, with a real mosquitto and the simulated car in its own process."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import aiomqtt
import can

from tests.broker import Broker
from tests.conftest import PYTHON, free_port
from tests.test_socketcand import sim_process
from vehicle.signals import PUSH_TO_TALK, default_catalog

BASE = "carvoice/car1"
TEMP = "Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature"
WINDOW = "Vehicle.Cabin.Door.Row1.DriverSide.Window.Position"


class Notifications:
    """A fake systemd NOTIFY_SOCKET."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "notify.sock"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(self.path))
        self.sock.settimeout(0.2)
        self.seen: list[str] = []

    def wait_for(self, state: str, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while state not in self.seen:
            if time.monotonic() > deadline:
                raise AssertionError(f"{state} not received; got {self.seen}")
            try:
                self.seen.append(self.sock.recv(256).decode())
            except TimeoutError:
                pass

    def close(self) -> None:
        self.sock.close()


def start_service(broker: Broker, can_port: int, notify: Notifications) -> subprocess.Popen[bytes]:
    env = {
        **os.environ, "NOTIFY_SOCKET": str(notify.path), "WATCHDOG_USEC": "1000000",
        "CARVOICE_VEHICLE__INTERFACE": "socketcand", "CARVOICE_VEHICLE__PORT": str(can_port),
        "CARVOICE_MQTT__PORT": str(broker.port), "CARVOICE_UNDERSTANDING__MODE": "parser-only",
        "CARVOICE_SERVICE__CONSOLE": "false", "CARVOICE_SERVICE__MICROPHONE": "false",
        "CARVOICE_SERVICE__SPEAKER": "false",
    }
    return subprocess.Popen([PYTHON, "-m", "assistant.cli", "run"], env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


async def request(port: int, text: str, wanted: set[str], seconds: float = 20) -> dict[str, list[Any]]:
    """Send a text command over MQTT; collect events and retained state until ``wanted`` topics were seen."""
    seen: dict[str, list[Any]] = {}
    async with aiomqtt.Client("127.0.0.1", port) as c:
        await c.subscribe(f"{BASE}/status", qos=1)
        async with asyncio.timeout(seconds):  # the service is subscribed once it says it is online
            async for m in c.messages:
                if m.payload == b"online":
                    break
        await c.subscribe(f"{BASE}/#", qos=1)
        await c.publish(f"{BASE}/command/text", json.dumps({"text": text}), qos=1)
        try:
            async with asyncio.timeout(seconds):
                async for m in c.messages:
                    topic = str(m.topic)[len(BASE) + 1 :]
                    seen.setdefault(topic, []).append(json.loads(m.payload) if topic != "status" else m.payload)
                    if wanted <= set(seen) and "event/reply" in seen:
                        break
        except TimeoutError:
            raise AssertionError(f"waited for {wanted} and event/reply; saw {sorted(seen)}") from None
    return seen


def test_mqtt_command_to_confirmed_state_across_a_broker_restart(broker: Broker, tmp_path: Path) -> None:
    can_port = free_port()
    notify = Notifications(tmp_path)
    with sim_process(can_port):
        service = start_service(broker, can_port, notify)
        try:
            notify.wait_for("READY=1")
            notify.wait_for("WATCHDOG=1", 5)
            first = asyncio.run(request(broker.port, "set the temperature to 24 degrees", {f"state/{TEMP}"}))
            assert first["event/calls"][0]["calls"] == [{"name": "set_temperature", "arguments": {"celsius": 24.0}}]
            assert first["event/reply"][0]["text"] == "The driver's side is now 24 degrees."
            assert {"path": TEMP, "old": 21.0, "new": 24.0}.items() <= first["event/change"][0].items()
            assert 24.0 in first[f"state/{TEMP}"]

            broker.kill()  # no persistence: every retained message is gone with it
            time.sleep(1.0)
            broker.start()
            second = asyncio.run(request(broker.port, "open my window", {f"state/{WINDOW}", f"state/{TEMP}"}, 40))
            assert second[f"state/{TEMP}"][0] == 24.0  # republished after the restart
            assert second[f"state/{WINDOW}"][-1] == 100
            assert second["event/reply"][0]["text"] == "The driver's window is now open."

            # the steering-wheel button on the bus starts listening (no microphone here: an error event)
            async def press() -> dict[str, list[Any]]:
                seen: dict[str, list[Any]] = {}
                async with aiomqtt.Client("127.0.0.1", broker.port) as c:
                    await c.subscribe(f"{BASE}/event/error", qos=1)
                    bus = can.Bus(interface="socketcand", channel="can0", host="127.0.0.1", port=can_port)
                    cat = default_catalog()
                    fid = cat.status_message(PUSH_TO_TALK).frame_id
                    for pressed in (True, False):
                        bus.send(can.Message(arbitration_id=fid, data=cat.encode_status(fid, {PUSH_TO_TALK: pressed}),
                                             is_extended_id=False))
                    bus.shutdown()
                    async with asyncio.timeout(10):
                        async for m in c.messages:
                            seen.setdefault("error", []).append(json.loads(m.payload))
                            break
                return seen

            assert asyncio.run(press())["error"][0]["code"] == "no-microphone"

            service.send_signal(signal.SIGTERM)
            assert service.wait(timeout=30) == 0
            notify.wait_for("STOPPING=1", 5)

            async def status() -> bytes:
                async with aiomqtt.Client("127.0.0.1", broker.port) as c:
                    await c.subscribe(f"{BASE}/status", qos=1)
                    async with asyncio.timeout(5):
                        async for m in c.messages:
                            return bytes(m.payload)  # type: ignore[arg-type]
                return b""

            assert asyncio.run(status()) == b"offline"
        finally:
            if service.poll() is None:
                service.kill()
            _, err = service.communicate(timeout=10)
            notify.close()
            print(err.decode()[-3000:])
            assert b"Traceback" not in err, err.decode()[-3000:]
