"""Fuzzing with hypothesis: batch lines, MQTT payloads, WAV files, CAN frames, model answers.

No input may crash or hang anything; each bad input gets a clear error, and the next good
request is still served.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import can
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from assistant.batch import BatchRequest, BatchRunner
from assistant.config import load_settings
from assistant.events import COMMANDS
from assistant.mqtt import CommandError, decode_command
from assistant.places import Places
from assistant.policy import SEATS, Policy
from assistant.understanding.tools import answer_schema, parse_answer
from tests.conftest import ROOT, car
from vehicle.signals import default_catalog

CONTRACT = {"id", "transcript", "calls", "changes", "reply", "error", "ms", "source"}  # the contract's, and ours
CAT = default_catalog()


class LoopThread:
    """An event loop in a thread, so synchronous hypothesis tests can drive async code."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Any, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture(scope="module")
def runner() -> Iterator[tuple[LoopThread, BatchRunner]]:
    lt = LoopThread()
    r = lt.run(_make_runner())
    yield lt, r
    lt.run(r.close())
    lt.close()


async def _make_runner() -> BatchRunner:
    return BatchRunner(load_settings(None, **{"understanding.mode": "parser-only"}), speech=False)


schema_lines = from_schema(BatchRequest.model_json_schema()).map(json.dumps)
request_lines = st.one_of(
    st.fixed_dictionaries(
        {"id": st.integers(), "text": st.text(max_size=200)},
        optional={"seat": st.sampled_from([*SEATS, "roof", ""]), "session": st.sampled_from(["a", "b", "c"]),
                  "init": st.dictionaries(st.sampled_from([*CAT.paths, "Vehicle.Nope"]),
                                          st.one_of(st.floats(allow_nan=True), st.integers(), st.booleans(),
                                                    st.none(), st.text(max_size=5)), max_size=3)},
    ).map(json.dumps),
    st.text(max_size=300),
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
)


def _answer_all(runner: tuple[LoopThread, BatchRunner], lines: list[str]) -> None:
    lt, r = runner

    async def serve() -> list[dict[str, Any]]:
        return [await r.handle_line(line.replace("\n", " ")) for line in lines]

    for result in lt.run(serve(), timeout=600):
        assert set(result) == CONTRACT
        assert isinstance(result["changes"], dict) and isinstance(result["reply"], str) and result["reply"]
        if result["error"] is not None:
            assert result["error"]["code"] and result["error"]["message"]
        json.dumps(result)  # always serialisable


# 50 examples x 200 lines: ten thousand generated lines, without hypothesis' per-example overhead
@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
@given(lines=st.lists(request_lines, min_size=200, max_size=200))
def test_ten_thousand_generated_batch_lines_are_each_answered(runner: tuple[LoopThread, BatchRunner],
                                                             lines: list[str]) -> None:
    _answer_all(runner, lines)


# hypothesis-jsonschema generates slowly (about 0.4 s a line here): a smaller sample of schema-valid lines
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
@given(lines=st.lists(schema_lines, min_size=20, max_size=20))
def test_schema_generated_batch_lines_are_each_answered(runner: tuple[LoopThread, BatchRunner],
                                                       lines: list[str]) -> None:
    _answer_all(runner, lines)


def test_good_request_after_the_fuzzing(runner: tuple[LoopThread, BatchRunner]) -> None:
    lt, r = runner
    result = lt.run(r.handle_line(json.dumps({"id": 1, "text": "open my window"})))
    assert result["changes"] == {"Vehicle.Cabin.Door.Row1.DriverSide.Window.Position": 100}


payloads = st.one_of(
    st.binary(max_size=600),
    st.text(max_size=300).map(str.encode),
    from_schema(COMMANDS["text"].model_json_schema()).map(lambda d: json.dumps(d).encode()),
    st.recursive(st.none() | st.booleans() | st.floats() | st.text(max_size=10),
                 lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                 max_leaves=20).map(lambda d: json.dumps(d).encode()),
)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(messages=st.lists(st.tuples(st.sampled_from([*COMMANDS, "nope", ""]), payloads), min_size=50, max_size=50))
def test_mqtt_command_payloads_decode_or_fail_clearly(messages: list[tuple[str, bytes]]) -> None:
    for name, payload in messages:
        try:
            command = decode_command(name, payload, 16384)
        except CommandError as err:
            assert str(err)
            continue
        assert type(command) is COMMANDS[name]


def test_deeply_nested_and_huge_payloads_are_refused() -> None:
    for payload in (b"[" * 100000 + b"]" * 100000, b'{"text": "' + b"a" * 50000 + b'"}'):
        with pytest.raises(CommandError):
            decode_command("text", payload, 16384)


def _write_wav(path: Path, samples: np.ndarray, rate: int, width: int = 2, channels: int = 1) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())
    return path


