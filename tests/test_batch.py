"""``carvoice batch`` exactly as ../shared/spec/batch-contract.md says."""

from __future__ import annotations

import json
import subprocess

from tests.conftest import PYTHON

CMD = [PYTHON, "-m", "assistant.cli", "batch", "--no-speech", "--understanding", "parser-only"]


def run(lines: list[str]) -> tuple[int, list[dict], str]:
    out = subprocess.run(CMD, input="".join(l + "\n" for l in lines), capture_output=True, text=True, timeout=120)
    return out.returncode, [json.loads(l) for l in out.stdout.splitlines()], out.stderr


def test_result_lines_follow_the_contract() -> None:
    rc, [r], _ = run([json.dumps({"id": {"any": "json"}, "text": "set the temperature to 22 degrees"})])
    assert rc == 0
    # the contract's keys, and our own "source" (parser, model, none)
    assert set(r) == {"id", "transcript", "calls", "changes", "reply", "error", "ms", "source"}
    assert r["source"] == "parser"
    assert r["id"] == {"any": "json"} and r["transcript"] is None and r["error"] is None
    assert r["calls"] == [{"name": "set_temperature", "arguments": {"celsius": 22.0}}]
    assert r["changes"] == {"Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature": 22.0}
    assert r["reply"] == "The driver's side is now 22 degrees."
    assert set(r["ms"]) == {"stt", "understand", "vehicle", "tts", "total"} and r["ms"]["tts"] is None


def test_bad_lines_get_an_error_and_the_batch_goes_on() -> None:
    lines = [
        "{not json",
        json.dumps([1, 2]),
        json.dumps({"id": 3}),
        json.dumps({"id": 4, "text": "x", "audio": "y.wav"}),
        json.dumps({"id": 5, "text": "hi", "seat": "roof"}),
        json.dumps({"id": 6, "text": "open my window", "init": {"Vehicle.Cabin.Nope": 1}}),
        json.dumps({"id": 7, "text": "open my window", "init": {"Vehicle.Speed": "fast"}}),
        json.dumps({"id": 8, "text": "open my window"}),
    ]
    rc, results, _ = run(lines)
    assert rc == 0 and len(results) == len(lines)
    assert [r["id"] for r in results] == [None, None, 3, 4, 5, 6, 7, 8]
    assert all(r["error"]["code"] for r in results[:-1])
    assert all(r["changes"] == {} for r in results[:-1])
    assert results[-1]["error"] is None
    assert results[-1]["changes"] == {"Vehicle.Cabin.Door.Row1.DriverSide.Window.Position": 100}


def test_sessions_share_state_and_fresh_lines_start_from_the_start_state() -> None:
    lines = [
        json.dumps({"id": 1, "text": "set the temperature to 25", "session": "a"}),
        json.dumps({"id": 2, "text": "a bit warmer", "session": "a"}),
        json.dumps({"id": 3, "text": "a bit warmer"}),
        json.dumps({"id": 4, "text": "move my seat back", "session": "b", "init": {"Vehicle.Speed": 80}}),
    ]
    _, results, _ = run(lines)
    temp = "Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature"
    assert results[1]["changes"] == {temp: 26.0}
    assert results[2]["changes"] == {temp: 22.0}
    assert results[3]["changes"] == {} and "stopped" in results[3]["reply"]


def test_missing_model_stops_the_batch_at_start_with_a_reason(tmp_path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f'[understanding]\nmodel_path = "{tmp_path / "none.gguf"}"\n')
    out = subprocess.run([PYTHON, "-m", "assistant.cli", "batch", "--config", str(config)], input="", capture_output=True,
                         text=True, timeout=60)
    assert out.returncode != 0 and "none.gguf" in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_bad_config_stops_the_batch_at_start(tmp_path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[vehicle]\ntimeout_s = -1\n")
    out = subprocess.run([PYTHON, "-m", "assistant.cli", "batch", "--config", str(config)], input="", capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 2 and "timeout_s" in out.stderr
