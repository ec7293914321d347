"""The wake word with the real detector, the real listener and a real service, on speech piper and espeak-ng make here.

The microphone is ``CabinMicrophone``: the project's ``Microphone`` (ring buffer, muting) fed in real time
by a clock thread instead of a sound card, and the cabin's loudspeaker, so that what the assistant says
comes back into it as it would in a car.
"""

from __future__ import annotations

import asyncio
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.bench_wake import CabinMicrophone, CabinSpeaker
from assistant.config import Settings, load_settings
from assistant.errors import ConfigError
from assistant.events import DoneEvent, Event, ListeningEvent
from assistant.speech.audio import read_audio
from assistant.speech.tts import TextToSpeech, find_voice
from assistant.speech.vad import FRAME, SAMPLE_RATE
from assistant.speech.wake import (
    MEASURED_THRESHOLDS,
    MicroWakeWordDetector,
    WakeListener,
    WakeTrigger,
    WakeWordError,
    load_wake_word,
)

pytestmark = pytest.mark.slow

WAKE = "hey_mycroft"  # the phrase the bench recommends
PHRASE = "hey mycroft"
WINDOW = "Vehicle.Cabin.Door.Row1.DriverSide.Window.Position"
TALK = [  # dev requests, and talk around the car's words, none with the phrase
    "set the temperature to twenty two degrees", "can you open the sunroof a little",
    "okay so we take the next exit and then it is about ten minutes", "navigate to the nearest charging station",
]


@pytest.fixture(scope="module")
def tts() -> TextToSpeech:
    settings = load_settings(None)
    voice = TextToSpeech(find_voice(settings.speech.voice, list(settings.speech.voice_dirs)))
    voice.load()
    return voice


def piper(tts: TextToSpeech, text: str, folder: Path) -> np.ndarray:
    """``text`` in piper's voice, 16 kHz, without the silence around it."""
    path = folder / f"piper-{abs(hash(text))}.wav"
    tts.to_wav(text, path)
    return _trim(read_audio(path))


def espeak(text: str, folder: Path, voice: str = "en-gb") -> np.ndarray:
    path = folder / f"espeak-{abs(hash(text))}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", "165", "-w", str(path), text], check=True)
    return _trim(read_audio(path))


def _trim(audio: np.ndarray) -> np.ndarray:
    loud = np.flatnonzero(np.abs(audio) > 0.02 * np.abs(audio).max())
    return audio[loud[0] : loud[-1] + 1]


def hiss(seconds: float, seed: int = 0) -> np.ndarray:
    """A quiet microphone's own noise (-70 dBFS): no real microphone delivers digital silence."""
    return np.random.default_rng(seed).normal(0, 10 ** (-70 / 20), int(seconds * SAMPLE_RATE)).astype(np.float32)


def with_hiss(audio: np.ndarray, seed: int = 1) -> np.ndarray:
    return audio + np.random.default_rng(seed).normal(0, 10 ** (-70 / 20), len(audio)).astype(np.float32)


def peak(detector: MicroWakeWordDetector, audio: np.ndarray) -> float:
    detector.reset()
    return max(detector.probability(audio[i : i + FRAME]) for i in range(0, len(audio) - FRAME + 1, FRAME))


def least_peak(detector: MicroWakeWordDetector, audio: np.ndarray) -> float:
    """The lowest ``peak`` over the ways the live listener can meet ``audio``: after a reset it reads whole frames
    of the cabin's silence first, so the audio starts at any multiple of a frame (512 samples) after the stream's
    start, which shifts the frontend's 10 ms steps (and the model's stride of them) against the speech. Fifteen
    lead-ins cover every shift modulo 480 samples; two longer ones, the frontend's noise estimate after a longer
    silence. One alignment's peak alone says little: CI saw a reply score above the threshold at one and the
    live listener not wake at another."""
    silence = np.zeros(FRAME, np.float32)
    return min(peak(detector, np.concatenate([*([silence] * lead), audio])) for lead in [*range(15), 31, 62])


# -- the pure parts --------------------------------------------------------------------------------------------------
def test_a_trigger_fires_once_per_rise_and_stays_quiet_for_the_refractory_time() -> None:
    trigger = WakeTrigger(threshold=0.9, refractory_s=1.0)
    frame = FRAME / SAMPLE_RATE
    fired = [trigger.process(frame, p) for p in [0.1, 0.5, 0.95, 0.99, 0.97, 0.2]]
    assert fired == [False, False, True, False, False, False]
    quiet = [trigger.process(frame, 0.99) for _ in range(int(1.0 / frame) - 4)]
    assert not any(quiet)  # still inside the refractory second
    assert any(trigger.process(frame, 0.99) for _ in range(10))  # past it, a new rise is a new detection
    trigger.reset()
    assert trigger.process(frame, 0.91) and not trigger.process(frame, 0.99)
    assert not WakeTrigger(threshold=0.9).process(frame, 0.9)  # at the threshold is not above it


