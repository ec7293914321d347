"""A request cut into clauses, each marked with how it stands: corrected, taken back, negated, reported.

"set it to 19, sorry, 21": the clause "21" corrects the one before. "turn on recirculation...
no, forget it": the second takes the first back. "don't open the window, just put the fan
up": the first asks for nothing. "my wife said 'open the window'": a command inside somebody
else's words is not for the car. The grammar of one clause is ``frames.py``'s.
"""

from __future__ import annotations

import dataclasses

import functools

from dataclasses import dataclass, field

from assistant.understanding.lexicon import Chunk, Lexicon, match_pattern

SENTENCE_ENDS = {".", "?", "!"}
QUOTE = '"'


@dataclass
class Clause:
    """A stretch of a request between separators."""

    chunks: list[Chunk]
    sentence: int = 0
    """Which sentence of the request it is in (a new one after ``.``, ``?``, ``!`` outside quotes)."""
    correction: bool = False
    """It follows a correction marker: what it says replaces the matching part of the clause before."""
    retract: bool = False
    """It takes the clause before back ("no, forget it")."""
    negated: bool = False
    """"don't ...", "not the driver": it asks for nothing by itself."""
    reported: bool = False
    """Somebody else's words, or a story: nothing in it is a request."""
    question: bool = False
    """Its sentence ends with a question mark."""
    joined_by: str = ""
    """The separator before it ("and", "but", ",")."""
    ends_with: str = ""
    """How its sentence ended: ".", "?", "!" or nothing."""
    notes: list[str] = field(default_factory=list)

    @property
    def words(self) -> list[str]:
        return [w for c in self.chunks for w in c.text.split()]

    @property
    def text(self) -> str:
        return " ".join(c.text for c in self.chunks)

    @property
    def content(self) -> list[Chunk]:
        """The chunks that are not filler or politeness."""
        return [c for c in self.chunks if not (c.senses <= {"filler", "polite"} and c.senses)]

    def has(self, *senses: str) -> bool:
        return any(c.has(*senses) for c in self.chunks)

    def first(self, *senses: str) -> Chunk | None:
        return next((c for c in self.chunks if c.has(*senses)), None)


def split(lex: Lexicon, chunks: list[Chunk]) -> list[Clause]:
    """The clauses of a request, in order, with their marks."""
    clauses: list[Clause] = []
    current: list[Chunk] = []
    sentence = 0
    quoted = False
    ends: dict[int, str] = {}
    pending_correction = False
    joined = ""

    def close(next_joined: str = "") -> None:
        nonlocal current, pending_correction, joined
        if current:
            clauses.append(Clause(current, sentence, correction=pending_correction, joined_by=joined,
                                  notes=["quoted"] if quoted else []))
            pending_correction = False
            joined = next_joined
        elif next_joined:
            joined = next_joined
        current = []

    for i, c in enumerate(chunks):
        if c.text == QUOTE:
            close()
            quoted = not quoted
            continue
        if c.text in SENTENCE_ENDS:
            close()
            if not quoted:
                ends[sentence] = c.text
            if c.text == "?" and clauses and clauses[-1].sentence == sentence:
                for cl in clauses:
                    if cl.sentence == sentence:
                        cl.question = True
            if not quoted:
                sentence += 1
            continue
        if current and _run_on(lex, current, c):
            close()  # "i'm freezing turn my fan off", "forget it cancel the route": the recogniser's lost comma
        if c.has("frame.correction") and not current and _alone_in_sentence(chunks, i):
            continue  # "Sorry." on its own is an apology, not a correction
        if c.has("frame.correction") and _is_correction(c, current, chunks, i):
            nxt = chunks[i + 1] if i + 1 < len(chunks) else None
            if current and c.text != "no" and (nxt is None or nxt.text in SENTENCE_ENDS or nxt.has("frame.separators")) \
                    and not _more_follows(chunks, i + 1):
                pending_correction = True  # "cooler, I mean": the clause it ends is the correction
                close()
                continue
            close()
            pending_correction = True
            continue
        if c.text == "," and _value_hangs(lex, current):
            continue  # "drop it by, like, one and a half degrees", "open the, the sunroof": it goes on after the pause
        if c.text == "," and (_lone_verb(lex, current) or (current and all(x.senses <= {"filler", "polite"} and x.senses for x in current))):
            continue  # "Cool, my seat on level 2", "is the, um, sunroof open": the recogniser's commas
        if c.has("frame.separators") and _is_separator(lex, c, current, chunks, i):
            close(c.text)
            continue
        current.append(c)
    close()
    clauses = [part for cl in clauses for part in _pairs(cl)]
    clauses = [part for cl in clauses for part in _purpose(lex, cl)]
    for cl in clauses:
        cl.ends_with = ends.get(cl.sentence, "")
    _mark_retractions(clauses)
    _mark_negations(lex, clauses)
    _mark_trailing_corrections(lex, clauses)
    return [cl for cl in clauses if cl.chunks]


