"""Speech-to-text with faster-whisper (CTranslate2, int8), guarded against hearing what was not said."""

from __future__ import annotations

import logging
import re
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from assistant.speech.errors import SpeechToTextError
from assistant.stages import Hypothesis, Transcript
from assistant.speech.vad import FRAME, SAMPLE_RATE, SileroVad

if TYPE_CHECKING:
    from assistant.config import Settings

_LOG = logging.getLogger(__name__)

def prompt_of(language: str = "en") -> str:
    """Whisper's prompt: the car's words from the language data (``[recogniser] prompt``).

    The biggest single gain in accuracy, free in latency. Words, not sentences, and no numbers:
    a prompt of example commands made Whisper "hear" them (a spoken 99 degrees came out as the
    prompt's 22 degrees). With the zones (driver, passenger, rear left/right) and the tools' nouns
    of the registry it got 87.1 % of 194 spoken paraphrases right against 86.1 % with the first,
    hand-written list of catalogue words (n-best rescoring on, espeak-ng, 2026-12-02).
    """
    from assistant.understanding.lexicon import load

    words = load(language).words("recogniser", "prompt")
    text = ", ".join(words) + "."
    return text[0].upper() + text[1:] if words else ""


PROMPT = prompt_of()
"""The English prompt."""

FULL_WINDOW = 3000
"""Whisper's window: 30 s of 10 ms mel frames, mostly padding for a spoken command."""
MIN_WINDOW = 1000
"""Shortest trimmed window (10 s): shorter ones made Whisper repeat itself on short commands."""
WINDOW_MARGIN = 300
"""Mel frames of padding the trimmed window keeps after the speech."""

HALLUCINATIONS = {"thank you", "thanks for watching", "thank you for watching", "you", "bye", "subtitles by",
                  "please subscribe", "thanks", ".", "so", "okay"}
"""What Whisper famously "hears" in silence and noise."""


class SpeechToText:
    """faster-whisper over a local CTranslate2 model directory, with VAD in front."""

    def __init__(self, model_dir: Path, *, threads: int = 2, beam_size: int = 1, language: str = "en",
                 max_utterance_s: float = 15.0, prompt: str = PROMPT, trim_context: bool = True,
                 lexicon: frozenset[str] = frozenset(), hypotheses: int = 1) -> None:
        self.model_dir = model_dir
        self.threads = threads
        self.beam_size = beam_size
        self.hypotheses = max(1, min(hypotheses, beam_size))
        """How many of the beam's readings to return (the n-best the understanding chooses from)."""
        self.language = language
        self.max_utterance_s = max_utterance_s
        self.prompt = prompt
        self.trim_context = trim_context
        self.lexicon = lexicon
        """Domain words that near-misses are mended to (see ``mend``)."""
        self._tokenizer: object | None = None
        self._prompt_tokens: list[int] = []
        """Whisper's decoder prompt (our words, then the start-of-transcript sequence), built at load."""
        self._suppressed: list[int] = []
        self._model: object | None = None
        self._vad: SileroVad | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, model_dir: Path | None = None) -> SpeechToText:
        """The engine the configuration describes (``model_dir`` overrides the configured model)."""
        from assistant.places import Places
        from assistant.registry import vocabulary

        sp = settings.speech
        places = frozenset(w for poi in Places(settings.pois_path()).pois for w in poi.name.lower().split()
                           if len(w) >= 4 and w.isalpha())
        return cls(model_dir or sp.stt_model, threads=sp.stt_threads, beam_size=sp.beam_size,
                   language=settings.language, max_utterance_s=sp.max_utterance_s,
                   prompt=prompt_of(settings.language) if sp.stt_prompt is None else sp.stt_prompt,
                   trim_context=sp.trim_window,
                   lexicon=vocabulary(settings.language) | places, hypotheses=sp.hypotheses)

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
        from faster_whisper.tokenizer import Tokenizer

        from faster_whisper.transcribe import get_suppressed_tokens

        tok = Tokenizer(self._model.hf_tokenizer, self._model.model.is_multilingual,  # type: ignore[attr-defined]
                        task="transcribe", language=self.language)
        previous = tok.encode(" " + self.prompt.strip()) if self.prompt.strip() else []
        self._tokenizer = tok
        self._prompt_tokens = self._model.get_prompt(tok, previous, without_timestamps=True)  # type: ignore[attr-defined]
        self._suppressed = get_suppressed_tokens(tok, [-1])
        self._vad = SileroVad()

    def _decode(self, clip: np.ndarray, *, trimmed: bool) -> tuple[list[Hypothesis], float]:
        """Beam decoding of one clip: the n-best (best first) and the no-speech probability.

        ``trimmed``: the encoder sees the clip plus a margin instead of Whisper's 30 s window of
        mostly padding (whisper.cpp's ``audio_ctx``): 4-5x less encoder work for a 3 s command.
        """
        from faster_whisper.audio import pad_or_trim

        model = self._model
        assert model is not None and self._tokenizer is not None
        features = model.feature_extractor(clip)  # type: ignore[attr-defined]
        content = features.shape[-1]
        window = min(FULL_WINDOW, max(content + WINDOW_MARGIN, MIN_WINDOW)) if trimmed else FULL_WINDOW
        encoded = model.encode(pad_or_trim(features, window))  # type: ignore[attr-defined]
        prompt = self._prompt_tokens
        seconds = len(clip) / SAMPLE_RATE
        result = model.model.generate(  # type: ignore[attr-defined]
            encoded, [prompt], beam_size=self.beam_size, num_hypotheses=self.hypotheses,
            max_length=len(prompt) + int(12 + 8 * seconds), return_scores=True,
            return_no_speech_prob=True, suppress_blank=True, suppress_tokens=self._suppressed,
        )[0]
        hyps = []
        for tokens, score in zip(result.sequences_ids, result.scores, strict=False):
            # the beam's score is the mean log-probability over the tokens and the end of text
            logprob = score * len(tokens) / (len(tokens) + 1) if tokens else -10.0
            hyps.append(Hypothesis(self._tokenizer.decode(tokens).strip(), float(logprob)))  # type: ignore[attr-defined]
        return hyps or [Hypothesis("", -10.0)], float(result.no_speech_prob)

    def mend(self, text: str) -> str:
        """Near-misses of the car's words mended: "Unavigate to Berlin" -> "navigate to Berlin".

        Only words Whisper had to spell from pieces (not one token of its vocabulary, so not a
        common English word), not in the lexicon, one or two edits (by length) from exactly one
        nearest lexicon word.
        """
        if not self.lexicon or self._tokenizer is None:
            return text
        out = []
        for piece in re.split(r"([A-Za-z]+)", text):
            word = piece.lower()
            if len(word) >= 5 and piece.isalpha() and word not in self.lexicon \
                    and len(self._tokenizer.encode(" " + word)) > 1:  # type: ignore[attr-defined]
                near = _nearest(word, self.lexicon, 1 if len(word) < 8 else 2)
                if near is not None:
                    _LOG.info("heard %r as %r", piece, near)
                    piece = near
            out.append(piece)
        return "".join(out)

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
                hyps, no_speech = self._decode(clip, trimmed=self.trim_context)
                if self.trim_context and _suspicious(hyps[0].text, clip, hyps[0].logprob):
                    # a short window can make Whisper loop or stumble: redo with its full 30 s window
                    hyps, no_speech = self._decode(clip, trimmed=False)
        except (RuntimeError, ValueError) as err:
            raise SpeechToTextError(f"transcription failed: {err}") from err
        mended = []
        for h in hyps:
            text = self.mend(_guard(h.text, no_speech, h.logprob, self.prompt))
            if text and text not in (m.text for m in mended):
                mended.append(Hypothesis(text, h.logprob))
        top = mended[0] if mended and mended[0].logprob == hyps[0].logprob else Hypothesis("", hyps[0].logprob)
        return Transcript(top.text, len(voiced) * FRAME / SAMPLE_RATE, no_speech, top.logprob, _ms(started),
                          hypotheses=tuple(mended) if top.text else ())


