"""Reads ../shared/spec/vehicle-signals.md: the tables' VSS paths, ranges and start values."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SpecRow:
    """One VSS leaf as the specification's tables describe it."""

    path: str
    type: str
    range: str
    start: str


def _expand(pattern: str) -> list[str]:
    parts = re.split(r"(\{[^}]*\})", pattern)
    choices = [p[1:-1].split(",") if p.startswith("{") else [p] for p in parts]
    return ["".join(c) for c in itertools.product(*choices)]


def spec_rows(shared: Path) -> dict[str, SpecRow]:
    """Every VSS leaf of the specification's tables, braces expanded."""
    rows: dict[str, SpecRow] = {}
    for line in (shared / "spec" / "vehicle-signals.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not cells or not cells[0].startswith("Vehicle."):
            continue
        rng = cells[2] if len(cells) == 4 else ""
        start = cells[-1]
        for pattern in cells[0].split(" / "):
            if not pattern.startswith("Vehicle."):  # "Vehicle.CurrentLocation.Latitude / .Longitude"
                pattern = cells[0].split(" / ")[0].rsplit(".", 1)[0] + pattern
            for path in _expand(pattern):
                rows[path] = SpecRow(path, cells[1], rng, start)
    return rows


def numbers(text: str) -> list[float]:
    """The numbers in a cell, reading the typographic minus as a minus."""
    return [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", text.replace("\u2212", "-"))]
