"""One interaction, every stage: audio -> speech-to-text -> understanding -> policy -> CAN commands ->
confirmation -> reply -> speech, with a typed event per stage and coded errors.

``carvoice batch``, ``carvoice run`` and ``carvoice bench`` are adapters around ``Pipeline.handle``:
they bring a request (text, audio or a transcript the live listener already made) and a session,
and get back an ``InteractionResult``; the events go to the ``emit`` callable (the service's event
bus, which feeds MQTT and the web view).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.errors import CarvoiceError
from assistant.events import (
    CallsEvent,
    DoneEvent,
    ErrorEvent,
    Event,
    RefusalEvent,
    ReplyEvent,
    SpokenEvent,
    Stage,
    TranscriptEvent,
    VehicleEvent,
)
from assistant.hearing import HearingConfig, choose
from assistant.policy import Policy, Step
from assistant.registry import TOPIC_FEATURE, TOPIC_TOOL, zone_key
from assistant.replies import already_reply, outcome_reply, query_reply, reply_only, success_reply
from assistant.stages import SpeechChunk, SpeechToText, TextToSpeech, Transcript, Understanding
from assistant.understanding.context import DialogueContext, Executed
from assistant.understanding.tools import ACTING_TOOLS, ToolCall
from assistant.understanding.understand import MODEL_FAILED, NOT_ALL, Source
from vehicle.errors import VehicleError
from vehicle.gateway import CanGateway, CommandOutcome, CommandResult
from vehicle.signals import DESTINATION_NAME, VssValue
from vehicle.state import diff

_LOG = logging.getLogger(__name__)

Emit = Callable[[Event], None]
Play = Callable[[Iterator[SpeechChunk], int], None]
"""Plays a reply's chunks at a sample rate (blocking: run off the event loop)."""

ATTRIBUTION_S = 3.0
"""How long after its command a status change is put down to the request that sent it."""

NOTHING_HEARD = "I didn't hear anything."
TOO_LONG = "That was a bit long for me. Please say one request at a time."
NOT_HEARD = "Sorry, I couldn't hear that."


@dataclass
class Session:
    """One conversation with one car: its gateway, its dialogue context, who sent what."""

    gateway: CanGateway
    context: DialogueContext = field(default_factory=DialogueContext)
    _sent: dict[str, tuple[str, float]] = field(default_factory=dict)

    def attribute(self, paths: list[str], interaction: str) -> None:
        """Note that ``interaction`` commanded ``paths`` (for the change events their status frames cause)."""
        until = time.monotonic() + ATTRIBUTION_S
        for path in paths:
            self._sent[path] = (interaction, until)

    def interaction_of(self, path: str) -> str | None:
        """The request whose command changed ``path`` just now, if any."""
        sent = self._sent.get(path)
        if sent is None:
            return None
        if sent[1] < time.monotonic():
            self._sent.pop(path, None)
            return None
        return sent[0]


@dataclass(frozen=True)
class Request:
    """One request: exactly one of ``text``, ``audio`` (16 kHz mono float32) or ``heard`` (a transcript)."""

    seat: str = "driver"
    text: str | None = None
    audio: np.ndarray | None = None
    heard: Transcript | None = None
    interaction: str | None = None
    """Its id in the events; one is made up when not given."""


@dataclass
class InteractionResult:
    """Everything one request produced (the batch contract's result line, less the id)."""

    transcript: str | None
    calls: list[ToolCall]
    changes: dict[str, VssValue]
    reply: str
    error: dict[str, str] | None = None
    ms: dict[str, float | None] = field(default_factory=dict)
    source: Source = Source.NONE
    steps: list[Step] = field(default_factory=list)
    interaction: str = ""
    doubt: str | None = None
    """Why the transcript was not acted on as heard (it was asked about instead)."""

    def as_line(self) -> dict[str, Any]:
        """The contract's fields, and ``source`` (which path understood the request: parser, model, none)."""
        return {
            "transcript": self.transcript,
            "calls": [c.dump() for c in self.calls],
            "changes": self.changes,
            "reply": self.reply,
            "error": self.error,
            "ms": {k: (round(v, 2) if isinstance(v, float) else v) for k, v in self.ms.items()},
            "source": str(self.source),
        }


