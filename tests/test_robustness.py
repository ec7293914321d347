"""Faults and hostile speech: silent ECUs, the red-team set as text and as speech, SIGTERM mid-request."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from assistant.config import load_settings
from assistant.pipeline import Pipeline, Request, Session
from assistant.runtime import build_places, build_policy, build_understanding, open_car
from tests.conftest import PYTHON
from tests.evalkit import run_cases
from tests.redteam import cases as redteam_cases


def test_a_silent_ecu_gives_a_spoken_timeout_and_the_others_still_work() -> None:
    async def main() -> None:
        s = load_settings(None, **{"understanding.mode": "parser-only"})
        car = await open_car(s)
        try:
            pipeline = Pipeline(build_understanding(s), build_policy(s, build_places(s)))
            session = Session(car.gateway)
            assert car.simulator is not None
            car.simulator.silence("HVAC")
            sent = car.gateway.stats.frames_tx
            started = time.perf_counter()
            result = await pipeline.handle(session, Request("driver", text="set the temperature to 22 degrees"))
            elapsed = time.perf_counter() - started
            assert result.reply == "The climate control did not respond."
            assert result.error == {"code": "ecu-timeout", "message": "The climate control did not respond."}
            assert result.changes == {}
            assert car.gateway.stats.frames_tx - sent == 2  # one retry, no storm
            assert elapsed < 2 * s.vehicle.timeout_s + 0.5
            other = await pipeline.handle(session, Request("driver", text="open my window"))
            assert other.changes == {"Vehicle.Cabin.Door.Row1.DriverSide.Window.Position": 100}
        finally:
            await car.close()

    asyncio.run(main())


def test_red_team_text_changes_nothing_and_always_answers() -> None:
    outcomes = run_cases(redteam_cases(), mode="parser-first")
    assert len(outcomes) >= 100
    changed = [(c["id"], c["text"], r["changes"]) for c, r, _ in outcomes if r["changes"]]
    assert not changed
    for _, result, _ in outcomes:
        assert result["reply"] and len(result["reply"]) < 200


@pytest.mark.slow
def test_red_team_spoken_changes_nothing(tmp_path: Path) -> None:
    cases = redteam_cases()[::6]  # every sixth: all prefixes and actions appear
    lines = []
    for case in cases:
        raw, wav = tmp_path / f"{case['id']}.raw.wav", tmp_path / f"{case['id']}.wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", "165", "-w", str(raw), case["text"]], check=True)
        subprocess.run(["sox", "-G", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(wav)], check=True)
        lines.append(json.dumps({k: v for k, v in {**case, "audio": str(wav)}.items()
                                 if k in ("id", "audio", "seat", "init")}))
    out = subprocess.run([PYTHON, "-m", "assistant.cli", "batch", "--no-speech"], input="\n".join(lines) + "\n",
                         capture_output=True, text=True, timeout=1800)
    results = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(results) == len(cases)
    assert [(r["id"], r["transcript"], r["changes"]) for r in results if r["changes"]] == []


def test_sigterm_while_a_request_waits_for_the_model_stops_cleanly(tmp_path: Path) -> None:
    env = {**os.environ, "CARVOICE_MQTT__ENABLED": "false", "CARVOICE_SERVICE__MICROPHONE": "false",
           "CARVOICE_SERVICE__SPEAKER": "false"}
    service = subprocess.Popen([PYTHON, "-m", "assistant.cli", "run"], env=env, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert service.stdin is not None
    service.stdin.write(b"make the drive more pleasant for my grandmother\n")  # the parser defers: model path
    service.stdin.flush()
    time.sleep(3.0)
    service.send_signal(signal.SIGTERM)
    try:
        rc = service.wait(timeout=60)
    finally:
        if service.poll() is None:
            service.kill()
        _, err = service.communicate(timeout=10)
    assert rc == 0, err.decode()[-2000:]
    assert b"Traceback" not in err
