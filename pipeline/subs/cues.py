"""The cue model: integer milliseconds, immutable, and the few measurements every rule needs.

Times are whole milliseconds (as in SRT and WebVTT) so nothing drifts through float rounding; frame
arithmetic is done here, once, with exact fractions, because subtitle rules are written in frames
("2 frames gap") while files are written in milliseconds.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction


@dataclass(frozen=True)
class TimedWord:
    """One recognised word (a Vietnamese syllable) with its timing: the segmenter's input.

    Any transcript converts to this; `speaker` is a diarisation label (None when unknown) and
    `source_id` says where the word came from (e.g. "clip-03/seg-12") so cues can point back.
    `block` groups words that must share cues with no others (one script sentence where it was
    spoken): a cue never holds words of two blocks, nor a block's words and unblocked ones.
    """

    start_ms: int
    end_ms: int
    text: str
    probability: float = 1.0
    speaker: str | None = None
    source_id: str = ""
    block: str | None = None


@dataclass(frozen=True)
class Cue:
    """One subtitle on screen: 1-based `index`, times in ms, and its lines exactly as displayed.

    `speaker_change` marks a two-speaker cue whose lines carry the "- " dash; `source_ids` point back
    at the transcript; `markup` lists tags removed when the cue was read from a file (italics,
    positioning), so a lint report can say what was dropped.
    """

    index: int
    start_ms: int
    end_ms: int
    lines: tuple[str, ...]
    speaker_change: bool = False
    source_ids: tuple[str, ...] = ()
    markup: tuple[str, ...] = ()

    @property
    def duration_ms(self) -> int:
        """How long the cue is on screen."""
        return self.end_ms - self.start_ms

    @property
    def text(self) -> str:
        """The lines joined with newlines, as written in a file."""
        return "\n".join(self.lines)

    @property
    def flat_text(self) -> str:
        """The lines joined with spaces: the sentence as read, for translation or search."""
        return " ".join(line.strip() for line in self.lines if line.strip())

    @property
    def line_lengths(self) -> tuple[int, ...]:
        """Characters on each line (NFC code points, so 'ộ' is one character)."""
        return tuple(len(line) for line in self.lines)

    @property
    def char_count(self) -> int:
        """Characters read: spaces and punctuation count, line breaks do not."""
        return sum(self.line_lengths)

    @property
    def cps(self) -> float:
        """Reading speed in characters per second; infinite for a cue with no duration."""
        if self.duration_ms <= 0:
            return math.inf if self.char_count else 0.0
        return self.char_count * 1000 / self.duration_ms

    def with_times(self, start_ms: int, end_ms: int) -> Cue:
        """The same cue shown at other times."""
        return replace(self, start_ms=start_ms, end_ms=end_ms)


def renumber(cues: Iterable[Cue]) -> list[Cue]:
    """Cues numbered 1..n in the order given (files from the wild often skip or repeat numbers)."""
    return [replace(cue, index=n) if cue.index != n else cue for n, cue in enumerate(cues, 1)]


def clamp_to_end(cues: Sequence[Cue], end_ms: int, *, drop: bool = True) -> list[Cue]:
    """`cues` with nothing on screen after the programme's end `end_ms`: a cue that runs past it
    ends on it; one that would start at or after it is dropped (the rest renumbered), or with
    `drop=False` kept as it is (numbers that a map refers to stay; lint's `past-end` names it)."""
    kept = [cue if cue.end_ms <= end_ms or cue.start_ms >= end_ms else cue.with_times(cue.start_ms, end_ms)
            for cue in cues if cue.start_ms < end_ms or not drop]
    return kept if len(kept) == len(cues) else renumber(kept)


# -- frames <-> milliseconds ---------------------------------------------------------------------
# Frame boundaries at 29.97 fps fall between milliseconds, so a frame's time is rounded to the
# nearest ms (halves up); converting that ms back with `frame_at` always gives the same frame.
# Integer arithmetic on the rate's numerator and denominator: the segmenter calls these in its
# inner loop, where Fraction objects cost more than all the rest.


def frame_at(ms: int, rate: Fraction) -> int:
    """The frame nearest to millisecond `ms`."""
    num, den = rate.numerator, rate.denominator
    return (2 * ms * num + 1000 * den) // (2000 * den)


def frame_floor(ms: int, rate: Fraction) -> int:
    """The last frame boundary at or before `ms`."""
    return (ms * rate.numerator) // (1000 * rate.denominator)


def frame_ceil(ms: int, rate: Fraction) -> int:
    """The first frame boundary at or after `ms`."""
    return -((-ms * rate.numerator) // (1000 * rate.denominator))


def frame_ms(frame: int, rate: Fraction) -> int:
    """The time of a frame boundary in whole milliseconds."""
    num, den = rate.numerator, rate.denominator
    return (2000 * frame * den + num) // (2 * num)


def frames_ms(frames: int, rate: Fraction) -> Fraction:
    """The exact length of `frames` frames in milliseconds (a duration, so not rounded)."""
    return Fraction(frames * 1000) / rate
