"""Lenient timing lines are read, and each cue that needed leniency is named in a note; a timing
error quotes the syntax of the file's own format (SRT's comma, WebVTT's dot)."""

from __future__ import annotations

import pytest

from pipeline.errors import SubtitleError
from pipeline.subs.formats import parse_subtitles


def notes(text: str, ext: str = ".srt") -> list[tuple[int, str]]:
    document = parse_subtitles(text.encode("utf-8"), ext, f"test{ext}")
    return [(note.line, note.message) for note in document.notes]


def test_a_well_formed_srt_has_no_timing_notes() -> None:
    assert notes("1\n00:00:01,000 --> 00:00:02,000\nMột.\n\n2\n00:00:03,000 --> 00:00:04,500\nHai.\n") == []


def test_each_lenient_srt_timing_is_named_by_cue_and_line() -> None:
    text = ("1\n00:00:01,000 --> 00:00:02,000\nMột.\n\n"
            "2\n00:00:03.000 --> 00:00:04.000\nHai.\n\n"
            "3\n00:00:05 --> 00:00:06\nBa.\n\n"
            "4\n00:00:07,000 -> 00:00:08,000\nBốn.\n\n"
            "5\n00:09,000 --> 00:00:10,5\nNăm.\n")
    assert notes(text) == [
        (6, "cue 2: '.' used instead of ','"),
        (10, "cue 3: time without milliseconds (read as 000)"),
        (14, "cue 4: '->' used instead of '-->'"),
        (18, "cue 5: milliseconds with 1 digit(s) (read as a decimal fraction); time without hours"),
    ]
    cues = parse_subtitles(text.encode(), ".srt").cues
    assert [(c.start_ms, c.end_ms) for c in cues] == [(1000, 2000), (3000, 4000), (5000, 6000), (7000, 8000),
                                                     (9000, 10_500)]


def test_colon_before_milliseconds_is_noted() -> None:
    assert notes("1\n00:00:01:000 --> 00:00:02:000\nMột.\n") == [(2, "cue 1: ':' used instead of ','")]


def test_webvtt_notes_speak_webvtt() -> None:
    good = "WEBVTT\n\n00:01.000 --> 00:02.000\nMột.\n\n00:00:03.000 --> 00:00:04.000\nHai.\n"
    assert notes(good, ".vtt") == []  # hours are optional in WebVTT
    bad = "WEBVTT\n\n1\n00:00:01,000 --> 00:00:02,000\nMột.\n\n2\n00:00:03.000 --> 00:00:04\nHai.\n"
    assert notes(bad, ".vtt") == [(4, "cue 1: ',' used instead of '.'"),
                                  (8, "cue 2: time without milliseconds (read as 000)")]


def test_a_webvtt_timing_error_quotes_webvtt_syntax() -> None:
    with pytest.raises(SubtitleError) as err:
        parse_subtitles(b"WEBVTT\n\n00:01.000 --> 00:0x.000\nM\xe1\xbb\x99t.\n", ".vtt", "test.vtt")
    message = err.value.one_line()
    assert "test.vtt: line 3: cannot read the timing" in message
    assert "[HH:]MM:SS.mmm --> [HH:]MM:SS.mmm" in message and "HH:MM:SS,mmm" not in message


def test_an_srt_timing_error_still_quotes_srt_syntax() -> None:
    with pytest.raises(SubtitleError, match="expected HH:MM:SS,mmm --> HH:MM:SS,mmm"):
        parse_subtitles(b"1\n00:00:01,000 --> 00:00:0x,000\nX.\n", ".srt", "test.srt")
