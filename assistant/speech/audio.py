"""Audio files: any WAV (any rate, mono or stereo) to 16 kHz mono float32, and back to WAV."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np

from assistant.speech.errors import AudioError
from assistant.speech.vad import SAMPLE_RATE

MAX_FILE_SECONDS = 600.0
"""Longest audio file read, in seconds (longer ones are cut)."""


def read_audio(path: str | Path) -> np.ndarray:
    """A sound file as 16 kHz mono float32 in [-1, 1]; raises AudioError."""
    p = Path(path)
    if not p.is_file():
        raise AudioError(f"no such audio file: {p}", code="audio-missing")
    if p.stat().st_size == 0:
        raise AudioError(f"{p.name} is empty", code="audio-empty")
    try:
        from faster_whisper import decode_audio

        audio = decode_audio(str(p), sampling_rate=SAMPLE_RATE)
    except Exception as err:  # noqa: BLE001 - PyAV raises many types for bad input
        raise AudioError(f"cannot read {p.name}: {err}") from err
    return clean(np.asarray(audio, dtype=np.float32))


def clean(audio: np.ndarray) -> np.ndarray:
    """Finite samples in [-1, 1], at most ``MAX_FILE_SECONDS`` long."""
    audio = np.nan_to_num(audio.astype(np.float32, copy=False), nan=0.0, posinf=0.0, neginf=0.0)
    audio = audio[: int(MAX_FILE_SECONDS * SAMPLE_RATE)]
    return np.clip(audio, -1.0, 1.0)


def to_wav_bytes(samples: np.ndarray, sample_rate: int) -> bytes:
    """16-bit PCM mono WAV of float samples in [-1, 1] (or int16 samples)."""
    if samples.dtype != np.int16:
        samples = (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16)
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(samples.tobytes())
    return buf.getvalue()
