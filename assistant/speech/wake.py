"""The wake word: a spoken phrase that starts listening hands-free, alongside push-to-talk.

The microphone's 16 kHz stream is fed continuously to a small streaming detector (microWakeWord
through pymicro-wakeword: the TFLite Micro audio front end of pymicro-features and a quantised
network of about 50 kB; well under 1 % of one core, ``carvoice bench --section wake``).

There is one microphone and two readers of it. ``WakeListener`` reads it only while it is
*armed*; on a detection it disarms itself at once and calls ``on_wake``, so the audio right after
the phrase stays in the microphone's buffer for the ``Listener`` ("hey jarvis, open my window"
needs no pause). Push-to-talk calls ``pause()`` before it listens: the wake loop lets go of the
microphone within one read. ``resume()`` re-arms it when the assistant is idle again, with a
fresh detector and the buffer cleared (that audio was the interaction's). While the assistant
speaks (``speaking(True)``) frames are read and dropped, and for ``echo_tail_s`` after, so that
its own voice never wakes it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from assistant.errors import CarvoiceError
from assistant.speech.vad import FRAME, SAMPLE_RATE

if TYPE_CHECKING:
    from assistant.speech.listen import FrameSource

_LOG = logging.getLogger(__name__)

PHRASES: dict[str, str] = {
    "okay_nabu": "okay nabu",
    "hey_jarvis": "hey jarvis",
    "hey_mycroft": "hey mycroft",
    "alexa": "alexa",
}
"""The bundled models (``speech.wake_word``) and the phrase each is trained on."""

MEASURED_THRESHOLDS: dict[str, float] = {
    "hey_mycroft": 0.85,
    "alexa": 0.7,
    "okay_nabu": 0.8,
    "hey_jarvis": 0.95,
}
"""The detection threshold of each phrase when ``speech.wake_threshold`` is not set: for each, the lowest
threshold swept at which no false accept came in two bench runs of 10.7 hours each of talk without the phrase
(README "Hands-free", ``carvoice bench --section wake``). Only ``hey_mycroft`` also hears >= 95 % of its phrases
at 10 dB."""

ECHO_TAIL_S = 0.3
"""How long after the assistant stops speaking its voice may still come back from the cabin, in seconds."""


class WakeWordError(CarvoiceError):
    """The wake-word detector cannot be loaded or run (``wake-unavailable``)."""

    code = "wake-unavailable"


class WakeWord(Protocol):
    """A streaming wake-word detector fed 16 kHz mono float32 frames of ``FRAME`` samples."""

    phrase: str
    """The phrase it listens for ("hey jarvis")."""

    def probability(self, frame: np.ndarray) -> float:
        """The detector's probability that the phrase has just been said, after this frame (0..1)."""
        ...

    def reset(self) -> None:
        """Forget the stream so far (the next frame does not follow the last one)."""
        ...


class MicroWakeWordDetector:
    """A bundled microWakeWord model (pymicro-wakeword) behind ``WakeWord``."""

    def __init__(self, name: str) -> None:
        if name not in PHRASES:
            raise WakeWordError(f"no bundled wake word {name!r}; choose one of {', '.join(PHRASES)}")
        try:
            from pymicro_wakeword import MicroWakeWord, MicroWakeWordFeatures, Model

            self._model = MicroWakeWord.from_builtin(Model(name))
            self._features = MicroWakeWordFeatures()
        except (ImportError, OSError, ValueError, RuntimeError) as err:
            raise WakeWordError(f"cannot load the wake word {name!r}: {err}") from err
        self.name = name
        self.phrase = PHRASES[name]
        self.model_threshold = float(self._model.probability_cutoff)
        """The cutoff the model was published with."""
        self._last = 0.0

    def probability(self, frame: np.ndarray) -> float:
        """The highest probability the frame's audio produced (the last one when it completed no window)."""
        pcm = (np.clip(frame, -1.0, 1.0) * 32767).astype("<i2").tobytes()
        best: float | None = None
        for features in self._features.process_streaming(pcm):
            p = self._model.process_streaming_prob(features)
            if p is not None and (best is None or p > best):
                best = p
        if best is not None:
            self._last = float(best)
        return self._last

    def reset(self) -> None:
        """Forget the stream so far (the model's streaming state is rebuilt: about half a millisecond)."""
        self._features.reset()
        self._model.reset()
        self._last = 0.0

    def close(self) -> None:
        """Release the TFLite interpreter."""
        self._model.close()


def load_wake_word(name: str) -> MicroWakeWordDetector:
    """The detector for ``speech.wake_word``; raises ``WakeWordError``."""
    return MicroWakeWordDetector(name)


def threshold_for(name: str, configured: float | None) -> float:
    """The threshold in effect: the configured one, else the measured one for the phrase."""
    return configured if configured is not None else MEASURED_THRESHOLDS[name]


