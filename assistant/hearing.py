"""Recognition checked against understanding: which hypothesis to believe, and when to doubt it.

The recogniser offers its n-best. The understanding says, for each, whether it accounts for every
word (``Account``). The hypothesis chosen is the one with the best acoustic score plus a bonus for
being fully understood; a reading the acoustics found much less likely is never chosen this way.
Then the choice is doubted - and an action in it asked about, never taken on its own - when:

- the recogniser thought there was likely no speech, or was very unsure of the reading as a whole
  (mean token log-probability) or of one of its words (for engines that report word probabilities),
- the recogniser was unsure and the understanding had no use for some of the words,
- it acts on a lone comfort remark ("hot", "I'm cold") and the recogniser was unsure,
- a rival reading about as likely is a question or a statement ("is the window open" heard as
  "the window open"; "hot" in a question about the temperature), or would make other calls
  ("stop the massage" / "let's top the massage").

Doubt does not make the request fail: the assistant asks "Did you want me to ...?", and the next
turn's yes or no (or a new request) decides.

The thresholds were chosen on 1,456 spoken requests of the project's own sets (espeak-ng, clean and
at 10 dB SNR, 2026-12-02), never on the development set: each rule was kept only where it caught
wrong actions at a cost in right ones of at most about two to one. Rules that cost more were dropped:
any unexplained word (55 right requests asked about to catch 23 wrong ones), a mean log-probability
below -0.55 (66 for 16), a reading chosen over a likelier one the understanding could not account
for (37 for 7).
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
DOUBT_LOGPROB = -0.85
"""An acting transcript below this mean token log-probability is asked about."""
UNSURE_LOGPROB = -0.3
"""Below this, a transcript with words the understanding had no use for, or acting on a lone
comfort remark, is asked about."""
DOUBT_WORD_PROB = 0.25
"""... as is one with a word token less likely than this."""
RIVAL_QUESTION_GAP = 0.2
"""A rival question or statement within this much (mean log-probability) of the chosen reading
makes it doubtful."""
RIVAL_CALLS_GAP = 0.05
"""... and so does a rival reading this close that would make other calls."""
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
    unsure_logprob: float = UNSURE_LOGPROB
    rival_question_gap: float = RIVAL_QUESTION_GAP
    rival_calls_gap: float = RIVAL_CALLS_GAP
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
    unsure = chosen.logprob < config.unsure_logprob
    if unsure and a.unexplained:
        return f"unexplained {a.unexplained} at {chosen.logprob:.2f}"
    if unsure and a.remark:
        return f"lone-remark {chosen.logprob:.2f}"
    for i, h in enumerate(hyps):
        if i == chosen_i:
            continue
        gap = chosen.logprob - h.logprob  # > 0: the rival is less likely
        if gap > max(config.rival_question_gap, config.rival_calls_gap):
            continue
        r = acc(h.text)
        if not r.sure:
            continue
        if r.question and not r.acts and gap <= config.rival_question_gap:
            return "rival-question"
        if r.acts and r.calls != a.calls and gap <= config.rival_calls_gap:
            return "rival-calls"
    return None
