"""Speech coverage and cues over silence, on hand-made spans and cues."""

from __future__ import annotations

from fractions import Fraction

from pipeline.qc.subtitles import merge, silent_cues, speech_spans, uncovered
from pipeline.subs import Cue
from pipeline.timeline import Segment, Timeline


def _cue(i: int, a: int, b: int) -> Cue:
    return Cue(i, a, b, ("text",))


def test_merge_joins_close_words() -> None:
    assert merge([(0, 300), (500, 900), (2000, 2500)], 700) == [(0, 900), (2000, 2500)]


def test_uncovered_speech() -> None:
    speech = [(1000, 3000), (5000, 6000)]
    assert uncovered(speech, [_cue(1, 900, 3100)]) == [(5000, 6000)]
    assert uncovered(speech, [_cue(1, 1000, 2000), _cue(2, 5000, 6000)]) == [(2000, 3000)]


def test_silent_cues_allow_lead_in_and_hang_on() -> None:
    speech = [(1000, 2000)]
    assert silent_cues([_cue(1, 880, 2480)], speech, 120, 480) == []
    found = silent_cues([_cue(1, 1000, 2000), _cue(2, 4000, 5000)], speech, 120, 480)
    assert [(c.index, ms) for c, ms in found] == [(2, 1000)]


def test_speech_spans_map_clip_time_to_programme_time() -> None:
    timeline = Timeline("p", Fraction(25), 1280, 720, 48000,
                        (Segment("a", "a.mov", 25, 75, 0, True), Segment("b", "b.mov", 0, 50, 50, True)), ())
    transcripts = {
        "a": {"segments": [{"words": [{"start_ms": 500, "end_ms": 900}, {"start_ms": 2500, "end_ms": 2900}]}]},
        "b": {"segments": [{"words": [{"start_ms": 1500, "end_ms": 1800}]}]},
    }
    # a: source 1000–3000 ms placed at 0; word at 500 is cut out, 2500 lands at 1500.
    # b: placed at 2000 ms; its word lands at 3500.
    assert speech_spans(timeline, transcripts) == [(1500, 1900), (3500, 3800)]
