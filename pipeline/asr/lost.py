"""Speech the decoder skipped: stretches the voice detector hears that no recognised word covers.

Whisper sometimes stops listening: a window decoded at a fallback temperature ends early ("… phùy
th" and nothing for the next 14 s of a 21 s narration, measured on the dulich sample), a loop is
trimmed away, or the prompt is read out instead of the speech. The words after that point are lost
without a trace in the transcript. Comparing the voice detector's speech regions with the words
finds those stretches, so just they can be decoded again.
"""

from __future__ import annotations

from collections.abc import Sequence

from .transcript import TranscriptWord

MIN_LOST_MS = 800
"""A stretch of speech shorter than this with no word in it is a breath or a drawn-out syllable."""
COVER_PAD_MS = 250
"""How far around a word its syllable may ring on (word timings are approximate)."""
CONTEXT_MS = 3000
"""How much audio before a lost stretch is decoded with it, for Whisper to find its way in."""
START_SLACK_MS = 100
"""A re-decoded word may start this much before the stretch and still be taken (timings drift)."""
MAX_WORD_MS = 1500
"""A 'word' longer than this covers nothing: no Vietnamese syllable lasts so long; it is the decoder
stretching its last token over what it did not hear."""


def uncovered(speech: Sequence[tuple[int, int]], words: Sequence[TranscriptWord],
              min_ms: int = MIN_LOST_MS) -> list[tuple[int, int]]:
    """Parts of the `speech` regions (ms) that no word covers, each at least `min_ms` long."""
    covers = sorted(
        (w.start_ms - COVER_PAD_MS, w.end_ms + COVER_PAD_MS)
        for w in words if w.end_ms - w.start_ms <= MAX_WORD_MS
    )
    lost: list[tuple[int, int]] = []
    for start, end in speech:
        cursor = start
        for low, high in covers:
            if high <= cursor or low >= end:
                continue
            if low > cursor:
                lost.append((cursor, low))
            cursor = max(cursor, high)
            if cursor >= end:
                break
        if cursor < end:
            lost.append((cursor, end))
    return [(a, b) for a, b in lost if b - a >= min_ms]


def bounds(stretch: tuple[int, int], words: Sequence[TranscriptWord], duration_ms: int,
           pad_ms: int = 200) -> tuple[int, int]:
    """Where to decode a lost stretch again: padded, but not into the words heard either side."""
    start, end = stretch
    before = [w.end_ms for w in words if w.end_ms <= start and w.end_ms - w.start_ms <= MAX_WORD_MS]
    after = [w.start_ms for w in words if w.start_ms >= end]
    return max([start - pad_ms, 0, *before]), min([end + pad_ms, duration_ms, *after])
