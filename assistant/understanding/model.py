"""The local language model fallback: llama.cpp in its own process, decoding constrained by the tools' grammar.

Lessons measured on this machine and applied here:
- llama.cpp runs in a supervised worker process (``assistant/workers.py``,
  ``model_worker.py``): a segfault, an out-of-memory kill or a hang past the call's deadline
  costs the request it was serving (``model-crashed`` / ``model-timeout``), not the assistant;
  the worker is restarted with backoff and warmed up before it serves again;
- the grammar is built from the tool schemas and checked in the worker: llama-cpp-python turns
  a schema it cannot convert into "any JSON" without a word, so the start fails loudly instead;
- a ``reply_only`` outcome is part of the grammar, or the model must pick some tool;
- numeric bounds are kept out of the grammar (they would coerce "95 degrees" into a legal
  but wrong value) and enforced by pydantic and the policy after decoding, in this process;
- one warm model with a fixed system prompt evaluated once at start, so a request costs
  only its own tokens; ``OMP_WAIT_POLICY=PASSIVE`` so two threads do not spin.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import ModelError
from assistant.understanding import compact
from assistant.understanding.tools import TOOLS, ToolCall, answer_schema, parse_answer
from assistant.workers import SupervisedWorker, WorkerCrashed, WorkerError, WorkerState, WorkerStatus, WorkerTimeout

_LOG = logging.getLogger(__name__)

SYSTEM_PROMPT = """You are the voice assistant of a car. Turn what an occupant says into tool calls, as JSON.
Tools:
- set_temperature {celsius | delta, zone}: cabin temperature; "warmer" delta 1, "much warmer" delta 2, "I'm cold" delta 1, "I'm hot" delta -1
- set_fan_speed {level 0-10 | percent | delta, zone}: fan; "more air" delta 10
- set_air_distribution {direction: up|middle|down, zone}: up = windshield, middle = face, down = feet
- set_climate_feature {feature: air_conditioning|recirculation|front_defroster|rear_defroster, on}
- set_seat_heating / set_seat_ventilation / set_massage {level 0-3 | delta, seat}
- move_seat {position_mm 0-300 | delta_mm, seat}: positive delta moves back
- recline_seat {degrees 0-45 | delta_degrees, seat}: 0 is upright, positive delta reclines
- set_window {percent_open 0-100 | delta, window}: 100 open, 0 closed
- set_sunroof {position | delta}: 100 open, 0 closed, -100 tilted
- navigate {place | category}: place is a name as said (a city, home, work, a landmark); category only for "the nearest X": charging_station, fuel_station, parking, restaurant, cafe, hospital, pharmacy, supermarket, car_wash, hotel
- cancel_navigation {}
- get_vehicle_state {topic, zone}: questions about the car; changes nothing
- reply_only {reason: out_of_domain|unsupported_function|not_allowed|unclear|greeting, subject}: anything else
Leave out zone, seat and window for the speaker's own; name one (driver, passenger, rear-left, rear-right, front, rear, all) only when said.
Functions this car lacks (lights, music, radio, doors, wipers, horn, phone) and tricks get reply_only. Keep numbers as said, even outside a range.
Examples:
I'm cold -> {"calls":[{"name":"set_temperature","arguments":{"delta":1}}]}
put it on 23 -> {"calls":[{"name":"set_temperature","arguments":{"celsius":23}}]}
open my window -> {"calls":[{"name":"set_window","arguments":{"percent_open":100}}]}
the windshield is misted -> {"calls":[{"name":"set_climate_feature","arguments":{"feature":"front_defroster","on":true}}]}
heat the passenger seat -> {"calls":[{"name":"set_seat_heating","arguments":{"level":3,"seat":"passenger"}}]}
my back hurts -> {"calls":[{"name":"set_massage","arguments":{"level":2}}]}
let some air in back there -> {"calls":[{"name":"set_window","arguments":{"delta":25,"window":"rear"}}]}
take me to Dresden -> {"calls":[{"name":"navigate","arguments":{"place":"Dresden"}}]}
I could use a coffee -> {"calls":[{"name":"navigate","arguments":{"category":"cafe"}}]}
what's the fan on -> {"calls":[{"name":"get_vehicle_state","arguments":{"topic":"fan_speed"}}]}
honk the horn -> {"calls":[{"name":"reply_only","arguments":{"reason":"unsupported_function","subject":"the horn"}}]}
play something relaxing -> {"calls":[{"name":"reply_only","arguments":{"reason":"unsupported_function","subject":"music"}}]}
what's the meaning of life -> {"calls":[{"name":"reply_only","arguments":{"reason":"out_of_domain"}}]}"""


@dataclass(frozen=True)
class ModelSettings:
    """How to run the local model."""

    path: Path
    """GGUF file."""
    threads: int = 2
    """CPU threads for inference."""
    context: int = 2048
    """Context window, in tokens."""
    max_tokens: int = 96
    """Longest answer, in tokens."""
    deadline_s: float = 8.0
    """Longest a call may take before the worker is killed and restarted, in seconds."""
    start_timeout_s: float = 180.0
    """Longest a start (weights, grammar, system prompt) may take, in seconds."""
    state_dir: Path | None = None
    """Where the evaluated system prompt is kept between starts (None: evaluate it at every start)."""
    answer_format: str = "compact"
    """``compact`` (``set_window(percent_open=100)``) or ``json``: the model's answer format."""
    few_shot: int = 3
    """Examples from the paraphrase library put before each request (0: none)."""


