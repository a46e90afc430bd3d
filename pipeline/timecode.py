"""Time as a type: frame counts at a rational rate, and SMPTE timecode text.

Floats appear only at the edge (ffmpeg arguments); everything inside counts frames or milliseconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

_TC_RE = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})[:;.](\d{2,3})$")


def parse_rate(text: str | int | float | Fraction) -> Fraction:
    """Read a frame rate as written by ffprobe or an editor ("30000/1001", "25", 29.97)."""
    if isinstance(text, Fraction):
        return text
    if isinstance(text, int):
        return Fraction(text)
    if isinstance(text, float):
        return _ntsc(Fraction(text).limit_denominator(1001))
    value = text.strip()
    if "/" in value:
        num, _, den = value.partition("/")
        if int(den) == 0:
            return Fraction(0)
        return Fraction(int(num), int(den))
    return _ntsc(Fraction(value).limit_denominator(1001))


def _ntsc(rate: Fraction) -> Fraction:
    """A decimal written for an NTSC rate ("29.97", "23.976", "59.94") is that rate, N×1000/1001:
    nobody means exactly 2997/100, and a timeline at 2997/100 drifts from every file made at 29.97."""
    for base in (24, 30, 48, 60, 120):
        ntsc = Fraction(base * 1000, 1001)
        if rate != base and abs(rate - ntsc) < Fraction(1, 200):
            return ntsc
    return rate


def nominal_fps(rate: Fraction) -> int:
    """The integer frame count per timecode second (30 for 29.97, 25 for 25)."""
    return max(1, round(rate))


@dataclass(frozen=True, order=True)
class Timecode:
    """A position in frames at a rate. Non-drop-frame counting, as Vietnamese PAL broadcast uses."""

    frames: int
    rate: Fraction

    @classmethod
    def parse(cls, text: str, rate: Fraction) -> Timecode:
        """Parse HH:MM:SS:FF (or HH:MM:SS.mmm) at `rate`; raise ValueError naming what is wrong."""
        match = _TC_RE.match(text.strip())
        if not match:
            raise ValueError(f"{text!r} is not a timecode (expected HH:MM:SS:FF)")
        hh, mm, ss, ff = match.groups()
        fps = nominal_fps(rate)
        if int(mm) > 59 or int(ss) > 59:
            raise ValueError(f"{text!r} has minutes or seconds above 59")
        seconds = int(hh) * 3600 + int(mm) * 60 + int(ss)
        if "." in text and len(ff) == 3:
            ms = seconds * 1000 + int(ff)
            return cls.from_ms(ms, rate)
        if int(ff) >= fps:
            raise ValueError(f"{text!r} has frame {int(ff)} but the rate {fmt_rate(rate)} has frames 00–{fps - 1:02d}")
        return cls(seconds * fps + int(ff), rate)

    @classmethod
    def from_ms(cls, ms: int, rate: Fraction) -> Timecode:
        """The frame nearest to millisecond `ms` (halves to even, as `round` does)."""
        return cls(round(Fraction(ms, 1000) * rate), rate)

    @classmethod
    def from_seconds(cls, seconds: float | Fraction, rate: Fraction) -> Timecode:
        """The nearest frame to `seconds` of real time."""
        return cls(round(Fraction(seconds) * rate), rate)

    @property
    def seconds(self) -> Fraction:
        """Real time in seconds, exact."""
        return Fraction(self.frames) / self.rate

    @property
    def ms(self) -> int:
        """Real time in whole milliseconds."""
        return round(self.seconds * 1000)

    def __str__(self) -> str:
        fps = nominal_fps(self.rate)
        total = self.frames
        ff = total % fps
        secs = total // fps
        return f"{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}:{ff:02d}"


@dataclass(frozen=True)
class Excerpt:
    """A stretch of the programme, frames [start, end) at `rate`: the social cut. Carried in frames
    so that cutting, metering and checking it land on the same frames; seconds are made only at the
    edge (ffmpeg's filters, the render record, hashed inputs), always the same way (`seconds`)."""

    start: int
    end: int
    rate: Fraction

    @classmethod
    def from_seconds(cls, start_s: float, end_s: float, rate: Fraction) -> Excerpt:
        """The excerpt a record's [start, end] seconds name, each at its nearest frame."""
        return cls(round(Fraction(str(start_s)) * rate), round(Fraction(str(end_s)) * rate), rate)

    @property
    def start_s(self) -> float:
        return float(Fraction(self.start) / self.rate)

    @property
    def end_s(self) -> float:
        return float(Fraction(self.end) / self.rate)

    @property
    def seconds(self) -> tuple[float, float]:
        """[start, end] in programme seconds, as the render record and the inputs hashes hold them."""
        return self.start_s, self.end_s


def fmt_rate(rate: Fraction, *, exact: bool = False) -> str:
    """A frame rate as people write it: 25, 29.97, 23.976; `exact`, as the fraction ffmpeg takes and
    QC compares (25, 30000/1001), where 23.976 and 24000/1001 must not read the same."""
    if rate.denominator == 1:
        return str(rate.numerator)
    if exact:
        return f"{rate.numerator}/{rate.denominator}"
    return f"{float(rate):.3f}".rstrip("0").rstrip(".")


def ms_to_timecode(ms: int, rate: Fraction) -> str:
    """Milliseconds as HH:MM:SS:FF at `rate`."""
    return str(Timecode.from_ms(ms, rate))