def _run_on(lex: Lexicon, current: list[Chunk], c: Chunk) -> bool:
    """Whether an order starts at ``c`` right after a complete remark or a retraction, with no pause
    between them: "I'm freezing turn my fan off", "since it's so stuffy turn the fan up"."""
    if not c.has("act.") or c.text.split()[0] not in lex.group("imperatives"):
        return False
    content = [x for x in current if not (x.is_filler or x.has("polite"))]
    if content and all(x.has("frame.retract") and not x.has("frame.negation", "frame.unwant") for x in content):
        return True  # "forget it cancel the route" (but "don't open the window" is one clause)
    if content and content[0].has("frame.negation") and any(x.has("act.") for x in content[1:]):
        return True  # "don't open the window just turn the fan up": what not to do, then what to do
    words = [w for x in current for w in x.text.split()]
    while words and words[0] in lex.group("lead_ins") | {"since", "as", "well", "oh", "ok", "okay"}:
        words = words[1:]
    statement = len(words) >= 2 and words[0] in lex.group("subjects") and any(w in lex.group("being") for w in words[1:3])
    return statement and any(x.has("feel.") for x in current) and not any(x.has("act.") for x in current)


def _more_follows(chunks: list[Chunk], i: int) -> bool:
    """Whether the sentence goes on with something to say after ``i`` ("close, sorry, open it halfway"),
    so that a correction word before it corrects forward, not the clause it ends ("cooler, I mean.")."""
    for c in chunks[i:]:
        if c.text in SENTENCE_ENDS:
            return False
        if not (c.is_filler or c.has("frame.separators", "polite", "frame.correction")):
            return True
    return False


def _alone_in_sentence(chunks: list[Chunk], i: int) -> bool:
    before = chunks[i - 1].text if i > 0 else "."
    after = chunks[i + 1].text if i + 1 < len(chunks) else "."
    return before in SENTENCE_ENDS and after in SENTENCE_ENDS


def _value_hangs(lex: Lexicon, current: list[Chunk]) -> bool:
    """Whether the clause so far ends, hesitations aside, on a word something must follow ("by", "to", "the")."""
    said = [c for c in current if not ((c.is_filler or c.has("polite")) and c.text not in lex.group("leads_on"))]
    return bool(said) and said[-1].text.split()[-1] in lex.group("leads_on") and any(c.has("act.") for c in said)


def _lone_verb(lex: Lexicon, current: list[Chunk]) -> bool:
    """A lone imperative verb ("Cool," "Heat up,"), not a comparative ("cooler,") or a destination's verb."""
    content = [c for c in current if not c.has("polite")]
    if len(content) != 1:
        return False  # "close it," has its object already
    c = content[0]
    has_object = any("frame.it" in lex.phrases.get((w,), ()) for w in c.text.split()[1:])  # "close it,"
    return c.has("act.") and not c.has("obj.", "zone.", "act.navigate", "act.navigate_strong", "frame.retract") and \
        c.text not in lex.group("comparative") and not has_object


def _is_correction(c: Chunk, current: list[Chunk], chunks: list[Chunk], i: int) -> bool:
    """Whether a correction word here corrects ("19 no 21") rather than meaning itself ("no air")."""
    if c.text != "no":
        return True
    nxt = chunks[i + 1] if i + 1 < len(chunks) else None
    if not [x for x in current if not (x.is_filler or x.has("polite"))]:  # nothing said yet but "uh,"
        # "no, the passenger" corrects; "no massage for me" (no pause) does not want the massage
        return nxt is None or not (nxt.has("obj.") and not nxt.has("zone.", "act.", "frame.separators"))
    prev = current[-1]
    # "19 no 21", "left no right": the same kind of thing on both sides
    kinds = ("num", "zone.", "dir.", "amt.", "place.")
    return nxt is not None and any(prev.has(k) and nxt.has(k) for k in kinds)


