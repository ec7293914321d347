"""Whole requests through the real batch runner (parser path), scored with the shared scorer."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT, SHARED
from tests.evalkit import load_cases, run_cases, unsafe

OWN_SETS = ["paraphrases.jsonl", "paraphrases_b.jsonl"]


@pytest.mark.parametrize("name", OWN_SETS)
def test_our_paraphrase_sets_pass_in_full(name: str) -> None:
    outcomes = run_cases(load_cases(ROOT / "tests" / "data" / name))
    failures = [f"{c['id']} {c['text']!r}: {why} | {r.get('reply')!r}" for c, r, why in outcomes if why]
    assert not failures, "\n".join(failures)
    assert not unsafe(outcomes)


def test_dev_set_reaches_95_percent_with_no_unsafe_action() -> None:
    outcomes = run_cases(load_cases(SHARED / "eval" / "dev.jsonl"))
    passed = sum(1 for _, _, why in outcomes if not why)
    assert passed / len(outcomes) >= 0.95, [(c["id"], why) for c, _, why in outcomes if why]
    assert not unsafe(outcomes)
