#!/usr/bin/env python3
"""Builds the model's example library (assistant/understanding/data/examples.jsonl) from our paraphrase sets.

    .venv/bin/python scripts/build_examples.py

Each example is a request the parser understood exactly as its case expects (judged by the
shared scorer through the batch runner), with the parser's calls in the compact format. The
dev set and the held-out set are never used: the model is measured on them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.understanding import compact  # noqa: E402
from tests.evalkit import load_cases, run_cases  # noqa: E402

SOURCES = ["paraphrases.jsonl", "paraphrases_b.jsonl", "fresh/natural_a.jsonl", "fresh/plain_b.jsonl",
           "fresh/thirdparty_b.jsonl", "fresh/natural_d.jsonl", "fresh/targets_e.jsonl"]


def main() -> int:
    seen: set[str] = set()
    out = []
    for name in SOURCES:
        cases = [c for c in load_cases(ROOT / "tests" / "data" / name) if not c.get("session")]
        for case, result, why in run_cases(cases):
            text = case["text"].strip()
            if why or not result["calls"] or text.lower() in seen or case.get("seat", "driver") != "driver":
                continue
            seen.add(text.lower())
            out.append({"text": text, "answer": compact.dump([(c["name"], c["arguments"]) for c in result["calls"]])})
    compact.EXAMPLES.parent.mkdir(parents=True, exist_ok=True)
    compact.EXAMPLES.write_text("".join(json.dumps(e) + "\n" for e in out), encoding="utf-8")
    print(f"{len(out)} examples in {compact.EXAMPLES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