@dataclass
class WakeTrigger:
    """Detections from a probability stream, as a pure state machine fed ``(chunk_seconds, probability)``.

    A detection is a probability above ``threshold``; after one, nothing is detected for
    ``refractory_s`` (one phrase lifts the probability over several frames).
    """

    threshold: float
    """Probability above which the phrase counts as said (0..1)."""
    refractory_s: float = 2.0
    """Quiet time after a detection, in seconds."""
    _quiet: float = field(default=0.0, repr=False)

    def process(self, chunk_seconds: float, probability: float) -> bool:
        """Advance by one chunk; True when this chunk is a detection."""
        if self._quiet > 0.0:
            self._quiet = max(0.0, self._quiet - chunk_seconds)
            return False
        if probability > self.threshold:
            self._quiet = self.refractory_s
            return True
        return False

    def reset(self) -> None:
        """Back to listening, with no quiet time left."""
        self._quiet = 0.0


@dataclass
class WakeStats:
    """What the wake loop has done so far."""

    audio_s: float = 0.0
    """Audio fed to the detector, in seconds."""
    cpu_s: float = 0.0
    """CPU time the detector took for it (this thread's), in seconds."""
    detections: int = 0
    muted_s: float = 0.0
    """Audio dropped while the assistant spoke (and its echo tail), in seconds."""


class WakeListener:
    """The continuous loop: microphone frames -> detector -> ``on_wake()``, sharing the microphone."""

    def __init__(self, detector: WakeWord, mic: FrameSource, on_wake: Callable[[], Any], *, threshold: float,
                 refractory_s: float = 2.0, echo_tail_s: float = ECHO_TAIL_S) -> None:
        self.detector = detector
        self.mic = mic
        self.on_wake = on_wake
        self.trigger = WakeTrigger(threshold, refractory_s)
        self.echo_tail_s = echo_tail_s
        self.stats = WakeStats()
        self._state = threading.Condition()
        self._reading = threading.Lock()  # held while a frame is read and scored
        self._armed = True
        self._stopping = False
        self._speaking = False
        self._tail = 0.0
        self._fresh = True  # the next frame does not follow the last one seen
        self._thread: threading.Thread | None = None

    def start(self) -> WakeListener:
        """Start the loop in a daemon thread."""
        self._thread = threading.Thread(target=self._run, name="wake-word", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        """End the loop."""
        with self._state:
            self._stopping = True
            self._state.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def armed(self) -> bool:
        """True while the loop reads the microphone."""
        return self._armed

    def pause(self) -> None:
        """Let go of the microphone (blocking, up to one read): someone else listens now."""
        with self._state:
            self._armed = False
        with self._reading:  # a read under way finishes; none starts until resume()
            pass

    def resume(self) -> None:
        """Listen for the phrase again, from a fresh stream (non-blocking)."""
        with self._state:
            if self._stopping:
                return
            self._armed = True
            self._fresh = True
            self._state.notify_all()

    def speaking(self, on: bool) -> None:
        """The assistant starts (True) or stops (False) speaking: drop what the microphone hears meanwhile."""
        with self._state:
            self._speaking = on
            if not on:
                self._tail = self.echo_tail_s

    def _run(self) -> None:
        try:
            self._loop()
        except Exception:  # noqa: BLE001 - push-to-talk still works without the wake word
            _LOG.exception("the wake-word loop stopped")

    def _loop(self) -> None:
        frame_s = FRAME / SAMPLE_RATE
        while True:
            with self._state:
                while not self._armed and not self._stopping:
                    self._state.wait()
                if self._stopping:
                    return
            with self._reading:
                with self._state:
                    if not self._armed:
                        continue  # paused between the two locks
                    fresh, self._fresh = self._fresh, False
                if fresh:
                    self.mic.clear()
                    self.detector.reset()
                    self.trigger.reset()
                frame = self.mic.read(0.1)
                if frame is None:
                    continue
                with self._state:
                    muted = self._speaking or self._tail > 0.0
                    if not self._speaking and self._tail > 0.0:
                        self._tail = max(0.0, self._tail - frame_s)
                        if self._tail == 0.0:
                            self._fresh = True  # the stream the detector saw before is no longer continuous
                if muted:
                    self.stats.muted_s += frame_s
                    continue
                started = time.thread_time()
                detected = self.trigger.process(frame_s, self.detector.probability(frame))
                self.stats.cpu_s += time.thread_time() - started
                self.stats.audio_s += frame_s
                if detected:
                    with self._state:
                        self._armed = False  # the frames after the phrase stay in the microphone's buffer
            if detected:
                self.stats.detections += 1
                _LOG.info("wake word %r heard", self.detector.phrase)
                try:
                    self.on_wake()
                except Exception:  # noqa: BLE001 - the loop must survive its listener
                    _LOG.exception("wake-word handler failed")
