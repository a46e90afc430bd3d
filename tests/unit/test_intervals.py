"""The span helpers (pipeline/intervals.py)."""

from __future__ import annotations

from pipeline.intervals import clip, intersection, merge, overlap, overlaps, subtract


def test_overlaps_and_overlap_treat_touching_spans_as_apart() -> None:
    assert overlaps((0, 5), (4, 9)) and overlaps((4, 9), (0, 5))
    assert not overlaps((0, 5), (5, 9))
    assert overlap((0, 5), (3, 9)) == 2
    assert overlap((0, 5), (5, 9)) == 0
    assert overlap((0, 5), (7, 9)) == 0, "a gap is no overlap, not a negative one"
    assert overlap((0, 10), (2, 3)) == 1


def test_intersection_and_clip() -> None:
    assert intersection((0, 5), (3, 9)) == (3, 5)
    assert intersection((0, 5), (5, 9)) is None
    assert clip((-5, 20), (0, 10)) == (0, 10)
    assert clip((12, 20), (0, 10)) == (10, 10)
    assert clip((2, 3), (0, 10)) == (2, 3)


def test_merge_joins_spans_closer_than_the_gap() -> None:
    spans = [(1000, 1200), (0, 300), (250, 400), (400, 500)]
    assert merge(spans) == [(0, 400), (400, 500), (1000, 1200)], "touching spans stay apart at gap 0"
    assert merge(spans, 1) == [(0, 500), (1000, 1200)]
    assert merge(spans, 500) == [(0, 500), (1000, 1200)]
    assert merge(spans, 501) == [(0, 1200)]
    assert merge([(0, 900), (100, 200)]) == [(0, 900)], "a span inside another does not shorten it"
    assert merge([]) == []


def test_subtract_keeps_what_no_hole_covers() -> None:
    assert subtract([(0, 10)], [(2, 3), (5, 7)]) == [(0, 2), (3, 5), (7, 10)]
    assert subtract([(0, 10), (20, 30)], [(8, 22)]) == [(0, 8), (22, 30)]
    assert subtract([(0, 10)], [(0, 10)]) == []
    assert subtract([(0, 10)], []) == [(0, 10)]
    assert subtract([(0.0, 1.0)], [(0.0, 1.0 - 1e-9)], min_length=1e-6) == [], "slivers are dropped"
    assert subtract([(0.0, 1.0)], [(0.0, 0.5)], min_length=1e-6) == [(0.5, 1.0)]
