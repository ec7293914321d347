"""The MQTT link against a real mosquitto: events, retained state, commands, restarts, auth."""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from typing import Any

import aiomqtt
import pytest

from assistant.events import PushToTalkCommand, ReplyEvent, TextCommand
from assistant.mqtt import MqttLink, MqttSettings
from tests.broker import USERS, Broker

BASE = "carvoice/car1"


def settings(broker: Broker, **kw: Any) -> MqttSettings:
    return MqttSettings(host="127.0.0.1", port=broker.port, vehicle_id="car1", **kw)


async def collect(port: int, topic: str, seconds: float, **kw: Any) -> list[tuple[str, bytes, bool]]:
    out: list[tuple[str, bytes, bool]] = []
    async with aiomqtt.Client("127.0.0.1", port, **kw) as c:
        await c.subscribe(topic, qos=1)
        try:
            async with asyncio.timeout(seconds):
                async for m in c.messages:
                    out.append((str(m.topic), bytes(m.payload), bool(m.retain)))  # type: ignore[arg-type]
        except TimeoutError:
            pass
    return out


async def wait_for(event: asyncio.Event, seconds: float = 10) -> None:
    await asyncio.wait_for(event.wait(), seconds)


def test_state_is_retained_events_published_and_commands_received(broker: Broker) -> None:
    async def main() -> None:
        state = {"Vehicle.Speed": 0.0, "Vehicle.Cabin.Sunroof.Position": 0}
        got: list[tuple[str, Any]] = []

        async def on_command(name: str, command: Any) -> None:
            got.append((name, command))

        link = MqttLink(settings(broker), lambda: dict(state), on_command)
        task = asyncio.create_task(link.run())
        await wait_for(link.connected)
        link.publish_state("Vehicle.Cabin.Sunroof.Position", 100)
        link.publish_event(ReplyEvent(text="The sunroof is now open."))
        async with aiomqtt.Client("127.0.0.1", broker.port) as c:
            await c.publish(f"{BASE}/command/text", json.dumps({"text": "open the sunroof", "seat": "passenger"}), qos=1)
            await c.publish(f"{BASE}/command/ptt", b"{}", qos=1)
            await c.publish(f"{BASE}/command/text", b"{broken", qos=1)
            await c.publish(f"{BASE}/command/text", json.dumps({"text": "x" * 20000}).encode(), qos=1)
            await c.publish(f"{BASE}/command/selfdestruct", b"{}", qos=1)
        for _ in range(100):
            if len(got) >= 2 and link.stats.bad_commands >= 3:
                break
            await asyncio.sleep(0.05)
        retained = await collect(broker.port, f"{BASE}/state/#", 0.5)
        assert (f"{BASE}/state/Vehicle.Cabin.Sunroof.Position", b"100", True) in retained
        assert (f"{BASE}/state/Vehicle.Speed", b"0.0", True) in retained
        status = await collect(broker.port, f"{BASE}/status", 0.5)
        assert status == [(f"{BASE}/status", b"online", True)]
        assert got == [("text", TextCommand(text="open the sunroof", seat="passenger")), ("ptt", PushToTalkCommand())]
        assert link.stats.bad_commands == 3  # malformed, oversized and unknown: logged and dropped, never fatal
        await link.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        assert await collect(broker.port, f"{BASE}/status", 0.5) == [(f"{BASE}/status", b"offline", True)]

    asyncio.run(main())


def test_broker_restart_reconnects_and_republishes_state(broker: Broker) -> None:
    async def main() -> None:
        state: dict[str, Any] = {"Vehicle.Cabin.HVAC.IsAirConditioningActive": True}
        link = MqttLink(settings(broker), lambda: dict(state), lambda n, c: asyncio.sleep(0))
        task = asyncio.create_task(link.run())
        await wait_for(link.connected)
        broker.kill()  # persistence is off: the restarted broker has no retained messages
        for _ in range(100):
            if not link.connected.is_set():
                break
            await asyncio.sleep(0.05)
        state["Vehicle.Cabin.HVAC.IsAirConditioningActive"] = False  # changed while the broker was away
        for i in range(5):
            link.publish_event(ReplyEvent(text=f"during outage {i}"))
        events_seen = asyncio.create_task(asyncio.sleep(0))
        broker.start()
        await wait_for(link.connected, 20)
        assert link.stats.connects == 2
        retained = await collect(broker.port, f"{BASE}/state/#", 0.5)
        assert retained == [(f"{BASE}/state/Vehicle.Cabin.HVAC.IsAirConditioningActive", b"false", True)]
        await events_seen
        await link.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(main())


