"""Understanding: the parser first, the local model for what the parser is not sure of.

Both produce tool calls that pass the same pydantic validation; a value outside its DBC range
becomes a spoken refusal naming the range, never a coerced action.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from assistant.errors import ModelError
from assistant.replies import confirm_question, doubt_question
from assistant.stages import Account
from assistant.understanding.context import DialogueContext, Pending, moved_at, restore
from assistant.understanding.grounding import grounded, numbers_grounded
from assistant.understanding.model import ModelClient
from assistant.understanding.parser import RawCall, RuleParser
from assistant.registry import range_message
from assistant.understanding.tools import ACTING_TOOLS, TOOLS, ToolCall, make_call

_LOG = logging.getLogger(__name__)


MODEL_MAX_WORDS = 30
"""Longer requests are not sent to the model (talk, not a command)."""


class Mode(StrEnum):
    """Which understanding path serves requests."""

    PARSER_FIRST = "parser-first"
    MODEL_ONLY = "model-only"
    PARSER_ONLY = "parser-only"


class Source(StrEnum):
    """Which path understood a request."""

    PARSER = "parser"
    MODEL = "model"
    NONE = "none"


@dataclass
class Understood:
    """What was understood of one request."""

    calls: list[ToolCall] = field(default_factory=list)
    """Validated tool calls, in order."""
    refusals: list[str] = field(default_factory=list)
    """Spoken reasons for calls that failed validation (out of range)."""
    source: Source = Source.NONE
    """The path that produced the calls."""
    ms: float = 0.0
    """Time spent understanding, in milliseconds."""
    note: str = ""
    """Why the parser deferred, for logs."""
    error: dict[str, str] | None = None
    """A coded failure of the stage (``model-crashed``, ``model-timeout``, ``model-unavailable``)."""
    say: str | None = None
    """A reply of the understanding's own: a question back, or why nothing is done."""


MODEL_FAILED = "I couldn't work that out, please say it another way."
NOT_ALL = "Sorry, I didn't get all of that. Could you say it another way?"
"""What the assistant says when part of a request names the car but was not understood."""
"""What the assistant says when the model crashed, hung or is not available for a request."""


def range_reason(name: str, loc: tuple[Any, ...]) -> str:
    """The spoken allowed range of a tool argument."""
    return range_message(name, str(loc[-1]) if loc else "")


def validate(raw: list[RawCall]) -> tuple[list[ToolCall], list[str]]:
    """Validated calls and the spoken reasons of those that failed."""
    calls: list[ToolCall] = []
    refusals: list[str] = []
    for name, args in raw:
        if name not in TOOLS:
            _LOG.warning("dropped call to unknown tool %r", name)
            refusals.append("I can't do that.")
            continue
        try:
            call = make_call(name, args)
        except ValidationError as err:
            bound = [e for e in err.errors() if e["type"] in ("less_than_equal", "greater_than_equal",
                                                              "less_than", "greater_than")]
            if bound:
                refusals.append(range_reason(name, tuple(bound[0]["loc"])))
            else:
                _LOG.warning("invalid call %s %s: %s", name, args, err.errors()[:1])
                refusals.append("Sorry, I didn't understand that.")
            continue
        if call not in calls:
            calls.append(call)
    return calls, refusals


