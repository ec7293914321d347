"""Recognition checked against understanding: the n-best choice, doubt confirmed before acting,
questions that stay questions, and the live listener's early end and patience.

The choice and doubt rules are exercised with transcripts built here (what the recogniser returns
is data: its n-best with scores) through the real parser and the real pipeline on the simulated
car; the listener's end-of-utterance rules with real speech (piper, espeak-ng) through the real
recogniser, fed in real time.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.config import load_settings
from assistant.hearing import HearingConfig, choose
from assistant.pipeline import Request, Session
from assistant.runtime import build_pipeline, build_understanding, open_car
from assistant.stages import Hypothesis, Transcript
from assistant.understanding.context import DialogueContext
from tests.conftest import PYTHON, ROOT

SETTINGS = load_settings(None, **{"understanding.mode": "parser-only"})
TEMP = "Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature"
WINDOW = "Vehicle.Cabin.Door.Row1.DriverSide.Window.Position"


def heard(*hyps: tuple[str, float], no_speech: float = 0.01) -> Transcript:
    """What a recogniser returns: its n-best with their mean token log-probabilities, best first."""
    return Transcript(hyps[0][0], 1.5, no_speech, hyps[0][1], 200.0,
                      hypotheses=tuple(Hypothesis(t, lp) for t, lp in hyps))


@pytest.fixture(scope="module")
def understanding() -> Any:
    u = build_understanding(SETTINGS)
    yield u
    u.close()


def pick(understanding: Any, t: Transcript, **config: Any) -> Any:
    context = DialogueContext()
    return choose(t, lambda text: understanding.account(text, "driver", context), HearingConfig(**config))


def test_the_reading_the_understanding_accounts_for_wins_when_about_as_likely(understanding: Any) -> None:
    t = heard(("Phantom maximum.", -0.30), ("Fan to maximum.", -0.36), ("Fan tom maximum.", -0.40))
    choice = pick(understanding, t)
    assert choice.text == "Fan to maximum." and choice.rank == 1 and choice.doubt is None
    assert pick(understanding, t, rescore=False).text == "Phantom maximum."  # the plain recogniser's choice


def test_a_much_less_likely_reading_is_never_chosen_for_being_understood(understanding: Any) -> None:
    t = heard(("Tell me a story about dragons.", -0.20), ("Tell me the temperature.", -0.95))
    assert pick(understanding, t).text == "Tell me a story about dragons."


def test_an_unsure_transcript_that_would_act_is_doubted(understanding: Any) -> None:
    assert pick(understanding, heard(("Make it 19 degrees.", -0.95))).doubt.startswith("low-confidence")
    assert pick(understanding, heard(("Make it 19 degrees.", -0.15))).doubt is None
    # moderately unsure, but every word accounted for: acted on (espeak-ng's clean commands score -0.5..-0.8)
    assert pick(understanding, heard(("Make it 19 degrees.", -0.6))).doubt is None
    # unsure and with words the understanding had no use for: asked about
    assert pick(understanding, heard(("Open every window, freak waters.", -0.5))).doubt.startswith("unexplained")
    assert pick(understanding, heard(("Open every window, freak waters.", -0.1))).doubt is None
    assert pick(understanding, heard(("Open my window.", -0.2), no_speech=0.8)).doubt.startswith("no-speech")


def test_a_question_stays_a_question(understanding: Any) -> None:
    # the likelier reading drops the question's verb; a reading about as likely asks: doubt, not action
    t = heard(("The window open.", -0.30), ("Is the window open?", -0.34))
    assert pick(understanding, t).doubt == "rival-question"
    # a question heard unsurely is still only a question: nothing to doubt, nothing acted on
    q = pick(understanding, heard(("Is it hot in here?", -0.9)))
    assert not q.account.acts and q.doubt is None


def test_two_readings_that_act_differently_are_doubted(understanding: Any) -> None:
    t = heard(("Open the window.", -0.25), ("Open the sunroof.", -0.29))
    assert pick(understanding, t).doubt == "rival-calls"
    # the same function with other arguments ("stop the massage" / "let's top the massage": level 3)
    t = heard(("Set the fan to 3.", -0.25), ("Set the fan to 2.", -0.27))
    assert pick(understanding, t).doubt == "rival-calls"
    # rivals that agree on what to do are no reason for doubt
    t = heard(("Open the window.", -0.25), ("Open the window, please.", -0.27))
    assert pick(understanding, t).doubt is None


async def _session() -> tuple[Any, Any, Session]:
    car = await open_car(SETTINGS)
    pipeline = build_pipeline(SETTINGS, build_understanding(SETTINGS))
    return car, pipeline, Session(car.gateway)


def test_a_doubtful_transcript_is_asked_about_and_the_answer_decides() -> None:
    async def main() -> None:
        car, pipeline, session = await _session()
        try:
            unsure = heard(("Make it 19 degrees.", -0.9))
            asked = await pipeline.handle(session, Request("driver", heard=unsure))
            assert asked.changes == {} and asked.doubt
            assert asked.reply == "Did you want me to set the temperature to 19 degrees?"
            yes = await pipeline.handle(session, Request("driver", text="yes"))
            assert yes.changes == {TEMP: 19.0}

            again = await pipeline.handle(session, Request("driver", heard=heard(("Open my window.", -0.9))))
            assert again.changes == {} and again.reply.startswith("Did you want me to")
            no = await pipeline.handle(session, Request("driver", text="no"))
            assert no.changes == {}
            # a new request instead of an answer is served as a request
            await pipeline.handle(session, Request("driver", heard=heard(("Open my window.", -0.9))))
            other = await pipeline.handle(session, Request("driver", text="set the temperature to 21"))
            assert other.changes == {TEMP: 21.0}
            sure = await pipeline.handle(session, Request("driver", heard=heard(("Open my window.", -0.1))))
            assert sure.changes == {WINDOW: 100} and sure.doubt is None
        finally:
            await car.close()

    asyncio.run(main())


def test_a_misheard_question_and_a_lone_comfort_word_change_nothing() -> None:
    async def main() -> None:
        car, pipeline, session = await _session()
        try:
            question = heard(("The window open.", -0.30), ("Is the window open?", -0.34))
            r = await pipeline.handle(session, Request("driver", heard=question))
            assert r.changes == {} and r.doubt == "rival-question"
            hot = await pipeline.handle(session, Request("driver", heard=heard(("Hot.", -0.7), ("What?", -0.8))))
            assert hot.changes == {} and hot.doubt == "lone-remark -0.70"
            cold = await pipeline.handle(session, Request("driver", heard=heard(("Cold.", -0.6))))
            assert cold.changes == {}
            # the same comfort word heard for sure is a request (the driver's remark acts)
            sure = await pipeline.handle(session, Request("driver", heard=heard(("I'm cold.", -0.1))))
            assert sure.changes and sure.doubt is None
        finally:
            await car.close()

    asyncio.run(main())


# -- real speech ---------------------------------------------------------------------------------

def _espeak(text: str, path: Path, *, snr: float | None = None) -> Path:
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "165", "-w", str(raw), text], check=True)
    subprocess.run(["sox", "-G", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(path)], check=True)
    return path


@pytest.mark.slow
def test_spoken_questions_change_nothing(tmp_path: Path) -> None:
    """Questions about the car, spoken and sent through ``carvoice batch``: answered, never acted on."""
    questions = ["is my window open", "what is the temperature in here", "is the air conditioning on",
                 "how hot is it set to", "is the sunroof closed", "are the seats heated",
                 "is it cold in the back", "what fan speed is it on"]
    lines = [json.dumps({"id": i, "audio": str(_espeak(q, tmp_path / f"q{i}.wav"))}) for i, q in enumerate(questions)]
    out = subprocess.run([PYTHON, "-m", "assistant.cli", "batch", "--no-speech", "--understanding", "parser-only"],
                         input="\n".join(lines) + "\n", capture_output=True, text=True, cwd=ROOT, timeout=600)
    results = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(results) == len(questions), out.stderr[-2000:]
    for q, r in zip(questions, results, strict=True):
        assert r["changes"] == {}, (q, r)
        assert r["transcript"], (q, r)


class PacedMicrophone:
    """A recording delivered frame by frame in real time, then silence; counts the frames after the voice."""

    def __init__(self, audio: np.ndarray) -> None:
        from assistant.speech.vad import FRAME, SileroVad

        pad = (-len(audio)) % FRAME
        self.frames = list(np.concatenate([audio, np.zeros(pad, np.float32)]).reshape(-1, FRAME))
        flags = SileroVad().speech_frames(np.concatenate(self.frames))
        self.last_voiced = max(i for i, f in enumerate(flags) if f)
        self.sent = 0
        self._next = time.perf_counter()

    def read(self, timeout: float = 1.0) -> np.ndarray | None:
        from assistant.speech.vad import FRAME, SAMPLE_RATE

        self._next += FRAME / SAMPLE_RATE
        time.sleep(max(0.0, self._next - time.perf_counter()))
        frame = self.frames[self.sent] if self.sent < len(self.frames) else np.zeros(FRAME, np.float32)
        self.sent += 1
        return frame

    def clear(self) -> None:
        self._next = time.perf_counter()

    @property
    def frames_after_voice(self) -> int:
        return self.sent - 1 - self.last_voiced


@pytest.fixture(scope="module")
def stt() -> Any:
    from assistant.speech.stt import SpeechToText

    engine = SpeechToText.from_settings(SETTINGS)
    engine.load()
    return engine


END_SILENCE = 1.0
"""Longer than the service's 500 ms so that the early end is told apart from the end silence however
busy the machine is (the transcript has 800 ms to be ready)."""


def _listener(stt: Any, understanding: Any, context: DialogueContext) -> Any:
    from assistant.speech.listen import Listener

    return Listener(stt.transcribe, end_silence_s=END_SILENCE, pause_s=0.2, early_end=True, hanging_silence_s=2.0,
                    judge=lambda text: understanding.account(text, "driver", context))


@pytest.mark.slow
def test_a_complete_sure_request_ends_at_the_first_pause(stt: Any, understanding: Any, tmp_path: Path) -> None:
    from assistant.speech.audio import read_audio
    from assistant.speech.vad import FRAME, SAMPLE_RATE

    context = DialogueContext()
    listener = _listener(stt, understanding, context)
    try:
        audio = read_audio(_espeak("open my window", tmp_path / "w.wav"))
        mic = PacedMicrophone(np.concatenate([np.zeros(4000, np.float32), audio]))
        turn = listener.listen(mic)
        assert turn.how == "early-end", turn
        assert "window" in turn.transcript.text.lower()
        # it stopped listening before the end silence was over
        assert mic.frames_after_voice * FRAME / SAMPLE_RATE < END_SILENCE, mic.frames_after_voice
    finally:
        listener.close()

    async def act() -> None:
        car, pipeline, session = await _session()
        try:
            result = await pipeline.handle(session, Request("driver", heard=turn.transcript))
            assert result.changes == {WINDOW: 100}
        finally:
            await car.close()

    asyncio.run(act())


@pytest.mark.slow
def test_a_request_left_hanging_waits_for_the_rest(stt: Any, understanding: Any, tmp_path: Path) -> None:
    from assistant.speech.audio import read_audio

    context = DialogueContext()
    listener = _listener(stt, understanding, context)
    try:
        first = read_audio(_espeak("set the temperature to", tmp_path / "a.wav"))
        rest = read_audio(_espeak("twenty two degrees", tmp_path / "b.wav"))
        thinking = np.zeros(int(1.3 * 16000), np.float32)  # longer than the end silence
        mic = PacedMicrophone(np.concatenate([np.zeros(4000, np.float32), first, thinking, rest]))
        turn = listener.listen(mic)
        assert turn.how != "early-end" or "22" in turn.transcript.text
        assert "22" in turn.transcript.text or "twenty" in turn.transcript.text.lower(), turn.transcript
    finally:
        listener.close()
    # without the patience for a hanging request, the same audio is cut at the pause
    from assistant.speech.listen import Listener

    plain = Listener(stt.transcribe, end_silence_s=END_SILENCE, pause_s=0.2, early_end=False)
    try:
        mic = PacedMicrophone(np.concatenate([np.zeros(4000, np.float32), first, thinking, rest]))
        cut = plain.listen(mic)
        assert "22" not in cut.transcript.text and "twenty" not in cut.transcript.text.lower(), cut.transcript
    finally:
        plain.close()


def test_the_listener_judges_early_transcripts_by_the_understanding(understanding: Any) -> None:
    from assistant.speech.listen import Listener

    context = DialogueContext()
    listener = Listener(lambda audio: heard(("", 0.0)), judge=lambda text: understanding.account(text, "driver", context))
    try:
        assert listener.complete(heard(("Open my window.", -0.1))) is True
        assert listener.complete(heard(("What's the temperature?", -0.1))) is True
        assert listener.complete(heard(("Set the temperature to", -0.1))) is False  # wait for the rest
        assert listener.complete(heard(("Navigate to", -0.2))) is False
        assert listener.complete(heard(("Open my window.", -0.9))) is None  # unsure: wait for the end silence
        assert listener.complete(heard(("Hmm, the weather in Paris.", -0.1))) is None
    finally:
        listener.close()


def test_hypotheses_thread_lock_free(understanding: Any) -> None:
    """``account`` is read-only: the listener's thread may call it while the loop serves (no state kept)."""
    context = DialogueContext()
    before = repr(context)
    results: list[bool] = []

    def work() -> None:
        for _ in range(50):
            results.append(understanding.account("open the rear window", "driver", context).acts)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(results) and len(results) == 150 and repr(context) == before


