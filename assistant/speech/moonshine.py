"""Speech-to-text with Moonshine base (English), the second recogniser, behind the same VAD front end.

The PyPI package ``moonshine-cpp`` (0.1.4) ships the ``base-en`` encoder/decoder as ONNX Runtime
``.ort`` files, its tokenizer, ``libmoonshine.so`` and its own ``libonnxruntime.so.1.22.1``, both
loaded with ctypes when the package is imported. Only the bundled English files are used, named
by path, so nothing is ever downloaded (the package fetches other languages from a model hub).

Running alongside the PyPI ``onnxruntime`` (Silero VAD, piper) in one process was checked: that
wheel links ONNX Runtime statically into its Python extension and never loads its own
``libonnxruntime.so.1.32.0``, so the only library answering to the soname ``libonnxruntime.so.1``
is Moonshine's; transcription, VAD and piper synthesis work in either import order. Anything that
loaded ``onnxruntime/capi/libonnxruntime.so.1.32.0`` before Moonshine would take that soname
and Moonshine would bind to it instead.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import threading
import time
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.speech.errors import SpeechToTextError
from assistant.speech.vad import FRAME, SAMPLE_RATE, SileroVad
from assistant.stages import Transcript

if TYPE_CHECKING:
    from assistant.config import Settings

_LOG = logging.getLogger(__name__)

UNSCORED_LOGPROB = -0.5
"""The mean log-probability reported for every Moonshine transcript (it has none): between
``hearing.UNSURE_LOGPROB`` (-0.3) and ``hearing.DOUBT_LOGPROB`` (-0.85), and below
``listen.EARLY_MIN_LOGPROB`` (-0.35), so that its transcripts count as unsure (see the class)."""

MIN_SAMPLES = SAMPLE_RATE
"""Clips shorter than this (1 s) are padded with silence: under 895 samples Moonshine's
convolutions throw a C++ exception that aborts the whole process."""

FILES = ("encoder_model.ort", "decoder_model_merged.ort", "tokenizer.bin")
"""What a Moonshine model folder holds."""


def bundled_model_dir() -> Path:
    """The ``base-en`` folder inside the installed ``moonshine-cpp`` package (found without importing it)."""
    import importlib.util

    spec = importlib.util.find_spec("moonshine_cpp")
    if spec is None or spec.origin is None:
        raise SpeechToTextError("moonshine-cpp is not installed (pip install -e '.[speech]')", code="stt-no-model")
    return Path(spec.origin).parent / "models" / "base-en"


_PROBE = """
import ctypes, sys
import numpy as np
import moonshine_cpp
lib = moonshine_cpp.moonshine_lib
h = lib.moonshine_load_model(*[a.encode() for a in sys.argv[1:4]], moonshine_cpp.MOONSHINE_MODEL_TYPE_BASE)
if h == -1:
    sys.exit(3)
