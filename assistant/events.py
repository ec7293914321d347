"""Events the assistant publishes, and commands it accepts, as small frozen pydantic models.

Topic layout (``<prefix>`` = ``carvoice/<vehicle id>``):

| topic | retained | payload |
|---|---|---|
| ``<prefix>/status`` | yes | ``online`` / ``offline`` (``offline`` is also the last will) |
| ``<prefix>/state/<VSS path>`` | yes | the value as JSON (``22.5``, ``true``, ``"UP"``, ``null``) |
| ``<prefix>/event/<type>`` | no | an ``Event`` below, as JSON |
| ``<prefix>/command/text`` | — | ``TextCommand``: a typed request |
| ``<prefix>/command/ptt`` | — | ``PushToTalkCommand``: start listening |
| ``<prefix>/command/cancel`` | — | ``CancelCommand``: stop the current interaction and playback |
"""

from __future__ import annotations

import time
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.domain import Seat  # noqa: E402 - re-exported: the events' seat is the cabin's


class EventType(StrEnum):
    """What happened; also the last level of the event's topic."""

    LISTENING = "listening"
    TRANSCRIPT = "transcript"
    CALLS = "calls"
    REFUSAL = "refusal"
    CHANGE = "change"
    VEHICLE = "vehicle"
    REPLY = "reply"
    SPOKEN = "spoken"
    DONE = "done"
    ERROR = "error"


class Stage(StrEnum):
    """The pipeline's stages, in order."""

    LISTEN = "listen"
    STT = "stt"
    UNDERSTAND = "understand"
    POLICY = "policy"
    VEHICLE = "vehicle"
    REPLY = "reply"
    TTS = "tts"


class Event(BaseModel):
    """Base of every published event."""

    model_config = ConfigDict(frozen=True)

    type: EventType
    ts: float = Field(default_factory=time.time)
    """When it happened, seconds since the epoch."""
    interaction: str | None = None
    """Id of the interaction it belongs to (the request's id when one was given)."""


class ListeningEvent(Event):
    """The microphone opened or closed for an utterance."""

    type: EventType = EventType.LISTENING
    state: Literal["started", "stopped"]
    seat: Seat
    source: str = "button"
    """What opened it: ``button`` (steering wheel), ``mqtt``, ``console``, ``web`` or ``wake`` (the wake word)."""


class TranscriptEvent(Event):
    """What speech-to-text heard (the hypothesis chosen), how sure it is, and what it took."""

    type: EventType = EventType.TRANSCRIPT
    text: str
    seat: Seat
    ms: float | None = None
    confidence: float | None = None
    """Mean token log-probability of the chosen hypothesis."""
    hypotheses: int = 1
    """How many readings the recogniser offered."""
    doubt: str | None = None
    """Why the words may not be what was said (an action is then asked about, not taken)."""


class CallsEvent(Event):
    """The validated tool calls of a request."""

    type: EventType = EventType.CALLS
    calls: list[dict[str, Any]]
    source: str
    """``parser`` or ``model``."""
    ms: float | None = None


class RefusalEvent(Event):
    """The policy (or validation) refused something."""

    type: EventType = EventType.REFUSAL
    reason: str


class ChangeEvent(Event):
    """A vehicle value changed, as the ECUs reported it."""

    type: EventType = EventType.CHANGE
    path: str
    old: Any
    new: Any


class VehicleEvent(Event):
    """Commands sent to the ECUs for a request, and what their status frames confirmed."""

    type: EventType = EventType.VEHICLE
    requested: dict[str, Any]
    confirmed: list[str]
    failed: dict[str, str] = Field(default_factory=dict)
    """Path -> outcome (``timed-out``, ``rejected``, ...) of what was not confirmed."""
    ms: float


class ReplyEvent(Event):
    """What the assistant says back."""

    type: EventType = EventType.REPLY
    text: str


class SpokenEvent(Event):
    """The reply's audio: time to its first sound."""

    type: EventType = EventType.SPOKEN
    first_audio_ms: float


class DoneEvent(Event):
    """The end of a request: what changed and the time of each stage."""

    type: EventType = EventType.DONE
    seat: Seat
    source: str
    changes: dict[str, Any]
    ms: dict[str, float | None]


class ErrorEvent(Event):
    """A request could not be served, or input was dropped."""

    type: EventType = EventType.ERROR
    code: str
    message: str
    stage: Stage | None = None
    """Where it happened, when it belongs to a stage of a request."""


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TextCommand(_Command):
    """A typed request, as if spoken."""

    text: str = Field(min_length=1, max_length=500)
    seat: Seat = "driver"
    id: str | int | None = None


class PushToTalkCommand(_Command):
    """Start listening, as the steering-wheel button does."""

    seat: Seat = "driver"
    id: str | int | None = None
    """The interaction's id in the events it causes (one is made up when not given)."""


class CancelCommand(_Command):
    """Stop the current interaction and any reply playing."""


COMMANDS: dict[str, type[_Command]] = {"text": TextCommand, "ptt": PushToTalkCommand, "cancel": CancelCommand}
"""Command topic suffix -> payload model."""