def _is_separator(lex: Lexicon, c: Chunk, current: list[Chunk], chunks: list[Chunk], i: int) -> bool:
    """"and" between two zones ("driver and passenger") or in a number joins instead of separating;
    "so" and "because" separate only before a request of their own ("the kids are asleep so turn it down")."""
    nxt0 = chunks[i + 1] if i + 1 < len(chunks) else None
    if c.text in lex.group("lead_ins"):
        return nxt0 is not None and nxt0.has("act.") and not nxt0.has("feel.")
    if c.text not in ("and", "plus"):
        return True
    prev = current[-1] if current else None
    nxt = chunks[i + 1] if i + 1 < len(chunks) else None
    nxt2 = chunks[i + 2] if i + 2 < len(chunks) else None
    if prev is None or nxt is None:
        return True
    zone_next = nxt.has("zone.") or (nxt.is_filler and nxt2 is not None and nxt2.has("zone."))
    if prev.has("zone.") and zone_next and not prev.has("obj.") and not prev.is_number:
        return False
    # "the front and back windows": a zone word joined to a zone-object phrase
    return True


def _pairs(cl: Clause) -> list[Clause]:
    """ "driver 19 passenger 23": targets each with their own value are one clause per pair."""
    zones = [k for k, c in enumerate(cl.chunks) if c.has("zone.") and not c.has("zone.own", "zone.person")]
    values = [k for k, c in enumerate(cl.chunks) if c.is_number]
    if len(zones) < 2 or len(zones) != len(values):
        return [cl]
    order = sorted([(k, "z") for k in zones] + [(k, "v") for k in values])
    kinds = "".join(t for _, t in order)
    if kinds not in ("zv" * len(zones), "vz" * len(zones)):
        return [cl]
    cuts = [k for k, t in order if t == kinds[0]][1:]
    parts, start = [], 0
    for cut in cuts:
        parts.append(cl.chunks[start:cut])
        start = cut
    parts.append(cl.chunks[start:])
    return [Clause(p, cl.sentence, correction=cl.correction and n == 0, question=cl.question, notes=list(cl.notes))
            for n, p in enumerate(parts) if p]


def _purpose(lex: Lexicon, cl: Clause) -> list[Clause]:
    """ "move the passenger seat forward a bit so I can see the mirror": what the request is for is its
    reason, no request of its own (the note "quiet")."""
    purposes = [tuple(p.split()) for p in lex.words("frame", "purpose")]
    words = cl.words
    at = _find_any(words, purposes)
    if at is None or at == 0:
        return [cl]
    k = next((j for j, c in enumerate(cl.chunks) if sum(len(x.text.split()) for x in cl.chunks[:j]) >= at), None)
    if k is None or k == 0 or sum(len(x.text.split()) for x in cl.chunks[:k]) != at \
            or not any(c.has("act.", "obj.") for c in cl.chunks[:k]):
        return [cl]
    reason = dataclasses.replace(cl, chunks=cl.chunks[k:], notes=[*cl.notes, "quiet"], joined_by=cl.chunks[k].text)
    return [dataclasses.replace(cl, chunks=cl.chunks[:k]), reason]


def _mark_retractions(clauses: list[Clause]) -> None:
    """A clause that only takes back ("forget it") marks itself; the resolver drops the one before."""
    for k, cl in enumerate(clauses):
        content = cl.content
        if content and all(c.has("frame.retract") for c in content):
            cl.retract = True
            nxt = clauses[k + 1] if k + 1 < len(clauses) else None
            if nxt is not None and nxt.sentence == cl.sentence and any(c.text == "instead" for c in nxt.chunks):
                nxt.correction = True  # "never mind, Nuremberg instead": what replaces the last request


def _mark_negations(lex: Lexicon, clauses: list[Clause]) -> None:
    for cl in clauses:
        if any(c.text in lex.group("hands_off") for c in cl.chunks) and len(cl.chunks) > 1:
            cl.negated = True  # "leave the temperature alone"
            continue
        content = cl.content
        if content and content[0].has("frame.negation") and not content[0].has("frame.unwant"):
            cl.negated = True
            cl.chunks = [c for c in cl.chunks if c is not content[0]]
        elif len(content) > 1 and content[0].has("frame.retract") and all(
                c.has("obj.") and not c.has("act.", "amt.", "num") for c in content[1:]):
            cl.negated = True  # "never mind the fan, set the temperature to 20": nothing for the fan
            cl.chunks = [c for c in cl.chunks if c is not content[0]]


def _mark_trailing_corrections(lex: Lexicon, clauses: list[Clause]) -> None:
    """"cooler I mean": a correction marker at the end of a clause makes it the correction."""
    for cl in clauses:
        if cl.chunks and cl.chunks[-1].has("frame.correction") and cl.chunks[-1].text != "no" and len(cl.chunks) > 1:
            cl.chunks = cl.chunks[:-1]
            cl.correction = True


