"""``carvoice bench --section wake``: how often each bundled wake word hears its phrase, how often it
fires on talk without it, how late it fires and what it costs.

- **False rejects**: the phrase spoken by every voice at hand (piper's voice at three speeds and
  three pitches; espeak-ng's English voices, male and female, at three speeds and three pitches),
  each followed by a command, clean and with brown road noise at 10 and 5 dB SNR (mixed as
  ``../shared/eval/score.py`` mixes it: sox's brown noise scaled by RMS, then ``sox -m``).
- **False accepts**: every dev request (``../shared/eval/dev.jsonl``) spoken by espeak-ng's voices
  and piper, and the assistant's own replies to them spoken by piper, one continuous stream per
  noise condition, looped until it lasts hours, fed faster than real time.
- **CPU**: process time over audio time of the detector as the service runs it (% of one core).
- **Live**: the chosen phrase and a command through a real ``AssistantService`` whose microphone is
  fed in real time: end of the phrase -> ``event/listening`` (source ``wake``) and the command's change.
"""

from __future__ import annotations

import asyncio
import bisect
import json
import logging
import random
import subprocess
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.bench import DEV_SET, SPOKEN, header, pct, row
from assistant.config import Settings
from assistant.speech.devices import Microphone
from assistant.speech.vad import FRAME, SAMPLE_RATE
from assistant.speech.wake import MEASURED_THRESHOLDS, PHRASES, MicroWakeWordDetector

_LOG = logging.getLogger(__name__)

ESPEAK_VOICES = ["en-us", "en-gb", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-rp", "en-gb-x-gbcwmd", "en-029",
                 "en-us-nyc"]
"""espeak-ng's English voices (the mbrola ones need files Debian does not ship)."""
ESPEAK_VARIANTS = ["", "+f3"]
"""The voice as it is, and a female variant of it."""
ESPEAK_SPEEDS = [140, 175, 210]
"""Words per minute."""
ESPEAK_PITCHES = [35, 50, 70]
"""espeak-ng's pitch, 0..99 (50 is its default)."""
PIPER_LENGTHS = [0.8, 1.0, 1.25]
"""piper's length scale (below 1: faster)."""
PIPER_SHIFTS = [-300, 0, 300]
"""Pitch shifts of piper's voice, in cents (sox ``pitch``)."""
SNRS: list[float | None] = [None, 10.0, 5.0]
"""Clean, then brown road noise at these signal-to-noise ratios (dB)."""
THRESHOLDS = [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99]
"""Thresholds swept."""
FA_LOOPS = 3
"""Times the false-accept stream is played, each time in another order, with other pauses and noise."""
REFRACTORY_S = 2.0
"""Quiet time after a detection when counting false accepts, in seconds."""
DETECT_WINDOW_S = 0.75
"""A detection counts when it comes before the end of the phrase plus this (later, the command is cut)."""
LIVE_UNDO = [
    "set the temperature to twenty degrees", "turn off my seat heating", "close the passenger window",
    "cancel the navigation", "make it a bit cooler", "turn the fan down", "close the sunroof",
    "turn on the air conditioning", "move my seat forward", "turn off the windshield defroster",
]
"""Commands that undo ``SPOKEN`` one by one, so that every live command changes the car."""
GOAL_DETECTED_10DB = 95.0
GOAL_FA_PER_HOUR = 0.1

HISS_DBFS = -70.0
"""RMS of the microphone's own noise under every condition, in dB below full scale."""

STEP_S = 0.01
"""The detector's feature step (10 ms)."""


@dataclass(frozen=True)
class Voice:
    """One way of speaking."""

    engine: str
    """``espeak-ng`` or ``piper``."""
    name: str
    speed: float
    """espeak-ng: words per minute; piper: length scale."""
    pitch: float
    """espeak-ng: 0..99; piper: shift in cents."""

    @property
    def label(self) -> str:
        return f"{self.engine}:{self.name}:{self.speed:g}:{self.pitch:g}"


def voices() -> list[Voice]:
    """Every voice of the false-reject set."""
    out = [Voice("piper", "joe", length, shift) for length in PIPER_LENGTHS for shift in PIPER_SHIFTS]
    out += [Voice("espeak-ng", v + variant, s, p) for v in ESPEAK_VOICES for variant in ESPEAK_VARIANTS
            for s in ESPEAK_SPEEDS for p in ESPEAK_PITCHES]
    return out