@pytest.mark.slow
def test_hostile_wav_files_give_errors_or_nothing(tmp_path: Path) -> None:
    from assistant.speech.audio import read_audio
    from assistant.speech.errors import AudioError
    from assistant.speech.stt import SpeechToText

    stt = SpeechToText(load_settings(None).speech.stt_model)
    rng = np.random.default_rng(7)
    good = _write_wav(tmp_path / "good.wav", (rng.standard_normal(16000) * 3000).astype(np.int16), 16000)
    data = good.read_bytes()
    nan = tmp_path / "nan.wav"
    cases = {
        "truncated-header": data[:30],
        "truncated-body": data[: len(data) // 3],
        "zero-samples": _write_wav(tmp_path / "z.wav", np.zeros(0, np.int16), 16000).read_bytes(),
        "wrong-rate": _write_wav(tmp_path / "r.wav", np.zeros(100, np.int16), 1).read_bytes(),
        "garbage": rng.integers(0, 255, 5000, dtype=np.uint8).tobytes(),
        "riff-lies": b"RIFF\xff\xff\xff\x7fWAVEfmt " + rng.integers(0, 255, 400, dtype=np.uint8).tobytes(),
    }
    for name, content in cases.items():
        path = tmp_path / f"{name}.wav"
        path.write_bytes(content)
        try:
            heard = stt.transcribe(read_audio(path))
        except AudioError as err:
            assert err.code.startswith("audio")
            continue
        assert heard.text == "", name
    floats = np.full(16000, np.nan, dtype=np.float32)
    floats[::7] = np.inf
    import soundfile as sf

    sf.write(nan, floats, 16000, subtype="FLOAT")
    assert stt.transcribe(read_audio(nan)).text == ""
    ten_minutes = _write_wav(tmp_path / "long.wav", (rng.standard_normal(16000 * 600) * 2000).astype(np.int16), 16000)
    heard = stt.transcribe(read_audio(ten_minutes))
    assert heard.text == ""


@pytest.fixture(scope="module")
def shared_car() -> Iterator[tuple[LoopThread, Any, Any, can.BusABC]]:
    lt = LoopThread()
    manager = car()
    sim, gw = lt.run(manager.__aenter__())
    bus = can.Bus(interface="virtual", channel=gw.describe.split()[-1])
    yield lt, sim, gw, bus
    bus.shutdown()
    lt.run(manager.__aexit__(None, None, None))
    lt.close()


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(frames=st.lists(st.tuples(st.sampled_from(sorted(CAT.status_ids() | CAT.command_ids() | {0x7FF, 0x0, 0x5A5})),
                                 st.binary(max_size=8)), min_size=1, max_size=30),
       fan=st.integers(0, 100))
def test_can_frames_on_every_id_never_break_the_gateway_or_the_ecus(shared_car: Any, frames: list[tuple[int, bytes]],
                                                                   fan: int) -> None:
    lt, sim, gw, bus = shared_car
    for fid, data in frames:
        bus.send(can.Message(arbitration_id=fid, data=data, is_extended_id=False))
    time.sleep(0.03)  # let both sides drain the burst: spoofed status frames may otherwise "reject" the command
    for path, value in sim.snapshot().items():  # the ECUs applied only legal values
        if CAT.binding(path).is_actuator:
            CAT.check(path, value)
    [r] = lt.run(gw.command({"Vehicle.Cabin.HVAC.Station.Row2.Driver.FanSpeed": fan}))
    assert r.confirmed
    for path, value in gw.state.items():  # whatever arrived, the state holds only legal values
        if CAT.binding(path).is_actuator:
            CAT.check(path, value)


POLICY = Policy(Places(ROOT / "assistant" / "data" / "pois.csv"))


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(answer=from_schema(answer_schema(with_ranges=False)), seat=st.sampled_from(SEATS),
       speed=st.sampled_from([0.0, 50.0]), lock=st.booleans())
def test_nothing_a_model_can_output_reaches_the_bus_outside_the_rules(answer: dict, seat: str, speed: float,
                                                                      lock: bool) -> None:
    try:
        calls = parse_answer(json.dumps(answer))
    except ValueError:
        return  # refused by validation: nothing reaches the bus
    state = CAT.initial_values() | {"Vehicle.Speed": speed, "Vehicle.Cabin.IsWindowChildLockEngaged": lock}
    for call in calls:
        step = POLICY.plan(call, seat, state)
        for path, value in step.targets.items():
            CAT.check(path, value)  # within the DBC's range
            if seat != "driver" and "Seat." in path or "Door." in path or "Station." in path:
                own = {"passenger": ("Row1.Passenger",), "rear-left": ("Row2.Driver",),
                       "rear-right": ("Row2.Passenger",), "driver": ("Row1", "Row2")}[seat]
                assert any(o in path for o in own), (seat, path)
            if "Row1.DriverSide.Position" in path or "Row1.DriverSide.Backrest" in path:
                assert speed <= 5.0
            if "Row2" in path and "Window" in path and seat.startswith("rear") and lock:
                assert value <= state[path]
            if path == "Vehicle.Cabin.Sunroof.Position":
                assert seat in ("driver", "passenger")
