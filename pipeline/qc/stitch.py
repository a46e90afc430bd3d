"""A whole file's black and frozen stretches from per-frame facts measured range by range.

The rules are blackdetect's and freezedetect's own, applied once across the whole file so the result
equals a whole-file decode with today's options (`blackdetect=d=0.2`, `freezedetect=d=1`):

- black: a run of black frames starts at its first frame and ends at the first frame that is not
  black; one still black at the end of the file ends at the last frame's pts (blackdetect's own end
  of stream). It is reported when it lasts at least 0.2 s in the stream's time base, truncated as
  blackdetect truncates it (`d / time_base`). Runs that touch across a range boundary are one run,
  because blackness is a property of each frame alone.
- frozen: freezedetect compares each frame with a reference frame, the first of the run, and a frame
  that differs by more than the noise becomes the next reference. The runs between references are
  the candidates: one is reported as [reference, next reference] when that lasts at least 1 s
  (microseconds, rounded as `av_rescale_q` rounds), and one still running at the end of the file as
  [reference, last frame + 0.04 s] once its last frame is 1 s past the reference (as QC parsed it).
  Which frames are references depends on the frame held before them, so a range's first frame is
  settled by `ranged` with the whole file's reference (`ranges.freeze_fixup`) before this runs.
"""

from __future__ import annotations

from collections.abc import Sequence

from .ranges import BLACK_MIN_S, FREEZE_MIN_US, VideoTrack

Interval = tuple[float, float]


def _rescale_us(ticks: int, track: VideoTrack) -> int:
    """`av_rescale_q(ticks, time_base, 1/1000000)`: to the nearest microsecond, halves away from 0."""
    num, den = track.time_base.numerator * 1_000_000 * ticks, track.time_base.denominator
    q, r = divmod(abs(num), den)
    q += 1 if 2 * r >= den else 0
    return q if num >= 0 else -q


def black_stretches(track: VideoTrack, pts: Sequence[int], black: Sequence[bool]) -> list[Interval]:
    """blackdetect's `black_start`/`black_end` pairs for frames at `pts` (absolute) flagged `black`."""
    shortest = int(BLACK_MIN_S / float(track.time_base))
    out: list[Interval] = []
    start: int | None = None
    for p, is_black in zip(pts, black, strict=True):
        if is_black and start is None:
            start = p
        elif not is_black and start is not None:
            if p - start >= shortest:
                out.append((track.time(start), track.time(p)))
            start = None
    if start is not None and pts and pts[-1] - start >= shortest:
        out.append((track.time(start), track.time(pts[-1])))
    return out


def freeze_stretches(track: VideoTrack, pts: Sequence[int], starts: Sequence[bool]) -> list[Interval]:
    """freezedetect's `freeze_start`/`freeze_end` pairs for frames at `pts` whose new references are
    `starts` (the first frame is one)."""
    out: list[Interval] = []
    reference: int | None = None
    for p, new in zip(pts, starts, strict=True):
        if new:
            if reference is not None and _rescale_us(p - reference, track) >= FREEZE_MIN_US:
                out.append((track.time(reference), track.time(p)))
            reference = p
    if reference is not None and pts and _rescale_us(pts[-1] - reference, track) >= FREEZE_MIN_US:
        out.append((track.time(reference), track.time(pts[-1]) + 0.04))
    return out