class Understanding:
    """Parser first; the model for the rest (or for everything, in model-only mode)."""

    def __init__(self, parser: RuleParser, model: ModelClient | None, mode: Mode = Mode.PARSER_FIRST,
                 *, model_wait: float = 120.0, model_for_named: bool = False, confirm_model: bool = True) -> None:
        self.parser = parser
        self.model = model
        self.mode = mode
        self.model_wait = model_wait
        self.model_for_named = model_for_named
        self.confirm_model = confirm_model
        """Propose the model's actions and act on a yes, instead of acting at once."""
        """Hand the model requests whose unclear part names a function of the car too (default: ask back)."""

    def close(self) -> None:
        """Stop the model's worker process, if any."""
        if self.model is not None:
            self.model.close()

    async def understand(self, text: str, speaker: str, context: DialogueContext, *,
                         doubt: str | None = None) -> Understood:
        """Understand one request (the model, when needed, runs off the event loop).

        ``doubt``: why the words may not be what was said (a doubtful transcript): an action is then
        proposed ("Did you want me to ...?") and the next turn's yes or no decides.
        """
        started = time.perf_counter()
        result = await self._understand(text, speaker, context)
        if doubt:
            result = self._propose(result, speaker, context, doubt_question)
        result.ms = (time.perf_counter() - started) * 1000
        return result

    def account(self, text: str, speaker: str, context: DialogueContext) -> Account:
        """How well the parser accounts for ``text`` (no side effects; about a millisecond)."""
        parsed = self.parser.parse(text, speaker, context)
        names = {n for n, _ in parsed.calls}
        functions = frozenset(n for n in names if n in ACTING_TOOLS or n == "undo")
        acts = bool(functions) or (parsed.pending is not None and parsed.pending.kind == "zone")
        statement = any(k.startswith(("question", "inert", "remark")) for k in parsed.readings) and not acts
        question = not acts and ("get_vehicle_state" in names or statement)
        remark = acts and all(k.startswith(("remark", "fragment", "inert")) for k in parsed.readings) \
            and any(k.startswith("remark") for k in parsed.readings)
        return Account(sure=parsed.sure, acts=acts, question=question,
                       complete=parsed.sure and not parsed.hanging, hanging=parsed.hanging,
                       unexplained=parsed.unexplained, functions=functions,
                       calls=tuple(sorted(json.dumps([n, a], sort_keys=True) for n, a in parsed.calls)),
                       remark=remark)

    @staticmethod
    def _propose(result: Understood, speaker: str, context: DialogueContext, ask: Any) -> Understood:
        """The acting calls of ``result`` asked about instead of made."""
        acting = [c for c in result.calls if c.name in ACTING_TOOLS]
        if not acting:
            return result
        question = ask(acting)
        context.pending = Pending(question, "confirm", [(c.name, c.dump()["arguments"]) for c in acting],
                                  speaker=speaker)
        result.calls = [c for c in result.calls if c not in acting]
        result.say = question
        return result

    async def _understand(self, text: str, speaker: str, context: DialogueContext) -> Understood:
        if self.mode is not Mode.MODEL_ONLY:
            parsed = self.parser.parse(text, speaker, context)
            context.pending = parsed.pending
            if parsed.person is not None:
                context.person, context.person_at = parsed.person, context.turns + 1
            if parsed.topic is not None and parsed.sure:
                context.topic = parsed.topic
            if parsed.sure and parsed.calls and any(n != "reply_only" for n, _ in parsed.calls):
                context.verb = parsed.verb
            raw = self._expand_undo(parsed.calls, context)
            refused = any(n == "reply_only" and a.get("reason") in ("not_allowed", "unsupported_function")
                          for n, a in raw)
            # The model only gets requests the parser could not account for; a refusal the parser is sure of
            # is not handed over with the rest of the sentence (commands hidden in chatter stay the parser's
            # and the policy's), nor is a monologue.
            too_long = len(text.split()) > MODEL_MAX_WORDS
            # A clause that names a function of the car but is not accounted for is asked about, not
            # guessed at by the model (on held-out sets the model's guesses there were mostly wrong actions)
            ask_back = not parsed.sure and parsed.named and not self.model_for_named
            if ask_back and not refused:
                calls, refusals = validate([c for c in raw if c[0] in ("reply_only", "get_vehicle_state")])
                return Understood(calls, refusals, Source.PARSER, note=parsed.reason, say=NOT_ALL)
            if parsed.sure or refused or too_long or self.mode is Mode.PARSER_ONLY or self.model is None:
                if not parsed.sure and not refused:
                    raw = []  # a guess is never acted on: the parser could not account for all of it
                calls, refusals = validate(raw)
                say = parsed.ask or parsed.say
                if not calls and not refusals and say is None:
                    calls = [make_call("reply_only", {"reason": "unclear"})]
                return Understood(calls, refusals, Source.PARSER, note=parsed.reason, say=say)
            note = parsed.reason
        else:
            note = "model-only"
        return await self._ask_model(text, speaker, note, context)

    async def _ask_model(self, text: str, speaker: str, note: str,
                         context: DialogueContext | None = None) -> Understood:
        assert self.model is not None
        try:
            # poll rather than block a thread: a shutdown must not wait for the model to (re)start
            deadline = time.monotonic() + self.model_wait
            while not self.model.wait(0) and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            calls = await asyncio.to_thread(self.model.understand, text, speaker)
        except ValidationError as err:
            bound = [e for e in err.errors() if e["type"] in ("less_than_equal", "greater_than_equal")]
            if bound:
                loc = tuple(bound[0]["loc"])
                name = next((str(p) for p in loc if str(p) in TOOLS), "")
                return Understood([], [range_reason(name, loc)], Source.MODEL, note=note)
            _LOG.warning("model answer failed validation: %s", err.errors()[:1])
            return Understood([make_call("reply_only", {"reason": "unclear"})], [], Source.MODEL, note=note)
        except ModelError as err:
            _LOG.warning("model unavailable for %r: %s (%s)", text, err, err.code)
            return Understood([], [MODEL_FAILED], Source.NONE, note=str(err),
                              error={"code": err.code, "message": str(err)})
        kept = [c for c in calls if grounded(c, text) and numbers_grounded(c, text)]
        if len(kept) < len(calls):
            _LOG.info("dropped model calls not grounded in the request: %s",
                      [c.dump() for c in calls if c not in kept])
        if not kept:
            kept = [make_call("reply_only", {"reason": "unclear"})]
        result = Understood(kept, [], Source.MODEL, note=note)
        if self.confirm_model and context is not None:
            # the model's reading is a guess: it is proposed, and the next turn's yes or no decides
            result = self._propose(result, speaker, context, confirm_question)
        return result

    @staticmethod
    def _expand_undo(raw: list[RawCall], context: DialogueContext) -> list[RawCall]:
        """Turn the parser's "undo" into calls that restore the values before the last request."""
        out: list[RawCall] = []
        for name, args in raw:
            if name != "undo":
                out.append((name, args))
                continue
            if args.get("tool"):  # "undo the recirc": the last change of that, however many requests ago
                turns = [[ex for ex in turn if ex.name == args["tool"] and (
                    not args.get("feature") or ex.absolute.get("feature") == args["feature"])] for turn in context.history]
                chosen = next((t for t in turns if t), [])
            else:
                chosen = context.last
            if args.get("seats"):  # "back to normal for her": the newest change where she sits
                turns = [[ex for ex in turn if moved_at(ex, args["seats"])] for turn in context.history]
                chosen = next((t for t in turns if t), [])
            for ex in chosen:
                restored = restore(ex)
                if restored is not None:
                    out.append(restored)
        return out
