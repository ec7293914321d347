"""Real human recordings shipped by registry packages (tests/data/voices), and the word error rate on them."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

VOICES = Path(__file__).resolve().parent / "data" / "voices"
"""The recordings (16 kHz mono WAV) and ``manifest.jsonl``: file, reference text, source package, licence."""

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
         "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_ABBREVIATIONS = {"mr": "mister", "mrs": "missus", "dr": "doctor", "st": "saint"}


@dataclass(frozen=True)
class Voice:
    """One recording and what was said in it."""

    path: Path
    text: str
    source: str
    licence: str


def load_voices() -> list[Voice]:
    """Every recording of the manifest."""
    rows = [json.loads(line) for line in (VOICES / "manifest.jsonl").read_text().splitlines() if line.strip()]
    return [Voice(VOICES / r["file"], r["text"], f"{r['source']} {r['version']}", r["licence"]) for r in rows]


def number_words(n: int) -> str:
    """0..999 in words ("21" -> "twenty one"); larger numbers digit by digit."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        return _ONES[n // 100] + " hundred" + ("" if n % 100 == 0 else " " + number_words(n % 100))
    return " ".join(_ONES[int(d)] for d in str(n))


def normalise(text: str) -> list[str]:
    """Words compared: lower case, no punctuation, hyphens split, numbers and abbreviations spelled out."""
    text = text.lower().replace("-", " ")
    text = re.sub(r"\d+", lambda m: " " + number_words(int(m.group())) + " ", text)
    words = re.sub(r"[^a-z' ]", " ", text).replace("'", "").split()
    return [_ABBREVIATIONS.get(w, w) for w in words]


def edits(reference: list[str], hypothesis: list[str]) -> int:
    """Word-level Levenshtein distance (substitutions, deletions, insertions)."""
    row = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        prev, row[0] = row[0], i
        for j, hyp in enumerate(hypothesis, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ref != hyp))
    return row[-1]


def wer(pairs: list[tuple[str, str]]) -> float:
    """Word error rate of (reference, hypothesis) pairs: all edits over all reference words."""
    total = sum(len(normalise(ref)) for ref, _ in pairs)
    return sum(edits(normalise(ref), normalise(hyp)) for ref, hyp in pairs) / max(total, 1)