def _no_emit(event: Event) -> None:
    _LOG.debug("event %s", event.model_dump_json())


class Pipeline:
    """Serves one request at a time for a session, stage by stage."""

    def __init__(self, understanding: Understanding, policy: Policy, *, stt: SpeechToText | None = None,
                 tts: TextToSpeech | None = None, emit: Emit | None = None,
                 hearing: HearingConfig | None = None) -> None:
        self.understanding = understanding
        self.policy = policy
        self.stt = stt
        self.tts = tts
        self.emit: Emit = emit or _no_emit
        self.hearing = hearing or HearingConfig()

    async def handle(self, session: Session, request: Request, *, speak: bool = False,
                     play: Play | None = None) -> InteractionResult:
        """Every stage for one request; ``speak``: synthesize the reply (``play``: and play it)."""
        started = time.perf_counter()
        interaction = request.interaction or uuid.uuid4().hex[:8]
        if request.text is not None:
            result = await self._understand_and_act(session, request.text, request.seat, interaction)
        else:
            heard = request.heard
            if heard is None:
                heard = await self._transcribe(request.audio, interaction)
            if isinstance(heard, InteractionResult):
                result = heard
            else:
                result = await self._heard(session, heard, request.seat, interaction)
        if speak or play is not None:
            result.ms["tts"] = await self.speak(result.reply, interaction=interaction, play=play)
        result.ms["total"] = (time.perf_counter() - started) * 1000
        self.emit(DoneEvent(seat=request.seat, source=str(result.source), changes=result.changes, ms=dict(result.ms),
                            interaction=interaction))
        return result

    # -- speech-to-text ---------------------------------------------------------------------
    async def _transcribe(self, audio: np.ndarray | None, interaction: str) -> Transcript | InteractionResult:
        if self.stt is None or audio is None:
            return self._failed(interaction, Stage.STT, "stt-unavailable", "no speech-to-text engine", NOT_HEARD)
        try:
            return await asyncio.to_thread(self.stt.transcribe, audio)
        except CarvoiceError as err:
            return self._failed(interaction, Stage.STT, err.code, str(err), NOT_HEARD)

    async def _heard(self, session: Session, heard: Transcript, speaker: str, interaction: str) -> InteractionResult:
        """Act on a transcript: the hypothesis the understanding accounts for best, doubt asked about;
        silence, noise and monologues change nothing."""
        ms: dict[str, float | None] = {"stt": heard.ms, "understand": 0.0, "vehicle": 0.0, "tts": None}
        if heard.too_long:
            return self._reply_only(interaction, heard.text, TOO_LONG, ms)
        if not heard.text:
            return self._reply_only(interaction, heard.text, NOTHING_HEARD, ms)
        choice = choose(heard, lambda text: self.understanding.account(text, speaker, session.context), self.hearing)
        if choice.doubt:
            _LOG.info("doubt about %r (%s): asking before acting", choice.text, choice.doubt)
        self.emit(TranscriptEvent(text=choice.text, seat=speaker, ms=heard.ms, confidence=round(choice.logprob, 3),
                                  hypotheses=max(1, len(heard.hypotheses)), doubt=choice.doubt,
                                  interaction=interaction))
        result = await self._understand_and_act(session, choice.text, speaker, interaction, doubt=choice.doubt)
        result.transcript = choice.text
        result.ms["stt"] = heard.ms
        result.doubt = choice.doubt
        return result

    # -- understanding, policy, vehicle, reply --------------------------------------------------
    async def _understand_and_act(self, session: Session, text: str, speaker: str, interaction: str, *,
                                  doubt: str | None = None) -> InteractionResult:
        started = time.perf_counter()
        gateway = session.gateway
        before = gateway.state.snapshot()
        understood = await self.understanding.understand(text, speaker, session.context, doubt=doubt)
        _LOG.debug("understood %r via %s: %s", text, understood.source, [c.dump() for c in understood.calls])
        if understood.calls:
            self.emit(CallsEvent(calls=[c.dump() for c in understood.calls], source=str(understood.source),
                                 ms=round(understood.ms, 2), interaction=interaction))
        if understood.error:
            self.emit(ErrorEvent(code=understood.error["code"], message=understood.error["message"],
                                 stage=Stage.UNDERSTAND, interaction=interaction))

        steps: list[Step] = []
        working = dict(before)
        for call in understood.calls:
            step = self.policy.plan(call, speaker, working)
            working.update(step.targets)
            steps.append(step)
        for reason in [*understood.refusals, *(s.refusal for s in steps if s.refusal)]:
            self.emit(RefusalEvent(reason=reason, interaction=interaction))

        vehicle_started = time.perf_counter()
        to_send: dict[str, VssValue] = {}
        for step in steps:
            if step.acts:
                for path, value in step.targets.items():
                    if not gateway.catalog.same(path, before.get(path), value):
                        to_send[path] = value
                    elif path in to_send:
                        to_send.pop(path)
        results: dict[str, CommandResult] = {}
        error: dict[str, str] | None = understood.error
        if to_send:
            session.attribute(list(to_send), interaction)
            try:
                for result in await gateway.command(to_send):
                    for path in result.requested:
                        results[path] = result
            except VehicleError as err:  # the policy checks ranges first: this is a broken invariant
                _LOG.error("command refused by the vehicle layer: %s", err)
                error = {"code": err.code, "message": str(err)}
                self.emit(ErrorEvent(code=err.code, message=str(err), stage=Stage.VEHICLE, interaction=interaction))
        vehicle_ms = (time.perf_counter() - vehicle_started) * 1000 if to_send else 0.0
        if to_send:
            self.emit(VehicleEvent(
                requested=dict(to_send), confirmed=[p for p, r in results.items() if r.confirmed],
                failed={p: str(r.outcome) for p, r in results.items() if not r.confirmed},
                ms=round(vehicle_ms, 2), interaction=interaction))

        sentences = list(understood.refusals)
        executed: list[Executed] = []
        after = gateway.state.snapshot()
        for step in steps:
            sentences.append(self._reply(step, speaker, results, after, executed))
            if step.acts and step.overlay and all(
                results[p].confirmed for p in step.targets if p in results
            ):
                for path, value in step.overlay.items():
                    gateway.set_overlay(path, value)
        failed = [r for r in {id(r): r for r in results.values()}.values() if not r.confirmed]
        if failed and error is None:
            r = failed[0]
            code = "ecu-timeout" if r.outcome in (CommandOutcome.TIMED_OUT, CommandOutcome.UNREACHABLE) else "ecu-rejected"
            error = {"code": code, "message": outcome_reply(steps[0], [r]) or code}
            self.emit(ErrorEvent(code=code, message=error["message"], stage=Stage.VEHICLE, interaction=interaction))
        tried = [Executed(c.name, None, c.arguments.model_dump(exclude_none=True)) for c in understood.calls
                 if c.name in ACTING_TOOLS]
        for c in understood.calls:  # "what's it in the back?" - "set it to 19": the question names the target
            topic = str(getattr(c.arguments, "topic", "")) if c.name == "get_vehicle_state" else ""
            if topic in TOPIC_FEATURE and not tried:
                tried.append(Executed("set_climate_feature", None, {"feature": TOPIC_FEATURE[topic]}))
                continue
            tool = TOPIC_TOOL.get(topic)
            if tool is not None and not tried:
                key = zone_key(tool)
                zone = getattr(c.arguments, "zone", None)
                tried.append(Executed(tool, zone, {key: zone} if key and zone else {}))
        missed = understood.say in (NOT_ALL, MODEL_FAILED) or any(
            c.name == "reply_only" and getattr(c.arguments, "reason", None) == "unclear" for c in understood.calls)
        session.context.remember(executed, speaker, tried, missed=missed)

        after = gateway.state.snapshot()
        actuators = set(gateway.catalog.actuators) | {DESTINATION_NAME}
        changes = {p: v for p, v in diff(before, after).items() if p in actuators}
        if understood.say:
            sentences.append(understood.say)
        reply = " ".join(s for s in sentences if s) or "Okay."
        self.emit(ReplyEvent(text=reply, interaction=interaction))
        total = (time.perf_counter() - started) * 1000
        return InteractionResult(
            transcript=None,
            calls=understood.calls,
            changes=changes,
            reply=reply,
            error=error,
            ms={"stt": None, "understand": understood.ms, "vehicle": vehicle_ms, "tts": None, "total": total},
            source=understood.source,
            steps=steps,
            interaction=interaction,
        )

    # -- text-to-speech -------------------------------------------------------------------------
    async def speak(self, text: str, *, interaction: str | None = None, play: Play | None = None) -> float | None:
        """Synthesize ``text`` (and play it with ``play``); the ms to its first audio, None without a voice."""
        if self.tts is None or not text:
            return None
        voice = self.tts

        def run() -> float | None:
            started = time.perf_counter()
            first: list[float] = []

            def chunks() -> Iterator[SpeechChunk]:
                for chunk in voice.synthesize(text):
                    if not first:
                        first.append((time.perf_counter() - started) * 1000)
                        self_emit(SpokenEvent(first_audio_ms=round(first[0], 2), interaction=interaction))
                    yield chunk

            if play is not None:
                play(chunks(), voice.sample_rate)
            else:
                for _ in chunks():
                    pass
            return first[0] if first else None

        loop = asyncio.get_running_loop()

        def self_emit(event: Event) -> None:  # the chunks are made on a worker thread
            loop.call_soon_threadsafe(self.emit, event)

        try:
            return await asyncio.to_thread(run)
        except CarvoiceError as err:
            _LOG.warning("reply not spoken: %s", err)
            self.emit(ErrorEvent(code=err.code, message=str(err), stage=Stage.TTS, interaction=interaction))
            return None

    # -- helpers --------------------------------------------------------------------------------
    def _failed(self, interaction: str, stage: Stage, code: str, message: str, reply: str) -> InteractionResult:
        self.emit(ErrorEvent(code=code, message=message, stage=stage, interaction=interaction))
        self.emit(ReplyEvent(text=reply, interaction=interaction))
        return InteractionResult(transcript=None, calls=[], changes={}, reply=reply,
                                 error={"code": code, "message": message},
                                 ms={"stt": None, "understand": None, "vehicle": None, "tts": None},
                                 interaction=interaction)

    def _reply_only(self, interaction: str, transcript: str | None, reply: str,
                    ms: dict[str, float | None]) -> InteractionResult:
        self.emit(ReplyEvent(text=reply, interaction=interaction))
        return InteractionResult(transcript=transcript, calls=[], changes={}, reply=reply, ms=ms,
                                 interaction=interaction)

    def _reply(self, step: Step, speaker: str, results: Mapping[str, CommandResult],
               state: Mapping[str, VssValue], executed: list[Executed]) -> str:
        if step.refusal is not None:
            return step.refusal
        name = step.call.name
        if name == "get_vehicle_state":
            return query_reply(step, speaker, state)
        if name == "reply_only":
            return reply_only(step)
        if not step.targets:
            return ""
        mine = [results[p] for p in step.targets if p in results]
        failure = outcome_reply(step, list({id(r): r for r in mine}.values()))
        notes = " ".join(step.notes)
        if failure is not None:
            return failure
        executed.extend(step.executed)
        if not mine:
            return notes or already_reply(step)
        return success_reply(step, state)
