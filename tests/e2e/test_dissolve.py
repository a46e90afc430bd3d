"""Dissolves and the edit's own sound in the render, measured on a tiny programme made here.

A red clip (440 Hz) then a blue clip (1000 Hz), 160×90 at 25 fps: one second of each with a
10-frame dissolve centred on the cut (5 frames either side), rendered to web-720p. The picture at
the dissolve's middle is measured to be half red, half blue; the frames either side pure; the
programme exactly 50 frames; the sound crossfades from one tone to the other. The same stretch
comes out alike from the feeder path (the cut list decoded by processes of `FEED_BATCH` segments),
from an excerpt that starts inside the dissolve, and the edit's own audio tracks are mixed at their
own levels in place of the picture's sound.
"""

from __future__ import annotations

import itertools
import subprocess
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pipeline.errors import WorkspaceError
from pipeline.media.ffmpeg import ffprobe_json, run_ffmpeg, safe_input
from pipeline.profiles import load_profile
from pipeline.render import plan
from pipeline.render.plan import Branch, Branding, render_pass
from pipeline.timecode import Excerpt
from pipeline.timeline import AudioSegment, Segment, Timeline, Transition

RATE = 25
SR = 48000


def _clip(path: Path, colour: str, tone: int) -> Path:
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", f"color={colour}:size=160x90:rate={RATE}:duration=3",
                    "-f", "lavfi", "-i", f"sine=frequency={tone}:sample_rate={SR}:duration=3",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "pcm_s16le",
                    "-shortest", str(path)], check=True)
    return path


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("dissolve")
    return _clip(base / "đỏ red.mov", "red", 440), _clip(base / "xanh blue.mov", "blue", 1000)


def _timeline(red: Path, blue: Path, *, third: bool = False) -> Timeline:
    """Red src 10–35 at rec 0, blue src 20–45 at rec 25, a dissolve of 5 + 5 frames at the cut
    (red plays to src 40, blue from src 15); with `third`, 10 more frames of red after a plain cut."""
    segments = [Segment("red", str(red), 10, 35, 0, True), Segment("blue", str(blue), 20, 45, 25, True)]
    if third:
        segments.append(Segment("red", str(red), 50, 60, 50, True))
    return Timeline("diss", Fraction(RATE), 160, 90, SR, tuple(segments), (), (Transition(1, 25, 5, 5),))


def _render(timeline: Timeline, out_dir: Path, *, excerpt: Excerpt | None = None) -> list[Path]:
    """The programme (and an excerpt of it, in the same pass) rendered to web-720p."""
    profile = load_profile("web-720p")
    branches = [Branch("web-720p", profile, out_dir / "full.mp4")]
    if excerpt is not None:
        branches.append(Branch("web-720p-excerpt", profile, out_dir / "excerpt.mp4", excerpt=excerpt))
    feeds = out_dir / "feeds"
    feeds.mkdir()
    one = render_pass(timeline, Branding(), branches, feed_dir=feeds)
    run_ffmpeg(one.args, feeds=one.feeds)
    return [b.output for b in branches]


def _frames(path: Path) -> np.ndarray[Any, Any]:
    """Every frame's centre pixel as RGB (frames × 3)."""
    raw = path.with_suffix(".rgb")
    run_ffmpeg(["-i", safe_input(path), "-vf", "crop=8:8:636:356,scale=1:1:flags=area", "-f", "rawvideo",
                "-pix_fmt", "rgb24", f"file:{raw}"])
    return np.fromfile(raw, dtype=np.uint8).reshape(-1, 3).astype(int)


def _sound(path: Path) -> np.ndarray[Any, Any]:
    raw = path.with_suffix(".pcm")
    run_ffmpeg(["-i", safe_input(path), "-ac", "1", "-f", "f32le", "-ar", str(SR), f"file:{raw}"])
    return np.fromfile(raw, dtype=np.float32)


def _tone(sound: np.ndarray[Any, Any], at_s: float, hz: int) -> float:
    """Amplitude of `hz` in the 40 ms of `sound` around `at_s`."""
    window = sound[int((at_s - 0.02) * SR):int((at_s + 0.02) * SR)]
    t = np.arange(len(window)) / SR
    return float(2 * abs(np.dot(window, np.exp(-2j * np.pi * hz * t))) / len(window))


def _is(rgb: np.ndarray[Any, Any], colour: tuple[int, int, int], tol: int = 24) -> bool:
    return bool(np.all(np.abs(rgb - np.array(colour)) <= tol))