class Speaker:
    """Text to 16 kHz float32 with espeak-ng or piper (resampled and pitch-shifted by sox)."""

    def __init__(self, settings: Settings) -> None:
        from assistant.speech.tts import TextToSpeech, find_voice

        self._piper = TextToSpeech(find_voice(settings.speech.voice, list(settings.speech.voice_dirs)))
        self._piper.load()

    def say(self, text: str, voice: Voice) -> np.ndarray:
        """The text in that voice, with its leading and trailing silence cut."""
        if voice.engine == "piper":
            self._piper.length_scale = voice.speed
            pcm = b"".join(c.samples.tobytes() for c in self._piper.synthesize(text))
            effects = ["pitch", f"{voice.pitch:g}"] if voice.pitch else []
            audio = _sox(pcm, ["-t", "raw", "-r", str(self._piper.sample_rate), "-e", "signed", "-b", "16", "-c", "1"],
                         effects)
        else:
            wav = subprocess.run(["espeak-ng", "-v", voice.name, "-s", f"{voice.speed:g}", "-p", f"{voice.pitch:g}",
                                  "--stdout", text], capture_output=True, check=True).stdout
            audio = _sox(wav, ["-t", "wav"], [])
        return trim(audio)


def _sox(data: bytes, input_format: list[str], effects: list[str]) -> np.ndarray:
    out = subprocess.run(["sox", "-G", *input_format, "-", "-t", "raw", "-r", str(SAMPLE_RATE), "-e", "signed",
                          "-b", "16", "-c", "1", "-", *effects], input=data, capture_output=True, check=True).stdout
    return np.frombuffer(out, dtype="<i2").astype(np.float32) / 32768


def trim(audio: np.ndarray, block: int = 160) -> np.ndarray:
    """Without the silence before and after the voice (10 ms blocks 34 dB under the loudest)."""
    n = len(audio) // block
    if n == 0:
        return audio
    energy = np.sqrt((audio[: n * block].reshape(n, block) ** 2).mean(axis=1))
    voiced = np.flatnonzero(energy > energy.max() * 0.02)
    if len(voiced) == 0:
        return audio[:0]
    return audio[voiced[0] * block : (voiced[-1] + 1) * block]


def rms(audio: np.ndarray) -> float:
    """RMS amplitude, as ``sox stat`` reports it."""
    return float(np.sqrt(np.mean(np.square(audio, dtype=np.float64)))) if len(audio) else 0.0


class RoadNoise:
    """sox's brown noise, mixed in as ``../shared/eval/score.py`` does (RMS-scaled, then ``sox -m``)."""

    def __init__(self, seconds: float = 600.0, seed: int = 7) -> None:
        out = subprocess.run(["sox", "-n", "-t", "raw", "-r", str(SAMPLE_RATE), "-e", "signed", "-b", "16", "-c", "1",
                              "-", "synth", f"{seconds:g}", "brownnoise"], capture_output=True, check=True).stdout
        self.noise = np.frombuffer(out, dtype="<i2").astype(np.float32) / 32768
        self._rng = random.Random(seed)
        self._hiss = np.random.default_rng(seed)

    def mix(self, audio: np.ndarray, snr_db: float | None, speech: np.ndarray | None = None) -> np.ndarray:
        """``audio`` with noise at ``snr_db`` below the RMS of ``speech`` (default: of ``audio``); None: clean.

        Like ``sox -m`` every input is halved, the clean audio too, so that levels match across conditions.
        Every condition gets a microphone's own hiss (``HISS_DBFS``): no real microphone delivers digital
        silence, and the detector's front end, which adapts to the noise floor, hears less after it."""
        hiss = self._hiss.normal(0.0, 10 ** (HISS_DBFS / 20), len(audio)).astype(np.float32)
        if snr_db is None:
            return audio / 2 + hiss
        start = self._rng.randrange(0, len(self.noise) - len(audio))
        noise = self.noise[start : start + len(audio)]
        target = rms(audio if speech is None else speech) / (10 ** (snr_db / 20))
        return (audio + noise * (target / max(rms(noise), 1e-9))) / 2 + hiss


@dataclass
class Recording:
    """A phrase followed by a command, with where the phrase ends."""

    voice: Voice
    command: str
    audio: np.ndarray
    phrase_end: int
    """Sample index of the end of the phrase's voice."""
    speech: tuple[int, int]
    """Sample span of the voice (phrase and command)."""


