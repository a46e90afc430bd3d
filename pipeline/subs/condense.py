"""Make machine-translated cues readable in the time they have.

Machine English is often longer than the Vietnamese it replaces, and Whisper's translate task can
loop ("it's okay, it's okay, …"). A cue that cannot be read at the profile's speed first borrows
time from the silence after it (never past the next cue's minimum gap, never past the maximum
duration); only then is its text shortened at a word boundary and ended with "…". Shortened cues
are reported so the reviewing translator knows where the draft was cut.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Sequence
from fractions import Fraction

from .cues import Cue
from .linebreak import break_lines
from .style import Style

_REPEAT = re.compile(r"\b(.{3,40}?)(?:[\s,;.]+\1\b){2,}", re.IGNORECASE)


def collapse_repeats(text: str) -> str:
    """'it's okay, it's okay, it's okay' → 'it's okay' (a phrase said three or more times in a row)."""
    return _REPEAT.sub(r"\1", text).strip()


def _cps_limit(style: Style) -> float:
    if style.severity("reading-speed") == "error" or style.max_cps_hard is None:
        return style.max_cps
    return style.max_cps_hard


def _fits(cue: Cue, style: Style, limit: float) -> bool:
    return (
        len(cue.lines) <= style.lines_per_cue
        and all(len(line) <= style.chars_per_line for line in cue.lines)
        and cue.cps <= limit
    )


DANGLING = frozenset({"and", "or", "but", "nor", "so", "of", "to", "in", "on", "at", "for", "with", "from", "by",
                      "as", "than", "that", "which", "who", "whose", "into", "onto", "about", "between", "is", "are",
                      "was", "were"})
"""Words a cut text may not end on before its "…", beside the style's `avoid_break_after` (articles,
possessives): "…depends on the father's wisdom and the…" reads as a word lost, "…the father's
wisdom…" as a thought cut short."""


def _shorten(text: str, max_chars: int, avoid_after: Collection[str] = ()) -> str:
    """`text` cut at a word boundary to `max_chars` with "…", never ending on an article, a
    possessive, a conjunction or a preposition (the words before them are kept; one word at least)."""
    if len(text) <= max_chars:
        return text
    cut = text[: max(1, max_chars - 1)].rsplit(" ", 1)[0].rstrip(" ,;:-–")
    words = cut.split(" ")
    weak = {w.casefold() for w in avoid_after} | DANGLING
    while len(words) > 1 and words[-1].strip(",;:-–\"'“”‘’").casefold() in weak:
        words.pop()
    cut = " ".join(words).rstrip(" ,;:-–")
    return (cut or text[: max(1, max_chars - 1)]) + "…"


def fit_cues(
    cues: Sequence[Cue], style: Style, rate: Fraction, protected: Collection[str] = (), *,
    end_ms: int | None = None,
) -> tuple[list[Cue], list[int]]:
    """Cues that pass chars-per-line, lines-per-cue and reading speed; plus the indexes shortened.
    With `end_ms` (the programme's end) no cue borrows time past it."""
    limit = _cps_limit(style)
    gap_ms = math.ceil(style.frames_ms(style.min_gap_frames, rate))
    out: list[Cue] = []
    shortened: list[int] = []
    for i, cue in enumerate(cues):
        original = " ".join(cue.lines)
        text = collapse_repeats(original)
        current = Cue(cue.index, cue.start_ms, cue.end_ms, break_lines(text, style, protected), cue.speaker_change,
                      cue.source_ids)
        if not _fits(current, style, limit):
            next_start = cues[i + 1].start_ms if i + 1 < len(cues) else cue.end_ms + style.max_duration_ms
            if end_ms is not None:  # the last frame is the last chance: nothing borrows past it
                next_start = min(next_start, max(cue.end_ms, end_ms) + gap_ms)
            latest = min(next_start - gap_ms, cue.start_ms + style.max_duration_ms)
            needed = math.ceil(current.char_count * 1000 / limit)
            end = min(max(cue.end_ms, cue.start_ms + needed), latest)
            current = current.with_times(cue.start_ms, max(end, cue.end_ms))
        budget = min(math.floor(limit * current.duration_ms / 1000), style.lines_per_cue * style.chars_per_line)
        while not _fits(current, style, limit) and budget > 1:
            short = _shorten(text, budget, style.avoid_break_after)
            current = Cue(current.index, current.start_ms, current.end_ms, break_lines(short, style, protected),
                          current.speaker_change, current.source_ids)
            budget = len(short) - max(2, len(short) // 10)
        if " ".join(current.lines) != original:
            shortened.append(cue.index)
        out.append(current)
    return out, shortened
