"""Speech-to-text with faster-whisper (CTranslate2, int8), guarded against hearing what was not said."""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.speech.errors import SpeechToTextError
from assistant.speech.vad import FRAME, SAMPLE_RATE, SileroVad

_LOG = logging.getLogger(__name__)

PROMPT = ("Temperature, degrees, fan level, AC, recirculation, defrost, windshield, seat heating, ventilation, "
          "massage, recline, upright, window, sunroof, navigate, route.")
"""A short prompt of the catalogue's words: the biggest single gain in accuracy, free in latency.

Words, not sentences, and no numbers: a prompt of example commands made Whisper "hear" them
(a spoken 99 degrees came out as the prompt's 22 degrees)."""

HALLUCINATIONS = {"thank you", "thanks for watching", "thank you for watching", "you", "bye", "subtitles by",
                  "please subscribe", "thanks", ".", "so", "okay"}
"""What Whisper famously "hears" in silence and noise."""


@dataclass(frozen=True)
class Transcript:
    """What was heard."""

    text: str
    """The words, or '' when nothing was said."""
    speech_seconds: float
    """Duration of voiced audio, in seconds."""
    no_speech_prob: float
    """Whisper's probability that there was no speech."""
    avg_logprob: float
    """Whisper's mean token log-probability."""
    ms: float
    """Time spent, in milliseconds."""
    too_long: bool = False
    """True when the speech ran past the longest utterance (not treated as a command)."""


class SpeechToText:
    """faster-whisper over a local CTranslate2 model directory, with VAD in front."""

    def __init__(self, model_dir: Path, *, threads: int = 2, beam_size: int = 1, language: str = "en",
                 max_utterance_s: float = 15.0) -> None:
        self.model_dir = model_dir
        self.threads = threads
        self.beam_size = beam_size
        self.language = language
        self.max_utterance_s = max_utterance_s
        self._model: object | None = None
        self._vad: SileroVad | None = None
        self._lock = threading.Lock()

    def load(self) -> None:
        """Load the model (blocking)."""
        if not (self.model_dir / "model.bin").exists():
            raise SpeechToTextError(f"no Whisper model in {self.model_dir} (run: make models)", code="stt-no-model")
        import os

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from faster_whisper import WhisperModel

        try:
            self._model = WhisperModel(str(self.model_dir), device="cpu", compute_type="int8", cpu_threads=self.threads)
        except (RuntimeError, ValueError, OSError) as err:
            raise SpeechToTextError(f"cannot load {self.model_dir}: {err}", code="stt-no-model") from err
        self._vad = SileroVad()

    def transcribe(self, audio: np.ndarray) -> Transcript:
        """Transcribe one utterance of 16 kHz mono float32 (blocking; run it off the event loop)."""
        started = time.perf_counter()
        if self._model is None:
            self.load()
        assert self._vad is not None
        with self._lock:
            flags = self._vad.speech_frames(audio)
        voiced = [i for i, f in enumerate(flags) if f]
        if len(voiced) < 4:  # under ~130 ms of voice: silence or noise
            return Transcript("", 0.0, 1.0, 0.0, _ms(started))
        first, last = voiced[0], voiced[-1]
        span = (last - first + 1) * FRAME / SAMPLE_RATE
        if span > self.max_utterance_s:
            return Transcript("", span, 0.0, 0.0, _ms(started), too_long=True)
        pad = int(0.3 * SAMPLE_RATE)
        clip = audio[max(0, first * FRAME - pad) : min(len(audio), (last + 1) * FRAME + pad)]
        try:
            with self._lock:
                segments, _ = self._model.transcribe(  # type: ignore[attr-defined]
                    clip, language=self.language, beam_size=self.beam_size, initial_prompt=PROMPT,
                    condition_on_previous_text=False, without_timestamps=True, vad_filter=False, temperature=0.0,
                )
                segments = list(segments)
        except (RuntimeError, ValueError) as err:
            raise SpeechToTextError(f"transcription failed: {err}") from err
        text = " ".join(s.text.strip() for s in segments).strip()
        no_speech = max((s.no_speech_prob for s in segments), default=1.0)
        logprob = min((s.avg_logprob for s in segments), default=-10.0)
        text = _guard(text, no_speech, logprob)
        return Transcript(text, len(voiced) * FRAME / SAMPLE_RATE, no_speech, logprob, _ms(started))


def _guard(text: str, no_speech: float, logprob: float) -> str:
    """'' for text Whisper made up; the prompt removed where it leaked into the output."""
    if no_speech > 0.6 and logprob < -0.8:
        return ""
    low = re.sub(r"[^a-z ]", "", text.lower()).strip()
    if low in HALLUCINATIONS and logprob < -0.5:
        return ""
    prompt_words = re.sub(r"[^a-z ]", " ", PROMPT.lower()).split()
    if len(low.split()) > 6 and low.split() == prompt_words[: len(low.split())]:
        return ""  # the prompt itself, echoed back from silence
    # "The cancel navigation": a stray article glued from the prompt's style
    text = re.sub(r"^(The|A)\s+(?=(cancel|turn|set|open|close|navigate|switch|make|move|heat|tilt|recline)\b)", "",
                  text, flags=re.IGNORECASE)
    return text.strip()


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
