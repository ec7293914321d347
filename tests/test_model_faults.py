"""The real language model's worker killed (SIGSEGV, SIGKILL) or stopped (SIGSTOP) mid-request.

Through ``carvoice batch`` and through ``carvoice run`` with a real broker: the request gets its
spoken answer and its error code, the next parser request is served at once, the next model
request works after the restart, and the vehicle state and the retained MQTT state have every
change exactly once.
"""

from __future__ import annotations

import asyncio
import json
import os
import select
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import aiomqtt
import pytest

from tests.broker import Broker
from tests.conftest import PYTHON, free_port
from tests.test_socketcand import sim_process

pytestmark = pytest.mark.slow

TEMP = "Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature"
WINDOW = "Vehicle.Cabin.Door.Row1.DriverSide.Window.Position"
PASSENGER_WINDOW = "Vehicle.Cabin.Door.Row1.PassengerSide.Window.Position"
LAT = "Vehicle.Cabin.Infotainment.Navigation.DestinationSet.Latitude"
# requests the parser cannot account for and hands to the model (each result line says who served it)
MODEL_REQUESTS = ["my grandmother needs her pills from the chemist"] * 4
KILLED = "make the drive more pleasant for my grandmother"
FAILED_REPLY = "I couldn't work that out, please say it another way."


