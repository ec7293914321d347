"""Whole requests through the real batch runner (parser path), scored with the shared scorer.

Our own paraphrase sets, written by people who never read the parser (``tests/data``,
``tests/data/fresh``; ``heldout_c`` is only ever scored in aggregate): the parser alone must
get at least 97 % of each right and must never do what nobody asked for. Deferring a
request (to the model or with a question back) counts as a miss here, never as a wrong action.
"""

from __future__ import annotations

import pytest

from tests.conftest import ROOT, SHARED
from tests.evalkit import load_cases, run_cases, unsafe

DATA = ROOT / "tests" / "data"
OWN_SETS = sorted([DATA / "paraphrases.jsonl", DATA / "paraphrases_b.jsonl", *(DATA / "fresh").glob("*.jsonl")])


def wrong(outcomes: list) -> list[str]:
    """Cases where the car did something it was not asked to (the shared scorer's wrong actions)."""
    from tests.evalkit import scorer

    judge = scorer().wrong_action
    return [c["id"] for c, r, _ in outcomes if judge(c, r)]


@pytest.mark.parametrize("path", OWN_SETS, ids=lambda p: p.name)
def test_our_paraphrase_sets_reach_97_percent_with_no_wrong_action(path) -> None:  # type: ignore[no-untyped-def]
    outcomes = run_cases(load_cases(path))
    passed = sum(1 for _, _, why in outcomes if not why)
    failures = [f"{c['id']} {c['text']!r}: {why} | {r.get('reply')!r}" for c, r, why in outcomes if why]
    if path.stem.startswith("heldout"):
        # scored only in aggregate, never read: a floor against regressions, not a target to fit
        assert len(wrong(outcomes)) <= 0.015 * len(outcomes), f"{len(wrong(outcomes))} wrong actions in {path.name}"
        assert passed / len(outcomes) >= 0.90, f"{passed}/{len(outcomes)} in {path.name} (failures not listed)"
        return
    assert not wrong(outcomes), f"wrong actions in {path.name}: {len(wrong(outcomes))}"
    assert passed / len(outcomes) >= 0.97, "\n".join(failures)
    assert not unsafe(outcomes)


OPEN_SETS = {"natural_l.jsonl": (0.95, 2), "natural_n.jsonl": (0.95, 2), "natural_p.jsonl": (0.94, 0),
             "natural_q.jsonl": (0.94, 1), "natural_r.jsonl": (0.98, 1)}
"""Sets still short of the aim (97 %, no wrong action), with the figures they have reached: a floor
against going back, not the target. natural_l: 80.5 % with 14 wrong actions at first contact;
natural_n (written 2026-12-03 by a helper that never read the parser): 86.8 % with 10 wrong at first contact.
After the 2026-12-03 fixes: natural_l 92.7 % (2 wrong), natural_n 96.0 % (2 wrong). natural_p (253 lines, written
after those fixes by another helper that never read the parser): 89.3 % with 7 wrong at first contact; after the
fixes of the next stop 94.9 % with none. natural_q (260 lines, written after those by a helper that never read the
parser): 86.9 % with 10 wrong actions at first contact (85.4 % / 12 on the tree before that stop's fixes);
94.2 % with 1 wrong after the fixes its failures led to. natural_r (250 lines, 25 sessions, written the next stop
by a helper that never read the parser): 93.6 % with 7 wrong (2 unsafe) at first contact; 98.4 % with 1 after
(nr-006, "my wife says it's cold in here", warms the passenger side as paraphrases_b's "my wife says she's too
hot" cools it: the two sets disagree)."""


@pytest.mark.parametrize("name", sorted(OPEN_SETS))
def test_open_sets_do_not_fall_back(name: str) -> None:
    floor, most_wrong = OPEN_SETS[name]
    outcomes = run_cases(load_cases(DATA / "open" / name))
    passed = sum(1 for _, _, why in outcomes if not why)
    assert passed / len(outcomes) >= floor, f"{passed}/{len(outcomes)} in {name}"
    assert len(wrong(outcomes)) <= most_wrong, f"{len(wrong(outcomes))} wrong actions in {name}"


def test_dev_set_passes_in_full_with_no_wrong_action() -> None:
    outcomes = run_cases(load_cases(SHARED / "eval" / "dev.jsonl"))
    assert [(c["id"], why) for c, _, why in outcomes if why] == []
    assert not wrong(outcomes) and not unsafe(outcomes)
