from fractions import Fraction

import pytest

from pipeline.timecode import Excerpt, Timecode, fmt_rate, ms_to_timecode, parse_rate


def test_parse_and_format_round_trip() -> None:
    tc = Timecode.parse("01:02:03:04", Fraction(25))
    assert tc.frames == ((3600 + 120 + 3) * 25 + 4)
    assert str(tc) == "01:02:03:04"


def test_ms_conversion_at_ntsc_rate() -> None:
    rate = Fraction(30000, 1001)
    assert ms_to_timecode(1001, rate) == "00:00:01:00"
    assert Timecode.parse("00:00:01:00", rate).ms == 1001


def test_rates() -> None:
    assert parse_rate("30000/1001") == Fraction(30000, 1001)
    assert parse_rate("0/0") == 0
    assert fmt_rate(Fraction(30000, 1001)) == "29.97"
    assert fmt_rate(Fraction(25)) == "25"
    # exact: what QC compares and ffmpeg takes, where 23.976 is not 24000/1001
    assert fmt_rate(Fraction(30000, 1001), exact=True) == "30000/1001"
    assert fmt_rate(Fraction(23976, 1000), exact=True) != fmt_rate(Fraction(24000, 1001), exact=True)
    assert fmt_rate(Fraction(25), exact=True) == "25"


def test_an_excerpt_is_frames_and_its_seconds_name_the_same_frames() -> None:
    rate = Fraction(30000, 1001)
    excerpt = Excerpt(Timecode.parse("00:00:10:00", rate).frames, Timecode.parse("00:00:50:00", rate).frames, rate)
    assert excerpt.seconds == (float(Fraction(300) / rate), float(Fraction(1500) / rate))
    assert Excerpt.from_seconds(*excerpt.seconds, rate) == excerpt  # the render record's seconds read back


@pytest.mark.parametrize("bad", ["1:2:3", "00:00:00:25", "00:61:00:00", "abc"])
def test_bad_timecodes(bad: str) -> None:
    with pytest.raises(ValueError):
        Timecode.parse(bad, Fraction(25))
