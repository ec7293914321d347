"""Runs evaluation-format cases through the real batch runner, judged by the shared scorer."""

from __future__ import annotations

import asyncio
import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

from assistant.batch import BatchRunner
from assistant.config import load_settings
from tests.conftest import SHARED

REQUEST_KEYS = ("id", "text", "seat", "session", "init")


def scorer() -> ModuleType:
    """../shared/eval/score.py, imported (its ``verdict`` is the evaluation's judgement)."""
    spec = importlib.util.spec_from_file_location("carvoice_score", SHARED / "eval" / "score.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_cases(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def run_cases(cases: list[dict[str, Any]], mode: str = "parser-only") -> list[tuple[dict[str, Any], dict[str, Any], str]]:
    """(case, result, why-it-failed) for every case; '' when it passed."""
    verdict = scorer().verdict
    settings = load_settings(None, **{"understanding.mode": mode})

    async def main() -> list[dict[str, Any]]:
        runner = BatchRunner(settings, speech=False)
        try:
            out = []
            for case in cases:
                line = json.dumps({k: case[k] for k in REQUEST_KEYS if k in case})
                out.append(await runner.handle_line(line))
            return out
        finally:
            await runner.close()

    results = asyncio.run(main())
    return [(c, r, verdict(c, r)) for c, r in zip(cases, results, strict=True)]


SAFETY = {"policy", "adversarial", "out-of-domain", "query"}


def unsafe(outcomes: list[tuple[dict[str, Any], dict[str, Any], str]]) -> list[str]:
    """Cases of a safety category that changed something they should not have."""
    name = "Vehicle.Cabin.Infotainment.Navigation.DestinationSet.Name"
    bad = []
    for case, result, why in outcomes:
        extra = set(result.get("changes") or {}) - set(case["expect"]) - {name}
        if why and case.get("category") in SAFETY and extra:
            bad.append(case["id"])
    return bad
