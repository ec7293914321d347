"""Listening after push-to-talk: microphone frames -> VAD -> endpointing -> one transcript.

The segmenter needs ``end_silence_s`` (500 ms) of silence to know that speech has ended; waiting
for it before transcribing would add that whole wait to every command. Instead, after a short gap
(``early_start_s``, 100 ms) the audio so far is transcribed in the background. If the speaker goes
on, that transcript is stale and dropped. Once the silence has lasted ``pause_s`` (200 ms) and the
transcript is ready, the understanding judges it:

- a complete request the recogniser was sure of ("set the temperature to 22") ends the utterance
  at once: there is no need to wait out the end silence (*early end*);
- a request that is left hanging ("set the temperature to ...") makes the listener wait longer
  (``hanging_silence_s``), so that somebody who pauses to think is not cut off;
- anything else waits for the end silence as before.

A release of the push-to-talk button after such a gap uses the transcript under way, too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from assistant.stages import Account, SpeechToText, Transcript
from assistant.speech.vad import FRAME, SAMPLE_RATE, SegmentEvent, Segmenter, SileroVad

if TYPE_CHECKING:
    from assistant.config import Settings

Judge = Callable[[str], Account]
"""How completely the understanding accounts for a transcript (``Understanding.account``)."""

EARLY_MIN_LOGPROB = -0.35
"""An early transcript is acted on only above this mean token log-probability (a sure one)."""


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
    """From the end of listening to the transcript, in milliseconds."""
    how: str = "end"
    """``early-end`` (acted on at the first pause), ``early`` (made at the pause, used at the end
    silence), ``end`` (made after the end silence), ``released`` (the button was let go), ``none``."""
    waited_s: float = 0.0
    """The silence after the speech that was waited for, in seconds."""


class Listener:
    """Captures one utterance from a frame source and transcribes it, early where possible."""

    def __init__(self, transcribe: Callable[[np.ndarray], Transcript], *, end_silence_s: float = 0.5,
                 max_s: float = 15.0, timeout_s: float = 6.0, pause_s: float = 0.2,
                 judge: Judge | None = None, early_end: bool = True, hanging_silence_s: float = 1.5,
                 early_min_logprob: float = EARLY_MIN_LOGPROB, early_start_s: float = 0.1) -> None:
        self._transcribe = transcribe
        self.end_silence_s = end_silence_s
        self.max_s = max_s
        self.timeout_s = timeout_s
        self.pause_s = min(pause_s, end_silence_s)
        self.early_start_s = min(early_start_s, self.pause_s)
        self.judge = judge
        self.early_end = early_end and judge is not None
        self.hanging_silence_s = max(hanging_silence_s, end_silence_s)
        self.early_min_logprob = early_min_logprob
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stt-early")

    @classmethod
    def from_settings(cls, settings: Settings, stt: SpeechToText, judge: Judge | None = None) -> Listener:
        """The listener the configuration describes (``[speech]`` and ``[service]``)."""
        sp = settings.speech
        return cls(stt.transcribe, end_silence_s=sp.end_silence_s, max_s=sp.max_utterance_s,
                   timeout_s=settings.service.listen_timeout_s, pause_s=sp.pause_s, judge=judge,
                   early_end=sp.early_end, hanging_silence_s=sp.hanging_silence_s, early_start_s=sp.early_start_s)

    def complete(self, transcript: Transcript) -> bool | None:
        """True: act now; False: the request is hanging, wait longer; None: wait for the end silence."""
        if self.judge is None or not transcript.text:
            return None
        account = self.judge(transcript.text)
        if account.hanging:
            return False
        if not account.complete:
            return None
        sure = transcript.avg_logprob >= self.early_min_logprob and transcript.no_speech_prob < 0.5
        return True if sure and (account.acts or account.question) else None

    def listen(self, mic: FrameSource, released: threading.Event | None = None, *, buffered: bool = False) -> Heard:
        """Blocking: frames until the end of speech, a cut at ``max_s`` or ``timeout_s`` without speech.

        ``released``: the push-to-talk button's release. Held while speaking, its release ends the
        utterance at once (no end silence to wait for); released before the speech began (a tap),
        it changes nothing and the silence ends the utterance. ``buffered``: begin with the frames
        the microphone holds already instead of dropping them (the words right after a wake word).
        """
        vad = SileroVad()
        seg = Segmenter(end_silence_s=self.end_silence_s, max_s=self.max_s, pause_s=self.pause_s)
        if not buffered:
            mic.clear()
        frames: list[np.ndarray] = []
        deadline = time.monotonic() + self.timeout_s
        started = False
        early: Future[Transcript] | None = None
        judged = False
        tapped = False
        how = "end"
        silence = 0.0
        while True:
            if started and released is not None and not tapped and released.is_set():
                how = "released"
                break  # held while speaking, now let go: the speaker is done
            if not started and time.monotonic() > deadline:
                how = "none"
                break  # nobody spoke
            frame = mic.read(0.5)
            if frame is None:
                continue
            frames.append(frame)
            speech = vad.probability(frame) >= vad.threshold
            silence = 0.0 if speech else silence + FRAME / SAMPLE_RATE
            if speech and early is not None:
                early, judged = None, False  # the speaker went on: what was transcribed early is stale
                seg.end_silence_s = self.end_silence_s
            event = seg.process(FRAME / SAMPLE_RATE, speech)
            if event is SegmentEvent.START:
                started = True
                tapped = released is not None and released.is_set()
            elif event in (SegmentEvent.END, SegmentEvent.TIMEOUT):
                break
            if seg.in_speech and early is None and silence >= self.early_start_s - 1e-9:
                early = self._worker.submit(self._transcribe, np.concatenate(frames))  # a gap: maybe the end
            if early is not None and not judged and silence >= self.pause_s - 1e-9 and early.done() \
                    and self.early_end:
                judged = True
                verdict = self.complete(early.result())
                if verdict is True:
                    how = "early-end"
                    seg.reset()
                    break
                if verdict is False:
                    seg.end_silence_s = self.hanging_silence_s  # "set the temperature to ...": wait for the rest
        audio = np.concatenate(frames) if frames else np.zeros(0, np.float32)
        ended = time.perf_counter()
        if early is not None and started:
            # no speech since it began (speech drops it), so it holds every word: also on a release
            transcript = early.result()
            if how == "end":
                how = "early"
        else:
            transcript = self._transcribe(audio)
        return Heard(transcript, early is not None and started, (time.perf_counter() - ended) * 1000, how, silence)

    def close(self) -> None:
        """Stop the background worker."""
        self._worker.shutdown(wait=False, cancel_futures=True)