def phrase_recordings(speaker: Speaker, phrase: str, commands: list[str]) -> list[Recording]:
    """The phrase then a command (a 150 ms gap, as after a comma), in every voice, with a second of silence around."""
    out = []
    lead, gap = np.zeros(SAMPLE_RATE, np.float32), np.zeros(int(0.15 * SAMPLE_RATE), np.float32)
    for i, voice in enumerate(voices()):
        command = commands[i % len(commands)]
        said, then = speaker.say(phrase, voice), speaker.say(command, voice)
        audio = np.concatenate([lead, said, gap, then, lead])
        out.append(Recording(voice, command, audio, len(lead) + len(said),
                             (len(lead), len(lead) + len(said) + len(gap) + len(then))))
    return out


class _Detectors:
    """Every bundled model on one feature stream (the features do not depend on the model)."""

    def __init__(self, names: Iterable[str]) -> None:
        from pymicro_wakeword import MicroWakeWord, MicroWakeWordFeatures, Model

        self._features = MicroWakeWordFeatures()
        self.models = {n: MicroWakeWord.from_builtin(Model(n)) for n in names}

    def reset(self) -> None:
        self._features.reset()
        for m in self.models.values():
            m.reset()

    def feed(self, audio: np.ndarray) -> dict[str, np.ndarray]:
        """Probability per 10 ms feature step (0 between the model's strides), continuing the stream."""
        pcm = (np.clip(audio, -1.0, 1.0) * 32767).astype("<i2").tobytes()
        feats = list(self._features.process_streaming(pcm))
        return {n: np.array([m.process_streaming_prob(f) or 0.0 for f in feats], np.float32)
                for n, m in self.models.items()}


def count_triggers(steps: np.ndarray, probs: np.ndarray, threshold: float,
                   refractory_s: float = REFRACTORY_S) -> list[int]:
    """Detections in a probability series (given sparsely by step index), with a refractory time."""
    quiet_until = -1
    out = []
    gap = round(refractory_s / STEP_S)
    for step, p in zip(steps.tolist(), probs.tolist(), strict=True):
        if p > threshold and step >= quiet_until:
            out.append(step)
            quiet_until = step + gap
    return out


@dataclass
class RejectResult:
    """One phrase's false-reject figures."""

    detected: dict[tuple[float | None, float], list[bool]] = field(default_factory=dict)
    """(SNR, threshold) -> detected, per recording."""
    delay: dict[tuple[float | None, float], list[float]] = field(default_factory=dict)
    """(SNR, threshold) -> end of phrase to detection, in ms (audio time), per detected recording."""
    misses: dict[tuple[float | None, float], list[str]] = field(default_factory=dict)


def measure_rejects(recordings: dict[str, list[Recording]], noise: RoadNoise) -> dict[str, RejectResult]:
    """Each phrase's recordings through its model, in each noise condition, from a fresh stream each."""
    results = {}
    for name, recs in recordings.items():
        det = _Detectors([name])
        res = RejectResult()
        for snr in SNRS:
            for rec in recs:
                a, b = rec.speech
                audio = noise.mix(rec.audio, snr, rec.audio[a:b])
                det.reset()
                probs = det.feed(audio)[name]
                end_step = rec.phrase_end / SAMPLE_RATE / STEP_S
                window = int((rec.phrase_end / SAMPLE_RATE + DETECT_WINDOW_S) / STEP_S)
                for t in THRESHOLDS:
                    above = np.flatnonzero(probs[:window] > t)
                    hit = len(above) > 0
                    res.detected.setdefault((snr, t), []).append(hit)
                    if hit:
                        res.delay.setdefault((snr, t), []).append((above[0] + 1 - end_step) * STEP_S * 1000)
                    else:
                        res.misses.setdefault((snr, t), []).append(rec.voice.label)
        results[name] = res
    return results


