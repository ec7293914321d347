"""The deterministic parser: a compositional grammar that acts only on what it accounts for.

Like Home Assistant's "prefer handling commands locally", it runs before the language model.
A request is normalised once (``text.tokens``), cut into the language data's phrases
(``lexicon``), split into clauses marked as corrections, retractions, negations or reported
speech (``clauses``), each clause read as action + function + target + amount
(``frames``, ``targets``, ``amounts``), and the readings resolved against each other and the
dialogue context into tool calls (``resolve``). When a clause names something of the car that
the grammar cannot account for, or two tools explain it equally, the result is "not sure" and
the language model gets the request, or the parser asks back; it never guesses an action.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from assistant.understanding import frames
from assistant.understanding.clauses import mark_capability, mark_reported, mark_settled, split
from assistant.understanding.context import DialogueContext, Pending
from assistant.understanding.lexicon import Lexicon, load
from assistant.understanding.resolve import resolve
from assistant.understanding.text import normalize, tokens

RawCall = tuple[str, dict[str, Any]]
_HEX = re.compile(r"\b0x[0-9a-f]+\b")


@dataclass
class ParseResult:
    """What the parser made of a request."""

    calls: list[RawCall]
    """Tool calls, unvalidated: (name, arguments)."""
    sure: bool
    """False when part of the request was not understood: ask the model instead."""
    reason: str = ""
    """Why the parser is not sure (for logs and tests)."""
    normalized: str = ""
    """The normalized text the parser read."""
    ask: str | None = None
    """A question back ("Which one, rear left or rear right?") instead of an action."""
    pending: Pending | None = None
    """What the next turn may complete, when the parser asked."""
    say: str | None = None
    """A reply of its own (reported speech, a request taken back)."""
    person: str | None = None
    """The seat of a person the request named, for "her"/"him" later."""
    topic: str | None = None
    """What the request acted on, in its own words, for "it" later."""
    verb: str | None = None
    """What the request did, in its own words ("open"), for "and the sunroof" later."""
    named: bool = False
    """Not sure of a clause that names a function of the car (rather than of words it has no use for)."""
    readings: list[str] = field(default_factory=list)
    """The kind of each clause's reading (for logs and tests)."""
    unexplained: int = 0
    """Words of the request no reading had a use for."""
    hanging: bool = False
    """The request ends on a word that expects more ("set the temperature to")."""


class RuleParser:
    """Deterministic understanding of the car's functions in one language."""

    def __init__(self, language: str = "en") -> None:
        self.lex: Lexicon = load(language)
        self._hostile = [tuple(p.split()) for p in self.lex.words("hostile", "phrases")]
        self._greetings = {" ".join(p.split()) for p in self.lex.words("hostile", "greetings")}

    def parse(self, text: str, speaker: str = "driver", context: DialogueContext | None = None) -> ParseResult:
        """Tool calls for ``text`` said from ``speaker``'s seat, or "not sure"."""
        context = context or DialogueContext()
        words = tokens(text, self.lex.language)
        norm = normalize(text, self.lex.language)
        plain = [w for w in words if w not in (",", ".", "?", "!", '"')]
        if " ".join(plain) in self._greetings:
            return ParseResult([("reply_only", {"reason": "greeting"})], True, normalized=norm)
        hostile = self._hostile_phrase(plain)
        if hostile is not None:
            return ParseResult([("reply_only", {"reason": "not_allowed", "subject": hostile})], True, normalized=norm)
        chunks = self.lex.chunk(words)
        if context.pending is None and all(c.is_filler or c.text in (",", ".", "?", "!", '"') for c in chunks):
            return ParseResult([("reply_only", {"reason": "unclear"})], True, normalized=norm)
        clauses = split(self.lex, chunks)
        mark_reported(self.lex, words, clauses)
        mark_capability(self.lex, clauses)
        mark_settled(self.lex, clauses)
        readings = [frames.read(self.lex, cl, speaker) for cl in clauses]
        outcome = resolve(self.lex, readings, speaker, context)
        calls = outcome.calls
        if any(n != "reply_only" for n, _ in calls):  # a thanks or a chat next to a request is noise
            calls = [c for c in calls if c[0] != "reply_only" or c[1].get("reason") in ("not_allowed",
                                                                                         "unsupported_function")]
        kinds = [r.kind + ("/reported" if r.clause.reported else "") for r in readings]
        unexplained = sum(len(c.text.split()) for r in readings for c in r.unexplained if not c.is_filler)
        return ParseResult(calls, outcome.sure, outcome.reason, norm, ask=outcome.ask.question if outcome.ask else None,
                           pending=outcome.pending, say=outcome.say, person=outcome.person, topic=outcome.topic, verb=outcome.verb,
                           readings=kinds, named=outcome.named, unexplained=unexplained,
                           hanging=self.hanging(plain))

    def hanging(self, words: list[str]) -> bool:
        """Whether a request of ``words`` ends on a word that expects more."""
        return bool(words) and words[-1] in self.lex.group("hanging")

    def _hostile_phrase(self, words: list[str]) -> str | None:
        text = " ".join(words)
        if _HEX.search(text):
            return _HEX.search(text).group(0)  # type: ignore[union-attr]
        padded = f" {text} "
        for p in self._hostile:
            if f" {' '.join(p)} " in padded:
                return " ".join(p)
        return None
