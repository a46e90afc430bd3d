"""Speech coverage and cues over silence, on hand-made spans and cues."""

from __future__ import annotations

from fractions import Fraction

from pipeline.asr.transcript import ModelRef, Transcript, TranscriptSegment, TranscriptWord
from pipeline.qc.subtitles import silent_cues, uncovered
from pipeline.subs import Cue
from pipeline.subs import TimedWord as CueWord
from pipeline.subs.speech import place_words, speech_spans
from pipeline.timeline import Segment as Cut
from pipeline.timeline import Timeline


def _cue(i: int, a: int, b: int) -> Cue:
    return Cue(i, a, b, ("text",))


def test_speech_spans_join_words_closer_than_the_gap() -> None:
    words = [CueWord(0, 300, "a"), CueWord(500, 900, "b"), CueWord(2000, 2500, "c")]
    assert speech_spans(words, 700) == [(0, 900), (2000, 2500)]
    assert speech_spans(words) == [(0, 900), (2000, 2500)]  # 200 ms apart joined, 1100 ms apart not
    assert speech_spans([CueWord(0, 300, "a"), CueWord(599, 900, "b")]) == [(0, 900)]
    assert speech_spans([CueWord(0, 300, "a"), CueWord(600, 900, "b")]) == [(0, 300), (600, 900)]


def test_uncovered_speech() -> None:
    speech = [(1000, 3000), (5000, 6000)]
    assert uncovered(speech, [_cue(1, 900, 3100)]) == [(5000, 6000)]
    assert uncovered(speech, [_cue(1, 1000, 2000), _cue(2, 5000, 6000)]) == [(2000, 3000)]


def test_the_gaps_the_rules_make_are_not_uncovered_speech() -> None:
    """The sample dautu's NLE export marked 31 joins of ≤ 190 ms as speech without subtitles: a 2-frame
    gap (required) and gaps under `close_gap_frames` (flicker, lint's to report) are read across."""
    from pipeline.qc.subtitles import rule_gap_ms
    from pipeline.subs import load_style

    speech = [(1000, 9000)]
    cues = [_cue(1, 1000, 3000), _cue(2, 3080, 5000), _cue(3, 5190, 7000), _cue(4, 8000, 9000)]
    bridge = rule_gap_ms(load_style("vi"), Fraction(25))
    assert bridge == 480.0  # 12 frames at 25 fps
    assert uncovered(speech, cues) == [(3000, 3080), (5000, 5190), (7000, 8000)]
    assert uncovered(speech, cues, bridge) == [(7000, 8000)], "only the real second without a cue"


def test_silent_cues_allow_lead_in_and_hang_on() -> None:
    speech = [(1000, 2000)]
    assert silent_cues([_cue(1, 880, 2480)], speech, 120, 480) == []
    found = silent_cues([_cue(1, 1000, 2000), _cue(2, 4000, 5000)], speech, 120, 480)
    assert [(c.index, ms) for c, ms in found] == [(2, 1000)]


def _transcript(clip: str, words: list[tuple[int, int]]) -> Transcript:
    seg = TranscriptSegment(words[0][0], words[-1][1], "x", -0.1, 0.01, 1.2,
                            tuple(TranscriptWord(a, b, "x", 0.9) for a, b in words))
    return Transcript(clip, "vi", 10_000, "0" * 64, ModelRef("test", "0" * 64), (seg,))


def test_words_are_placed_from_clip_time_to_programme_time() -> None:
    timeline = Timeline("p", Fraction(25), 1280, 720, 48000,
                        (Cut("a", "a.mov", 25, 75, 0, True), Cut("b", "b.mov", 0, 50, 50, True),
                         Cut("c", "c.mov", 0, 50, 100, False)), ())
    transcripts = {"a": _transcript("a", [(500, 900), (2500, 2900), (2950, 3400)]),
                   "b": _transcript("b", [(1500, 1800)]), "c": _transcript("c", [(100, 400)])}
    # a: source 1000–3000 ms placed at 0; the word at 500 starts before the cut and is left out, 2500
    # lands at 1500, 2950 at 1950 cut at the segment's end (2000). b: placed at 2000 ms, its word at
    # 3500. c has no sound in the edit: its words are not speech.
    placed = place_words(timeline, transcripts)
    assert [(w.start_ms, w.end_ms) for w in placed] == [(1500, 1900), (1950, 2000), (3500, 3800)]
    assert speech_spans(placed) == [(1500, 2000), (3500, 3800)]