@dataclass
class AcceptResult:
    """False accepts on talk without the phrase."""

    seconds: dict[float | None, float] = field(default_factory=dict)
    """SNR -> audio fed, in seconds."""
    unique_seconds: float = 0.0
    """One pass of the stream, in seconds."""
    items: int = 0
    """Utterances in one pass."""
    sparse: dict[tuple[str, float | None], tuple[list[int], list[float]]] = field(default_factory=dict)
    """(phrase, SNR) -> (step indices, probabilities) of every step above 0.3."""
    labels: dict[tuple[str, float | None], list[tuple[int, str]]] = field(default_factory=dict)
    """(phrase, SNR) -> (first step, what was said) of each utterance, for naming what fired."""

    def triggers(self, name: str, snr: float | None, threshold: float) -> list[int]:
        steps, probs = self.sparse[(name, snr)]
        return count_triggers(np.array(steps, np.int64), np.array(probs, np.float32), threshold)

    def per_hour(self, name: str, threshold: float, snr: float | str | None = "all") -> float:
        snrs = SNRS if snr == "all" else [snr]
        n = sum(len(self.triggers(name, s, threshold)) for s in snrs)  # type: ignore[arg-type]
        hours = sum(self.seconds[s] for s in snrs) / 3600  # type: ignore[index]
        return n / hours

    def what_fired(self, name: str, snr: float | None, threshold: float) -> list[str]:
        labels = self.labels[(name, snr)]
        starts = [s for s, _ in labels]
        return [labels[bisect.bisect_right(starts, step) - 1][1] for step in self.triggers(name, snr, threshold)]


