"""Voice activity: Silero VAD v6 (the ONNX file faster-whisper ships) and a pure endpointing state machine."""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16000
"""Hertz of every buffer the speech stages exchange."""

FRAME = 512
"""Samples per VAD frame (32 ms at 16 kHz)."""

_CONTEXT = 64


class SegmentEvent(StrEnum):
    """What the segmenter saw in a frame."""

    START = "speech-start"
    PAUSE = "speech-pause"
    """Silence long enough that speech may have ended: a moment to start transcribing early."""
    END = "speech-end"
    TIMEOUT = "speech-timeout"


@dataclass
class Segmenter:
    """Endpointing as a pure state machine fed ``(chunk_seconds, is_speech)``; no clock inside.

    Speech starts after ``start_s`` of speech, ends after ``end_silence_s`` of silence, and is
    cut at ``max_s`` (an utterance that long is not a command).
    """

    start_s: float = 0.15
    """Speech needed to start an utterance, in seconds."""
    end_silence_s: float = 0.5
    """Silence that ends an utterance, in seconds."""
    max_s: float = 15.0
    """Longest utterance, in seconds."""
    pause_s: float = 0.2
    """Silence after which PAUSE is reported once (until speech resumes), in seconds."""
    in_speech: bool = False
    _paused: bool = False
    _speech_run: float = 0.0
    _silence_run: float = 0.0
    _length: float = 0.0

    def process(self, chunk_seconds: float, is_speech: bool) -> SegmentEvent | None:
        """Advance by one chunk; returns an event when the state changes."""
        if not self.in_speech:
            self._speech_run = self._speech_run + chunk_seconds if is_speech else 0.0
            if self._speech_run >= self.start_s:
                self.in_speech = True
                self._length = self._speech_run
                self._silence_run = 0.0
                return SegmentEvent.START
            return None
        self._length += chunk_seconds
        self._silence_run = 0.0 if is_speech else self._silence_run + chunk_seconds
        if is_speech:
            self._paused = False
        if self._length >= self.max_s:
            self.reset()
            return SegmentEvent.TIMEOUT
        if self._silence_run >= self.end_silence_s:
            self.reset()
            return SegmentEvent.END
        if not self._paused and self.pause_s <= self._silence_run:
            self._paused = True
            return SegmentEvent.PAUSE
        return None

    def reset(self) -> None:
        """Back to waiting for speech."""
        self.in_speech = self._paused = False
        self._speech_run = self._silence_run = self._length = 0.0


def silero_path() -> Path:
    """The Silero VAD v6 ONNX file that faster-whisper ships."""
    import faster_whisper

    return Path(os.path.dirname(faster_whisper.__file__)) / "assets" / "silero_vad_v6.onnx"


class SileroVad:
    """Speech probability per 32 ms frame, streaming (state carried between frames)."""

    def __init__(self, path: Path | None = None, threshold: float = 0.5) -> None:
        import onnxruntime

        opts = onnxruntime.SessionOptions()
        opts.inter_op_num_threads = 1
        opts.intra_op_num_threads = 1
        opts.log_severity_level = 4
        self._session = onnxruntime.InferenceSession(
            str(path or silero_path()), providers=["CPUExecutionProvider"], sess_options=opts
        )
        self.threshold = threshold
        self.reset()

    def reset(self) -> None:
        """Forget the stream so far."""
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(_CONTEXT, dtype=np.float32)

    def probability(self, frame: np.ndarray) -> float:
        """Speech probability of one frame of ``FRAME`` float32 samples at 16 kHz."""
        x = np.concatenate([self._context, frame.astype(np.float32, copy=False)])[None, :]
        out, self._h, self._c = self._session.run(None, {"input": x, "h": self._h, "c": self._c})
        self._context = frame[-_CONTEXT:].astype(np.float32, copy=True)
        return float(np.asarray(out).ravel()[0])

    def speech_frames(self, audio: np.ndarray) -> list[bool]:
        """Speech or not, for every whole frame of a buffer (from a fresh state)."""
        self.reset()
        n = len(audio) // FRAME
        return [self.probability(audio[i * FRAME : (i + 1) * FRAME]) >= self.threshold for i in range(n)]


def speech_span(flags: list[bool], segmenter: Segmenter) -> tuple[int, int, bool] | None:
    """First utterance of a buffer as (first frame, end frame, cut at max length), or None."""
    seconds = FRAME / SAMPLE_RATE
    start = None
    for i, flag in enumerate(flags):
        event = segmenter.process(seconds, flag)
        if event is SegmentEvent.START:
            start = max(0, i - int(segmenter.start_s / seconds) - 3)
        elif event is SegmentEvent.END and start is not None:
            return start, i + 1, False
        elif event is SegmentEvent.TIMEOUT and start is not None:
            return start, i + 1, True
    if start is not None:
        return start, len(flags), False
    return None