def worker_pid(parent: int, timeout: float = 240) -> int:
    """The pid of the model worker started by ``parent``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                cmd = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == parent and b"assistant.understanding.model_worker" in cmd:
                return int(entry.name)
        time.sleep(0.1)
    raise AssertionError("no model worker")


class Batch:
    """``carvoice batch`` driven line by line."""

    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen([PYTHON, "-m", "assistant.cli", "batch", "--no-speech"], env={**os.environ, **env},
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def ask(self, line: dict[str, Any], timeout: float = 240) -> dict[str, Any]:
        self.send(line)
        return self.read(timeout)

    def send(self, line: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(line) + "\n")
        self.proc.stdin.flush()

    def read(self, timeout: float = 240) -> dict[str, Any]:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        assert ready, "no result line"
        return json.loads(self.proc.stdout.readline())  # type: ignore[no-any-return]

    def close(self) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.stdin = None  # communicate() would flush the closed pipe
        _, err = self.proc.communicate(timeout=60)
        return err


def _kill_mid_request(batch: Batch, sig: signal.Signals, line: dict[str, Any]) -> dict[str, Any]:
    pid = worker_pid(batch.proc.pid)
    batch.send(line)
    time.sleep(0.6)  # the parser took a millisecond; the model takes seconds
    os.kill(pid, sig)
    return batch.read()


def test_batch_survives_a_crashing_killed_and_hanging_model() -> None:
    batch = Batch({"CARVOICE_UNDERSTANDING__DEADLINE_S": "8", "CARVOICE_UNDERSTANDING__MODE": "parser-first"})
    try:
        seen: dict[str, Any] = {}
        first = batch.ask({"id": 1, "session": "s", "text": "set the temperature to 23"})
        assert first["changes"] == {TEMP: 23.0} and first["source"] == "parser"
        seen.update(first["changes"])
        warm = batch.ask({"id": 2, "session": "s", "text": MODEL_REQUESTS[0]})
        assert warm["source"] == "model" and warm["error"] is None, warm
        seen.update(warm["changes"])
        for i, (sig, parser_text, path, value) in enumerate(
                [(signal.SIGSEGV, "open my window", WINDOW, 100), (signal.SIGKILL, "set the temperature to 19", TEMP, 19.0),
                 (signal.SIGSTOP, "open the passenger window", PASSENGER_WINDOW, 100)]):
            code = "model-timeout" if sig is signal.SIGSTOP else "model-crashed"
            failed = _kill_mid_request(batch, sig, {"id": f"k{i}", "session": "s", "text": KILLED})
            assert failed["error"]["code"] == code, failed
            assert failed["reply"] == FAILED_REPLY and failed["changes"] == {} and failed["calls"] == []
            served = batch.ask({"id": f"p{i}", "session": "s", "text": parser_text})
            assert served["changes"] == {path: value} and served["error"] is None
            assert served["ms"]["total"] < 2000  # answered while the worker restarts, which takes seconds
            seen.update(served["changes"])
            again = batch.ask({"id": f"m{i}", "session": "s", "text": MODEL_REQUESTS[i + 1]})
            assert again["source"] == "model" and again["error"] is None, again  # the restarted worker answers
        state = batch.ask({"id": "q", "session": "s", "text": "what's the temperature set to"})
        assert state["changes"] == {} and "19 degrees" in state["reply"]
    finally:
        err = batch.close()
    assert "Traceback" not in err, err[-3000:]
    assert "chat template" not in err.lower() and "llama_model_loader" not in err  # native logs are DEBUG


BASE = "carvoice/car1"


def test_service_answers_a_crashed_model_request_and_keeps_serving(broker: Broker, tmp_path: Path) -> None:
    can_port = free_port()
    env = {
        **os.environ, "CARVOICE_VEHICLE__INTERFACE": "socketcand", "CARVOICE_VEHICLE__PORT": str(can_port),
        "CARVOICE_MQTT__PORT": str(broker.port), "CARVOICE_UNDERSTANDING__MODE": "parser-first",
        "CARVOICE_SERVICE__CONSOLE": "false", "CARVOICE_SERVICE__MICROPHONE": "false",
        "CARVOICE_SERVICE__SPEAKER": "false",
    }
    with sim_process(can_port):
        service = subprocess.Popen([PYTHON, "-m", "assistant.cli", "run"], env=env, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            asyncio.run(_drive_service(broker.port, service.pid))
        finally:
            service.send_signal(signal.SIGTERM)
            try:
                out, err = service.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                service.kill()
                out, err = service.communicate(timeout=10)
    text = (out + err).decode()
    assert "Traceback" not in text, text[-3000:]
    assert "llama_model_loader" not in text and "chat template" not in text.lower()


async def _drive_service(port: int, service_pid: int) -> None:
    async with aiomqtt.Client("127.0.0.1", port) as c:
        await c.subscribe(f"{BASE}/#", qos=1)
        log: list[tuple[str, Any]] = []
        model_states: list[str] = []

        async def until(pred: Any, seconds: float) -> tuple[str, Any]:
            async with asyncio.timeout(seconds):
                async for m in c.messages:
                    topic = str(m.topic)[len(BASE) + 1:]
                    payload = bytes(m.payload)  # type: ignore[arg-type]
                    value = payload.decode() if topic == "status" else json.loads(payload)
                    log.append((topic, value))
                    if topic == "status/model":
                        model_states.append(value["state"])
                    if pred(topic, value):
                        return topic, value
            raise AssertionError("unreachable")

        await until(lambda t, v: t == "status/model" and v["state"] == "ready", 240)
        await c.publish(f"{BASE}/command/text", json.dumps({"text": MODEL_REQUESTS[0], "id": "m0"}), qos=1)
        await until(lambda t, v: t == "event/reply" and v["interaction"] == "m0", 60)
        _, done = await until(lambda t, v: t == "event/done" and v["interaction"] == "m0", 10)
        assert done["source"] == "model"  # the model answered (a proposal is asked about: no calls yet)

        pid = worker_pid(service_pid)
        await c.publish(f"{BASE}/command/text", json.dumps({"text": KILLED, "id": "k"}), qos=1)
        threading.Timer(0.6, os.kill, (pid, signal.SIGSEGV)).start()
        _, error = await until(lambda t, v: t == "event/error" and v["interaction"] == "k", 60)
        assert error["code"] == "model-crashed"
        _, reply = await until(lambda t, v: t == "event/reply" and v["interaction"] == "k", 10)
        assert reply["text"] == FAILED_REPLY

        await c.publish(f"{BASE}/command/text", json.dumps({"text": "set the temperature to 24", "id": "p"}), qos=1)
        _, reply = await until(lambda t, v: t == "event/reply" and v["interaction"] == "p", 10)
        assert reply["text"] == "The driver's side is now 24 degrees."
        assert "restarting" in model_states and model_states[-1] != "ready"  # served while the model restarts

        await until(lambda t, v: t == "status/model" and v["state"] == "ready", 240)
        await c.publish(f"{BASE}/command/text", json.dumps({"text": MODEL_REQUESTS[1], "id": "m1"}), qos=1)
        await until(lambda t, v: t == "event/reply" and v["interaction"] == "m1", 60)
        _, done = await until(lambda t, v: t == "event/done" and v["interaction"] == "m1", 10)
        assert done["source"] == "model"  # the model answered (a proposal is asked about: no calls yet)

        changes = [v for t, v in log if t == "event/change" and v["path"] == TEMP]
        assert [ch["new"] for ch in changes] == [24.0]  # once, not lost, not doubled
        assert [ch["interaction"] for ch in changes] == ["p"]  # put beside the request that caused it
        retained = [v for t, v in log if t == f"state/{TEMP}"]
        assert retained[-1] == 24.0
