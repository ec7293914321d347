"""One interaction: text -> understanding -> policy -> CAN commands -> confirmation -> reply."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from assistant.policy import Policy, Step
from assistant.registry import TOPIC_TOOL, zone_key
from assistant.replies import already_reply, outcome_reply, query_reply, reply_only, success_reply
from assistant.understanding.context import DialogueContext, Executed
from assistant.understanding.tools import ACTING_TOOLS, ToolCall
from assistant.understanding.understand import Source, Understanding
from vehicle.errors import VehicleError
from vehicle.gateway import CanGateway, CommandOutcome, CommandResult
from vehicle.signals import DESTINATION_NAME, VssValue
from vehicle.state import diff

_LOG = logging.getLogger(__name__)


@dataclass
class Session:
    """One conversation with one car: its gateway and its dialogue context."""

    gateway: CanGateway
    context: DialogueContext = field(default_factory=DialogueContext)


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


class Pipeline:
    """Serves one request at a time for a session."""

    def __init__(self, understanding: Understanding, policy: Policy) -> None:
        self.understanding = understanding
        self.policy = policy

    async def handle_heard(self, session: Session, heard: Any, speaker: str) -> InteractionResult:
        """Act on a transcript; silence, noise and monologues change nothing."""
        if heard.too_long:
            return self._no_action(heard, "That was a bit long for me. Please say one request at a time.")
        if not heard.text:
            return self._no_action(heard, "I didn't hear anything.")
        return await self.handle_text(session, heard.text, speaker, transcript=heard.text, stt_ms=heard.ms)

    @staticmethod
    def _no_action(heard: Any, reply: str) -> InteractionResult:
        return InteractionResult(transcript=heard.text, calls=[], changes={}, reply=reply, error=None,
                                 ms={"stt": heard.ms, "understand": 0.0, "vehicle": 0.0, "tts": None, "total": heard.ms})

    async def handle_text(
        self, session: Session, text: str, speaker: str, *, transcript: str | None = None, stt_ms: float | None = None
    ) -> InteractionResult:
        """Understand ``text`` said from ``speaker``'s seat and act on the car."""
        started = time.perf_counter()
        gateway = session.gateway
        before = gateway.state.snapshot()
        understood = await self.understanding.understand(text, speaker, session.context)
        _LOG.debug("understood %r via %s: %s", text, understood.source, [c.dump() for c in understood.calls])

        steps: list[Step] = []
        working = dict(before)
        for call in understood.calls:
            step = self.policy.plan(call, speaker, working)
            working.update(step.targets)
            steps.append(step)

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
            try:
                for result in await gateway.command(to_send):
                    for path in result.requested:
                        results[path] = result
            except VehicleError as err:  # the policy checks ranges first: this is a broken invariant
                _LOG.error("command refused by the vehicle layer: %s", err)
                error = {"code": err.code, "message": str(err)}
        vehicle_ms = (time.perf_counter() - vehicle_started) * 1000 if to_send else 0.0

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
        tried = [Executed(c.name, None, c.arguments.model_dump(exclude_none=True)) for c in understood.calls
                 if c.name in ACTING_TOOLS]
        for c in understood.calls:  # "what's it in the back?" - "set it to 19": the question names the target
            tool = TOPIC_TOOL.get(str(getattr(c.arguments, "topic", ""))) if c.name == "get_vehicle_state" else None
            if tool is not None and not tried:
                key = zone_key(tool)
                zone = getattr(c.arguments, "zone", None)
                tried.append(Executed(tool, zone, {key: zone} if key and zone else {}))
        session.context.remember(executed, speaker, tried)

        after = gateway.state.snapshot()
        actuators = set(gateway.catalog.actuators) | {DESTINATION_NAME}
        changes = {p: v for p, v in diff(before, after).items() if p in actuators}
        if understood.say:
            sentences.append(understood.say)
        reply = " ".join(s for s in sentences if s) or "Okay."
        total = (time.perf_counter() - started) * 1000
        return InteractionResult(
            transcript=transcript,
            calls=understood.calls,
            changes=changes,
            reply=reply,
            error=error,
            ms={"stt": stt_ms, "understand": understood.ms, "vehicle": vehicle_ms, "tts": None, "total": total},
            source=understood.source,
            steps=steps,
        )

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
