"""The pipeline's stages as Protocols, and what passes between them.

``Pipeline`` (``assistant.pipeline``) runs speech-to-text -> understanding -> policy -> gateway ->
reply -> text-to-speech; each engine is one of the Protocols below, so that another recogniser
(Whisper, Moonshine), another understanding or another voice plugs in without the pipeline,
``carvoice batch``, ``carvoice run`` or ``carvoice bench`` changing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from assistant.understanding.context import DialogueContext
    from assistant.understanding.understand import Understood


@dataclass(frozen=True)
class Hypothesis:
    """One reading of the audio by the recogniser."""

    text: str
    logprob: float
    """Mean token log-probability (the beam's length-normalised score)."""
    min_prob: float = 1.0
    """The lowest probability of any word-bearing token (1.0 when the engine does not say)."""


@dataclass(frozen=True)
class Transcript:
    """What was heard."""

    text: str
    """The words, or '' when nothing was said."""
    speech_seconds: float
    """Duration of voiced audio, in seconds."""
    no_speech_prob: float
    """The recogniser's probability that there was no speech."""
    avg_logprob: float
    """Mean token log-probability of ``text``."""
    ms: float
    """Time spent, in milliseconds."""
    too_long: bool = False
    """True when the speech ran past the longest utterance (not treated as a command)."""
    hypotheses: tuple[Hypothesis, ...] = ()
    """The recogniser's n-best, best first (``text`` is the first one's, mended); may be empty."""
    min_prob: float = 1.0
    """The lowest word-token probability of ``text`` (1.0 when unknown)."""


@dataclass(frozen=True)
class Account:
    """How well the understanding accounts for a sentence, without acting on it."""

    sure: bool
    """Every clause was understood."""
    acts: bool
    """It would change the car (or ask to)."""
    question: bool
    """It asks about the car, or is a statement, rather than a request."""
    complete: bool
    """Understood, and nothing is left hanging."""
    hanging: bool = False
    """It stops on a word that expects more ("set the temperature to ...")."""
    unexplained: int = 0
    """Words the understanding had no use for."""
    functions: frozenset[str] = frozenset()
    """The tools it would call."""
    calls: tuple[str, ...] = ()
    """The calls it would make, each as canonical JSON (to tell readings that agree from those that do not)."""
    remark: bool = False
    """It acts only on a remark about comfort ("I'm cold", a lone "hot")."""


@runtime_checkable
class SpeechToText(Protocol):
    """Audio -> words."""

    def load(self) -> None:
        """Load the model (blocking); raises ``SpeechToTextError`` (``stt-no-model``)."""

    def transcribe(self, audio: np.ndarray) -> Transcript:
        """One utterance of 16 kHz mono float32 (blocking); raises ``SpeechToTextError``."""
        ...


@runtime_checkable
class Understanding(Protocol):
    """Words -> validated tool calls."""

    async def understand(self, text: str, speaker: str, context: DialogueContext, *,
                         doubt: str | None = None) -> Understood:
        """Understand ``text`` said from ``speaker``'s seat; ``doubt``: why the words may not be what was
        said (an action is then proposed, not taken)."""
        ...

    def account(self, text: str, speaker: str, context: DialogueContext) -> Account:
        """How well ``text`` is accounted for (fast, side-effect free: used to choose among hypotheses)."""
        ...

    def close(self) -> None:
        """Release what it holds (the model's worker process)."""


@dataclass(frozen=True)
class SpeechChunk:
    """One synthesized sentence."""

    samples: np.ndarray
    """int16 mono samples."""
    sample_rate: int
    """Hertz."""


@runtime_checkable
class TextToSpeech(Protocol):
    """Words -> audio."""

    @property
    def sample_rate(self) -> int:
        """Hertz of the audio."""
        ...

    def load(self) -> None:
        """Load the voice (blocking); raises ``TextToSpeechError``."""

    def synthesize(self, text: str) -> Iterator[SpeechChunk]:
        """One chunk per sentence, as soon as each is ready (blocking)."""
        ...
