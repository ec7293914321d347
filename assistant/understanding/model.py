"""The local language model fallback: llama-cpp-python, decoding constrained by the tools' grammar.

Lessons measured on this machine and applied here:
- the grammar is built at start-up from the tool schemas and checked: llama-cpp-python turns
  a schema it cannot convert into "any JSON" without a word, so loading fails loudly instead;
- a ``reply_only`` outcome is part of the grammar, or the model must pick some tool;
- numeric bounds are kept out of the grammar (they would coerce "95 degrees" into a legal
  but wrong value) and enforced by pydantic and the policy after decoding;
- one warm ``Llama`` with a fixed system prompt evaluated once at load, so a request costs
  only its own tokens; ``OMP_WAIT_POLICY=PASSIVE`` so two threads do not spin.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import ModelError
from assistant.understanding.tools import TOOLS, ToolCall, answer_schema, parse_answer

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


class ModelUnderstanding:
    """A warm llama.cpp model that answers only with grammar-constrained tool calls."""

    def __init__(self, settings: ModelSettings) -> None:
        self.settings = settings
        self._llm: Any = None
        self._grammar: Any = None
        self._lock = threading.Lock()
        self._loaded = threading.Event()
        self._load_error: BaseException | None = None
        self.load_seconds: float | None = None
        self.tokens_per_second: float | None = None

    # -- loading -------------------------------------------------------------------------------
    def load(self) -> None:
        """Load the weights, compile and check the grammar, evaluate the system prompt (blocking)."""
        try:
            self._load()
        except BaseException as err:
            self._load_error = err
            raise
        finally:
            self._loaded.set()

    def _load(self) -> None:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        if not self.settings.path.exists():
            raise ModelError(f"model file {self.settings.path} is missing (run: make models)", code="model-missing")
        try:
            from llama_cpp import Llama, LlamaGrammar
        except ImportError as err:
            raise ModelError("llama-cpp-python is not installed (pip install 'carvoice[llm]')") from err
        started = time.perf_counter()
        logging.getLogger("llama-cpp-python").setLevel(logging.ERROR)
        self._grammar = build_grammar(LlamaGrammar)
        # verbose=False makes llama-cpp-python point file descriptors 1 and 2 at /dev/null while it loads,
        # which silences every other thread's output meanwhile (console replies, bench tables). Keep the
        # descriptors and quiet llama.cpp through its own log level instead.
        import llama_cpp.llama as llama_module

        quiet = llama_module.set_verbose
        llama_module.set_verbose = lambda _verbose: quiet(False)
        try:
            self._llm = Llama(
                model_path=str(self.settings.path), n_ctx=self.settings.context, n_threads=self.settings.threads,
                n_batch=512, verbose=True,
            )
        except (ValueError, RuntimeError, OSError) as err:
            raise ModelError(f"cannot load {self.settings.path}: {err}", code="model-load") from err
        finally:
            llama_module.set_verbose = quiet
        self._llm.verbose = False  # no timing report after each completion
        # evaluate the fixed prefix once; later requests reuse it and evaluate only their own tokens
        self._complete("turn on the air conditioning", "driver")
        self.load_seconds = time.perf_counter() - started
        _LOG.info("model %s ready in %.1f s", self.settings.path.name, self.load_seconds)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until loading finished; raises the load error, returns False on timeout."""
        if not self._loaded.wait(timeout):
            return False
        if self._load_error is not None:
            raise ModelError(f"model failed to load: {self._load_error}") from self._load_error
        return True

    @property
    def ready(self) -> bool:
        """Whether the model is loaded and usable."""
        return self._loaded.is_set() and self._load_error is None and self._llm is not None

    # -- answering -----------------------------------------------------------------------------
    def understand(self, text: str, speaker: str) -> list[ToolCall]:
        """Tool calls for ``text`` (blocking; run it off the event loop). Raises ValidationError."""
        if not self.ready:
            raise ModelError("model is not loaded")
        raw = self._complete(text, speaker)
        _LOG.debug("model answered %s", raw)
        return parse_answer(raw)

    def raw_answer(self, text: str, speaker: str) -> str:
        """The model's constrained JSON for ``text``, unvalidated (for tests of the grammar)."""
        return self._complete(text, speaker)

    def _complete(self, text: str, speaker: str) -> str:
        user = text.strip()[:400] or "(silence)"
        if speaker != "driver":
            user = f"[{speaker} seat] {user}"
        with self._lock:
            started = time.perf_counter()
            out = self._llm.create_chat_completion(
                messages=[{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}],
                grammar=self._grammar, max_tokens=self.settings.max_tokens, temperature=0.0,
            )
            elapsed = time.perf_counter() - started
        tokens = int(out.get("usage", {}).get("completion_tokens", 0))
        if tokens and elapsed > 0:
            self.tokens_per_second = tokens / elapsed
        return str(out["choices"][0]["message"]["content"] or "")


def build_grammar(grammar_type: Any) -> Any:
    """Compile the tools' answer schema to a GBNF grammar, failing loudly if anything is lost."""
    schema = json.dumps(answer_schema(with_ranges=False))
    try:
        grammar = grammar_type.from_json_schema(schema, verbose=False)
    except (ValueError, RuntimeError) as err:
        raise ModelError(f"the tools' schema does not compile to a grammar: {err}", code="grammar") from err
    source = grammar_text(schema)
    missing = [name for name in TOOLS if name not in source]
    if missing or "calls" not in source:
        raise ModelError(f"grammar lost tools {missing}: llama.cpp fell back to free JSON", code="grammar")
    _LOG.debug("grammar: %d rules", source.count("::="))
    return grammar


def grammar_text(schema_json: str) -> str:
    """The GBNF text llama-cpp-python makes of a JSON schema."""
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    return str(json_schema_to_gbnf(schema_json))
