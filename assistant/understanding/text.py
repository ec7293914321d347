"""Text normalization for the parser: lower case, contractions, units, and numbers as digits."""

from __future__ import annotations

import re
import unicodedata

_UNITS = {
    "zero": 0, "oh": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}
_DIGIT_WORDS = {k: v for k, v in _UNITS.items() if v < 10}

_CONTRACTIONS = [
    (r"\bi'm\b", "i am"), (r"\bim\b", "i am"), (r"\bit's\b", "it is"),
    (r"\bthat's\b", "that is"), (r"\bwhat's\b", "what is"), (r"\bwhats\b", "what is"),
    (r"\bwhere's\b", "where is"), (r"\bhow's\b", "how is"), (r"\blet's\b", "let us"), (r"\blets\b", "let us"),
    (r"\bcan't\b", "cannot"), (r"\bcant\b", "cannot"), (r"\bwon't\b", "will not"), (r"\bdon't\b", "do not"),
    (r"\bdont\b", "do not"), (r"\bdoesn't\b", "does not"), (r"\bisn't\b", "is not"), (r"\baren't\b", "are not"),
    (r"\bwe're\b", "we are"), (r"\bthey're\b", "they are"), (r"\byou're\b", "you are"), (r"\bi'd\b", "i would"),
    (r"\bi'll\b", "i will"), (r"\bi've\b", "i have"), (r"\bthere's\b", "there is"), (r"\bwhat're\b", "what are"),
    (r"\bgonna\b", "going to"), (r"\bwanna\b", "want to"), (r"\bgotta\b", "have to"), (r"\bkinda\b", "kind of"),
    (r"\bplz\b", "please"), (r"\bpls\b", "please"), (r"\bthx\b", "thanks"),
]


def fold(text: str) -> str:
    """Lower case without accents (for place names)."""
    nfkd = unicodedata.normalize("NFKD", text)
    return "".join(c for c in nfkd if not unicodedata.combining(c)).lower()


def normalize(text: str) -> str:
    """Lower case, contractions expanded, punctuation reduced to clause commas, numbers as digits."""
    t = fold(text).replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    t = t.replace("\u2212", "-").replace("\u2013", " ").replace("\u2014", " , ")
    t = re.sub(r"\ba\s*/\s*c\b", " ac ", t)
    t = re.sub(r"(\d)\s*°\s*f\b", r"\1 fahrenheit", t)
    t = re.sub(r"(\d)\s*°\s*c?\b", r"\1 degrees", t)
    t = t.replace("°", " degrees ")
    t = re.sub(r"(?<![\d,])(\d{1,3})((?:,\d{3})+)(?![\d,])", lambda m: m.group(1) + m.group(2).replace(",", ""), t)
    t = re.sub(r"(\d)\s*%", r"\1 percent", t)
    t = re.sub(r"(\d)\s*(mm|cm)\b", r"\1 \2", t)
    t = re.sub(r"(\d)(?:st|nd|rd|th)\b", r"\1", t)
    for pattern, repl in _CONTRACTIONS:
        t = re.sub(pattern, repl, t)
    t = re.sub(r"'s\b", "", t)  # driver's -> driver
    t = t.replace("'", "")
    t = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", t)  # rear-left, twenty-four
    t = re.sub(r"(?<!\d)-(?=\d)", " minus ", t)
    t = re.sub(r"[;:!?]|\.(?!\d)", " , ", t)
    t = re.sub(r",", " , ", t)
    t = re.sub(r"[^a-z0-9., +]", " ", t)
    words = words_to_numbers(t.split())
    out = " ".join(words)
    out = re.sub(r"\b(\d+(?:\.\d+)?) (?:degrees )?f\b", r"\1 fahrenheit", out)
    out = re.sub(r"\b(\d+(?:\.\d+)?) degrees c\b", r"\1 degrees", out)
    out = re.sub(r"(?:\s*,\s*)+", " , ", out).strip(" ,")
    return re.sub(r"\s+", " ", out)


def words_to_numbers(words: list[str]) -> list[str]:
    """Spelled-out numbers as digits: "twenty four point five" -> "24.5", "22 and a half" -> "22.5"."""
    out: list[str] = []
    i = 0
    while i < len(words):
        value, used = _read_number(words, i)
        if used == 0:
            out.append(words[i])
            i += 1
            continue
        i += used
        # "... and a half" / "point five" handled in _read_number; "a half" after a number too
        if i + 2 < len(words) + 1 and words[i : i + 3] == ["and", "a", "half"]:
            value += 0.5
            i += 3
        text = f"{value:g}" if isinstance(value, float) else str(value)
        out.append(text)
    return out


def _is_digits(word: str) -> bool:
    return bool(re.fullmatch(r"\d+(?:\.\d+)?", word))


def _read_number(words: list[str], i: int) -> tuple[int | float, int]:
    """The number starting at ``words[i]`` and how many words it spans (0: none)."""
    w = words[i]
    if w == "minus" and i + 1 < len(words):
        value, used = _read_number(words, i + 1)
        if used:
            return -value, used + 1
        return 0, 0
    if _is_digits(w):
        value: int | float = float(w) if "." in w else int(w)
        used = 1
    elif w in _TENS or w in _UNITS or w == "hundred":
        value, used = _read_integer_words(words, i)
        if used == 0:
            return 0, 0
        if w == "oh" and used == 1:  # "oh" alone is an interjection
            return 0, 0
    else:
        return 0, 0
    j = i + used
    if j + 1 < len(words) and words[j] == "point":
        digits = []
        k = j + 1
        while k < len(words) and (words[k] in _DIGIT_WORDS or re.fullmatch(r"\d", words[k])):
            digits.append(str(_DIGIT_WORDS.get(words[k], words[k])))
            k += 1
        if digits:
            return float(f"{int(value)}.{''.join(digits)}"), k - i
    return value, used


def _read_integer_words(words: list[str], i: int) -> tuple[int, int]:
    total, j = 0, i
    if words[j] == "hundred":
        return 0, 0
    if words[j] in _TENS:
        total = _TENS[words[j]]
        j += 1
        if j < len(words) and words[j] in _UNITS and _UNITS[words[j]] < 10 and words[j] not in ("zero", "oh"):
            total += _UNITS[words[j]]
            j += 1
    elif words[j] in _UNITS:
        total = _UNITS[words[j]]
        j += 1
    if j < len(words) and words[j] == "hundred" and 0 < total < 10:
        total *= 100
        j += 1
        if j < len(words) and words[j] == "and" and j + 1 < len(words) and (words[j + 1] in _TENS or words[j + 1] in _UNITS):
            j += 1
        if j < len(words) and (words[j] in _TENS or words[j] in _UNITS):
            rest, used = _read_integer_words(words, j)
            total += rest
            j += used
    return total, j - i