def test_dissolve_mixes_red_into_blue_for_exactly_its_frames(clips: tuple[Path, Path], tmp_path: Path) -> None:
    red, blue = clips
    [full] = _render(_timeline(red, blue), tmp_path)
    info = ffprobe_json(full, ["-count_frames"])
    video = next(s for s in info["streams"] if s["codec_type"] == "video")
    assert int(video["nb_read_frames"]) == 50  # 25 + 25: the handles add nothing to the programme
    centre = _frames(full)
    assert len(centre) == 50
    assert all(_is(centre[i], (255, 0, 0)) for i in range(0, 20))  # red up to the dissolve
    assert all(_is(centre[i], (0, 0, 255)) for i in range(30, 50))  # blue after it
    mid = centre[25]  # frame 20 + 5 of the dissolve: half of each
    assert 100 <= mid[0] <= 155 and 100 <= mid[2] <= 155 and mid[1] <= 30, mid
    reds = [c[0] for c in centre[20:30]]
    assert all(a > b for a, b in itertools.pairwise(reds)), reds  # red falls every frame
    assert centre[29][0] < 60 and centre[29][2] > 195  # the dissolve's last frame is nearly blue

    sound = _sound(full)
    assert abs(len(sound) - 50 * SR // RATE) <= 1024  # 2 s, within the AAC frame the encoder pads to
    before, middle, after = (_tone(sound, at, 440) for at in (0.4, 1.0, 1.6))
    assert before > 0.05 and after < before / 30  # the red clip's tone, then gone
    assert _tone(sound, 0.4, 1000) < before / 30 and _tone(sound, 1.6, 1000) > 0.05
    assert 0.55 * before < middle < 0.85 * before  # constant power: both at sin(45°) mid-way
    assert 0.55 * before < _tone(sound, 1.0, 1000) < 0.85 * before


def test_excerpt_starting_inside_the_dissolve_matches_the_programme(clips: tuple[Path, Path],
                                                                    tmp_path: Path) -> None:
    red, blue = clips
    full, excerpt = _render(_timeline(red, blue), tmp_path, excerpt=Excerpt(22, 37, Fraction(RATE)))  # 0.88–1.48 s
    whole, part = _frames(full), _frames(excerpt)
    assert len(part) == 15
    assert np.abs(part - whole[22:37]).max() <= 6  # the same blend on the same frames
    assert _is(part[0], (204, 0, 51), tol=30)  # frame 22: 2/10 of the way through


def test_fed_programme_dissolves_alike(clips: tuple[Path, Path], tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    red, blue = clips
    timeline = _timeline(red, blue, third=True)
    monkeypatch.setattr(plan, "FEED_BATCH", 2)  # 3 segments: two feeder runs, cut where the edit cuts
    assert plan.feed_batches(timeline) == [(0, 50), (50, 60)]
    [full] = _render(timeline, tmp_path)
    centre = _frames(full)
    assert len(centre) == 60
    assert 100 <= centre[25][0] <= 155 and 100 <= centre[25][2] <= 155
    assert all(_is(centre[i], (255, 0, 0)) for i in range(50, 60))  # the third segment after a cut
    sound = _sound(full)
    assert _tone(sound, 2.2, 440) > 0.05 and _tone(sound, 2.2, 1000) < 0.005

    monkeypatch.setattr(plan, "FEED_BATCH", 1)  # the dissolve's two segments cannot be split
    with pytest.raises(WorkspaceError, match="joined by dissolves"):
        plan.feed_batches(timeline)


def test_edit_audio_tracks_replace_the_pictures_sound(clips: tuple[Path, Path], tmp_path: Path) -> None:
    red, blue = clips
    own = (AudioSegment(1, "red", str(red), 0, 50, 0),  # A1: the red clip's tone under the whole programme
           AudioSegment(2, "blue", str(blue), 0, 20, 30))  # A2: the blue clip's tone from frame 30 to 50
    timeline = replace(_timeline(red, blue), audio=own)
    [full] = _render(timeline, tmp_path)
    sound = _sound(full)
    assert abs(len(sound) - 50 * SR // RATE) <= 1024
    a1_alone, a1_mixed = _tone(sound, 0.6, 440), _tone(sound, 1.6, 440)
    assert a1_alone > 0.05 and abs(20 * np.log10(a1_mixed / a1_alone)) < 0.5  # amix at its own level
    assert _tone(sound, 0.6, 1000) < a1_alone / 30  # A2 has not started; the picture's sound is not used
    assert abs(20 * np.log10(_tone(sound, 1.6, 1000) / a1_alone)) < 0.5  # both tones at full level
