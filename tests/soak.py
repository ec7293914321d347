"""Soak and flood: 10,000 mixed commands through one running service, then a flooded bus.

    make soak          # or: .venv/bin/python -m tests.soak [--commands 10000] [--flood-rate 5000]

Starts a real mosquitto, ``carvoice sim`` and ``carvoice run`` (parser first, the bundled model
for what the parser leaves), sends text commands over MQTT one after another, and reports:
service RSS at start (after warm-up) and end, p50/p95 of MQTT command -> reply over time,
retained state messages against the ECU-confirmed changes (none lost, none duplicated), and
the command latency with 5,000 unrelated frames/s on the bus against a quiet bus.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import aiomqtt
import can

from tests.broker import make_broker
from tests.conftest import PYTHON, free_port

BASE = "carvoice/car1"
NODELAY = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
PARSER = [
    "set the temperature to {t} degrees", "a bit warmer", "a bit cooler", "fan level {f}", "open my window",
    "close my window", "turn on my seat heating", "turn off the seat heating", "open the sunroof halfway",
    "close the sunroof", "navigate to the nearest charging station", "cancel the route", "turn on recirculation",
    "turn off recirculation", "what's the temperature", "tell me a joke", "set the passenger side to {t}",
    "move the passenger seat back", "move the passenger seat forward", "massage level {m}", "stop the massage",
]
MODEL = ["it smells like a barn in here", "the sun is blinding me through the roof",
         "my grandmother finds the cabin a bit harsh"]
"""Requests the parser defers to the model (one in a hundred of the soak)."""


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def pct(xs: list[float], q: int) -> float:
    return statistics.quantiles(xs, n=100, method="inclusive")[q - 1] if len(xs) > 1 else (xs[0] if xs else 0.0)


class Flooder(threading.Thread):
    """Sends unrelated frames at a steady rate on the shared bus."""

    def __init__(self, port: int, rate: int) -> None:
        super().__init__(daemon=True)
        self.port, self.rate, self.sent = port, rate, 0
        self.stop_event = threading.Event()

    def run(self) -> None:
        bus = can.Bus(interface="socketcand", channel="can0", host="127.0.0.1", port=self.port, tcp_tune=True)
        start = time.perf_counter()
        while not self.stop_event.is_set():
            due = int((time.perf_counter() - start) * self.rate)
            while self.sent < due:
                bus.send(can.Message(arbitration_id=0x600 + self.sent % 64, data=bytes(8), is_extended_id=False))
                self.sent += 1
            time.sleep(0.001)
        bus.shutdown()


async def soak(port: int, n: int, service_pid: int) -> dict[str, Any]:
    changes: list[tuple[str, Any]] = []
    sources: dict[str, int] = {}
    states: list[tuple[str, Any]] = []
    latencies: list[float] = []
    rss: dict[str, int] = {}
    async with aiomqtt.Client("127.0.0.1", port, max_queued_incoming_messages=0, socket_options=NODELAY) as c:
        await c.subscribe(f"{BASE}/status", qos=1)
        async for m in c.messages:
            if m.payload == b"online":
                break
        await c.subscribe(f"{BASE}/#", qos=1)
        await asyncio.sleep(1.0)  # the retained snapshot arrives now; it is not counted
        async for _ in _drain(c):
            pass
        reply = asyncio.Event()
        pending: dict[str, float] = {}

        async def listen() -> None:
            async for m in c.messages:
                topic = str(m.topic)
                if topic.endswith("/event/reply"):
                    data = json.loads(m.payload)  # type: ignore[arg-type]
                    sent = pending.pop(str(data.get("interaction")), None)
                    if sent is not None:
                        latencies.append((time.perf_counter() - sent) * 1000)
                        reply.set()
                elif topic.endswith("/event/calls"):
                    source = str(json.loads(m.payload).get("source"))  # type: ignore[arg-type]
                    sources[source] = sources.get(source, 0) + 1
                elif topic.endswith("/event/change"):
                    data = json.loads(m.payload)  # type: ignore[arg-type]
                    changes.append((data["path"], data["new"]))
                elif "/state/" in topic:
                    states.append((topic.split("/state/", 1)[1], json.loads(m.payload)))  # type: ignore[arg-type]

        listener = asyncio.create_task(listen())
        # warm-up, not counted: the first model request waits for the model to finish loading
        pending["warm"] = time.perf_counter()
        await c.publish(f"{BASE}/command/text", json.dumps({"text": MODEL[0], "id": "warm"}), qos=1)
        await asyncio.wait_for(reply.wait(), 600)
        latencies.clear()
        for i in range(n):
            if i == min(500, n // 10):
                rss["start"] = rss_kb(service_pid)
            text = MODEL[i // 100 % len(MODEL)] if i % 100 == 99 else PARSER[i % len(PARSER)].format(
                t=16 + i % 13, f=i % 11, m=1 + i % 3)
            reply.clear()
            pending[str(i)] = time.perf_counter()
            await c.publish(f"{BASE}/command/text", json.dumps({"text": text, "id": i}), qos=1)
            try:
                await asyncio.wait_for(reply.wait(), 120)
            except TimeoutError:
                raise SystemExit(f"soak: no reply to command {i} ({text!r}) within 120 s") from None
        await asyncio.sleep(1.0)
        rss["end"] = rss_kb(service_pid)
        listener.cancel()
    return {"latencies": latencies, "changes": changes, "states": states, "rss": rss, "sources": sources}


async def _drain(c: aiomqtt.Client) -> Any:
    while True:
        try:
            async with asyncio.timeout(0.3):
                await anext(aiter(c.messages))
        except TimeoutError:
            return
        yield None


async def timed_commands(port: int, n: int) -> list[float]:
    out: list[float] = []
    async with aiomqtt.Client("127.0.0.1", port, socket_options=NODELAY) as c:
        await c.subscribe(f"{BASE}/event/reply", qos=1)
        for i in range(n):
            started = time.perf_counter()
            await c.publish(f"{BASE}/command/text", json.dumps({"text": f"fan level {i % 10}", "id": f"t{i}"}), qos=1)
            async for m in c.messages:
                if json.loads(m.payload).get("interaction") == f"t{i}":  # type: ignore[arg-type]
                    out.append((time.perf_counter() - started) * 1000)
                    break
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--commands", type=int, default=10_000)
    ap.add_argument("--flood-rate", type=int, default=5000, help="unrelated frames per second")
    ap.add_argument("--flood-commands", type=int, default=300)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        broker = make_broker(Path(tmp) / "broker").start()
        can_port = free_port()
        sim = subprocess.Popen([PYTHON, "-m", "assistant.cli", "sim", "--port", str(can_port)],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert sim.stdout is not None
        sim.stdout.readline()
        env = {**os.environ, "CARVOICE_VEHICLE__INTERFACE": "socketcand", "CARVOICE_VEHICLE__PORT": str(can_port),
               "CARVOICE_MQTT__PORT": str(broker.port), "CARVOICE_SERVICE__CONSOLE": "false",
               "CARVOICE_SERVICE__MICROPHONE": "false", "CARVOICE_SERVICE__SPEAKER": "false"}
        service = subprocess.Popen([PYTHON, "-m", "assistant.cli", "run"], env=env, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=(Path(tmp) / "service.log").open("w"))
        try:
            started = time.perf_counter()
            result = asyncio.run(soak(broker.port, args.commands, service.pid))
            soak_s = time.perf_counter() - started
            quiet = asyncio.run(timed_commands(broker.port, args.flood_commands))
            flooder = Flooder(can_port, args.flood_rate)
            flooder.start()
            flood_started = time.perf_counter()
            flooded = asyncio.run(timed_commands(broker.port, args.flood_commands))
            rate = flooder.sent / (time.perf_counter() - flood_started)
            flooder.stop_event.set()
            flooder.join(5)
        finally:
            service.terminate()
            service.wait(30)
            sim.terminate()
            sim.wait(10)
            broker.stop()
    lat = result["latencies"]
    served = ", ".join(f"{k} {v}" for k, v in sorted(result["sources"].items()))
    print(f"soak: {len(lat)} commands in {soak_s:.0f} s through one service (understood by: {served})")
    rss = result["rss"]
    growth = 100 * (rss["end"] - rss["start"]) / max(rss["start"], 1)
    print(f"  RSS after warm-up {rss['start'] / 1024:.0f} MiB, at the end {rss['end'] / 1024:.0f} MiB "
          f"({growth:+.1f} %)")
    block = max(1, len(lat) // 5)
    for k in range(0, len(lat), block):
        chunk = lat[k : k + block]
        print(f"  commands {k:>5}-{k + len(chunk) - 1:<5} MQTT command -> reply p50 {pct(chunk, 50):6.1f} ms  "
              f"p95 {pct(chunk, 95):7.1f} ms")
    changes, states = result["changes"], result["states"]
    per_path: dict[str, list[Any]] = {}
    for path, value in states:
        per_path.setdefault(path, []).append(value)
    expected: dict[str, list[Any]] = {}
    for path, value in changes:
        expected.setdefault(path, []).append(value)
    lost = sum(max(0, len(v) - len(per_path.get(p, []))) for p, v in expected.items())
    dup = sum(max(0, len(v) - len(expected.get(p, []))) for p, v in per_path.items())
    print(f"  vehicle changes {len(changes)}, retained state messages {len(states)}: lost {lost}, duplicated {dup}")
    ratio = pct(flooded, 50) / max(pct(quiet, 50), 1e-6)
    print(f"flood: {rate:,.0f} unrelated frames/s on the bus; command -> reply p50 quiet {pct(quiet, 50):.1f} ms, "
          f"flooded {pct(flooded, 50):.1f} ms (ratio {ratio:.2f}); p95 {pct(quiet, 95):.1f} / {pct(flooded, 95):.1f} ms")
    ok = growth <= 5.0 and lost == 0 and dup == 0 and ratio <= 1.5 and len(lat) == args.commands
    print("soak and flood:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
