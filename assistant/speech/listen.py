"""Listening after push-to-talk: microphone frames -> VAD -> endpointing -> one transcript.

The segmenter needs ``end_silence_s`` (500 ms) of silence to know speech has ended; waiting for
it before transcribing would add that whole wait to every command. Instead, at the first short
pause (200 ms) the audio so far is transcribed in the background; if the speaker goes on, that
early transcript is stale and dropped, and when the end is confirmed it is usually ready.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from assistant.speech.stt import Transcript
from assistant.speech.vad import FRAME, SAMPLE_RATE, SegmentEvent, Segmenter, SileroVad


class FrameSource(Protocol):
    """A microphone: 16 kHz mono float32 frames of ``FRAME`` samples."""

    def read(self, timeout: float = 1.0) -> np.ndarray | None: ...

    def clear(self) -> None: ...


@dataclass
class Heard:
    """One listening turn."""

    transcript: Transcript
    early: bool
    """True when the transcript started at a pause, before the end of speech was confirmed."""
    end_to_text_ms: float
    """From the confirmed end of speech to the transcript, in milliseconds."""


class Listener:
    """Captures one utterance from a frame source and transcribes it, early where possible."""

    def __init__(self, transcribe: Callable[[np.ndarray], Transcript], *, end_silence_s: float = 0.5,
                 max_s: float = 15.0, timeout_s: float = 6.0, pause_s: float = 0.2) -> None:
        self._transcribe = transcribe
        self.end_silence_s = end_silence_s
        self.max_s = max_s
        self.timeout_s = timeout_s
        self.pause_s = min(pause_s, end_silence_s)
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stt-early")

    def listen(self, mic: FrameSource, released: threading.Event | None = None) -> Heard:
        """Blocking: frames until the end of speech, a cut at ``max_s`` or ``timeout_s`` without speech.

        ``released``: the push-to-talk button's release. Held while speaking, its release ends the
        utterance at once (no end silence to wait for); released before the speech began (a tap),
        it changes nothing and the silence ends the utterance.
        """
        vad = SileroVad()
        seg = Segmenter(end_silence_s=self.end_silence_s, max_s=self.max_s, pause_s=self.pause_s)
        mic.clear()
        frames: list[np.ndarray] = []
        deadline = time.monotonic() + self.timeout_s
        started = False
        early: Future[Transcript] | None = None
        tapped = False
        while True:
            if started and released is not None and not tapped and released.is_set():
                break  # held while speaking, now let go: the speaker is done
            if not started and time.monotonic() > deadline:
                break  # nobody spoke
            frame = mic.read(0.5)
            if frame is None:
                continue
            frames.append(frame)
            speech = vad.probability(frame) >= vad.threshold
            if speech:
                early = None  # the speaker went on: what was transcribed early is stale
            event = seg.process(FRAME / SAMPLE_RATE, speech)
            if event is SegmentEvent.START:
                started = True
                tapped = released is not None and released.is_set()
            elif event is SegmentEvent.PAUSE:
                early = self._worker.submit(self._transcribe, np.concatenate(frames))
            elif event in (SegmentEvent.END, SegmentEvent.TIMEOUT):
                break
        audio = np.concatenate(frames) if frames else np.zeros(0, np.float32)
        ended = time.perf_counter()
        if early is not None and started:
            transcript = early.result()
        else:
            transcript = self._transcribe(audio)
        return Heard(transcript, early is not None and started, (time.perf_counter() - ended) * 1000)

    def close(self) -> None:
        """Stop the background worker."""
        self._worker.shutdown(wait=False, cancel_futures=True)