def mark_reported(lex: Lexicon, words: list[str], clauses: list[Clause]) -> bool:
    """Mark the clauses that are somebody else's words or a story. True when any is.

    A reporter ("my wife", "he", "the manual") followed by a reporting verb ("said", "keeps
    saying"), or a reporting verb followed by a quotation, makes its clause and any quotation
    after it reported; a story word ("yesterday", "always") makes its whole sentence reported.
    """
    found = _mark_asides(lex, clauses)
    reporters = [tuple(p.split()) for p in lex.words("frame", "reporters")]
    verbs = [tuple(p.split()) for p in lex.words("frame", "report")]
    story = [tuple(p.split()) for p in lex.words("frame", "story_time")]
    for k, cl in enumerate(clauses):
        w = cl.words
        verb_at = _find_any(w, verbs)
        if verb_at is None:
            continue
        who = _find_any(w[:verb_at], reporters)
        before: list[Chunk] = []
        for c in cl.chunks:
            if sum(len(b.text.split()) for b in before) >= verb_at:
                break
            before.append(c)
        if who is None and verb_at > 0 and any(c.is_unknown or c.has("person.noun") for c in before) \
                and not set(w[:verb_at]) & lex.group("not_reporters"):
            who = 0  # "my driving instructor used to say ...": somebody else's words
        told_rest = False
        if who is None and w[:1] == ["i"] and verb_at == 1 and w[1] in lex.group("told"):
            # "I told the mechanic, I said, set it to 18": what the speaker said to somebody else, not to the car
            listener = _find_any(w[2:], reporters) == 0 or any(c.has("person.noun") for c in cl.chunks)
            earlier = any(o.reported for o in clauses[:k] if o.sentence == cl.sentence)
            if (listener and w[2:3] != ["you"]) or earlier:
                who = 0
                told_rest = not any(c.has("act.", "obj.") for c in cl.chunks)  # "I told him," and then what
        quote_follows = k + 1 < len(clauses) and clauses[k + 1].sentence == cl.sentence and _quoted_after(cl, clauses[k + 1])
        if who is None and not quote_follows and not (w[:1] == ["i"] and _find_any(w, story) is not None):
            continue
        found = True
        sentence_is_story = any(_find_any(c.words, story) is not None for c in clauses if c.sentence == cl.sentence)
        ends_with_verb = verb_at + len(next(p for p in verbs if tuple(w[verb_at:verb_at + len(p)]) == p)) >= len(w)
        for j, other in enumerate(clauses):
            said = j == k + 1 and ends_with_verb  # "my instructor used to say: move your seat forward"
            if other.sentence == cl.sentence and (j == k or said or sentence_is_story or (j > k and (
                    told_rest or _quoted_after(cl, other)))):
                other.reported = True
        # "she asked me to open the window, so I did": the clause after the report is the story's too
        if k + 1 < len(clauses) and clauses[k + 1].sentence == cl.sentence and clauses[k + 1].content and \
                clauses[k + 1].content[0].text in ("so", "and so", "which", "but i"):
            clauses[k + 1].reported = True
    return found


def mark_capability(lex: Lexicon, clauses: list[Clause]) -> None:
    """Mark the sentences that ask what the car allows ("would the car let me open the sunroof?",
    "can I open the sunroof while driving?") or what a change would do ("if I set it to 18, would that be
    too cold?"): a question, not a request. The first clause of
    such a sentence gets the note "capability", the others "quiet"."""
    capability = [tuple(p.split()) for p in lex.words("frame", "capability")]
    permission = [tuple(p.split()) for p in lex.words("frame", "permission")]
    conditions = set(lex.words("frame", "conditions"))
    motion = [tuple(p.split()) for p in lex.words("frame", "motion")]
    hypothetical = [tuple(p.split()) for p in lex.words("frame", "hypothetical")]
    outcome = [tuple(p.split()) for p in lex.words("frame", "outcome")]
    for n in sorted({cl.sentence for cl in clauses}):
        mine = [cl for cl in clauses if cl.sentence == n]
        words = [w for cl in mine for w in ([cl.joined_by] if cl.joined_by and cl is not mine[0] else []) + cl.words]
        lead = 0
        while lead < len(words) and words[lead] in lex.group("question_lead_ins"):
            lead += 1
        head = words[lead:]
        asks = any(tuple(head[:len(p)]) == p for p in capability)
        if not asks and any(tuple(head[:len(p)]) == p for p in permission):
            # a condition of driving after the request: "while driving", "when we're moving", "on the motorway"
            asks = any(w in conditions and _find_any(words[k + 1:k + 5], motion) is not None
                       for k, w in enumerate(words) if k > lead)
        if not asks and any(tuple(head[:len(p)]) == p for p in hypothetical):
            # "if I set it to 18, would that be too cold?": what would happen, not a request
            asks = _find_any(head[2:], outcome) is not None
        if asks:
            for j, cl in enumerate(mine):
                cl.notes.append("capability" if j == 0 else "quiet")


