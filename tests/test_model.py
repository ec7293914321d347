"""The grammar built from the tools, and the model path with the real bundled model."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from assistant.config import load_settings
from assistant.runtime import model_settings
from assistant.understanding.model import ModelClient, build_grammar, grammar_text
from assistant.understanding.tools import TOOLS, answer_schema, parse_answer


def test_grammar_compiles_from_the_tool_schemas_with_every_tool() -> None:
    llama_cpp = pytest.importorskip("llama_cpp")
    grammar = build_grammar(llama_cpp.LlamaGrammar)
    assert grammar is not None
    text = grammar_text(json.dumps(answer_schema()))
    assert all(name in text for name in TOOLS) and "reply_only" in text
    assert "minimum" not in json.dumps(answer_schema())  # bounds stay out of the grammar


@pytest.mark.parametrize("answer", [
    '{"calls": []}',
    '{"calls": [{"name": "launch_rockets", "arguments": {}}]}',
    '{"calls": [{"name": "set_temperature", "arguments": {"celsius": 22, "delta": 1}}]}',
    '{"calls": [{"name": "set_window", "arguments": {"percent_open": 100, "raw_frame": "0x310"}}]}',
    '{"calls": [{"name": "set_temperature", "arguments": {"celsius": 95}}]}',
    'not json',
])
def test_answers_outside_the_schema_are_rejected(answer: str) -> None:
    with pytest.raises(ValidationError):
        parse_answer(answer)


@pytest.fixture(scope="module")
def model() -> Iterator[ModelClient]:
    m = ModelClient(model_settings(load_settings(None))).start()
    try:
        assert m.wait(240), m.status
        yield m
    finally:
        m.close()


@pytest.mark.slow
def test_the_bundled_model_answers_with_valid_tool_calls(model: ModelClient) -> None:
    [window] = model.understand("open my window", "driver")
    assert window.name == "set_window" and window.arguments.percent_open == 100  # type: ignore[attr-defined]
    [call] = model.understand("navigate to Hamburg", "driver")
    assert call.name == "navigate" and (call.arguments.place or "").lower() == "hamburg"  # type: ignore[attr-defined]
    assert model.status.ready_seconds and model.tokens_per_second and model.tokens_per_second > 1
    assert model.status.pid is not None and model.status.pid != os.getpid()  # llama.cpp runs in its own process