s = np.zeros(16000, dtype=np.float32)
t = ctypes.c_char_p()
sys.exit(lib.moonshine_transcribe(h, s.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), s.size, ctypes.byref(t)) and 4)
"""
@functools.cache
def cannot_run_here(folder: Path) -> str | None:
    """Why moonshine-cpp cannot run on this CPU (None: it can), tried once per process in a child.

    moonshine-cpp 0.1.4's ``libmoonshine.so`` is compiled with AVX-512 instructions (an EVEX
    ``vpbroadcastq`` from a general register, in its model loader): on a CPU without AVX-512 the
    load dies of SIGILL, which in this process would take the assistant down with it.
    """
    import signal
    import subprocess
    import sys

    try:
        done = subprocess.run([sys.executable, "-c", _PROBE, *(str(folder / n) for n in FILES)],
                              capture_output=True, timeout=120, check=False)
    except subprocess.TimeoutExpired:
        return "loading Moonshine took over 120 s"
    code = done.returncode
    if code == -signal.SIGILL:
        return "moonshine-cpp's libmoonshine.so uses instructions this CPU lacks (SIGILL; it is built with AVX-512)"
    if code < 0:
        return f"moonshine-cpp died of {signal.Signals(-code).name} loading the model"
    if code:
        return f"moonshine-cpp failed to load and run the model (exit {code}): {done.stderr[-300:]!r}"
    return None


class MoonshineSpeechToText:
    """Moonshine base (English) through moonshine-cpp, with Silero VAD in front (a ``SpeechToText``).

    Moonshine returns words only, no scores, and one reading. What a transcript reports instead:

    - ``avg_logprob`` is ``UNSCORED_LOGPROB`` (-0.5), never 0.0: unknown confidence is taken as
      *unsure*, not sure. With the doubt rules of ``assistant.hearing`` that means a transcript the
      understanding has unexplained words in, or one acting on a lone comfort remark ("hot"), is
      asked about, never acted on; and ``Listener.complete`` (early end, above -0.35) never acts
      at the first pause, it waits for the end silence. A fully understood command is acted on.
    - ``min_prob`` is 1.0 and ``no_speech_prob`` 0.0 ("not known"; nothing heard: text '' and
      ``no_speech_prob`` 1.0), ``hypotheses`` is empty: the rival-reading rules (a likelier question,
      other calls) cannot apply, which is the price of this engine (README "Choosing the recogniser").
    """

    def __init__(self, model_dir: Path | None = None, *, language: str = "en", max_utterance_s: float = 15.0) -> None:
        self.model_dir = model_dir
        """Folder of the ``.ort`` files and tokenizer; None: the package's bundled ``base-en``."""
        self.language = language
        self.max_utterance_s = max_utterance_s
        self._lib: Any = None
        self._handle = -1
        self._vad: SileroVad | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> MoonshineSpeechToText:
        """The engine the configuration describes (``speech.stt_engine = "moonshine"``)."""
        return cls(language=settings.language, max_utterance_s=settings.speech.max_utterance_s)

    def load(self) -> None:
        """Load the model (blocking); ``stt-no-model`` when the package, its files or the language are missing."""
        with self._lock:
            if self._handle != -1:
                return
            if self.language != "en":
                raise SpeechToTextError(f"Moonshine (bundled) is English only, not {self.language!r}",
                                        code="stt-no-model")
            folder = self.model_dir or bundled_model_dir()
            missing = [name for name in FILES if not (folder / name).is_file()]
            if missing:
                raise SpeechToTextError(f"no Moonshine model in {folder} (missing {', '.join(missing)})",
                                        code="stt-no-model")
            why = cannot_run_here(folder)
            if why is not None:
                raise SpeechToTextError(f"Moonshine cannot run here: {why}; use speech.stt_engine = \"whisper\"",
                                        code="stt-no-model")
            try:
                import moonshine_cpp  # loads libonnxruntime.so.1.22.1 and libmoonshine.so
            except (ImportError, OSError) as err:
                raise SpeechToTextError(f"cannot load moonshine-cpp: {err}", code="stt-no-model") from err
            lib = moonshine_cpp.moonshine_lib
            paths = [str(folder / name).encode() for name in FILES]
            handle = lib.moonshine_load_model(*paths, moonshine_cpp.MOONSHINE_MODEL_TYPE_BASE)
            if handle == -1:
                raise SpeechToTextError(f"cannot load the Moonshine model in {folder}", code="stt-no-model")
            self._lib, self._handle = lib, int(handle)
            self._vad = SileroVad()

    def _decode(self, clip: np.ndarray) -> str:
        """Moonshine on one clip (the package's ``MoonshineModel.transcribe`` is broken in 0.1.4:
        it calls ``ctypes.c_float_p``, which does not exist; the C function is called directly)."""
        if len(clip) < MIN_SAMPLES:
            clip = np.concatenate([clip, np.zeros(MIN_SAMPLES - len(clip), dtype=np.float32)])
        samples = np.ascontiguousarray(clip, dtype=np.float32)
        text = ctypes.c_char_p()
        error = self._lib.moonshine_transcribe(self._handle, samples.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
                                               samples.size, ctypes.byref(text))
        if error != 0:
            raise SpeechToTextError(f"Moonshine failed with error {error}")
        try:
            return (text.value or b"").decode("utf-8", errors="replace").strip()
        finally:
            self._lib.moonshine_free_text(text)

    def transcribe(self, audio: np.ndarray) -> Transcript:
        """Transcribe one utterance of 16 kHz mono float32 (blocking; run it off the event loop)."""
        started = time.perf_counter()
        if self._handle == -1:
            self.load()
        assert self._vad is not None
        if audio.ndim != 1 or not np.isfinite(audio).all():
            raise SpeechToTextError("audio must be finite mono samples")
        with self._lock:
            flags = self._vad.speech_frames(audio)
        voiced = [i for i, f in enumerate(flags) if f]
        if len(voiced) < 4:  # under ~130 ms of voice: silence or noise
            return Transcript("", 0.0, 1.0, UNSCORED_LOGPROB, _ms(started))
        first, last = voiced[0], voiced[-1]
        span = (last - first + 1) * FRAME / SAMPLE_RATE
        if span > self.max_utterance_s:
            return Transcript("", span, 0.0, UNSCORED_LOGPROB, _ms(started), too_long=True)
        pad = int(0.3 * SAMPLE_RATE)
        clip = audio[max(0, first * FRAME - pad) : min(len(audio), (last + 1) * FRAME + pad)]
        with self._lock:
            text = self._decode(clip)
        if _loops(text):
            _LOG.info("Moonshine looped on %.1f s of speech; taken as not heard", span)
            text = ""
        if not text:
            return Transcript("", len(voiced) * FRAME / SAMPLE_RATE, 1.0, UNSCORED_LOGPROB, _ms(started))
        return Transcript(text, len(voiced) * FRAME / SAMPLE_RATE, 0.0, UNSCORED_LOGPROB, _ms(started))


def _loops(text: str) -> bool:
    """A transcript that repeats itself (what a decoder without a stop does on odd audio)."""
    raw = text.encode()
    return len(raw) > 24 and len(raw) / len(zlib.compress(raw)) > 2.4


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