def test_transcription_starts_at_a_short_gap_and_acts_only_after_the_pause(understanding: Any, tmp_path: Path) -> None:
    """The transcript is begun after ``early_start_s`` of silence, so that it is ready soon after the pause;
    it is acted on only once the silence has lasted ``pause_s``, and a gap the speaker talks on after is
    not taken for the end (its transcript is dropped)."""
    from assistant.speech.audio import read_audio
    from assistant.speech.listen import Listener
    from assistant.speech.vad import FRAME, SAMPLE_RATE

    from assistant.speech.vad import SileroVad

    def voiced(audio: np.ndarray) -> np.ndarray:  # espeak-ng's own silence before and after cut off
        flags = SileroVad().speech_frames(audio)
        on = [i for i, f in enumerate(flags) if f]
        return audio[on[0] * FRAME:(on[-1] + 1) * FRAME]

    first = voiced(read_audio(_espeak("open my window", tmp_path / "a.wav")))
    rest = voiced(read_audio(_espeak("on the passenger side", tmp_path / "b.wav")))
    gap = np.zeros(int(0.15 * SAMPLE_RATE), np.float32)  # past the 100 ms start, short of the 200 ms pause
    mic = PacedMicrophone(np.concatenate([np.zeros(4000, np.float32), first, gap, rest]))
    whole = len(mic.frames) * FRAME
    started_at: list[int] = []

    def transcribe(audio: np.ndarray) -> Transcript:
        started_at.append(mic.sent)
        long = len(audio) > whole * 0.8
        return heard(("Open the passenger window." if long else "Open my window.", -0.1))

    context = DialogueContext()
    listener = Listener(transcribe, end_silence_s=1.0, pause_s=0.2, early_start_s=0.1, early_end=True,
                        judge=lambda text: understanding.account(text, "driver", context))
    try:
        turn = listener.listen(mic)
    finally:
        listener.close()
    assert turn.how == "early-end", turn
    assert turn.transcript.text == "Open the passenger window."  # the transcript of the gap was dropped
    assert len(started_at) >= 2  # one at the gap, one after the last word
    after_voice = (started_at[-1] - 1 - mic.last_voiced) * FRAME / SAMPLE_RATE
    assert after_voice < 0.2, after_voice  # begun before the pause was over
    acted_after = (mic.sent - 1 - mic.last_voiced) * FRAME / SAMPLE_RATE
    assert acted_after >= 0.2 - FRAME / SAMPLE_RATE, acted_after  # but acted on only after the pause
