"""A language's words (``lang/<language>.toml``) turned into a phrase index the grammar reads.

Every phrase maps to the set of senses it can have ("heat": ``obj.temperature``,
``act.warm``); ``chunk`` cuts a normalised sentence into the longest known phrases, numbers
and unknown words. The lexicon also answers the few whole-phrase lists the parser needs
(situations, unsupported functions, hostile phrases, number words).
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LANG_DIR = Path(__file__).resolve().parent / "lang"

# sections of the data file whose lists are senses named <section>.<key>
_SENSE_SECTIONS = ("obj", "act", "dir", "zone", "amount", "feel", "frame", "place", "poi")
_PREFIX = {"amount": "amt"}
# lists of those sections that detectors read as word sequences: not senses of a chunk
_NOT_SENSES = {("zone", "side_nouns"), ("zone", "not_side"), ("frame", "reporters"), ("frame", "report"),
               ("frame", "story_time"), ("frame", "question"), ("frame", "request_questions"),
               ("frame", "state_words"), ("frame", "state_values"), ("feel", "subjects"), ("place", "lead"),
               ("place", "trail"), ("place", "nearest"), ("frame", "capability"), ("frame", "permission"),
               ("frame", "conditions"), ("frame", "motion"), ("frame", "hypothetical"), ("frame", "purpose"),
               ("frame", "outcome")}
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


@dataclass(frozen=True)
class Chunk:
    """A phrase of a clause and what it can mean."""

    start: int
    """Index of its first word in the sentence."""
    end: int
    """Index after its last word."""
    text: str
    senses: frozenset[str]
    value: float | None = None
    """The number, for a number."""

    def has(self, *senses: str) -> bool:
        """Whether it can mean any of ``senses`` (a name ending in "." matches a whole family: "zone.")."""
        return any(s in self.senses or (s.endswith(".") and any(x.startswith(s) for x in self.senses))
                   for s in senses)

    def family(self, prefix: str) -> list[str]:
        """Its senses of one family, without the prefix: ``family("zone")`` -> ["rear"]."""
        return sorted(s[len(prefix) + 1:] for s in self.senses if s.startswith(prefix + "."))

    @property
    def is_number(self) -> bool:
        return self.value is not None

    @property
    def is_filler(self) -> bool:
        return bool(self.senses) and self.senses <= {"filler"}

    @property
    def is_unknown(self) -> bool:
        return not self.senses


@dataclass(frozen=True)
class Situation:
    """A remark that implies one action ("I can't reach the pedals" -> the seat forward)."""

    patterns: tuple[tuple[tuple[str, ...] | None, ...], ...]
    """Each pattern: a sequence of alternatives (tuples of phrases) and gaps (None)."""
    tool: str
    args: dict[str, Any]


@dataclass(eq=False)
class Lexicon:
    """One language's phrases and lists."""

    language: str
    data: dict[str, Any]
    phrases: dict[tuple[str, ...], set[str]] = field(default_factory=dict)
    longest: int = 1
    situations: list[Situation] = field(default_factory=list)
    unsupported: dict[str, str] = field(default_factory=dict)
    counts: dict[str, float] = field(default_factory=dict)

    # -- lookups the grammar uses -------------------------------------------------------------
    def words(self, section: str, key: str) -> list[str]:
        """A plain list of the data file (``words("frame", "report")``)."""
        return list(self.data.get(section, {}).get(key, []))

    @functools.cache  # noqa: B019 - one lexicon per language, cached for the process
    def group(self, key: str) -> frozenset[str]:
        """A list of the ``[grammar]`` section as a set (normalised like the text: digits for numbers)."""
        return frozenset(self.data["grammar"][key])

    def chunk(self, words: list[str]) -> list[Chunk]:
        """``words`` cut into known phrases, as few and as long as possible; numbers and unknown words alone.

        A shortest segmentation (fewest chunks, then fewest unknown words), not a greedy one:
        "the passenger seat" is "the" + "passenger seat", whichever phrase starts first.
        """
        n = len(words)
        # (chunks, unknown, verbs after a determiner, previous cut)
        best: list[tuple[int, int, int, int] | None] = [None] * (n + 1)
        best[0] = (0, 0, 0, -1)
        determiners = self.group("before_things")
        for i in range(n):
            here = best[i]
            if here is None:
                continue
            after_determiner = here[3] == i - 1 and words[i - 1] in determiners
            options = [(1, 1 if not NUMBER.fullmatch(words[i]) and (words[i],) not in self.phrases else 0)]
            options += [(k, 0) for k in range(2, min(self.longest, n - i) + 1) if tuple(words[i:i + k]) in self.phrases]
            for k, unknown in options:
                # "the back on 23": "the back" + "on", not "the" + "back on" (a determiner is not before a verb)
                odd = after_determiner and k > 1 and self._verb_only(tuple(words[i:i + k]))
                cand = (here[0] + 1, here[1] + unknown, here[2] + odd, i)
                old = best[i + k]
                if old is None or cand[:3] < old[:3]:  # fewest chunks, then fewest unknown words, then fewest odd
                    best[i + k] = cand
        cuts = []
        end = n
        while end > 0:
            start = best[end][3]  # type: ignore[index]
            cuts.append((start, end))
            end = start
        out = []
        for start, end in reversed(cuts):
            key = tuple(words[start:end])
            if end - start == 1 and NUMBER.fullmatch(words[start]):
                out.append(Chunk(start, end, words[start], frozenset({"num"}), float(words[start])))
            else:
                out.append(Chunk(start, end, " ".join(key), frozenset(self.phrases.get(key, ()))))
        return self._halves(words, out)

    def _verb_only(self, phrase: tuple[str, ...]) -> bool:
        senses = self.phrases.get(phrase, ())
        return bool(senses) and all(x.startswith(("act.", "filler", "amt.to")) for x in senses)

    def _halves(self, words: list[str], chunks: list[Chunk]) -> list[Chunk]:
        """ "a degree and a half": one count, not a count, "and" and a fraction (the normaliser has made
        "twenty two and a half" 22.5 already)."""
        halves = [tuple(h) for h in self.data["numbers"]["half_after"]]
        out: list[Chunk] = []
        k = 0
        while k < len(chunks):
            c = chunks[k]
            value = c.value if c.is_number else self.counts.get(c.text)
            tail = next((h for h in halves if tuple(words[c.end:c.end + len(h)]) == h), None)
            stop = None if tail is None else next((j for j in range(k + 1, len(chunks))
                                                   if chunks[j].end == c.end + len(tail)), None)
            if value is None or stop is None:
                out.append(c)
                k += 1
                continue
            senses = c.senses - {"count"} | {"num"}
            out.append(Chunk(c.start, chunks[stop].end, f"{value + 0.5:g}", senses, value + 0.5))
            k = stop + 1
        return out

    def vocabulary(self) -> frozenset[str]:
        """Every word of four letters or more that a phrase contains (for mending recognised speech)."""
        return frozenset(w for phrase in self.phrases for w in phrase if len(w) >= 4 and w.isalpha())