def test_the_configuration_of_the_wake_word_is_checked() -> None:
    settings = load_settings(None)
    assert settings.speech.wake_word in ("off", *MEASURED_THRESHOLDS)
    on = load_settings(None, **{"speech.wake_word": "hey_jarvis", "speech.wake_threshold": 0.8})
    assert on.speech.wake_word == "hey_jarvis" and on.speech.wake_threshold == 0.8 and on.speech.wake_seat == "driver"
    for key, bad in [("speech.wake_word", "hey siri"), ("speech.wake_threshold", 1.5), ("speech.wake_threshold", 0),
                     ("speech.wake_seat", "trunk"), ("speech.wake_refractory_s", -1)]:
        with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
            load_settings(None, **{key: bad})
    with pytest.raises(WakeWordError) as err:
        load_wake_word("hey_siri")
    assert err.value.code == "wake-unavailable"
    example = (Path(__file__).resolve().parent.parent / "config" / "carvoice.example.toml").read_text()
    assert all(f"\n{k} = " in example for k in ("wake_word", "wake_refractory_s", "wake_seat"))


# -- the detector on real speech ---------------------------------------------------------------------------------------
def test_the_detector_hears_the_phrase_in_several_voices_and_not_other_talk(tts: TextToSpeech, tmp_path: Path) -> None:
    detector = MicroWakeWordDetector(WAKE)
    threshold = MEASURED_THRESHOLDS[WAKE]
    for audio in (piper(tts, f"{PHRASE}, open my window.", tmp_path), espeak(f"{PHRASE}, open my window", tmp_path),
                  espeak(f"{PHRASE}, open my window", tmp_path, "en-gb+f3")):
        assert peak(detector, with_hiss(np.concatenate([hiss(0.5), audio, hiss(0.5)]))) > threshold
    for text in TALK:
        for audio in (piper(tts, text, tmp_path), espeak(text, tmp_path)):
            assert peak(detector, with_hiss(np.concatenate([hiss(0.5), audio, hiss(0.5)]))) < threshold, text
    detector.close()


# -- the loop that shares the microphone ---------------------------------------------------------------------------
@pytest.fixture
def cabin() -> Iterator[CabinMicrophone]:
    mic = CabinMicrophone().start()
    try:
        yield mic
    finally:
        mic.stop()


def wait_for(condition: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_the_loop_is_deaf_while_the_assistant_speaks_and_leaves_the_words_after_the_phrase(
        tts: TextToSpeech, tmp_path: Path, cabin: CabinMicrophone) -> None:
    woke = threading.Event()
    loop = WakeListener(MicroWakeWordDetector(WAKE), cabin, woke.set, threshold=MEASURED_THRESHOLDS[WAKE]).start()
    phrase = with_hiss(np.concatenate([hiss(0.3), piper(tts, f"{PHRASE}.", tmp_path)]))
    command = with_hiss(piper(tts, "open my window", tmp_path))
    try:
        loop.speaking(True)  # the assistant is talking: the microphone hears the phrase, the loop does not listen
        first = cabin.queue(phrase)
        cabin.delivered_at(first + len(phrase) // FRAME)
        assert not wait_for(woke.is_set, 1.0) and loop.stats.muted_s > 1.0
        loop.speaking(False)
        time.sleep(loop.echo_tail_s + 0.2)

        cabin.queue(np.concatenate([phrase, command, hiss(1.0)]))
        assert wait_for(woke.is_set, 6.0), "the phrase alone, the assistant silent, did not wake it"
        assert not loop.armed
        # the loop let go at once: the command is in the microphone's buffer for the listener, not consumed
        time.sleep(len(command) / SAMPLE_RATE + 0.2)
        kept = []
        while (frame := cabin.read(0.05)) is not None and len(kept) < 200:
            kept.append(frame)
        heard = np.concatenate(kept)
        assert len(heard) >= len(command)
        loop.pause()  # push-to-talk: returns at once when the loop is not reading
        audio_before = loop.stats.audio_s
        loop.resume()
        assert loop.armed and wait_for(lambda: loop.stats.audio_s > audio_before, 2.0)
        loop.pause()
        audio_before = loop.stats.audio_s
        time.sleep(0.3)
        assert loop.stats.audio_s == audio_before  # paused: it reads nothing
    finally:
        loop.stop()


# -- a real service ----------------------------------------------------------------------------------------------
def _service_settings(wake: str = WAKE) -> Settings:
    overrides: dict[str, Any] = {
        "vehicle.interface": "embedded", "mqtt.enabled": False, "service.console": False,
        "understanding.mode": "parser-only", "speech.wake_word": wake, "service.listen_timeout_s": 3.0,
    }
    if "web" in Settings.model_fields:
        overrides["web.enabled"] = False
    return load_settings(None, **overrides)


class RunningService:
    """``AssistantService`` on its own event loop in a thread, its events collected."""

    def __init__(self, wake: str = WAKE) -> None:
        from assistant.service import AssistantService

        self.cabin = CabinMicrophone().start()
        self.service = AssistantService(_service_settings(wake), microphone=self.cabin, speaker=CabinSpeaker(self.cabin))
        self.events: list[Event] = []
        self.service.bus.subscribe(self.events.append)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(self.service.run(),), daemon=True)
        self.thread.start()
        assert wait_for(self.service.ready.is_set, 120), "the service did not start"
        self.service.speech.stt.load()  # waits for speech-to-text (in its worker process or here)

    def submit_text(self, text: str) -> None:
        from assistant.service import _Text

        self.loop.call_soon_threadsafe(self.service.submit, _Text(text, "driver"))

    def wakes(self, since: int = 0) -> list[ListeningEvent]:
        return [e for e in self.events[since:] if isinstance(e, ListeningEvent) and e.state == "started"]

    def done(self, since: int = 0) -> list[DoneEvent]:
        return [e for e in self.events[since:] if isinstance(e, DoneEvent)]

    def settle(self, seconds: float = 60) -> None:
        """Until the cabin is quiet and the service idle."""
        assert wait_for(lambda: self.cabin.quiet() and self.service._current is None, seconds)
        time.sleep(0.5)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.service.stop)
        self.thread.join(60)
        self.loop.close()
        self.cabin.stop()


