"""``carvoice bench``: latency and throughput tables measured on this machine (medians and ratios)."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import can

from assistant.batch import BatchRunner
from assistant.config import ROOT, Settings

DEV_SET = ROOT.parent / "shared" / "eval" / "dev.jsonl"
SPOKEN = [
    "set the temperature to twenty two degrees", "turn on my seat heating", "open the passenger window halfway",
    "navigate to the nearest charging station", "make it a bit warmer", "turn the fan up", "tilt the sunroof",
    "turn off the air conditioning", "move my seat back", "defrost the windshield",
]
"""The fixed spoken commands of the speech section."""


def pct(values: list[float], q: int) -> float:
    """The q-th percentile (q=50: the median)."""
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def row(name: str, values: list[float], unit: str = "ms") -> str:
    """One table row: p50, p95, n."""
    return f"  {name:<44} {pct(values, 50):9.1f} {pct(values, 95):9.1f} {unit:>4}  n={len(values)}"


def header(title: str) -> str:
    return f"\n{title}\n  {'':<44} {'p50':>9} {'p95':>9}"


def _verdict() -> Callable[[dict[str, Any], dict[str, Any]], str] | None:
    score = DEV_SET.parent / "score.py"
    if not score.exists():
        return None
    spec = importlib.util.spec_from_file_location("carvoice_score", score)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.verdict  # type: ignore[no-any-return]


async def _run_set(settings: Settings, cases: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any], str]]:
    runner = BatchRunner(settings, speech=False)
    out = []
    try:
        for case in cases:
            line = json.dumps({k: case[k] for k in ("id", "text", "seat", "session", "init") if k in case})
            result = await runner.handle_line(line)
            out.append((case, result, str(runner.last_source)))
    finally:
        await runner.close()
    return out


def bench_understanding(settings: Settings, cases_path: Path, *, with_model_only: bool) -> list[str]:
    """Parser path vs model path, and parser-first vs model-only on the same requests."""
    cases = [json.loads(line) for line in cases_path.read_text().splitlines() if line.strip()]
    verdict = _verdict()
    lines = [header(f"Understanding ({cases_path.name}, {len(cases)} requests): ms in `understand`")]
    modes = ["parser-first"] + (["model-only"] if with_model_only else [])
    summary = []
    for mode in modes:
        s = settings.model_copy(update={"understanding": settings.understanding.model_copy(update={"mode": mode})})
        results = asyncio.run(_run_set(s, cases))
        by_source: dict[str, list[float]] = {}
        for _, r, source in results:
            by_source.setdefault(source, []).append(float(r["ms"]["understand"] or 0.0))
        for source, values in sorted(by_source.items()):
            share = 100 * len(values) / len(results)
            lines.append(row(f"{mode}: {source} path ({share:.0f}% of requests)", values))
        totals = [float(r["ms"]["total"]) for _, r, _ in results]
        ok = sum(1 for c, r, _ in results if verdict and not verdict(c, r)) if verdict else None
        accuracy = f"{100 * ok / len(results):.1f}%" if ok is not None else "n/a"
        summary.append(f"  {mode:<16} accuracy {accuracy:>6}  total p50 {pct(totals, 50):7.1f} ms  p95 {pct(totals, 95):7.1f} ms")
    lines.append("\n  same requests, two designs:")
    lines.extend(summary)
    return lines


async def _vehicle_latency(n: int) -> tuple[list[float], list[float]]:
    from vehicle.gateway import CanGateway
    from vehicle.sim import VehicleSimulator
    from vehicle.transport import CanTransport

    path = "Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature"
    channel = f"bench-{uuid.uuid4().hex[:6]}"
    gw = CanGateway(CanTransport("virtual", channel))
    await gw.connect()
    ecu_bus = can.Bus(interface="virtual", channel=channel)
    sim = VehicleSimulator(ecu_bus).start()
    await gw.wait_for_state()
    local = []
    for i in range(n):
        started = time.perf_counter()
        await gw.command({path: 16.0 + (i % 24) * 0.5})
        local.append((time.perf_counter() - started) * 1000)
    sim.stop()
    await gw.close()
    ecu_bus.shutdown()

    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "assistant.cli", "sim", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        proc.stdout.readline()
        gw = await CanGateway(CanTransport("socketcand", "can0", port=port)).start()
        remote = []
        for i in range(n):
            started = time.perf_counter()
            await gw.command({path: 16.0 + (i % 24) * 0.5})
            remote.append((time.perf_counter() - started) * 1000)
        await gw.close()
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
    return local, remote


def _sim_throughput(seconds: float = 2.0) -> float:
    """Command frames per second the simulator applies and answers."""
    from vehicle.signals import default_catalog
    from vehicle.sim import VehicleSimulator

    cat = default_catalog()
    channel = f"bench-{uuid.uuid4().hex[:6]}"
    ecu_bus = can.Bus(interface="virtual", channel=channel)
    sim = VehicleSimulator(ecu_bus).start()
    tx = can.Bus(interface="virtual", channel=channel)
    [(msg, data, _)] = cat.encode_commands({"Vehicle.Cabin.HVAC.Station.Row1.Driver.FanSpeed": 40})
    frame = can.Message(arbitration_id=msg.frame_id, data=data, is_extended_id=False)
    before = sim.stats.commands_applied
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        tx.send(frame)
        while tx.recv(0) is not None:  # keep our receive queue from growing
            pass
    time.sleep(0.3)
    applied = sim.stats.commands_applied - before
    sim.stop()
    tx.shutdown()
    ecu_bus.shutdown()
    return applied / seconds


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_vehicle(n: int = 200) -> list[str]:
    """Command -> confirmation, in process and across processes; simulator throughput."""
    local, remote = asyncio.run(_vehicle_latency(n))
    fps = _sim_throughput()
    return [
        header("Vehicle: command -> confirmed status frame"),
        row("in-process (python-can virtual)", local),
        row("across processes (socketcand, carvoice sim)", remote),
        f"  simulator sustained {fps:,.0f} command frames/s applied and answered",
    ]


UNFAMILIAR_LIMIT = 60
"""Spoken requests taken from ``--cases`` for the speech section (single-turn ones, in file order)."""


def _speak_wavs(texts: list[str], folder: Path) -> list[Path]:
    """WAVs of ``texts`` spoken by espeak-ng as the evaluation's scorer speaks them (16 kHz mono)."""
    wavs = []
    for i, text in enumerate(texts):
        raw, wav = folder / f"{i}.raw.wav", folder / f"{i}.wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", "165", "-w", str(raw), text], check=True)
        subprocess.run(["sox", "-G", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(wav)], check=True)
        wavs.append(wav)
    return wavs


