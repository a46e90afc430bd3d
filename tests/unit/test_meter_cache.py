"""The render's remembered loudness passes: the same sound and question answered without a decode;
anything that shapes the sound, or a damaged entry, measured again."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

from pipeline.media.loudness import LoudnessMeasurement, Normalisation
from pipeline.render.meter_cache import MeterCache
from pipeline.timecode import Excerpt

SHAPE = {"timeline": {"segments": [[0, 50]]}, "working_copies": {"a": "sha-a"}, "ffmpeg": "7.1"}
FIGURES = {"programme": LoudnessMeasurement(-23.4, -3.2, 5.1, -33.6, -28.0, -21.0),
           "excerpt": LoudnessMeasurement(-70.0, -math.inf, 0.0, -80.0, -70.0, -70.0)}
LIMITED = Normalisation(9.1, -1.5, 2.0, 3.5, "limited")
EXCERPT = Excerpt(25, 75, Fraction(25))  # 1.0–3.0 s


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> dict[str, LoudnessMeasurement]:
        self.calls += 1
        return dict(FIGURES)


def test_second_ask_is_answered_from_the_file(tmp_path: Path) -> None:
    run = Counter()
    first = MeterCache(tmp_path, SHAPE).measured(EXCERPT, None, run)
    later = MeterCache(tmp_path, SHAPE)
    again = later.measured(EXCERPT, None, run)
    assert run.calls == 1 and again == first == FIGURES  # −inf (silence) survives the round trip
    assert (later.passes_run, later.passes_reused) == (0, 1)


def test_what_shapes_the_sound_or_the_question_measures_again(tmp_path: Path) -> None:
    run = Counter()
    MeterCache(tmp_path, SHAPE).measured(None, None, run)
    MeterCache(tmp_path, {**SHAPE, "working_copies": {"a": "sha-b"}}).measured(None, None, run)  # re-conformed
    MeterCache(tmp_path, {**SHAPE, "ffmpeg": "7.2"}).measured(None, None, run)
    MeterCache(tmp_path, SHAPE).measured(EXCERPT, None, run)  # now with the excerpt
    cache = MeterCache(tmp_path, SHAPE)
    cache.measured(None, {"web": (LIMITED, False)}, run)
    cache.measured(None, {"web": (Normalisation(9.6, -1.5, 2.5, 4.0, "limited"), False)}, run)  # next round
    cache.measured(None, {"web": (LIMITED, True)}, run)  # the same chain on the excerpt
    assert run.calls == 7
    cache.measured(None, {"web": (LIMITED, False)}, run)
    assert run.calls == 7 and (cache.passes_run, cache.passes_reused) == (3, 1)


def test_a_damaged_entry_is_measured_again_and_replaced(tmp_path: Path) -> None:
    run = Counter()
    cache = MeterCache(tmp_path, SHAPE)
    cache.measured(None, None, run)
    entry = tmp_path / f"{cache.key(None, None)}.json"
    for damage in ('{"meters": {"programme": {"integrated_lufs": "loud"}}}', "{not json", ""):
        entry.write_text(damage, encoding="utf-8")
        assert MeterCache(tmp_path, SHAPE).measured(None, None, run) == FIGURES
    assert run.calls == 4
    assert MeterCache(tmp_path, SHAPE).measured(None, None, run) == FIGURES and run.calls == 4


def test_an_unwritable_cache_still_answers(tmp_path: Path) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the folder should be", encoding="utf-8")
    run = Counter()
    assert MeterCache(blocker / "loudness", SHAPE).measured(None, None, run) == FIGURES
    assert MeterCache(blocker / "loudness", SHAPE).measured(None, None, run) == FIGURES and run.calls == 2
