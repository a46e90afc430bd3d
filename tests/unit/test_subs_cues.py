"""The cue model and frame arithmetic."""

from __future__ import annotations

from fractions import Fraction

from pipeline.subs.cues import Cue, frame_at, frame_ceil, frame_floor, frame_ms, frames_ms, renumber

NTSC = Fraction(30000, 1001)


def test_cue_measures_characters_without_line_breaks() -> None:
    cue = Cue(1, 1000, 3000, ("Xin chào,", "quý vị."))
    assert cue.line_lengths == (9, 7)
    assert cue.char_count == 16
    assert cue.cps == 8.0
    assert cue.duration_ms == 2000
    assert cue.text == "Xin chào,\nquý vị."
    assert cue.flat_text == "Xin chào, quý vị."


def test_vietnamese_letters_count_once_in_nfc() -> None:
    assert Cue(1, 0, 1000, ("Người",)).char_count == 5


def test_zero_duration_reads_infinitely_fast() -> None:
    assert Cue(1, 1000, 1000, ("a",)).cps == float("inf")
    assert Cue(1, 1000, 1000, ()).cps == 0.0


def test_renumber_and_with_times() -> None:
    cues = renumber([Cue(7, 0, 1000, ("a",)), Cue(7, 1000, 2000, ("b",))])
    assert [cue.index for cue in cues] == [1, 2]
    assert cues[0].with_times(40, 80) == Cue(1, 40, 80, ("a",))


def test_frames_at_25_fps() -> None:
    rate = Fraction(25)
    assert frame_ms(2, rate) == 80
    assert frame_floor(1019, rate) == 25
    assert frame_ceil(1001, rate) == 26
    assert frame_at(1019, rate) == 25
    assert frame_at(1021, rate) == 26
    assert frames_ms(2, rate) == 80


def test_frames_at_ntsc_round_trip_through_whole_ms() -> None:
    for frame in range(0, 100_000, 37):
        assert frame_at(frame_ms(frame, NTSC), NTSC) == frame
        assert frame_floor(frame_ms(frame, NTSC), NTSC) in (frame - 1, frame)
    assert frame_ms(1, NTSC) == 33
    assert frames_ms(2, NTSC) == Fraction(2002, 30)