def _unfamiliar(cases: Path | None) -> list[dict[str, Any]]:
    if cases is None or not cases.exists():
        return []
    out = []
    for line in cases.read_text().splitlines():
        if line.strip():
            case = json.loads(line)
            if case.get("text") and not case.get("session"):
                out.append(case)
    return out[:UNFAMILIAR_LIMIT]


def bench_speech(settings: Settings, cases: Path | None = None) -> list[str]:
    """STT latency and real-time factor, TTS time to first audio, end of speech -> CAN and -> reply audio;
    live listening with the plain end silence and with early end, side by side, on the fixed familiar
    commands and on ``cases`` (requests the project was not tuned on, spoken)."""
    from assistant.speech.audio import read_audio

    runner_settings = settings.model_copy(
        update={"understanding": settings.understanding.model_copy(update={"mode": "parser-first"})})
    unfamiliar = _unfamiliar(cases)
    verdict = _verdict()
    with tempfile.TemporaryDirectory() as tmp:
        wavs = _speak_wavs(SPOKEN, Path(tmp))
        other_dir = Path(tmp) / "cases"
        other_dir.mkdir()
        other_wavs = _speak_wavs([c["text"] for c in unfamiliar], other_dir)
        recordings = [read_audio(w) for w in wavs]
        other = [read_audio(w) for w in other_wavs]

        async def run() -> dict[str, Any]:
            runner = BatchRunner(runner_settings, speech=True)
            got: dict[str, Any] = {}
            try:
                runner.speech_engines.stt.load()
                runner.speech_engines.voice.load()
                await runner.handle_line(json.dumps({"id": "warm", "audio": str(wavs[0])}))
                got["batch"] = [await runner.handle_line(json.dumps({"id": i, "audio": str(w)}))
                                for i, w in enumerate(wavs * 2)]
                got["batch_other"] = [await runner.handle_line(json.dumps(
                    {"id": c["id"], "audio": str(w), "seat": c.get("seat", "driver"), "init": c.get("init")}))
                    for c, w in zip(unfamiliar, other_wavs, strict=True)]
                for name, audios, which in (("familiar", recordings, None), ("unfamiliar", other, unfamiliar)):
                    for early in (False, True):
                        got[f"live_{name}_{early}"] = await _live_listening(runner, audios, early_end=early,
                                                                           cases=which)
                got["held"] = await _live_listening(runner, recordings, held=True)
            finally:
                await runner.close()
            return got

        got = asyncio.run(run())
        durations = [len(r) / 16000 for r in recordings] * 2
    results = got["batch"]
    stt = [float(r["ms"]["stt"]) for r in results]
    rtf = [s / 1000 / d for s, d in zip(stt, durations, strict=True)]
    tts = [float(r["ms"]["tts"]) for r in results if r["ms"]["tts"] is not None]
    to_can = [float(r["ms"]["stt"]) + float(r["ms"]["understand"]) + float(r["ms"]["vehicle"]) for r in results]
    to_audio = [c + float(r["ms"]["tts"] or 0.0) for c, r in zip(to_can, results, strict=True)]
    tts_rtf = _tts_rtf(settings)
    endpoint = settings.speech.end_silence_s * 1000
    lines = [
        header(f"Speech ({len(SPOKEN)} familiar espeak-ng commands x2; STT {settings.speech.stt_model.name} "
               f"beam {settings.speech.beam_size}, voice {settings.speech.voice})"),
        row("speech-to-text (VAD + Whisper)", stt),
        row("speech-to-text real-time factor", rtf, "x"),
        row("text-to-speech: time to first audio", tts),
        row("text-to-speech real-time factor", tts_rtf, "x"),
        row("end of speech -> CAN confirmed", to_can),
        row("end of speech -> first reply audio", to_audio),
    ]
    if unfamiliar:
        other_stt = [float(r["ms"]["stt"]) for r in got["batch_other"] if r["ms"]["stt"] is not None]
        ok = sum(1 for c, r in zip(unfamiliar, got["batch_other"], strict=True) if verdict and not verdict(c, r))
        lines += [row(f"speech-to-text, {len(unfamiliar)} unfamiliar ({cases.name if cases else ''})", other_stt),
                  f"  unfamiliar spoken requests right: {ok}/{len(unfamiliar)}" if verdict else ""]
    lines.append(header(f"Live: a microphone paced in real time, end of voice -> CAN confirmed (end silence "
                        f"{endpoint:.0f} ms; transcription starts after a {settings.speech.early_start_s * 1000:.0f} ms "
                        f"gap, early end at a {settings.speech.pause_s * 1000:.0f} ms pause)"))
    for name in ("familiar", "unfamiliar") if unfamiliar else ("familiar",):
        plain, early = got[f"live_{name}_False"], got[f"live_{name}_True"]
        lines.append(row(f"{name}: plain end silence", plain.latencies))
        lines.append(row(f"{name}: early end", early.latencies))
        lines.append(f"  {name}: early end acted at the pause in {early.early_share:.0f}% of turns; "
                     f"p50 ratio early/plain {pct(early.latencies, 50) / max(pct(plain.latencies, 50), 1e-9):.2f}; "
                     f"right: plain {plain.right}, early {early.right} of {plain.n}")
    lines.append(row("button held: release -> CAN confirmed", got["held"].latencies))
    return lines


