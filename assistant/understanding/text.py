"""Text normalisation: lower case, contractions, units, numbers as digits; the words come from the lexicon.

``tokens`` keeps what the grammar needs of the punctuation: clause commas, sentence ends
(``.``, ``?``, ``!``) and quotation marks (``"``), each a token of its own. ``normalize`` is
the plain form (punctuation reduced to clause commas) for grounding and logs.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

from assistant.understanding.lexicon import load

_QUOTES = "\u201c\u201d\u201e\u00ab\u00bb\""


def fold(text: str) -> str:
    """Lower case without accents (for place names)."""
    nfkd = unicodedata.normalize("NFKD", text)
    return "".join(c for c in nfkd if not unicodedata.combining(c)).lower()


@functools.cache
def _tables(language: str) -> tuple[list[tuple[re.Pattern[str], Any]], dict[str, int], dict[str, int], dict[str, str]]:
    data = load(language).data
    contractions = [(re.compile(rf"\b{re.escape(a)}\b"), b) for a, b in data["text"]["contractions"]]
    # "the window's open": a contracted "is" before a state; "the driver's seat" stays a possessive, and so
    # does a person's before a word that places a value ("and the passenger's on one")
    text = data["text"]
    after = "|".join(re.escape(w) for w in text.get("is_before", []))
    if after:
        people = frozenset(text.get("possessors", []))
        things_only = frozenset(text.get("is_before_things", []))

        def contracted(m: re.Match[str]) -> str:
            possessive = m.group(1) in people and m.group(2) in things_only
            return m.group(1) + ("'s" if possessive else " is")

        contractions.append((re.compile(rf"\b([a-z]+)'s(?= ({after})\b)"), contracted))
    nums = data["numbers"]
    words = {"hundred": nums["hundred"], "point": nums["point"], "minus": nums["minus"], "and": nums["and"],
             "a": nums.get("a_hundred", "")}
    return contractions, dict(nums["units"]), dict(nums["tens"]), words


def tokens(text: str, language: str = "en") -> list[str]:
    """The words of ``text``, numbers as digits, with ``,`` ``.`` ``?`` ``!`` and ``"`` as tokens of their own."""
    contractions, _, _, _ = _tables(language)
    t = fold(text).replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    t = t.replace("\u2212", "-").replace("\u2013", " ").replace("\u2014", " , ")
    for q in _QUOTES:
        t = t.replace(q, ' " ')
    # a single quote that is not an apostrophe inside a word opens or closes a quotation
    t = re.sub(r"(?:(?<=\s)|^)'(?=\S)|(?<=\S)'(?=\s|$|[,.!?;:])", ' " ', t)
    t = re.sub(r"\ba\s*/\s*c\b", " ac ", t)
    t = t.replace("&", " and ")  # "A&E", "heat & fan"
    t = re.sub(r"(\d)\s*°\s*f\b", r"\1 fahrenheit", t)
    t = re.sub(r"(\d)\s*°\s*c?\b", r"\1 degrees", t)
    t = t.replace("°", " degrees ")
    t = re.sub(r"(?<![\d,])(\d{1,3})((?:,\d{3})+)(?![\d,])", lambda m: m.group(1) + m.group(2).replace(",", ""), t)
    t = re.sub(r"(\d)\s*%", r"\1 percent", t)
    t = re.sub(r"(\d)\s*(mm|cm)\b", r"\1 \2", t)
    t = re.sub(r"(\d)(?:st|nd|rd|th)\b", r"\1", t)
    for pattern, repl in contractions:
        t = pattern.sub(repl, t)
    t = re.sub(r"(?<=[a-z])'ll\b", " will", t)  # "it'll", "that'll", "you'll"
    t = re.sub(r"'s\b", "", t)  # driver's -> driver
    t = t.replace("'", "")
    t = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", t)  # rear-left, twenty-four
    t = re.sub(r"(?<!\d)-(?=\d)", " minus ", t)
    t = re.sub(r"[;:]", " , ", t)
    t = re.sub(r"\.{2,}|\u2026", " . ", t)
    t = re.sub(r"\.(?!\d)", " . ", t)
    t = re.sub(r"([,?!])", r" \1 ", t)
    t = re.sub(r'[^a-z0-9.,?!" +]', " ", t)
    words = words_to_numbers(t.split(), language)
    out = " ".join(words)
    out = re.sub(r"\b(\d+(?:\.\d+)?) (?:degrees )?f\b", r"\1 fahrenheit", out)
    out = re.sub(r"\b(\d+(?:\.\d+)?) degrees c\b", r"\1 degrees", out)
    ordinal, value = _ordinal_levels(language)
    if ordinal is not None:
        out = ordinal.sub(lambda m: f"{m.group(2)} {value[m.group(1)]}", out)  # "the second stage" -> "stage 2"
    return out.split()