def _phrase(text: str) -> tuple[str, ...]:
    return tuple(text.lower().split())


def _pattern(text: str) -> tuple[tuple[str, ...] | None, ...]:
    """``"cannot|can_not reach ... pedals"`` -> ((cannot, can not), (reach,), None, (pedals,))."""
    parts: list[tuple[str, ...] | None] = []
    for token in text.lower().split():
        parts.append(None if token == "..." else tuple(alt.replace("_", " ") for alt in token.split("|")))
    return tuple(parts)


@functools.cache
def load(language: str = "en") -> Lexicon:
    """The lexicon of ``language`` (cached: it is read once per process)."""
    path = LANG_DIR / f"{language}.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    lex = Lexicon(language, data)
    senses: dict[tuple[str, ...], set[str]] = {}
    # the normaliser writes numbers as digits, so phrases are matched that way too ("the two back seats")
    digits = {w: str(v) for w, v in {**data["numbers"]["units"], **data["numbers"]["tens"]}.items() if w != "oh"}

    def add(phrase: str, sense: str) -> None:
        key = tuple(digits.get(w, w) for w in _phrase(phrase))
        if key:
            senses.setdefault(key, set()).add(sense)

    for section in _SENSE_SECTIONS:
        prefix = _PREFIX.get(section, section)
        for key, phrases in data.get(section, {}).items():
            if not isinstance(phrases, list) or (section, key) in _NOT_SENSES:
                continue
            for phrase in phrases:
                if isinstance(phrase, str):
                    add(phrase, f"{prefix}.{key}")
    for word in data["filler"]["words"]:
        add(word, "filler")
    for phrase in data["numbers"]["counts"]:
        add(phrase, "count")
    for phrase in data["filler"]["polite"]:
        add(phrase, "polite")
    for phrase in data["filler"]["role_claim"]:
        add(phrase, "role_claim")
    for phrase in data["person"]["nouns"]:
        add(phrase, "person.noun")
    for phrase, name in data["unsupported"].items():
        add(phrase, "unsupported")
        lex.unsupported[" ".join(_phrase(phrase))] = name
    for phrase in data["unsupported_soft"]["words"]:
        add(phrase, "unsupported.soft")
    for phrase in data["hostile"]["phrases"]:
        add(phrase, "hostile")
    for phrase in data["hostile"]["chitchat"]:
        add(phrase, "chitchat")
    for phrase in data["hostile"]["greetings"]:
        add(phrase, "greeting")
    # a zone phrase that names its object ("passenger seat", "rear windows") also means the object
    objects = {key: {_phrase(p) for p in phrases} for key, phrases in data["obj"].items()}
    for key, found in list(senses.items()):
        if len(key) > 1 and any(s.startswith("zone.") or s == "frame.both" for s in found):  # "both seats" too
            for obj, names in objects.items():
                if any(key[i:i + len(n)] == n for n in names for i in range(len(key) - len(n) + 1)):
                    found.add(f"obj.{obj}")
    # "a bit higher", "a little lower": a softened comparative still says which way
    for key, found in senses.items():
        if len(key) > 1 and found & {"amt.little", "amt.much"} and key[-1] not in ("more", "less"):
            found |= {x for x in senses.get(key[-1:], set()) if x.startswith(("act.", "dir."))}
    # "recline it", "turn them down": a verb with its pronoun still refers to what was named before
    pronouns = set(data["grammar"]["object_pronouns"])
    for key, found in senses.items():
        if len(key) > 1 and any(w in pronouns for w in key[1:]) and any(s.startswith("act.") for s in found):
            found.add("frame.it")
            verb = senses.get(key[:1], set())
            if len(key) == 2 and key[1] in pronouns:  # "lower it" means what "lower" means, of what was named
                found |= {x for x in verb if x.startswith(("act.", "dir."))}
    # "the driver" when "driver" means the same: the article is filler, the longer phrase only glues
    for key in [k for k in senses if len(k) > 1 and k[0] == "the"]:
        rest = senses.get(key[1:])
        if rest is not None and senses[key] <= rest:
            del senses[key]
    lex.counts = {" ".join(digits.get(w, w) for w in _phrase(k)): float(v) for k, v in data["numbers"]["counts"].items()}
    lex.phrases = senses
    lex.longest = max(len(k) for k in senses)
    for entry in data.get("situation", []):
        lex.situations.append(Situation(tuple(_pattern(p) for p in entry["when"]), entry["tool"],
                                        dict(entry.get("args", {}))))
    return lex


def match_pattern(pattern: tuple[tuple[str, ...] | None, ...], words: list[str], gap: int = 3) -> tuple[int, int] | None:
    """Where ``pattern`` occurs in ``words`` (start, end), or None. A gap (None) spans 0..``gap`` words."""
    def at(pos: int, k: int) -> int | None:
        if k == len(pattern):
            return pos
        part = pattern[k]
        if part is None:
            for skip in range(gap + 1):
                end = at(pos + skip, k + 1)
                if end is not None:
                    return end
                if pos + skip >= len(words):
                    break
            return None
        for alt in part:
            alt_words = alt.split()
            if words[pos:pos + len(alt_words)] == alt_words:
                end = at(pos + len(alt_words), k + 1)
                if end is not None:
                    return end
        return None

    for start in range(len(words)):
        end = at(start, 0)
        if end is not None and end > start:
            return start, end
    return None