@pytest.fixture(scope="module")
def running() -> Iterator[RunningService]:
    service = RunningService()
    try:
        yield service
    finally:
        service.close()


def test_the_phrase_then_a_command_without_a_pause_changes_the_car(running: RunningService, tts: TextToSpeech,
                                                                    tmp_path: Path) -> None:
    mark = len(running.events)
    spoken = piper(tts, f"{PHRASE}, open my window.", tmp_path)  # one breath: the command follows the phrase at once
    running.cabin.queue(with_hiss(np.concatenate([hiss(0.5), spoken, hiss(1.5)])))
    assert wait_for(lambda: running.done(mark), 30), [e.type for e in running.events[mark:]]
    [wake] = running.wakes(mark)
    assert wake.source == "wake" and wake.seat == "driver"
    [done] = running.done(mark)
    assert done.interaction == wake.interaction and done.changes == {WINDOW: 100}
    assert running.service.car.gateway.state.snapshot()[WINDOW] == 100  # type: ignore[union-attr]
    running.settle()


def test_talk_without_the_phrase_wakes_nothing(running: RunningService, tts: TextToSpeech, tmp_path: Path) -> None:
    running.settle()
    mark = len(running.events)
    talk = [piper(tts, TALK[0], tmp_path), espeak(TALK[1], tmp_path), piper(tts, TALK[2], tmp_path),
            espeak(TALK[3], tmp_path, "en-us+f3")]
    audio = np.concatenate([np.concatenate([t, hiss(0.6, i)]) for i, t in enumerate(talk)])
    first = running.cabin.queue(with_hiss(audio))
    running.cabin.delivered_at(first + len(audio) // FRAME - 1)
    time.sleep(1.0)
    assert running.wakes(mark) == [] and running.service._wake.stats.audio_s > 0


@pytest.fixture(scope="module")
def running_nabu() -> Iterator[RunningService]:
    service = RunningService("okay_nabu")
    try:
        yield service
    finally:
        service.close()


def test_the_assistants_own_reply_does_not_wake_it(running_nabu: RunningService) -> None:
    # "okay nabu": the parser keeps it in a place name and piper's reply says it clearly enough to wake the
    # detector ("hey" of "hey mycroft" is taken for a greeting, and piper's "hey mycroft" mid-sentence scores < 0.3)
    running = running_nabu
    detector = MicroWakeWordDetector("okay_nabu")
    threshold = running.service._wake.trigger.threshold
    # its reply names the phrase ("I couldn't find okay nabu on the map."); piper says it a little differently
    # each time, so ask until a reply is played that would wake it if somebody else said it
    for _ in range(20):  # about a third of piper's replies score above it at every alignment
        running.settle()
        mark = len(running.events)
        played = len(running.cabin.played)
        running.submit_text("take me to okay nabu")
        assert wait_for(lambda: running.done(mark), 30)  # noqa: B023 - waited for at once
        running.settle()
        assert len(running.cabin.played) > played  # the reply was played into the cabin and came back to the microphone
        assert running.wakes(mark) == [], "the assistant woke itself"
        reply = np.concatenate(running.cabin.played[played:]) * running.cabin.echo_gain
        if least_peak(detector, with_hiss(np.concatenate([hiss(0.5), reply, hiss(1.0)]))) > threshold:
            break
    else:
        pytest.fail("no reply the detector would have taken for the phrase: the test above proves nothing")
    detector.close()

    # the same audio from somebody else, the assistant silent: it does wake (the part above can fail)
    mark = len(running.events)
    running.cabin.queue(with_hiss(np.concatenate([hiss(0.5), reply, hiss(1.0)])))
    assert wait_for(lambda: running.wakes(mark), 15), "the reply's audio does not wake it from somebody else"
    assert running.wakes(mark)[0].source == "wake"
    running.settle()
