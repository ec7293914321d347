"""The target grammar: which zone, seat or window a clause names.

Rows, sides, seats and zones; "both", "all", "every"; "my", "mine"; "the other side", "next to
me", "behind me"; "for him/her" (the person last named in the session; from a front seat, with
nobody named yet, the one beside); "left"/"right" as a side only where it can be one ("the right
window", "on the right", "rear right"), never in "right now" or "push it right back". A bare
"the back window" said by the driver names two windows: the resolver asks which.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.domain import BEHIND, BESIDE, GROUPS, LEFT, RIGHT, ROW, SEATS, zone_of
from assistant.understanding.lexicon import Chunk, Lexicon

KINDS = ("driver", "passenger", "rear-left", "rear-right", "front", "rear", "all", "own", "beside", "behind",
         "other", "left", "right", "person", "there", "myleft", "myright", "infront", "behindit", "ownrow")


@dataclass(frozen=True)
class ZoneRef:
    """A target named in a clause, before it is resolved against the speaker and the dialogue."""

    kind: str
    """A seat, a group (front, rear, all), or own / beside / behind / other / left / right / person / both."""
    text: str


@dataclass(frozen=True)
class Ask:
    """A question back instead of a guess: which of several targets was meant."""

    question: str
    slot: str
    options: tuple[str, ...]


def refs(lex: Lexicon, chunks: list[Chunk], *, directions: bool = False) -> list[ZoneRef]:
    """The targets of a clause. ``directions``: its tool reads "front"/"back" as a direction, not a row."""
    side_nouns = set(lex.words("zone", "side_nouns"))
    out: list[ZoneRef] = []
    at: list[int] = []  # the chunk index of each ref
    for i, c in enumerate(chunks):
        kinds = [k for k in c.family("zone") if k in KINDS]
        if c.has("frame.both"):
            out.append(ZoneRef("both", c.text))
            continue
        if not kinds and c.has("person.noun") and not c.has("obj.") and not _compared_with(chunks, i):
            out.append(ZoneRef("person", c.text))  # "my son's window", "for my daughter": where that person sits
            at.append(i)
            continue
        if not kinds:
            continue
        if directions and c.has("dir."):
            continue  # "push my seat right back", "slide it to the front": a direction for a seat that moves
        kind = kinds[0]
        if _compared_with(chunks, i):
            continue  # "put the back on the same level as mine": what it is compared with is not a target
        if kind in ("left", "right") and not _is_side(lex, c, chunks, i, side_nouns):
            continue
        if kind == "own" and c.text in lex.group("weak_own") and len(out) > 0:
            continue
        if kind == "own" and i + 1 < len(chunks) and chunks[i + 1].has("person.noun"):
            continue  # "for my daughter": her seat, not mine
        if kind == "own" and c.text in ("my", "our") and i + 1 < len(chunks) and any(
                k in SEATS for k in chunks[i + 1].family("zone")):
            continue  # "my passenger wants 24": the passenger's
        if kind == "passenger" and c.text in ("passenger", "passengers") and out and at[-1] == i - 1 \
                and out[-1].kind in ("rear", "rear-left", "rear-right"):
            continue  # "the second row right passenger": who sits there, not the front passenger
        if kind in SEATS and out and out[-1].kind in ("front", "rear") and at[-1] == i - 1 \
                and ROW.get(kind) == out[-1].kind:  # type: ignore[call-overload]
            out[-1] = ZoneRef(kind, f"{out[-1].text} {c.text}")  # "the front passenger area": that seat of the row
            at[-1] = i
            continue
        out.append(ZoneRef(kind, c.text))
        at.append(i)
    weak = lex.group("weak_own")
    if any(r.kind != "own" for r in out):  # "for me, open the rear right window": the window is named
        out = [r for r in out if not (r.kind == "own" and r.text in weak)]
        # "the window on the other side back here": "back here" is the speaker's row, not their seat
        out = [ZoneRef("ownrow", r.text) if r.kind == "own" and r.text in lex.group("own_row") else r for r in out]
    return out


def _compared_with(chunks: list[Chunk], i: int) -> bool:
    """Whether the zone at ``i`` follows "the same ... as", "like", "to match": the model, not the target."""
    j = i - 1
    while j >= 0 and chunks[j].text in ("the", "a"):
        j -= 1
    if j > 0 and chunks[j].text in ("like", "as") and any(c.has("zone.") for c in chunks[:j]):
        return True  # "lean my backrest back like hers": the target named first, then its model
    if j < 0 or not any(c.has("frame.same") for c in chunks[:j + 1]):
        return False
    return chunks[j].text in ("as", "like", "match", "to match", "as for", "as on", "as in")


def _is_side(lex: Lexicon, c: Chunk, chunks: list[Chunk], i: int, side_nouns: set[str]) -> bool:
    if len(c.text.split()) > 1:
        return True  # "on the right", "the left one"
    if any(n.has("zone.front", "zone.rear") for n in chunks[max(0, i - 1):i]):
        return True  # "in the back right", "front left"
    not_side = set(lex.words("zone", "not_side"))
    before = chunks[i - 1].text.split()[-1] if i > 0 else ""
    after = chunks[i + 1].text.split()[0] if i + 1 < len(chunks) else ""
    if f"{c.text} {after}" in not_side or f"{before} {c.text}" in not_side:
        return False  # "wind my window right down", "right now", "all right"
    around = [chunks[j] for j in (i - 1, i + 1) if 0 <= j < len(chunks)]
    return any(n.text in side_nouns or n.has("obj.window", "obj.seat", "zone.") for n in around) or (
        i > 0 and chunks[i - 1].text in lex.group("side_lead") and i == len(chunks) - 1)


def plural(lex: Lexicon, chunks: list[Chunk]) -> bool:
    """Whether the clause speaks of several windows or seats ("the back windows", "both")."""
    # "all the way back" is an amount, not all seats
    return any(w in lex.group("plural") for c in chunks if not c.has("amt.") for w in c.text.split()) or any(
        c.has("frame.both") for c in chunks)


def resolve(found: list[ZoneRef], speaker: str, *, recent: list[str], person: str | None,
            several: bool, per_seat: bool, window: bool = False, there: list[str] | None = None,
            others_acted: bool = False) -> list[str | None] | Ask:
    """Concrete zones (None: the speaker's own), or a question back.

    ``recent``: the seats this tool last acted on in the session (for "the other one", "the
    left one", "both"); ``person``: the seat of the person last named ("?": somebody named whose
    seat is not known); ``several``: the clause speaks in the plural; ``per_seat``: a window or
    seat function, where "the back window" from the driver's seat is two windows and needs asking;
    ``others_acted``: ``recent`` is what another seat's request acted on.
    """
    if not found:
        return ["all"] if several and per_seat else [None]  # "close the windows", "heat the seats"
    if all(r.kind == "own" for r in found):
        return [None]  # "my seat": the speaker's own, left implicit
    sided = [r for r in found if r.kind in ("driver", "passenger") and "side" in r.text.split()]
    if per_seat and len(found) == 2 and len(sided) == 1 and any(r.kind == "both" for r in found):
        side = LEFT if sided[0].kind == "driver" else RIGHT  # "both windows on the passenger side": both rows
        return [side["front"], side["rear"]]  # a side is no zone of its own: one call each
    seats: list[str] = []
    rows: list[str] = []
    sides: list[str] = []
    placed: set[str] = set()  # rows that only say where a seat named with them is
    for r in found:
        k = r.kind
        if k in SEATS:
            seats.append(k)
        elif k in ("front", "rear"):
            rows.append(k)
        elif k == "ownrow":
            rows.append(ROW[speaker])  # type: ignore[index]
        elif k == "all":
            return ["all"]
        elif k == "own" and "side" in r.text.split() and any(o.kind in ("front", "rear") for o in found):
            sides.append("left" if speaker in ("driver", "rear-left") else "right")  # "the rear window on my side"
        elif k == "own":
            seats.append(speaker)
        elif k == "beside":
            # "the window next to me" is the speaker's own; "the seat next to me" is the neighbour's
            seats.append(speaker if window and r.text in ("next to me", "beside me", "by me") else BESIDE[speaker])  # type: ignore[index]
        elif k == "behind":
            behind = BEHIND.get(speaker)  # type: ignore[call-overload]
            if behind is None:
                return Ask("Whose seat do you mean?", "zone", ("rear-left", "rear-right"))
            seats.append(behind)
        elif k in ("myleft", "myright"):
            # the seat beside the speaker on that side; on the speaker's own side only the door is there
            on_left = speaker in ("driver", "rear-left")
            towards_neighbour = (k == "myright") == on_left
            seats.append(BESIDE[speaker] if towards_neighbour else speaker)  # type: ignore[index]
        elif k == "infront":
            ahead = {"rear-left": "driver", "rear-right": "passenger"}.get(speaker)
            if ahead is None:
                return Ask("Which seat do you mean?", "zone", SEATS)
            seats.append(ahead)
        elif k == "behindit":
            base = recent[-1] if recent else None
            if base not in BEHIND:
                return Ask("Which seat do you mean?", "zone", SEATS)
            seats.append(BEHIND[base])  # type: ignore[index]
        elif k == "other":
            base = recent[-1] if recent else speaker
            if others_acted and BESIDE.get(base) == speaker:  # type: ignore[call-overload]
                base = speaker  # after somebody else's request nobody calls their own seat "the other side"
            named_rows = [o.kind if o.kind != "ownrow" else ROW[speaker] for o in found  # type: ignore[index]
                          if o.kind in ("front", "rear", "ownrow")]
            if named_rows and base in SEATS:
                # "the window on the other side back here": the side opposite, in the row named with it
                opposite = RIGHT if base in ("driver", "rear-left") else LEFT
                seats.append(opposite[named_rows[-1]])
                placed.add(named_rows[-1])
            else:
                seats.append(BESIDE[base])  # type: ignore[index]
        elif k in ("left", "right"):
            sides.append(k)
        elif k == "person":
            if any(o.kind not in ("person", "own", "both") for o in found):
                continue  # "the rear right window for her", "Leo, behind me, wants his seat heated": the seat is named
            if person is None and speaker in ("driver", "passenger"):
                seats.append(BESIDE[speaker])  # type: ignore[index]  # nobody named yet: the one beside, in the front
                continue
            if person is None or person == "?":  # nobody named from the back, or "her brother": whose seat?
                return Ask("Who do you mean: the passenger, or someone in the back?", "zone",
                           ("passenger", "rear-left", "rear-right"))
            seats.append(person)
        elif k == "both":
            if len(found) == 1:  # "both rear zones": the row says which two
                rows.append(_both(recent, speaker))
        elif k == "there":
            if not there:
                return Ask("Where do you mean?", "zone", SEATS)
            seats.extend(there)
    if sides:
        if not rows and not recent and several:
            rows_of_side = ["front", "rear"]  # "the windows on the right side": both rows
        else:
            rows_of_side = [rows[-1] if rows else (_row_of(recent) or "front")]
        rows = [r for r in rows if r not in rows_of_side]
        for side in sides:
            for row in rows_of_side:
                seats.append((LEFT if side == "left" else RIGHT)[row])
    for row in rows:
        if row in placed:
            continue
        members = GROUPS[row]
        if per_seat and not several and speaker == "driver" and not seats:
            names = " or ".join(_label(m) for m in members)
            return Ask(f"Which one, {names}?", "zone", members)
        seats.extend(members)
    unique: list[str] = []
    for s in seats:
        if s not in unique:
            unique.append(s)
    try:
        return [zone_of(unique)] if len(unique) > 1 else [unique[0]]
    except ValueError:
        return list(unique)  # e.g. driver and rear-right: one call each


def _both(recent: list[str], speaker: str) -> str:
    if len(set(recent)) >= 2:
        rows = {ROW[s] for s in recent if s in ROW}  # type: ignore[index]
        if len(rows) == 1:
            return rows.pop()
    return ROW.get(speaker, "front")  # type: ignore[call-overload, no-any-return]


def _row_of(recent: list[str]) -> str | None:
    rows = {ROW.get(s) for s in recent if s in ROW}  # type: ignore[call-overload]
    return rows.pop() if len(rows) == 1 else None


def _label(seat: str) -> str:
    return {"driver": "the driver's", "passenger": "the passenger's", "rear-left": "rear left",
            "rear-right": "rear right"}[seat]
