"""Half-open intervals [start, end) as plain (start, end) tuples: the one set of span helpers.

Speech stretches, cue times, loops in a token list and QC's allowed windows are all such spans, in
milliseconds, seconds or list indices; the helpers work for ints and floats alike. A span whose end
is not after its start is empty.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

N = TypeVar("N", int, float)


def overlaps(a: tuple[N, N], b: tuple[N, N]) -> bool:
    """Whether two spans share any time (touching ends, as [0, 5) and [5, 9), do not)."""
    return a[0] < b[1] and b[0] < a[1]


def overlap(a: tuple[N, N], b: tuple[N, N]) -> N:
    """How much two spans share (0 when they do not overlap)."""
    return max(min(a[1], b[1]) - max(a[0], b[0]), 0)


def intersection(a: tuple[N, N], b: tuple[N, N]) -> tuple[N, N] | None:
    """The part two spans share, or None when they share nothing."""
    start, end = max(a[0], b[0]), min(a[1], b[1])
    return (start, end) if start < end else None


def clip(span: tuple[N, N], window: tuple[N, N]) -> tuple[N, N]:
    """`span` with both ends held inside `window` (empty, at an edge, when it lies outside)."""
    low, high = window
    return min(max(span[0], low), high), min(max(span[1], low), high)


def merge(spans: Iterable[tuple[N, N]], gap: N | int = 0) -> list[tuple[N, N]]:
    """The spans sorted by start, joining any two whose gap is less than `gap`.

    With the default 0 overlapping spans join and touching ones stay apart; `gap=300` makes one
    stretch of speech of words less than 300 ms apart.
    """
    out: list[tuple[N, N]] = []
    for start, end in sorted(spans, key=lambda s: s[0]):
        if out and start - out[-1][1] < gap:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def subtract(spans: Iterable[tuple[N, N]], holes: Iterable[tuple[N, N]], min_length: N | int = 0) -> list[tuple[N, N]]:
    """The parts of `spans` that no hole covers, longer than `min_length`, in the order given."""
    pieces = list(spans)
    for low, high in holes:
        rest: list[tuple[N, N]] = []
        for start, end in pieces:
            if end <= low or start >= high:
                rest.append((start, end))
                continue
            if start < low:
                rest.append((start, low))
            if end > high:
                rest.append((high, end))
        pieces = rest
    return [(start, end) for start, end in pieces if end - start > min_length]