def talk_items(speaker: Speaker, settings: Settings) -> list[tuple[str, np.ndarray]]:
    """Talk without a wake phrase: the dev requests in every espeak-ng voice and in piper's, and the replies."""
    cases = [json.loads(line) for line in DEV_SET.read_text().splitlines() if line.strip()] if DEV_SET.exists() else []
    texts = [c["text"] for c in cases if c.get("text")] or SPOKEN + LIVE_UNDO
    out: list[tuple[str, np.ndarray]] = []
    k = 0
    for text in texts:
        for v in ESPEAK_VOICES:
            for variant in ESPEAK_VARIANTS:
                voice = Voice("espeak-ng", v + variant, ESPEAK_SPEEDS[k % 3], ESPEAK_PITCHES[(k // 3) % 3])
                k += 1
                out.append((f"{voice.label} {text!r}", speaker.say(text, voice)))
        voice = Voice("piper", "joe", PIPER_LENGTHS[k % 3], 0)
        out.append((f"{voice.label} {text!r}", speaker.say(text, voice)))
    for text in _replies(settings, texts):
        out.append((f"reply {text!r}", speaker.say(text, Voice("piper", "joe", 1.0, 0))))
    return out


def _replies(settings: Settings, texts: list[str]) -> list[str]:
    """What the assistant answers to each request (typed, parser only: no model needed)."""
    from assistant.batch import BatchRunner

    s = settings.model_copy(update={"understanding": settings.understanding.model_copy(update={"mode": "parser-only"})})

    async def run() -> list[str]:
        runner = BatchRunner(s, speech=False)
        try:
            return [str((await runner.handle_line(json.dumps({"id": i, "text": t})))["reply"])
                    for i, t in enumerate(texts)]
        finally:
            await runner.close()

    return [r for r in asyncio.run(run()) if r]


def measure_accepts(items: list[tuple[str, np.ndarray]], noise: RoadNoise, names: list[str]) -> AcceptResult:
    """One continuous stream per noise condition, each pass in a new order with new pauses (0.3-1.5 s)."""
    res = AcceptResult(items=len(items), unique_seconds=sum(len(a) for _, a in items) / SAMPLE_RATE)
    for snr in SNRS:
        det = _Detectors(names)
        rng = random.Random(11)
        step = 0
        fed = 0
        for _ in range(FA_LOOPS):
            order = list(range(len(items)))
            rng.shuffle(order)
            for i in order:
                label, speech = items[i]
                pause = np.zeros(int(rng.uniform(0.3, 1.5) * SAMPLE_RATE), np.float32)
                audio = noise.mix(np.concatenate([speech, pause]), snr, speech)
                probs = det.feed(audio)
                for name, p in probs.items():
                    res.labels.setdefault((name, snr), []).append((step, label))
                    hot = np.flatnonzero(p > 0.3)
                    steps, values = res.sparse.setdefault((name, snr), ([], []))
                    steps.extend((hot + step).tolist())
                    values.extend(p[hot].tolist())
                step += len(next(iter(probs.values())))
                fed += len(audio)
        res.seconds[snr] = fed / SAMPLE_RATE
    return res


def measure_cpu(items: list[tuple[str, np.ndarray]], names: list[str], seconds: float = 600.0) -> dict[str, float]:
    """% of one core the service's detector takes (``MicroWakeWordDetector``, fed 32 ms frames)."""
    audio = np.concatenate([a for _, a in items])[: int(seconds * SAMPLE_RATE)]
    frames = [audio[i : i + FRAME] for i in range(0, len(audio) - FRAME + 1, FRAME)]
    out = {}
    for name in names:
        detector = MicroWakeWordDetector(name)
        started = time.process_time()
        for frame in frames:
            detector.probability(frame)
        out[name] = 100 * (time.process_time() - started) / (len(frames) * FRAME / SAMPLE_RATE)
        detector.close()
    return out


# -- live: a real service, its microphone fed in real time ---------------------------------------------------------
class CabinMicrophone(Microphone):
    """A ``Microphone`` (its ring buffer, its muting) whose frames come from a clock thread instead of a sound
    card: what is queued arrives frame by frame in real time, then silence; what ``play()`` plays comes back as
    the cabin's echo. It is also the speaker (``play``/``stop``), so the assistant hears itself as it would in a car."""

    def __init__(self, *, echo_gain: float = 0.5, echo_delay_s: float = 0.15) -> None:
        super().__init__(seconds=30.0)
        self.echo_gain = echo_gain
        self.echo_delay = int(echo_delay_s * SAMPLE_RATE / FRAME)
        """Frames of echo still on their way when playback ends (output and input latency)."""
        self._queued: deque[np.ndarray] = deque()
        self._echo: deque[np.ndarray] = deque()
        self._lock = threading.Lock()
        self._running = False
        self._clock: threading.Thread | None = None
        self._stop_play = threading.Event()
        self.frames = 0
        """Frames delivered so far."""
        self._marks: dict[int, float] = {}
        self.played: list[np.ndarray] = []
        """Every reply played, at 16 kHz."""

    def start(self) -> CabinMicrophone:
        """Start the clock (no sound card is opened)."""
        self._running = True
        self._clock = threading.Thread(target=self._tick, name="cabin-clock", daemon=True)
        self._clock.start()
        return self

    def stop(self) -> None:
        """Stop the clock."""
        self._running = False
        if self._clock is not None:
            self._clock.join(2)

    def queue(self, audio: np.ndarray) -> int:
        """Speech to reach the microphone after what is queued; returns the frame number it starts at."""
        frames = [audio[i : i + FRAME] for i in range(0, len(audio) - FRAME + 1, FRAME)]
        with self._lock:
            first = self.frames + len(self._queued)
            self._queued.extend(frames)
        return first

    def delivered_at(self, frame: int, timeout: float = 60.0) -> float:
        """When frame number ``frame`` reached the microphone (``time.perf_counter()``), waiting for it."""
        self._marks[frame] = -1.0
        deadline = time.monotonic() + timeout
        while self._marks[frame] < 0:
            if time.monotonic() > deadline:
                raise TimeoutError(f"frame {frame} not delivered")
            time.sleep(0.01)
        return self._marks.pop(frame)

    def quiet(self) -> bool:
        """Nothing queued and nothing playing."""
        with self._lock:
            return not self._queued and not self._echo

    def _tick(self) -> None:
        period = FRAME / SAMPLE_RATE
        due = time.perf_counter()
        silence = np.zeros(FRAME, np.float32)
        while self._running:
            due += period
            time.sleep(max(0.0, due - time.perf_counter()))
            with self._lock:
                frame = self._queued.popleft() if self._queued else silence
                if self._echo:
                    frame = frame + self._echo.popleft() * self.echo_gain
                index = self.frames
                self.frames += 1
            if index in self._marks:
                self._marks[index] = time.perf_counter()
            self._callback(frame.reshape(-1, 1), FRAME, None, None)

    # the speaker's side
    def play(self, chunks: Any, sample_rate: int) -> bool:
        """Play chunks into the cabin (blocking, in real time); False when stopped (barge-in)."""
        self._stop_play.clear()
        for chunk in chunks:
            samples = (chunk.samples if hasattr(chunk, "samples") else chunk).astype(np.float32) / 32768
            audio = np.interp(np.arange(0, len(samples), sample_rate / SAMPLE_RATE), np.arange(len(samples)),
                              samples).astype(np.float32)
            self.played.append(audio)
            padded = np.concatenate([audio, np.zeros((-len(audio)) % FRAME, np.float32)])
            with self._lock:
                self._echo.extend(padded.reshape(-1, FRAME))
            if self._stop_play.is_set():
                break
        while not self._stop_play.is_set():
            with self._lock:
                if len(self._echo) <= self.echo_delay:
                    return True
            time.sleep(0.005)
        with self._lock:
            self._echo.clear()
        return False

    def stop_playing(self) -> None:
        """Barge-in: cut the playback."""
        self._stop_play.set()


class CabinSpeaker:
    """The ``Speaker`` side of a ``CabinMicrophone`` (``play``, ``stop``)."""

    def __init__(self, cabin: CabinMicrophone) -> None:
        self.cabin = cabin

    def play(self, chunks: Any, sample_rate: int) -> bool:
        return self.cabin.play(chunks, sample_rate)

    def stop(self) -> None:
        self.cabin.stop_playing()


@dataclass
class LiveResult:
    delays_ms: list[float] = field(default_factory=list)
    """End of the phrase's voice -> ``listening`` (source ``wake``), wall clock."""
    heard: int = 0
    changed: int = 0
    total: int = 0
    cpu_pct: float = 0.0
    false_wakes: int = 0
    transcripts: list[str] = field(default_factory=list)


async def live(settings: Settings, recordings: list[Recording], noise: RoadNoise, snr: float | None) -> LiveResult:
    """Each recording through a real service in real time, one after the other."""
    from assistant.events import DoneEvent, ListeningEvent, TranscriptEvent
    from assistant.service import AssistantService

    cabin = CabinMicrophone().start()
    service = AssistantService(settings, microphone=cabin, speaker=CabinSpeaker(cabin))
    seen: list[tuple[float, Any]] = []
    service.bus.subscribe(lambda e: seen.append((time.perf_counter(), e)))
    task = asyncio.create_task(service.run())
    out = LiveResult(total=len(recordings))

    def wakes(events: list[tuple[float, Any]]) -> list[tuple[float, Any]]:
        return [(t, e) for t, e in events if isinstance(e, ListeningEvent) and e.state == "started"
                and e.source == "wake"]

    try:
        await asyncio.wait_for(service.ready.wait(), 120)
        await asyncio.to_thread(service.speech.stt.load)
        await asyncio.to_thread(service.speech.voice.load)
        for rec in recordings:
            a, b = rec.speech
            mark = len(seen)
            first = cabin.queue(noise.mix(rec.audio, snr, rec.audio[a:b]))
            ended = await asyncio.to_thread(cabin.delivered_at, first + rec.phrase_end // FRAME)
            deadline = time.monotonic() + 25
            woke: list[tuple[float, Any]] = []
            while time.monotonic() < deadline and not woke:
                await asyncio.sleep(0.01)
                woke = wakes(seen[mark:])
                if not woke and cabin.quiet() and deadline - time.monotonic() < 22:
                    break  # all of it reached the microphone, and nothing woke
            if woke:
                out.heard += 1
                out.delays_ms.append((woke[0][0] - ended) * 1000)
                interaction = woke[0][1].interaction
                while time.monotonic() < deadline:
                    done = [e for _, e in seen[mark:] if isinstance(e, DoneEvent) and e.interaction == interaction]
                    if done:
                        out.changed += bool(done[0].changes)
                        break
                    await asyncio.sleep(0.05)
                out.transcripts += [e.text for _, e in seen[mark:]
                                    if isinstance(e, TranscriptEvent) and e.interaction == interaction]
            while not cabin.quiet() or service._current is not None:  # noqa: ASYNC110 - the cabin is a thread
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.5)
        wake = service._wake  # the bench reads the loop's own accounting
        if wake is not None and wake.stats.audio_s:
            out.cpu_pct = 100 * wake.stats.cpu_s / wake.stats.audio_s
        out.false_wakes = len(wakes(seen)) - out.heard
    finally:
        service.stop()
        await asyncio.wait_for(task, 60)
    return out


def choose(rejects: dict[str, RejectResult], accepts: AcceptResult) -> tuple[str, float] | None:
    """The phrase and threshold that meet the goals, most phrases heard at 10 dB first; None when none does.

    The false-accept goal (<= 1 per 10 h) is met only where none came at all in the hours measured: one
    false accept in ~10 h is the goal's very edge, and says little about the next ten."""
    best: tuple[float, float, str, float] | None = None
    for name, res in rejects.items():
        for t in THRESHOLDS:
            det10 = 100 * float(np.mean(res.detected[(10.0, t)]))
            if det10 >= GOAL_DETECTED_10DB and not any(accepts.triggers(name, snr, t) for snr in SNRS):
                det5 = 100 * float(np.mean(res.detected[(5.0, t)]))
                key = (det10, det5, name, t)
                if best is None or key[:2] > best[:2]:
                    best = key
    return (best[2], best[3]) if best else None


def bench_wake(settings: Settings) -> list[str]:
    """The wake-word tables."""
    started = time.perf_counter()
    names = list(PHRASES)
    speaker = Speaker(settings)
    noise = RoadNoise()
    commands = SPOKEN + LIVE_UNDO
    recordings = {n: phrase_recordings(speaker, PHRASES[n], commands) for n in names}
    _LOG.info("wake bench: %d phrase recordings made (%.0f s)", sum(map(len, recordings.values())),
              time.perf_counter() - started)
    rejects = measure_rejects(recordings, noise)
    items = talk_items(speaker, settings)
    _LOG.info("wake bench: false rejects measured, %d utterances of talk made (%.0f s)", len(items),
              time.perf_counter() - started)
    accepts = measure_accepts(items, noise, names)
    _LOG.info("wake bench: false accepts measured (%.0f s)", time.perf_counter() - started)
    cpu = measure_cpu(items, names)
    n_rec = len(next(iter(recordings.values())))
    hours = sum(accepts.seconds.values()) / 3600
    cutoffs = {n: _model_cutoff(n) for n in names}
    lines = [
        f"\nWake word: false rejects on {n_rec} recordings per phrase (piper joe x{len(PIPER_LENGTHS)} speeds "
        f"x{len(PIPER_SHIFTS)} pitches; espeak-ng {len(ESPEAK_VOICES)} voices x{len(ESPEAK_VARIANTS)} "
        f"(male, +f3) x{len(ESPEAK_SPEEDS)} speeds x{len(ESPEAK_PITCHES)} pitches), phrase then a command;",
        f"  false accepts on {hours:.1f} h of talk without the phrase ({accepts.items} utterances, "
        f"{accepts.unique_seconds / 60:.0f} min once: dev requests x{len(ESPEAK_VOICES) * len(ESPEAK_VARIANTS)} "
        f"espeak-ng voices + piper, and piper's replies; clean, 10 and 5 dB, {FA_LOOPS} passes each)",
        f"  {'phrase':<12} {'thresh':>6} {'clean':>7} {'10 dB':>7} {'5 dB':>7} {'delay p50':>10} "
        f"{'p95':>7} {'FA/h clean':>10} {'10 dB':>6} {'5 dB':>6} {'all':>6}",
    ]
    for name in names:
        res = rejects[name]
        for t in THRESHOLDS:
            dets = [100 * float(np.mean(res.detected[(snr, t)])) for snr in SNRS]
            delays = res.delay.get((10.0, t), [])
            fa = [accepts.per_hour(name, t, snr) for snr in SNRS]
            mark = " (model's own)" if abs(t - cutoffs[name]) < 1e-6 else ""
            mark += " (in effect)" if abs(t - MEASURED_THRESHOLDS[name]) < 1e-6 else ""
            lines.append(f"  {PHRASES[name]:<12} {t:>6.2f} {dets[0]:>6.1f}% {dets[1]:>6.1f}% {dets[2]:>6.1f}% "
                         f"{pct(delays, 50):>7.0f} ms {pct(delays, 95):>4.0f} ms {fa[0]:>10.2f} {fa[1]:>6.2f} {fa[2]:>6.2f} "
                         f"{accepts.per_hour(name, t):>6.2f}{mark}")
    lines.append("  (delay: end of the phrase's voice -> detection, audio time, at 10 dB; a detection later than "
                 f"{DETECT_WINDOW_S * 1000:.0f} ms after the phrase counts as a miss)")
    lines.append("  CPU, % of one core at real time (the service's detector, 32 ms frames): "
                 + ", ".join(f"{PHRASES[n]} {cpu[n]:.2f} %" for n in names))
    lines.append("  % detected per voice group at the threshold in effect (clean / 10 dB / 5 dB):")
    for name in names:
        t = MEASURED_THRESHOLDS[name]
        cells = []
        for group, recs in _groups(recordings[name]).items():
            figures = [100 * float(np.mean([rejects[name].detected[(snr, t)][i] for i in recs])) for snr in SNRS]
            cells.append(f"{group} ({len(recs)}) " + " / ".join(f"{f:.0f}" for f in figures))
        lines.append(f"    {PHRASES[name]:<12} {t:.2f}: " + "; ".join(cells))
    picked = choose(rejects, accepts)
    if picked is None:
        lines.append(f"  no phrase meets the goals (>= {GOAL_DETECTED_10DB:.0f} % at 10 dB, <= "
                     f"{GOAL_FA_PER_HOUR * 10:.0f} false accept per 10 h): keep speech.wake_word = \"off\"")
        name, t = max(((n, MEASURED_THRESHOLDS[n]) for n in names),
                      key=lambda nt: float(np.mean(rejects[nt[0]].detected[(10.0, nt[1])])))
    else:
        name, t = picked
        lines.append(f"  meets the goals with the most phrases heard at 10 dB: {PHRASES[name]!r} at {t:.2f}")
    for snr in SNRS:
        fired = accepts.what_fired(name, snr, t)
        if fired:
            lines.append(f"  false accepts of {PHRASES[name]!r} at {t:.2f}, {_snr(snr)}: " + "; ".join(fired[:8]))
    misses = rejects[name].misses.get((10.0, t), [])
    if misses:
        more = " ..." if len(misses) > 12 else ""
        lines.append(f"  missed at 10 dB ({len(misses)}): " + ", ".join(misses[:12]) + more)

    live_settings = _live_settings(settings, name, t)
    live_recs = [r for i, r in enumerate(recordings[name]) if i % 8 == 0][: len(commands)]
    live_recs = [_with_command(speaker, r, command) for r, command in zip(live_recs, commands, strict=False)]
    result = asyncio.run(live(live_settings, live_recs, noise, 10.0))
    lines += [
        header(f"Wake word live ({PHRASES[name]!r} at {t:.2f}, {result.total} phrase + command recordings at "
               "10 dB through `carvoice run`'s service, microphone fed in real time)"),
        row("end of the phrase -> event/listening (wake)", result.delays_ms),
        f"  woke {result.heard}/{result.total}; the command changed the car {result.changed}/{result.total}; "
        f"wakes without the phrase {result.false_wakes}; wake loop CPU {result.cpu_pct:.2f} % of one core",
        f"  (section took {time.perf_counter() - started:.0f} s)",
    ]
    return lines


def _groups(recordings: list[Recording]) -> dict[str, list[int]]:
    """Recording indices by voice group: piper, espeak-ng's male voices, its female (+f3) ones."""
    out: dict[str, list[int]] = {"piper": [], "espeak-ng male": [], "espeak-ng female": []}
    for i, rec in enumerate(recordings):
        if rec.voice.engine == "piper":
            out["piper"].append(i)
        else:
            out["espeak-ng female" if rec.voice.name.endswith("+f3") else "espeak-ng male"].append(i)
    return out


def _with_command(speaker: Speaker, rec: Recording, command: str) -> Recording:
    """The recording's phrase followed by ``command`` in the same voice."""
    lead = np.zeros(SAMPLE_RATE, np.float32)
    said = rec.audio[rec.speech[0] : rec.phrase_end]
    then = speaker.say(command, rec.voice)
    gap = np.zeros(int(0.15 * SAMPLE_RATE), np.float32)
    audio = np.concatenate([lead, said, gap, then, lead])
    return Recording(rec.voice, command, audio, len(lead) + len(said),
                     (len(lead), len(lead) + len(said) + len(gap) + len(then)))


def _live_settings(settings: Settings, name: str, threshold: float) -> Settings:
    update = {
        "speech": settings.speech.model_copy(update={"wake_word": name, "wake_threshold": threshold}),
        "understanding": settings.understanding.model_copy(update={"mode": "parser-only"}),
        "vehicle": settings.vehicle.model_copy(update={"interface": "embedded"}),
        "mqtt": settings.mqtt.model_copy(update={"enabled": False}),
        "service": settings.service.model_copy(update={"console": False}),
    }
    if "web" in type(settings).model_fields:
        update["web"] = settings.web.model_copy(update={"enabled": False})  # type: ignore[attr-defined]
    return settings.model_copy(update=update)


def _model_cutoff(name: str) -> float:
    """The threshold the model was published with."""
    detector = MicroWakeWordDetector(name)
    detector.close()
    return detector.model_threshold


def _snr(snr: float | None) -> str:
    return "clean" if snr is None else f"{snr:g} dB"
