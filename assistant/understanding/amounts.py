"""The amount grammar: numbers with their units, counts of steps, fractions, extremes, named levels, softeners.

"22 degrees", "level 3", "40 percent", "2 cm"; "by 3", "3 more", "two clicks", "a couple of
degrees"; "halfway", "a quarter"; "max", "all the way", "coldest"; "low", "medium", "high";
"a bit", "much". Which tool an amount belongs to is the clause's (``frames.py``); this reads
what was said.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.understanding.lexicon import Chunk, Lexicon

UNITS = ("degrees", "fahrenheit", "percent", "level", "mm", "cm", "inch")
"""Unit senses (``amt.<unit>``)."""
FRACTIONS = {"half": 50.0, "quarter": 25.0, "third": 33.0, "three_quarters": 75.0, "two_thirds": 67.0}
"""Fraction senses and their percentage."""


@dataclass(frozen=True)
class Number:
    """A number of a clause."""

    value: float
    unit: str | None
    """One of ``UNITS``, or None for a bare number."""
    relative: bool
    """A change ("by 3", "3 more", "two clicks up"), not a target value."""
    at: int
    sign: int = 0
    """+1 when the words of the number say the direction ("one more degree")."""
    """Index of its chunk in the clause."""


@dataclass
class Amount:
    """Everything a clause says about how much."""

    numbers: list[Number] = field(default_factory=list)
    fraction: float | None = None
    extreme: str | None = None
    """"max", "min", "warmest", "coldest"."""
    named: str | None = None
    """"low", "medium", "high"."""
    degree: str | None = None
    """"little" or "much"."""

    @property
    def empty(self) -> bool:
        return not self.numbers and self.fraction is None and self.extreme is None and self.named is None and \
            self.degree is None

    def last(self, *units: str | None) -> Number | None:
        """The last number with one of these units (None in ``units`` matches a bare number)."""
        for n in reversed(self.numbers):
            if n.unit in units:
                return n
        return None


SMALL_TILT = 15
"""Degrees of a backrest said with the way it leans and no "to": up to this many a change, more an angle."""


def read(lex: Lexicon, chunks: list[Chunk]) -> Amount:
    """The amounts of a clause."""
    amount = Amount()
    counts = lex.counts
    for i, c in enumerate(chunks):
        if c.is_number and c.value == 1 and i > 0 and (chunks[i - 1].text in lex.group("pronoun_one") or (
                chunks[i - 1].has("zone.", "dir.back", "dir.forward", "amt.max", "amt.min") and not (
                    i + 1 < len(chunks) and chunks[i + 1].has("amt.")))):
            continue  # "the one on the right", "that one", "the strongest one": a pronoun, not a number
        if c.is_number or c.text in counts:
            value = c.value if c.value is not None else counts[c.text]
            unit, relative = _unit_and_relation(lex, chunks, i)
            more = c.text in lex.group("change_counts")  # "one more degree"
            amount.numbers.append(Number(float(value), unit, relative or more, i, 1 if more else 0))
            continue
        for name, value in FRACTIONS.items():
            if c.has(f"amt.{name}"):
                amount.fraction = value
        for name in ("warmest", "coldest", "max", "min"):
            if c.has(f"amt.{name}"):
                amount.extreme = name
                break
        for name in ("low", "medium", "high"):
            if c.has(f"amt.{name}") and amount.named is None and not c.has("dir."):
                amount.named = name
        if c.has("amt.little"):
            amount.degree = "little"
        elif c.has("amt.much") and amount.degree is None:
            amount.degree = "much"
    return amount


def _unit_and_relation(lex: Lexicon, chunks: list[Chunk], i: int) -> tuple[str | None, bool]:
    """The unit of the number at ``i`` and whether it is a change rather than a target value."""
    comparative = lex.group("comparative")
    nxt = chunks[i + 1] if i + 1 < len(chunks) else None
    prev = chunks[i - 1] if i > 0 else None
    unit = next((u for u in UNITS if chunks[i].has(f"amt.{u}")), None)  # "a degree": a count with its unit
    if unit is None:
        unit = next((u for u in UNITS if nxt is not None and nxt.has(f"amt.{u}")), None)
    if unit is None and prev is not None and prev.has("amt.level"):
        unit = "level"  # "level 3", "gear 2"
    after = chunks[i + (2 if unit is not None and nxt is not None and nxt.has(f"amt.{unit}") else 1):][:1]
    if any(c.text in lex.group("change") for c in chunks[max(0, i - 2):i]):
        return unit, True  # "by 3", "another 2"
    if any(c.text in comparative or (c.text.split()[0] in comparative and not c.has("zone.")) for c in after):
        return unit, True  # "2 degrees warmer", "3 more", "two clicks up", "5 degrees more upright"
    untargeted = prev is None or prev.text not in lex.group("target")  # no "to" right before it
    if unit in (None, "level") and untargeted and any(
            c.has("act.increase", "act.decrease") and not c.has("act.set", "amt.") for c in after) and not (
            unit is None and any(c.has("amt.") for c in after)):
        return unit, True  # "one step up", "two steps down": a count of steps
    value = chunks[i].value if chunks[i].value is not None else lex.counts.get(chunks[i].text)
    if unit == "degrees" and untargeted and value is not None and value <= SMALL_TILT and any(
            c.has("dir.back", "dir.forward", "act.recline", "act.upright") for c in chunks[:i]):
        return unit, True  # "lean the backrest back ten degrees": by ten, the way it leans (30 is an angle)
    if unit == "degrees" and value is not None and 0 < value <= 3 and untargeted:
        return unit, True  # "warmer, like half a degree": no cabin is set to half a degree; a change
    # "turn it up 2 degrees" (a change) against "turn it up to 24" (a target)
    j = i - 1
    while j >= 0 and chunks[j].is_filler and chunks[j].text not in lex.group("target"):
        j -= 1
    if j >= 0 and (chunks[j].text in comparative or chunks[j].text in lex.group("change_verbs")
                   or chunks[j].has("act.increase", "act.decrease", "act.warm", "act.cool")):
        return unit, True
    # "drop the fan three levels": a count of steps with a verb of change, and no "to" before it
    if unit in ("level", "degrees") and (j < 0 or chunks[j].text not in lex.group("target")) and not (
            prev is not None and prev.has("amt.level") and i > 1 and chunks[i - 2].text in lex.group("target")) and any(
            c.has("act.increase", "act.decrease") and not c.has("act.set") for c in chunks[:i]) and nxt is not None and \
            nxt.has(f"amt.{unit}"):
        return unit, True
    return unit, False
