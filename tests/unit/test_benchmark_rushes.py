"""The pure helpers of benchmarks/rushes.py: clip lengths, checkpoints, shots, speech layout, verdict."""

from __future__ import annotations

import argparse
import math

import pytest

from benchmarks.rushes import (
    LEAD_MS,
    PAUSES_MS,
    clip_seconds,
    flat,
    parse_size,
    quarter_sizes,
    shot_frames,
    speech_plan,
    split,
)


def test_parse_size_wants_even_sides() -> None:
    assert parse_size("640x360") == (640, 360)
    for bad in ("640", "641x360", "axb", "8x8"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_size(bad)


def test_clip_seconds_last_clip_shorter() -> None:
    assert clip_seconds(3600, 120) == [120] * 30
    assert clip_seconds(300, 120) == [120, 120, 60]


def test_quarters_are_whole_pairs_for_the_hour() -> None:
    # 30 clips, two ingested at once: 7/8/7/8 would leave a core idle at the end of two quarters.
    assert quarter_sizes(30, 2) == [8, 8, 8, 6]
    assert quarter_sizes(4, 2) == [1, 1, 1, 1]
    assert quarter_sizes(5, 2) == [2, 1, 1, 1]
    assert quarter_sizes(2, 2) == [1, 1]
    for count in range(1, 50):
        sizes = quarter_sizes(count, 2)
        assert sum(sizes) == count and all(sizes) and len(sizes) == min(4, count)


def test_split_refuses_sizes_that_do_not_add_up() -> None:
    assert split(["a", "b", "c"], [2, 1]) == [["a", "b"], ["c"]]
    with pytest.raises(ValueError):
        split(["a", "b", "c"], [1, 1])


def test_shots_fill_the_clip_and_move() -> None:
    for index in range(12):
        shots = shot_frames(3000, index)
        assert sum(shots) == 3000 and min(shots) > 0
    assert shot_frames(3000, 0) != shot_frames(3000, 1)


def test_speech_plan_cycles_sentences_with_pauses() -> None:
    plan = speech_plan([1000, 2000, 3000], start=2, total_ms=12_000)
    assert [i for i, _ in plan] == [2, 0, 1, 2]
    assert plan[0][1] == LEAD_MS
    assert plan[1][1] == LEAD_MS + 3000 + PAUSES_MS[0]
    assert plan[-1][1] < 12_000


def test_flat_is_two_sided_for_time_one_sided_for_memory() -> None:
    ok, worst = flat([10, 10.5, 8.8], both_ways=True)
    assert ok and worst == pytest.approx(0.88)
    assert flat([10, 12], both_ways=True)[0] is False
    ok, worst = flat([100, 80, 114], both_ways=False)
    assert ok and worst == pytest.approx(1.14)
    assert flat([100, 120], both_ways=False)[0] is False
    ok, worst = flat([], both_ways=True)
    assert not ok and math.isnan(worst)
