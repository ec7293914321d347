"""The model's compact answer format: written, read back, validated, and its grammar compiled by llama.cpp."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from assistant.understanding import compact
from assistant.understanding.tools import TOOLS


def test_calls_round_trip_through_the_compact_format() -> None:
    calls = [("set_window", {"window": "rear-left", "percent_open": 40}), ("navigate", {"place": "Bad Tölz (Ost)"}),
             ("set_climate_feature", {"feature": "recirculation", "on": False}), ("cancel_navigation", {})]
    text = compact.dump(calls)
    assert text.startswith("set_window(window=rear-left,percent_open=40);")
    assert [(c.name, c.dump()["arguments"]) for c in compact.parse(text)] == calls


@pytest.mark.parametrize("bad", ["", "open_window()", "set_window(percent_open=)", "set_window percent_open=5"])
def test_malformed_answers_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        compact.parse(bad)


def test_answers_outside_the_schema_fail_validation() -> None:
    with pytest.raises(ValidationError):
        compact.parse("set_temperature(celsius=95)")  # out of range: refused with the range, never coerced
    with pytest.raises(ValidationError):
        compact.parse("set_window(percent_open=50,raw_frame=1)")


def test_the_grammar_names_every_tool_and_compiles() -> None:
    llama_cpp = pytest.importorskip("llama_cpp")
    text = compact.grammar()
    assert all(f'"{name}(' in text for name in TOOLS)
    assert llama_cpp.LlamaGrammar.from_string(text, verbose=False) is not None


def test_examples_are_the_nearest_by_their_words() -> None:
    shots = compact.examples("could you make it a touch cooler for the kids in the back", 3)
    assert len(shots) == 3 and all("set_temperature" in answer for _, answer in shots)
    assert compact.examples("", 3) == []
