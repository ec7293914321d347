"""Do faster-whisper and piper gain from running in their own process, at no latency cost?

Usage: ``.venv/bin/python scripts/measure_speech_workers.py [--n 20]``

Speaks N dev requests with espeak-ng (cached under ``/tmp/carvoice-measure``), then in one run,
alternating request by request so that both see the same machine load:
- speech-to-text in process vs through ``WorkerSpeechToText`` (the same engine in a child);
- piper's reply in process vs through ``WorkerTextToSpeech``: time to the first audio;
- the resident memory of this process and of each child;
- the time from SIGKILL of the speech-to-text child to it transcribing again.
Prints medians, p95s and the ratio of the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.bench import pct  # noqa: E402
from assistant.config import load_settings  # noqa: E402
from assistant.runtime import LazyVoice, SpeechEngines  # noqa: E402
from assistant.speech.audio import read_audio  # noqa: E402
from assistant.speech.engine_worker import WorkerSpeechToText, WorkerTextToSpeech  # noqa: E402

REPLIES = ["The driver's side is now 22 degrees.", "Navigating to Isartor Charging Hub.",
           "The passenger seat heating is at level 2.", "I couldn't work that out, please say it another way."]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20)
    n = ap.parse_args().n
    settings = load_settings()
    cases = [json.loads(line) for line in (ROOT.parent / "shared/eval/dev.jsonl").read_text().splitlines()
             if line.strip()]
    texts = [c["text"] for c in cases if c.get("text") and not c.get("session")][:n]
    folder = Path("/tmp/carvoice-measure")
    folder.mkdir(exist_ok=True)
    audios = []
    for i, text in enumerate(texts):
        wav = folder / f"{i}.wav"
        if not wav.exists():
            subprocess.run(["espeak-ng", "-v", "en-us", "-s", "165", "-w", str(wav), text], check=True)
        audios.append(read_audio(wav))

    local = SpeechEngines.recogniser(settings)
    local.load()
    remote = WorkerSpeechToText(settings)
    remote.load()
    voice_local = LazyVoice(settings.speech.voice, list(settings.speech.voice_dirs))
    voice_local.load()
    voice_remote = WorkerTextToSpeech(settings)
    voice_remote.load()
    for engine in (local, remote):  # warm both
        engine.transcribe(audios[0])

    t_local, t_remote, same = [], [], 0
    for audio in audios:
        t = time.perf_counter()
        a = local.transcribe(audio)
        t_local.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        b = remote.transcribe(audio)
        t_remote.append((time.perf_counter() - t) * 1000)
        same += a.text == b.text
    s_local, s_remote = [], []
    for _ in range(3):
        for text in REPLIES:
            t = time.perf_counter()
            next(iter(voice_local.synthesize(text)))
            s_local.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            next(iter(voice_remote.synthesize(text)))
            s_remote.append((time.perf_counter() - t) * 1000)

    def line(name: str, a: list[float], b: list[float]) -> None:
        print(f"{name:44s} in process p50 {pct(a, 50):7.1f} p95 {pct(a, 95):7.1f} ms | worker p50 {pct(b, 50):7.1f} "
              f"p95 {pct(b, 95):7.1f} ms | ratio {pct(b, 50) / pct(a, 50):.3f}")

    print(f"{len(audios)} espeak-ng dev requests, {settings.speech.stt_model.name}, beam {settings.speech.beam_size}; "
          f"same transcript in both: {same}/{len(audios)}")
    line("speech-to-text", t_local, t_remote)
    line("text-to-speech, time to first audio", s_local, s_remote)
    stt_pid, tts_pid = remote.worker.pid, voice_remote.worker.pid
    print(f"RSS: this process (both engines loaded) {rss_mib(os.getpid()):.0f} MiB; "
          f"speech-to-text child {rss_mib(stt_pid or 0):.0f} MiB; text-to-speech child {rss_mib(tts_pid or 0):.0f} MiB")
    os.kill(stt_pid or 0, signal.SIGKILL)
    t = time.perf_counter()
    try:
        remote.transcribe(audios[0])
    except Exception as err:  # noqa: BLE001 - the request the crash hit
        print(f"the request during the crash: {type(err).__name__} {getattr(err, 'code', '')}")
    while True:
        try:
            remote.transcribe(audios[0])
            break
        except Exception:  # noqa: BLE001 - still restarting
            time.sleep(0.05)
    print(f"SIGKILL of the speech-to-text child -> transcribing again: {(time.perf_counter() - t) * 1000:.0f} ms")
    remote.close()
    voice_remote.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