class _PacedMicrophone:
    """A recording delivered frame by frame in real time, then silence; notes when the voice ended."""

    def __init__(self, audio: Any, last_voiced_frame: int, release: Any = None) -> None:
        from assistant.speech.vad import FRAME

        self.frames = [audio[i : i + FRAME] for i in range(0, len(audio) - FRAME + 1, FRAME)]
        self.last_voiced = last_voiced_frame
        self.sent = 0
        self.voice_ended_at: float | None = None
        self.release = release
        """A threading.Event set with the last voiced frame: the push-to-talk button let go."""
        self._next = time.perf_counter()

    def read(self, timeout: float = 1.0) -> Any:
        import numpy as np

        from assistant.speech.vad import FRAME, SAMPLE_RATE

        self._next += FRAME / SAMPLE_RATE
        time.sleep(max(0.0, self._next - time.perf_counter()))
        frame = self.frames[self.sent] if self.sent < len(self.frames) else np.zeros(FRAME, np.float32)
        if self.sent == self.last_voiced:
            self.voice_ended_at = time.perf_counter()
            if self.release is not None:
                self.release.set()
        self.sent += 1
        return frame

    def clear(self) -> None:
        self._next = time.perf_counter()


class _Live:
    """What a live run measured."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.early = 0
        self.n = 0
        self.right = 0

    @property
    def early_share(self) -> float:
        return 100 * self.early / max(self.n, 1)


async def _live_listening(runner: BatchRunner, recordings: list[Any], *, held: bool = False,
                          early_end: bool = False, cases: list[dict[str, Any]] | None = None) -> _Live:
    """End of voice -> CAN confirmed through the live listener, fed in real time; ``held``: the
    push-to-talk button is held while speaking and let go with the last word; ``early_end``: act on
    a complete, sure transcript at the first pause; ``cases``: the requests spoken (scored)."""
    import threading

    from assistant.pipeline import Request, Session
    from assistant.runtime import open_car
    from assistant.speech.listen import Listener
    from assistant.speech.vad import SileroVad

    settings = runner.settings
    sp = settings.speech
    verdict = _verdict()
    out = _Live()
    for i, audio in enumerate(recordings):
        case = cases[i] if cases else None
        car = await open_car(settings, case.get("init") if case else None)
        try:
            session = Session(car.gateway)
            seat = case.get("seat", "driver") if case else "driver"
            listener = Listener(runner.speech_engines.stt.transcribe, end_silence_s=sp.end_silence_s,
                                max_s=sp.max_utterance_s, pause_s=sp.pause_s, early_start_s=sp.early_start_s,
                                early_end=early_end, hanging_silence_s=sp.hanging_silence_s,
                                judge=lambda text, s=session, seat=seat: runner.pipeline.understanding.account(
                                    text, seat, s.context))
            flags = SileroVad().speech_frames(audio)
            last = max((i for i, f in enumerate(flags) if f), default=len(flags) - 1)
            released = threading.Event() if held else None
            mic = _PacedMicrophone(audio, last, released)
            try:
                turn = await asyncio.to_thread(listener.listen, mic, released)
            finally:
                listener.close()
            result = await runner.pipeline.handle(session, Request(seat, heard=turn.transcript))
            if mic.voice_ended_at is not None:
                out.latencies.append((time.perf_counter() - mic.voice_ended_at) * 1000)
            out.n += 1
            out.early += turn.how == "early-end"
            if case is not None and verdict is not None:
                out.right += not verdict(case, {"id": case["id"], **result.as_line()})
            elif result.changes:
                out.right += 1
        finally:
            await car.close()
    return out


def _tts_rtf(settings: Settings) -> list[float]:
    from assistant.speech.tts import TextToSpeech, find_voice

    voice = TextToSpeech(find_voice(settings.speech.voice, list(settings.speech.voice_dirs)))
    voice.load()
    out = []
    for text in ("The driver's side is now 22 degrees.", "Navigating to Isartor Charging Hub.",
                 "I can only move the driver's seat while the car is stopped."):
        started = time.perf_counter()
        samples = sum(len(c.samples) for c in voice.synthesize(text))
        out.append((time.perf_counter() - started) / (samples / voice.sample_rate))
    return out


def main_bench(settings: Settings, sections: list[str], cases: Path | None, model_only: bool) -> int:
    """Print the chosen sections."""
    print(f"carvoice bench on this machine ({time.strftime('%Y-%m-%d %H:%M')}); medians and 95th percentiles")
    if "vehicle" in sections:
        print("\n".join(bench_vehicle()), flush=True)
    if "understanding" in sections:
        path = cases or (DEV_SET if DEV_SET.exists() else ROOT / "tests" / "data" / "paraphrases.jsonl")
        print("\n".join(bench_understanding(settings, path, with_model_only=model_only)), flush=True)
    if "speech" in sections:
        print("\n".join(bench_speech(settings, cases or (DEV_SET if DEV_SET.exists() else None))), flush=True)
    if "wake" in sections:
        from assistant.bench_wake import bench_wake

        print("\n".join(bench_wake(settings)), flush=True)
    return 0