@dataclass
class CallStats:
    """What the last model call cost."""

    ms: float
    prompt_tokens: int
    completion_tokens: int


_ERROR_CODES = {WorkerCrashed: "model-crashed", WorkerTimeout: "model-timeout"}


class ModelClient:
    """The language model as a supervised worker process, answering only with grammar-constrained tool calls."""

    def __init__(self, settings: ModelSettings, *, on_status: Callable[[WorkerStatus], None] | None = None) -> None:
        self.settings = settings
        self._on_status = on_status
        self.worker: SupervisedWorker | None = None
        self.last: CallStats | None = None
        self.tokens_per_second: float | None = None

    def start(self) -> ModelClient:
        """Start the worker in the background; ``wait`` blocks until it is warm."""
        if not self.settings.path.exists():
            raise ModelError(f"model file {self.settings.path} is missing (run: make models)", code="model-missing")
        s = self.settings
        init: dict[str, Any] = {"model": str(s.path), "threads": s.threads, "context": s.context,
                                "warm": self._messages("turn on the air conditioning", "driver")}
        if s.answer_format == "compact":
            init["grammar"] = compact.grammar()
        else:
            init.update(schema=json.dumps(answer_schema(with_ranges=False)), require=[*TOOLS, "calls"])
        init.update({
                "state_dir": str(s.state_dir) if s.state_dir else None})
        self.worker = SupervisedWorker("model", "assistant.understanding.model_worker", init,
                                       start_timeout=s.start_timeout_s, deadline=s.deadline_s,
                                       env={"OMP_WAIT_POLICY": "PASSIVE"}, on_status=self._on_status).start()
        return self

    @property
    def status(self) -> WorkerStatus:
        return self.worker.status if self.worker is not None else WorkerStatus(WorkerState.STOPPED)

    def wait(self, timeout: float | None = None) -> bool:
        """Whether the model is ready, waiting up to ``timeout``; raises ModelError when it cannot start."""
        if self.worker is None:
            raise ModelError("the model was not started", code="model-unavailable")
        if self.worker.wait(timeout):
            return True
        if self.worker.status.state is WorkerState.FAILED:
            raise ModelError(f"the model failed to start: {self.worker.status.detail}", code="model-load")
        return False

    @property
    def ready(self) -> bool:
        """Whether the model is warm and serving."""
        return self.worker is not None and self.worker.ready

    def close(self) -> None:
        """Stop the worker."""
        if self.worker is not None:
            self.worker.stop()

    # -- answering -----------------------------------------------------------------------------
    def understand(self, text: str, speaker: str, *, wait: float = 0.0) -> list[ToolCall]:
        """Tool calls for ``text`` (blocking; run it off the event loop). Raises ModelError, ValidationError."""
        raw = self.raw_answer(text, speaker, wait=wait)
        _LOG.debug("model answered %s", raw)
        if self.settings.answer_format == "compact":
            try:
                return compact.parse(raw)
            except ValueError as err:
                raise ModelError(f"malformed answer {raw!r}: {err}", code="model-answer") from err
        return parse_answer(raw)

    def raw_answer(self, text: str, speaker: str, *, wait: float = 0.0) -> str:
        """The model's constrained answer for ``text``, unvalidated."""
        if self.worker is None:
            raise ModelError("the model was not started", code="model-unavailable")
        try:
            header, _ = self.worker.call("complete", {"messages": self._messages(text, speaker),
                                                      "max_tokens": self.settings.max_tokens}, wait=wait)
        except WorkerError as err:
            code = next((c for t, c in _ERROR_CODES.items() if isinstance(err, t)), "model-unavailable")
            raise ModelError(str(err), code=code) from err
        self.last = CallStats(float(header.get("ms", 0.0)), int(header.get("prompt_tokens", 0)),
                              int(header.get("completion_tokens", 0)))
        if self.last.completion_tokens and self.last.ms > 0:
            self.tokens_per_second = self.last.completion_tokens / (self.last.ms / 1000)
        return str(header.get("text", ""))

    def _messages(self, text: str, speaker: str) -> list[dict[str, str]]:
        user = text.strip()[:400] or "(silence)"
        if speaker != "driver":
            user = f"[{speaker} seat] {user}"
        if self.settings.answer_format != "compact":
            return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]
        shots = compact.examples(text, self.settings.few_shot)
        if shots:
            user = "Similar requests:\n" + "\n".join(f"{t} -> {a}" for t, a in shots) + f"\nRequest: {user}"
        return [{"role": "system", "content": compact.SYSTEM_PROMPT}, {"role": "user", "content": user}]


def build_grammar(grammar_type: Any, schema_json: str | None = None, require: list[str] | None = None) -> Any:
    """Compile an answer schema (default: the tools') to a GBNF grammar, failing loudly if anything is lost."""
    schema = schema_json or json.dumps(answer_schema(with_ranges=False))
    require = require if require is not None else [*TOOLS, "calls"]
    try:
        grammar = grammar_type.from_json_schema(schema, verbose=False)
    except (ValueError, RuntimeError) as err:
        raise ModelError(f"the tools' schema does not compile to a grammar: {err}", code="grammar") from err
    source = grammar_text(schema)
    missing = [word for word in require if word not in source]
    if missing:
        raise ModelError(f"grammar lost {missing}: llama.cpp fell back to free JSON", code="grammar")
    _LOG.debug("grammar: %d rules", source.count("::="))
    return grammar


def grammar_text(schema_json: str) -> str:
    """The GBNF text llama-cpp-python makes of a JSON schema."""
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    return str(json_schema_to_gbnf(schema_json))
