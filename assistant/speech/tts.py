"""Text-to-speech with piper-tts, sentence by sentence so the first audio starts early."""

from __future__ import annotations

import logging
import threading
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from assistant.speech.errors import TextToSpeechError
from assistant.stages import SpeechChunk

_LOG = logging.getLogger(__name__)


def find_voice(name_or_path: str, search: list[Path]) -> Path:
    """A piper voice (``.onnx`` with its ``.onnx.json``) by path or by name under the search folders."""
    direct = Path(name_or_path)
    if direct.suffix == ".onnx" and direct.is_file():
        return direct
    for folder in search:
        candidate = folder / f"{name_or_path}.onnx"
        if candidate.is_file():
            return candidate
    raise TextToSpeechError(f"no piper voice {name_or_path!r} in {', '.join(map(str, search))} (run: make models)",
                            code="tts-no-voice")


class TextToSpeech:
    """A piper voice, loaded once."""

    def __init__(self, voice_path: Path, *, length_scale: float = 1.0, varied: bool = True) -> None:
        self.voice_path = voice_path
        self.length_scale = length_scale
        self.varied = varied
        """piper draws noise for a natural voice, so each synthesis of a sentence differs a little;
        ``varied=False`` switches that off for recordings that must be the same every time (tests)."""
        self._voice: object | None = None
        self._lock = threading.Lock()

    def load(self) -> None:
        """Load the voice (blocking)."""
        if not self.voice_path.is_file() or not self.voice_path.with_suffix(".onnx.json").is_file():
            raise TextToSpeechError(f"piper voice {self.voice_path} or its .json is missing", code="tts-no-voice")
        from piper import PiperVoice

        try:
            self._voice = PiperVoice.load(str(self.voice_path))
        except (RuntimeError, ValueError, OSError) as err:
            raise TextToSpeechError(f"cannot load voice {self.voice_path}: {err}", code="tts-no-voice") from err

    @property
    def sample_rate(self) -> int:
        """Hertz of the voice's audio."""
        if self._voice is None:
            self.load()
        return int(self._voice.config.sample_rate)  # type: ignore[attr-defined]

    def synthesize(self, text: str) -> Iterator[SpeechChunk]:
        """One chunk per sentence, as soon as each is ready (blocking; iterate off the event loop)."""
        if self._voice is None:
            self.load()
        from piper import SynthesisConfig

        config = SynthesisConfig(length_scale=self.length_scale) if self.varied else SynthesisConfig(
            length_scale=self.length_scale, noise_scale=0.0, noise_w_scale=0.0)
        with self._lock:
            try:
                for chunk in self._voice.synthesize(text, syn_config=config):  # type: ignore[attr-defined]
                    yield SpeechChunk(chunk.audio_int16_array, chunk.sample_rate)
            except (RuntimeError, ValueError) as err:
                raise TextToSpeechError(f"synthesis failed: {err}") from err

    def to_wav(self, text: str, path: Path) -> tuple[float, float]:
        """Write the speech to a WAV file; returns (ms to the first chunk, seconds of audio)."""
        started = time.perf_counter()
        first_ms: float | None = None
        frames = 0
        with wave.open(str(path), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(self.sample_rate)
            for chunk in self.synthesize(text):
                if first_ms is None:
                    first_ms = (time.perf_counter() - started) * 1000
                w.writeframes(chunk.samples.tobytes())
                frames += len(chunk.samples)
        return first_ms or 0.0, frames / self.sample_rate