def _nearest(word: str, lexicon: frozenset[str], limit: int) -> str | None:
    """The one lexicon word within ``limit`` edits of ``word`` closer than any other, if any."""
    best: list[tuple[int, str]] = []
    for cand in lexicon:
        if abs(len(cand) - len(word)) > limit:
            continue
        d = _edits(word, cand, limit)
        if d <= limit:
            best.append((d, cand))
    best.sort()
    if best and (len(best) == 1 or best[0][0] < best[1][0]):
        return best[0][1]
    return None


def _edits(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, stopping early above ``limit``."""
    row = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        prev, row[0] = row[0], i
        for j in range(1, len(b) + 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] != b[j - 1]))
        if min(row) > limit:
            return limit + 1
    return row[-1]


def _suspicious(text: str, clip: np.ndarray, logprob: float) -> bool:
    """Signs that a trimmed window made Whisper loop: repetition, too many words for the audio.

    Not low confidence: redoing unsure transcripts with the full window (as this did until
    2026-12-02, below -0.22) took 3x the time on unfamiliar speech (p50 1,084 vs 340 ms on 194
    spoken paraphrases, the "bimodal" latency) for +1.0 % clean and -0.5 % at 10 dB SNR once the
    understanding chooses among the n-best; an unsure transcript is now asked about instead
    (``assistant.hearing``). ``logprob`` is kept for callers that log it."""
    import zlib

    raw = text.encode()
    words = len(text.split())
    return (len(raw) > 24 and len(raw) / len(zlib.compress(raw)) > 2.0) or words > 2 + 5 * len(clip) / SAMPLE_RATE


def _guard(text: str, no_speech: float, logprob: float, prompt: str = PROMPT) -> str:
    """'' for text Whisper made up; the prompt removed where it leaked into the output."""
    if no_speech > 0.6 and logprob < -0.8:
        return ""
    low = re.sub(r"[^a-z ]", "", text.lower()).strip()
    if low in HALLUCINATIONS and logprob < -0.5:
        return ""
    prompt_words = re.sub(r"[^a-z ]", " ", prompt.lower()).split()
    if len(low.split()) > 6 and low.split() == prompt_words[: len(low.split())]:
        return ""  # the prompt itself, echoed back from silence
    # "The cancel navigation": a stray article glued from the prompt's style
    text = re.sub(r"^(The|A)\s+(?=(cancel|turn|set|open|close|navigate|switch|make|move|heat|tilt|recline)\b)", "",
                  text, flags=re.IGNORECASE)
    return text.strip()


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
