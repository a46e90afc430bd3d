"""Where chunks fall and what they are keyed by (`render/chunks.py`), and the store's claims
(`render/chunkstore.py`), on hand-made timelines: no ffmpeg."""

from __future__ import annotations

import itertools
import os
import time
from fractions import Fraction
from pathlib import Path

from pipeline.profiles import load_profile
from pipeline.render import chunkstore
from pipeline.render.chunks import boundaries, branding_key, chunk_key, cues_in, grid_frames, slice_key
from pipeline.render.plan import Branding, Overlay
from pipeline.subs.cues import Cue
from pipeline.timecode import Excerpt
from pipeline.timeline import Segment, Timeline, Transition

RATE = Fraction(25)


def _timeline(cuts: list[int], total: int, transitions: tuple[Transition, ...] = ()) -> Timeline:
    edges = [0, *cuts, total]
    segments = tuple(Segment(f"c{i}", f"/media/c{i}.mov", 100, 100 + b - a, a, True)
                     for i, (a, b) in enumerate(itertools.pairwise(edges)))
    return Timeline("t", RATE, 1920, 1080, 48000, segments, (), transitions)


def test_the_grid_is_whole_gops_of_every_shipped_deliverable() -> None:
    names = ["broadcast-xdcam", "web-1080p", "web-720p", "social-9x16", "web-stream"]
    profiles = [load_profile(n) for n in names]
    assert grid_frames(RATE, profiles) == 300  # GOPs of 12 and 50 frames at 25 fps: 12 s
    assert grid_frames(RATE, profiles[:3]) == 12
    assert grid_frames(Fraction(50), [load_profile("web-720p")]) == 24  # 50p house: 12 frames at 25 are 24


def test_boundaries_fall_on_the_grid_near_cuts_and_out_of_dissolves() -> None:
    minute = 1500
    timeline = _timeline([1480, 2950], 4 * minute + 700)
    chunks = boundaries(timeline, 0, timeline.duration_frames, 300, minute)
    assert chunks[0][0] == 0 and chunks[-1][1] == timeline.duration_frames
    assert all(a % 300 == 0 for a, _ in chunks)
    assert all(b == c for (_, b), (c, _) in itertools.pairwise(chunks))
    assert chunks[0][1] == 1500 and chunks[1][1] == 3000  # the grid points nearest the cuts at 1480 and 2950
    assert all(1200 <= b - a <= 1800 for a, b in chunks[:-1]) and chunks[-1][1] - chunks[-1][0] <= 1800
    assert chunks[2] == (3000, 4500)  # no cut near: the chunk is the target's length
    dissolve = Transition(index=1, at_frame=1480, before=12, after=12)
    wide = _timeline([1480, 2950], 4 * minute + 700, (dissolve,))
    assert all(not (1468 < b < 1492) for _, b in boundaries(wide, 0, wide.duration_frames, 4, minute))


def test_a_short_stretch_is_cut_at_the_grid_once_its_rest_passes_half_a_step() -> None:
    """A 22 s social cut on the 12 s grid is two chunks (a cue fix re-encodes one); the rest of a
    stretch makes a chunk of its own only past half a step, so no chunk is a few frames long."""
    social = _timeline([130, 400], 2000)
    assert boundaries(social, 1000, 1550, 300, 300) == [(1000, 1300), (1300, 1550)]
    assert boundaries(social, 1000, 1450, 300, 300) == [(1000, 1450)]
    assert boundaries(social, 0, 1000, 300, 300) == [(0, 300), (300, 600), (600, 1000)]


def test_a_lower_third_changes_the_keys_of_the_chunks_under_it_only() -> None:
    timeline = _timeline([700, 2000], 4500)
    profile = load_profile("web-720p")
    third = Path("/graphics/lower-third-abc.mov")
    fixed = Path("/graphics/lower-third-def.mov")

    def keys(graphic: Path) -> list[str]:
        branding = Branding(logo=Path("/logo.png"), overlays=(Overlay(graphic, 100.0, 5.0, 100, 800),))
        content = {Path("/logo.png"): "logo", third: "typo", fixed: "fixed"}
        out = []
        for a, b in boundaries(timeline, 0, timeline.duration_frames, 12, 1500):
            cut = Excerpt(a, b, RATE)
            out.append(chunk_key(picture=slice_key(timeline, a, b, {"c0": "k0", "c1": "k1", "c2": "k2"}),
                                 branding=branding_key(branding, cut, content), cues=None, profile=profile,
                                 trunk="yuv420p", ffmpeg="6.1"))
        return out

    before, after = keys(third), keys(fixed)
    changed = [i for i, (x, y) in enumerate(zip(before, after, strict=True)) if x != y]
    assert len(before) == 3 and changed == [1]  # 100–105 s lies in the second chunk only


def test_the_cues_of_a_chunk_are_those_on_screen_during_it() -> None:
    cues = [Cue(1, 1000, 2000, ("một",)), Cue(2, 59_500, 60_500, ("hai",)), Cue(3, 61_000, 62_000, ("ba",))]
    assert [c[2] for c in cues_in(cues, Excerpt(0, 1500, RATE))] == [["một"], ["hai"]]
    assert [c[2] for c in cues_in(cues, Excerpt(1500, 3000, RATE))] == [["hai"], ["ba"]]


def test_a_claim_is_taken_once_and_taken_over_when_its_worker_is_gone(tmp_path: Path) -> None:
    first = chunkstore.claim(tmp_path, "job")
    assert first is not None and chunkstore.claim(tmp_path, "job") is None and chunkstore.held(tmp_path, "job")
    first.release()
    assert chunkstore.claim(tmp_path, "job") is not None
    dead = tmp_path / "dead.claim"
    dead.write_text(f"{os.uname().nodename} 999999999 1\n", encoding="utf-8")  # no such process here
    assert chunkstore.claim(tmp_path, "dead") is not None
    old = tmp_path / "far.claim"
    old.write_text("another-machine 1 1\n", encoding="utf-8")
    assert chunkstore.claim(tmp_path, "far") is None  # another machine's: alive until it goes stale
    os.utime(old, (time.time() - 600, time.time() - 600))
    assert chunkstore.claim(tmp_path, "far") is not None


def test_dead_temporaries_are_cleared_and_unused_chunks_pruned(tmp_path: Path) -> None:
    temp = tmp_path / ".abc.k2j4h5g6.part.mxf"
    temp.write_bytes(b"x")
    os.utime(temp, (time.time() - 60, time.time() - 60))
    kept, gone = tmp_path / "keep1.mp4", tmp_path / "old2.mp4"
    kept.write_bytes(b"x")
    gone.write_bytes(b"x")
    assert chunkstore.clear_dead(tmp_path) == [temp]  # nobody holds a claim: nobody writes it
    assert chunkstore.prune(tmp_path, {"keep1"}) == [gone] and kept.exists()
