"""English cues laid on the time the Vietnamese took to say the same thing.

The unit is a span: one Vietnamese cue of recognised speech with its English, or a whole script
sentence (all its Vietnamese cues) with the translator's sentence. A span's English becomes as few
cues as fit two lines each, cut at clause boundaries (`share_out`), and shares the span's time by
length, so the English reads at an even pace across the sentence instead of being crammed into
wherever the Vietnamese cues happened to divide it. Boundaries sit on frames with the profile's gap.
Only English that cannot be read even so is shortened (`fit_cues`), and the map says so.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ..script.english import share_out
from .condense import fit_cues
from .cues import Cue, frame_floor, frame_ms
from .linebreak import break_lines
from .style import Style

MAX_PIECES = 8


@dataclass(frozen=True)
class EnglishSpan:
    """English text for the programme time of some Vietnamese cues (their 1-based indexes)."""

    vi: tuple[int, ...]
    start_ms: int
    end_ms: int
    text: str


def _fits(lines: Sequence[str], style: Style) -> bool:
    return len(lines) <= style.lines_per_cue and all(len(line) <= style.chars_per_line for line in lines)


def _overflow(parts: Sequence[str], style: Style, protected: Collection[str]) -> int:
    """Characters beyond the profile's lines, over all pieces (0: every piece fits)."""
    total = 0
    for part in parts:
        lines = break_lines(part, style, protected)
        total += sum(max(0, len(line) - style.chars_per_line) for line in lines)
        total += sum(len(line) for line in lines[style.lines_per_cue:])
    return total


def pieces_for(span: EnglishSpan, style: Style, protected: Collection[str], gap_ms: int) -> list[str]:
    """The fewest pieces of the span's English, cut at clause boundaries, that each fit the
    profile's lines (fewest: each then stays up longest); no more pieces than the span's time can
    show for the minimum duration each; when nothing fits, the split that overflows least."""
    text = " ".join(span.text.split())
    duration = span.end_ms - span.start_ms
    most = max(1, min(MAX_PIECES, (duration + gap_ms) // (style.min_duration_ms + gap_ms)))
    least = min(most, max(1, -(-(duration + gap_ms) // (style.max_duration_ms + gap_ms))), len(text.split()))
    first = [text] if least == 1 else share_out(text, [1] * least, protected, style.avoid_break_after)
    best, best_overflow = first, _overflow(first, style, protected)
    for count in range(least + 1, int(most) + 1):
        if best_overflow == 0:
            break
        candidate = share_out(text, [1] * count, protected, style.avoid_break_after)
        if not all(candidate):
            break
        overflow = _overflow(candidate, style, protected)
        if overflow < best_overflow:
            best, best_overflow = candidate, overflow
    return best


def _times(parts: Sequence[str], span: EnglishSpan, gap_ms: int, rate: Fraction, max_ms: int,
           ) -> list[tuple[int, int]]:
    """Each piece's time within the span, by length, boundaries on frames, `gap_ms` between; none
    longer than `max_ms`."""
    if len(parts) == 1:
        return [(span.start_ms, min(span.end_ms, span.start_ms + max_ms))]
    total = sum(len(p) for p in parts)
    available = span.end_ms - span.start_ms - gap_ms * (len(parts) - 1)
    times: list[tuple[int, int]] = []
    start = span.start_ms
    used = 0
    for n, part in enumerate(parts):
        used += len(part)
        if n == len(parts) - 1:
            end = span.end_ms
        else:
            ideal = span.start_ms + available * used / total + gap_ms * n
            end = frame_ms(frame_floor(math.floor(ideal), rate), rate)
            end = max(end, start + 1)
        times.append((start, min(end, start + max_ms)))
        start = frame_ms(frame_floor(end + gap_ms, rate), rate)
        if start < end + gap_ms:
            start = frame_ms(frame_floor(end + gap_ms, rate) + 1, rate)
    return times


def _room_to_read(span: EnglishSpan, next_start: int | None, style: Style, gap_ms: int, rate: Fraction,
                  end_ms: int | None = None) -> EnglishSpan:
    """`span` lengthened into the silence after it (up to the next span, less the gap; never past
    the programme's end `end_ms`) when its English needs more time than the Vietnamese took to be
    read at the profile's speed: English is longer than Vietnamese, and a translator's words are
    better late than cut with "…"."""
    needed = math.ceil(len(" ".join(span.text.split())) * 1000 / style.max_cps)
    if span.end_ms - span.start_ms >= needed:
        return span
    limit = next_start - gap_ms if next_start is not None else span.end_ms + style.min_duration_ms
    if end_ms is not None:
        limit = max(span.end_ms, min(limit, end_ms)) if span.end_ms <= end_ms else span.end_ms
    end = max(span.end_ms, frame_ms(frame_floor(min(span.start_ms + needed, limit), rate), rate))
    return span if end == span.end_ms else EnglishSpan(span.vi, span.start_ms, end, span.text)


def english_cues(spans: Sequence[EnglishSpan], style: Style, rate: Fraction, protected: Collection[str] = (),
                 end_ms: int | None = None) -> tuple[list[Cue], list[dict[str, Any]]]:
    """English cues for `spans` in order, and the map from Vietnamese cues to English ones
    (`{"vi": [3, 4], "en": [5, 6, 7]}`; `"en": []` for a span without English; `"shortened": [6]`,
    the English cues whose text, too long to read in its time, had to be cut with "…": what they
    show is no longer anybody's sentence). With `end_ms`, the programme's end, no cue is lengthened
    past it and none is left on screen after it."""
    gap = math.ceil(style.frames_ms(style.min_gap_frames, rate))
    cues: list[Cue] = []
    cue_map: list[dict[str, Any]] = []
    for n, span in enumerate(spans):
        if not span.text.strip():
            cue_map.append({"vi": list(span.vi), "en": []})
            continue
        span = _room_to_read(span, spans[n + 1].start_ms if n + 1 < len(spans) else None, style, gap, rate, end_ms)
        parts = pieces_for(span, style, protected, gap)
        numbers: list[int] = []
        for part, (start, end) in zip(parts, _times(parts, span, gap, rate, style.max_duration_ms), strict=True):
            cues.append(Cue(len(cues) + 1, start, end, break_lines(part, style, protected)))
            numbers.append(len(cues))
        cue_map.append({"vi": list(span.vi), "en": numbers})
    cues, shortened = fit_cues(cues, style, rate, protected, end_ms=end_ms)
    for entry in cue_map:
        cut = sorted(set(entry["en"]) & set(shortened))
        if cut:
            entry["shortened"] = cut
    return cues, cue_map