@functools.cache
def _ordinal_levels(language: str) -> tuple[re.Pattern[str] | None, dict[str, int]]:
    """An ordinal before a word for a level ("the second stage", "third gear"): that level."""
    data = load(language).data
    value = dict(data["numbers"].get("ordinal_words", {}))
    nouns = [w for w in data["amount"].get("level", []) if " " not in w]
    if not value or not nouns:
        return None, value
    words = "|".join(re.escape(w) for w in value)
    return re.compile(rf"\b({words}) ({'|'.join(re.escape(n) for n in nouns)})\b"), value


def normalize(text: str, language: str = "en") -> str:
    """Lower case, contractions expanded, punctuation reduced to clause commas, numbers as digits."""
    out = " ".join(w if w not in ('"', ".", "?", "!") else ("," if w != '"' else "") for w in tokens(text, language))
    out = re.sub(r"(?:\s*,\s*)+", " , ", out).strip(" ,")
    return re.sub(r"\s+", " ", out)


def words_to_numbers(words: list[str], language: str = "en") -> list[str]:
    """Spelled-out numbers as digits: "twenty four point five" -> "24.5", "22 and a half" -> "22.5"."""
    out: list[str] = []
    i = 0
    while i < len(words):
        value, used = _read_number(words, i, language)
        if used == 0:
            out.append(words[i])
            i += 1
            continue
        i += used
        if words[i: i + 3] == ["and", "a", "half"]:
            value += 0.5
            i += 3
        out.append(f"{value:g}" if isinstance(value, float) else str(value))
    return out


def _is_digits(word: str) -> bool:
    return bool(re.fullmatch(r"\d+(?:\.\d+)?", word))


def _read_number(words: list[str], i: int, language: str) -> tuple[int | float, int]:
    """The number starting at ``words[i]`` and how many words it spans (0: none)."""
    _, units, tens, special = _tables(language)
    w = words[i]
    if w == special["minus"] and i + 1 < len(words):
        value, used = _read_number(words, i + 1, language)
        if used:
            return -value, used + 1
        return 0, 0
    if _is_digits(w):
        value: int | float = float(w) if "." in w else int(w)
        used = 1
    elif w == special["a"] and i + 1 < len(words) and words[i + 1] == special["hundred"]:
        one = next(k for k, v in units.items() if v == 1)
        value, used = _read_integer_words([one] + words[i + 1:], 0, units, tens, special)  # "a hundred and ten"
    elif w in tens or w in units or w == special["hundred"]:
        value, used = _read_integer_words(words, i, units, tens, special)
        if used == 0:
            return 0, 0
        if units.get(w) == 0 and w != "zero" and used == 1:  # "oh" alone is an interjection
            return 0, 0
    else:
        return 0, 0
    j = i + used
    digits_words = {k: v for k, v in units.items() if v < 10}
    if j + 1 < len(words) and words[j] == special["point"]:
        digits = []
        k = j + 1
        while k < len(words) and (words[k] in digits_words or re.fullmatch(r"\d", words[k])):
            digits.append(str(digits_words.get(words[k], words[k])))
            k += 1
        if digits:
            return float(f"{int(value)}.{''.join(digits)}"), k - i
    return value, used


def _read_integer_words(words: list[str], i: int, units: dict[str, int], tens: dict[str, int],
                        special: dict[str, str]) -> tuple[int, int]:
    total, j = 0, i
    if words[j] == special["hundred"]:
        return 0, 0
    if words[j] in tens:
        total = tens[words[j]]
        j += 1
        if j < len(words) and words[j] in units and 0 < units[words[j]] < 10:
            total += units[words[j]]
            j += 1
    elif words[j] in units:
        total = units[words[j]]
        j += 1
    if j < len(words) and words[j] == special["hundred"] and 0 < total < 10:
        total *= 100
        j += 1
        if j < len(words) and words[j] == special["and"] and j + 1 < len(words) and (
                words[j + 1] in tens or words[j + 1] in units):
            j += 1
        if j < len(words) and (words[j] in tens or words[j] in units):
            rest, used = _read_integer_words(words, j, units, tens, special)
            total += rest
            j += used
    return total, j - i
