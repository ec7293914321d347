"""Recognition checked against understanding: which hypothesis to believe, and when to doubt it.

The recogniser offers its n-best. The understanding says, for each, whether it accounts for every
word (``Account``). The hypothesis chosen is the one with the best acoustic score plus a bonus for
being fully understood; a reading the acoustics found much less likely is never chosen this way.
Then the choice is doubted - and an action in it asked about, never taken on its own - when:

- the recogniser was unsure of it as a whole (mean token log-probability) or of one of its words,
- it would act but a rival reading about as likely is a question, a statement or another action
  ("is the window open" heard as "the window open"; "hot" in a question about the temperature),
- it was chosen over a clearly likelier reading the understanding could not account for.

Doubt does not make the request fail: the assistant asks "Did you want me to ...?", and the next
turn's yes or no (or a new request) decides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from assistant.stages import Account, Hypothesis, Transcript

ACCOUNTED_BONUS = 0.3
"""Nats per token a fully understood hypothesis is worth over one that is not."""
MAX_RESCUE_GAP = 0.5
"""A hypothesis this much (mean log-probability) below the recogniser's best is never chosen for
being understood."""
DOUBT_LOGPROB = -0.55
"""An acting transcript below this mean token log-probability is asked about."""
DOUBT_WORD_PROB = 0.25
"""... as is one with a word token less likely than this."""
RIVAL_GAP = 0.12
"""A rival reading within this much of the chosen one's score counts as just as likely."""
DOUBT_NO_SPEECH = 0.5
"""... or when the recogniser thought it likely there was no speech at all."""


@dataclass(frozen=True)
class HearingConfig:
    """The thresholds above, as configured (``[speech]`` in the configuration)."""

    rescore: bool = True
    accounted_bonus: float = ACCOUNTED_BONUS
    max_rescue_gap: float = MAX_RESCUE_GAP
    doubt_logprob: float = DOUBT_LOGPROB
    doubt_word_prob: float = DOUBT_WORD_PROB
    rival_gap: float = RIVAL_GAP
    doubt_no_speech: float = DOUBT_NO_SPEECH
    confirm_doubt: bool = True


@dataclass(frozen=True)
class Choice:
    """The hypothesis believed, and why it is doubted (None: acted on as heard)."""

    text: str
    logprob: float
    account: Account | None
    rank: int
    doubt: str | None = None


def choose(heard: Transcript, account: Callable[[str], Account], config: HearingConfig) -> Choice:
    """The hypothesis to act on, with its doubt."""
    hyps = list(heard.hypotheses) or [Hypothesis(heard.text, heard.avg_logprob, heard.min_prob)]
    hyps = [h for h in hyps if h.text.strip()] or hyps[:1]
    seen: dict[str, Account] = {}

    def acc(text: str) -> Account:
        key = " ".join(text.lower().split())
        if key not in seen:
            seen[key] = account(text)
        return seen[key]

    top = hyps[0]
    best_i, best_score = 0, float("-inf")
    for i, h in enumerate(hyps if config.rescore else hyps[:1]):
        if h.logprob < top.logprob - config.max_rescue_gap:
            continue
        a = acc(h.text)
        score = h.logprob + (config.accounted_bonus if a.sure else 0.0)
        if score > best_score + 1e-9:
            best_i, best_score = i, score
    chosen = hyps[best_i]
    a = acc(chosen.text)
    doubt = _doubt(heard, hyps, best_i, a, acc, config) if config.confirm_doubt else None
    return Choice(chosen.text, chosen.logprob, a, best_i, doubt)


def _doubt(heard: Transcript, hyps: list[Hypothesis], chosen_i: int, a: Account,
           acc: Callable[[str], Account], config: HearingConfig) -> str | None:
    if not a.acts:
        return None  # a question, a statement or chat: nothing to confirm
    chosen = hyps[chosen_i]
    if heard.no_speech_prob > config.doubt_no_speech:
        return f"no-speech {heard.no_speech_prob:.2f}"
    if chosen.logprob < config.doubt_logprob:
        return f"low-confidence {chosen.logprob:.2f}"
    if chosen.min_prob < config.doubt_word_prob:
        return f"unsure-word {chosen.min_prob:.2f}"
    for i, h in enumerate(hyps):
        if i == chosen_i:
            continue
        if i < chosen_i and h.logprob > chosen.logprob + config.rival_gap and not acc(h.text).sure:
            return "likelier-unclear"  # chosen for being understood over a clearly likelier reading
        if abs(h.logprob - chosen.logprob) > config.rival_gap and i > chosen_i:
            continue
        r = acc(h.text)
        if not r.sure:
            continue
        if r.question and not r.acts:
            return "rival-question"
        if r.acts and r.functions and a.functions and not (r.functions & a.functions):
            return "rival-action"
    return None
