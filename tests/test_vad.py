"""The endpointing state machine, fed synthetic frames: no audio, no clock."""

from __future__ import annotations

from assistant.speech.vad import SegmentEvent, Segmenter, speech_span

F = 0.032  # seconds per frame


def feed(seg: Segmenter, pattern: list[tuple[bool, int]]) -> list[tuple[int, SegmentEvent]]:
    events, i = [], 0
    for speech, count in pattern:
        for _ in range(count):
            event = seg.process(F, speech)
            if event:
                events.append((i, event))
            i += 1
    return events


def test_speech_starts_after_the_start_time_and_ends_after_silence() -> None:
    seg = Segmenter(start_s=0.15, end_silence_s=0.5, max_s=15)
    events = feed(seg, [(False, 10), (True, 40), (False, 20)])
    assert [e for _, e in events] == [SegmentEvent.START, SegmentEvent.PAUSE, SegmentEvent.END]
    assert events[0][0] == 10 + 4  # fifth speech frame: 5 x 32 ms >= 150 ms
    assert events[1][0] == 50 + 6  # seventh silent frame: 7 x 32 ms >= 200 ms, time to transcribe early
    assert events[2][0] == 50 + 15  # sixteenth silent frame: 16 x 32 ms >= 500 ms


def test_short_blips_do_not_start_speech() -> None:
    seg = Segmenter()
    assert feed(seg, [(True, 2), (False, 5)] * 20) == []


def test_pauses_shorter_than_the_end_silence_keep_the_utterance() -> None:
    seg = Segmenter(end_silence_s=0.5)
    events = feed(seg, [(True, 20), (False, 10), (True, 20), (False, 20)])
    # a pause is reported again after speech resumed: the early transcript of the first part is stale
    assert [e for _, e in events] == [SegmentEvent.START, SegmentEvent.PAUSE, SegmentEvent.PAUSE, SegmentEvent.END]


def test_a_monologue_is_cut_at_the_maximum_length() -> None:
    seg = Segmenter(max_s=3.0)
    events = feed(seg, [(True, 200)])
    assert [e for _, e in events][:2] == [SegmentEvent.START, SegmentEvent.TIMEOUT]


def test_silence_and_steady_noise_produce_nothing() -> None:
    assert feed(Segmenter(), [(False, 1000)]) == []


def test_speech_span_of_a_buffer() -> None:
    flags = [False] * 30 + [True] * 50 + [False] * 40
    start, end, cut = speech_span(flags, Segmenter())  # type: ignore[misc]
    assert start <= 30 and 80 <= end <= 100 and not cut
    assert speech_span([False] * 100, Segmenter()) is None