def test_event_queue_is_bounded_while_the_broker_is_away(broker: Broker) -> None:
    async def main() -> None:
        broker.stop()
        link = MqttLink(settings(broker, queue_size=10), dict, lambda n, c: asyncio.sleep(0))
        for i in range(25):
            link.publish_event(ReplyEvent(text=str(i)))
        assert link.stats.dropped_events == 15
        broker.start()
        task = asyncio.create_task(link.run())
        await wait_for(link.connected, 20)
        for _ in range(100):
            if link.stats.published >= 10:
                break
            await asyncio.sleep(0.05)
        assert link.stats.published == 10  # the newest ten, in order
        await link.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(main())


def tls(broker: Broker) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(broker.ca_file))


def test_tls_with_password_works_and_wrong_credentials_are_refused(broker: Broker) -> None:
    async def main() -> None:
        good = MqttSettings(host="127.0.0.1", port=broker.secure_port, vehicle_id="car1", username="carvoice",
                            password=USERS["carvoice"], tls=True, ca_file=str(broker.ca_file))
        link = MqttLink(good, lambda: {"Vehicle.Speed": 0.0}, lambda n, c: asyncio.sleep(0))
        task = asyncio.create_task(link.run())
        await wait_for(link.connected)
        bad = MqttLink(MqttSettings(**{**good.__dict__, "password": "wrong"}), dict, lambda n, c: asyncio.sleep(0))
        bad_task = asyncio.create_task(bad.run())
        await asyncio.sleep(1.0)
        assert not bad.connected.is_set() and bad.last_error  # refused, logged, retrying: not fatal
        # a screen may read state but not the assistant's own topics beyond its ACL
        seen = await collect(broker.secure_port, f"{BASE}/state/#", 0.5, username="screen",
                             password=USERS["screen"], tls_context=tls(broker))
        assert seen and all(retain for _, _, retain in seen)
        with pytest.raises(aiomqtt.MqttError):
            async with aiomqtt.Client("127.0.0.1", broker.secure_port, tls_context=tls(broker)):
                pass  # no credentials: refused
        for t, l in ((task, link), (bad_task, bad)):
            await l.stop()
            t.cancel()
        await asyncio.gather(task, bad_task, return_exceptions=True)

    asyncio.run(main())


def _open_sockets() -> int:
    import os

    count = 0
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            count += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
    return count


def test_refused_and_cancelled_connects_leave_no_socket_behind(broker: Broker) -> None:
    """Each refused attempt and a stop mid-connect close their sockets at once, on the live loop:
    nothing is left for the garbage collector to close into an event loop that has gone."""
    import gc
    import socket

    silent = socket.create_server(("127.0.0.1", 0))  # takes the connection, never sends a CONNACK

    async def main() -> tuple[int, int]:
        gc.collect()
        before = _open_sockets()
        bad = MqttLink(MqttSettings(host="127.0.0.1", port=broker.secure_port, vehicle_id="car1",
                                    username="carvoice", password="wrong", tls=True, ca_file=str(broker.ca_file)),
                       dict, lambda n, c: asyncio.sleep(0))
        hung = MqttLink(MqttSettings(host="127.0.0.1", port=silent.getsockname()[1], vehicle_id="car1"),
                        dict, lambda n, c: asyncio.sleep(0))
        tasks = [asyncio.create_task(bad.run()), asyncio.create_task(hung.run())]
        await asyncio.sleep(2.0)  # three refusals (0, 0.5, 1.5 s); the silent one still waiting for CONNACK
        assert bad.last_error and not bad.connected.is_set() and not hung.connected.is_set()
        for link, task in zip((bad, hung), tasks):
            await link.stop()
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.sleep(0.1)
        return before, _open_sockets()

    try:
        before, after = asyncio.run(main())
    finally:
        silent.close()
    assert after <= before, f"{after - before} sockets left open by connection attempts"
    gc.collect()  # a paho client left with a socket would now call into the closed loop (filterwarnings=error)
