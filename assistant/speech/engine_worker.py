"""Speech engines in their own process: ``python -m assistant.speech.engine_worker``.

One engine per process, as wyoming services are built: ``{"engine": "stt", "settings": ...}``
loads faster-whisper, ``{"engine": "tts", ...}`` the piper voice (``assistant/workers.py`` has the
protocol and the supervisor). ``WorkerSpeechToText`` and ``WorkerTextToSpeech`` are the parent's
side: the same Protocols as the in-process engines (``assistant/stages.py``), so the pipeline and
the listener do not know where an engine runs. A crash or a hang in CTranslate2 or onnxruntime then
costs one request (``stt-crashed``, ``stt-timeout``, ``tts-crashed``, ``tts-timeout``) and the
supervisor restarts the engine.

Whether to do it was measured (``scripts/measure_speech_workers.py``; README "Speech engines in
their own processes"): audio crosses a pipe as float32 (3 s of speech: 192 kB), a sentence of
speech comes back as int16.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.speech.errors import SpeechToTextError, TextToSpeechError
from assistant.stages import Hypothesis, SpeechChunk, Transcript
from assistant.workers import FatalSetupError, Handler, SupervisedWorker, WorkerCrashed, WorkerError, \
    WorkerTimeout, serve

if TYPE_CHECKING:
    from assistant.config import Settings


def setup(init: dict[str, Any]) -> dict[str, Handler]:
    """Load the engine ``init["engine"]`` names; return its handler."""
    from assistant.config import Settings

    settings = Settings.model_validate(init["settings"])
    if init.get("engine") == "stt":
        from assistant.runtime import SpeechEngines

        stt = SpeechEngines.recogniser(settings)
        try:
            stt.load()
        except SpeechToTextError as err:
            raise FatalSetupError(str(err)) from err

        def transcribe(header: dict[str, Any], blob: bytes) -> Iterator[tuple[dict[str, Any], bytes]]:
            t = stt.transcribe(np.frombuffer(blob, np.float32))
            yield {"transcript": _transcript_dict(t)}, b""

        return {"transcribe": transcribe}
    if init.get("engine") == "tts":
        from assistant.runtime import LazyVoice

        voice = LazyVoice(settings.speech.voice, list(settings.speech.voice_dirs))
        try:
            voice.load()
        except TextToSpeechError as err:
            raise FatalSetupError(str(err)) from err

        def speak(header: dict[str, Any], blob: bytes) -> Iterator[tuple[dict[str, Any], bytes]]:
            for chunk in voice.synthesize(str(header["text"])):  # sent sentence by sentence ("stream")
                yield {"sample_rate": chunk.sample_rate}, chunk.samples.astype(np.int16).tobytes()

        def rate(header: dict[str, Any], blob: bytes) -> Iterator[tuple[dict[str, Any], bytes]]:
            yield {"sample_rate": voice.sample_rate}, b""

        return {"speak": speak, "rate": rate}
    raise FatalSetupError(f"unknown engine {init.get('engine')!r}")


def _transcript_dict(t: Transcript) -> dict[str, Any]:
    return {"text": t.text, "speech_seconds": t.speech_seconds, "no_speech_prob": t.no_speech_prob,
            "avg_logprob": t.avg_logprob, "ms": t.ms, "too_long": t.too_long, "min_prob": t.min_prob,
            "hypotheses": [[h.text, h.logprob, h.min_prob] for h in t.hypotheses]}


def _transcript(d: dict[str, Any]) -> Transcript:
    return Transcript(d["text"], d["speech_seconds"], d["no_speech_prob"], d["avg_logprob"], d["ms"],
                      too_long=d["too_long"], min_prob=d["min_prob"],
                      hypotheses=tuple(Hypothesis(t, lp, mp) for t, lp, mp in d["hypotheses"]))


def _worker(engine: str, settings: Settings, deadline: float) -> SupervisedWorker:
    init = {"engine": engine, "settings": json.loads(settings.model_dump_json())}
    return SupervisedWorker(engine, "assistant.speech.engine_worker", init, deadline=deadline,
                            start_timeout=120.0)


class _EngineInWorker:
    """What both engines' parent sides share: one supervised child, started once, waited for."""

    engine = ""
    error: type[SpeechToTextError] | type[TextToSpeechError] = SpeechToTextError
    prefix = ""
    missing = ""
    """The code when the engine cannot start."""

    def __init__(self, settings: Settings, *, deadline: float = 10.0) -> None:
        self.worker = _worker(self.engine, settings, deadline)
        self._started = False
        self._start_lock = threading.Lock()

    def load(self) -> None:
        """Start the child and wait until its engine is loaded (``missing`` when it cannot start)."""
        with self._start_lock:  # the service warms it in a thread while a request may need it
            if not self._started:
                self.worker.start()
                self._started = True
        if not self.worker.wait(self.worker.start_timeout):
            raise self.error(f"the {self.engine} worker did not start ({self.worker.status.detail})",
                             code=self.missing)

    def _coded(self, err: WorkerError) -> SpeechToTextError | TextToSpeechError:
        """The engine's error for a failed call: ``<prefix>-timeout``, ``-crashed`` or the child's own code."""
        if isinstance(err, WorkerTimeout):
            code = f"{self.prefix}-timeout"
        elif isinstance(err, WorkerCrashed):
            code = f"{self.prefix}-crashed"
        else:
            code = err.code or f"{self.prefix}-failed"
        return self.error(str(err), code=code)

    def close(self) -> None:
        """Stop the child."""
        self.worker.stop()


class WorkerSpeechToText(_EngineInWorker):
    """Speech-to-text in a supervised child process (a ``SpeechToText``)."""

    engine, error, prefix, missing = "stt", SpeechToTextError, "stt", "stt-no-model"

    def transcribe(self, audio: np.ndarray) -> Transcript:
        """What was said; a crash or a hang of the engine raises ``SpeechToTextError`` with its code."""
        self.load()
        try:
            header, _ = self.worker.call("transcribe", blob=np.asarray(audio, np.float32).tobytes(), wait=5.0)
        except WorkerError as err:
            raise self._coded(err) from err
        return _transcript(header["transcript"])


class WorkerTextToSpeech(_EngineInWorker):
    """Text-to-speech in a supervised child process (a ``TextToSpeech``)."""

    engine, error, prefix, missing = "tts", TextToSpeechError, "tts", "tts-no-voice"

    def __init__(self, settings: Settings, *, deadline: float = 10.0) -> None:
        super().__init__(settings, deadline=deadline)
        self._rate: int | None = None

    @property
    def sample_rate(self) -> int:
        """Hertz of the voice's audio."""
        if self._rate is None:
            self.load()
            self._rate = int(self.worker.call("rate", wait=5.0)[0]["sample_rate"])
        return self._rate

    def synthesize(self, text: str) -> Iterator[SpeechChunk]:
        """One chunk per sentence, as each arrives from the child."""
        self.load()
        try:
            for header, data in self.worker.stream("speak", {"text": text, "stream": True}, wait=5.0):
                if not header.get("end"):
                    yield SpeechChunk(np.frombuffer(data, np.int16), int(header["sample_rate"]))
        except WorkerError as err:
            raise self._coded(err) from err


if __name__ == "__main__":
    sys.exit(serve(setup))