def mark_settled(lex: Lexicon, clauses: list[Clause]) -> None:
    """Mark remarks that are over: a complaint in the past with a time of the past ("it was cold back there
    earlier"), or one followed by "but they're fine now". They ask for nothing (the note "settled"; the
    clause that settles it, "quiet")."""
    story = [tuple(p.split()) for p in lex.words("frame", "story_time")]
    past = lex.group("past")
    plain = lex.group("subjects") | lex.group("being") | lex.group("settled_filler") | {"but", "and", ",", "are", "is"}
    settled = lex.group("settled")
    for n in sorted({cl.sentence for cl in clauses}):
        mine = [cl for cl in clauses if cl.sentence == n]
        then = any(_find_any(cl.words, story) is not None for cl in mine)
        remarks = [cl for cl in mine if cl.has("feel.cold", "feel.hot") and not cl.has("act.")]
        for k, cl in enumerate(mine):
            rest = " ".join(w for w in cl.words if w not in plain)
            over = rest in settled and any(r in mine[:k] for r in remarks)
            if over:
                cl.notes.append("quiet")
            for r in remarks:
                if (over and mine.index(r) < k) or (then and past & set(r.words)):
                    if "settled" not in r.notes:
                        r.notes.append("settled")


def _mark_asides(lex: Lexicon, clauses: list[Clause]) -> bool:
    """Sentences that are not for the car: said to somebody by name ("Lily, stop kicking the seat"), or a
    story with a year in it ("In 1962 I drove a Beetle to Rome"). Their clauses ask for nothing."""
    found = False
    sentences = sorted({cl.sentence for cl in clauses})
    for n in sentences:
        mine = [cl for cl in clauses if cl.sentence == n]
        first = mine[0]
        addressed = first.ends_with == "!" or any(w in lex.group("second_person") for c in mine[1:] for w in c.words)
        name = len(first.chunks) == 1 and first.chunks[0].is_unknown and len(mine) > 1 and mine[1].joined_by == "," \
            and any(c.content for c in mine[1:]) and addressed
        year = any(c.is_number and 1900 <= (c.value or 0) <= 2100 and float(c.value).is_integer()
                   and k > 0 and first.chunks[k - 1].text in lex.group("year_words")
                   for cl in mine for k, c in enumerate(cl.chunks) if cl is first)
        if name or year:
            for cl in mine:
                cl.reported = True
            found = True
    return found


def _quoted_after(reporting: Clause, other: Clause) -> bool:
    return "quoted" in other.notes


def _find_any(words: list[str], phrases: list[tuple[str, ...]]) -> int | None:
    best: int | None = None
    for p in phrases:
        n = len(p)
        for i in range(len(words) - n + 1):
            if tuple(words[i:i + n]) == p and (best is None or i < best):
                best = i
                break
    return best


@functools.cache
def _first_words(pattern: tuple[tuple[str, ...] | None, ...]) -> tuple[frozenset[str], ...]:
    """Per part of the pattern that must say something, the first words of its alternatives (not a gap,
    not a part that may be empty)."""
    return tuple(frozenset(alt.split()[0] for alt in part)
                 for part in pattern if part is not None and all(alt.split() for alt in part))


def _could_match(pattern: tuple[tuple[str, ...] | None, ...], present: set[str]) -> bool:
    """A cheap necessary condition: every part of the pattern has an alternative whose first word was said."""
    return all(not first.isdisjoint(present) for first in _first_words(pattern))


def find_pattern(lex: Lexicon, words: list[str]) -> tuple[str, dict[str, object], tuple[int, int]] | None:
    """The first situation whose pattern occurs in ``words``: (tool, arguments, span)."""
    present = set(words)
    for situation in lex.situations:
        for pattern in situation.patterns:
            if not _could_match(pattern, present):
                continue
            span = match_pattern(pattern, words)
            if span is not None:
                return situation.tool, dict(situation.args), span
    return None
