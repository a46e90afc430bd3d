"""A cut list of 1,100 events renders (issue 15): before feeders, the render put one `-i` per segment
and the whole filtergraph into one argument, and the system refused it ("Argument list too long").

Two tiny solid-colour clips (red with a tone, blue without sound), cut 2 frames at a time in a
pattern that is not a plain alternation; the web deliverable is patched down to 160×90. The output
is read back frame by frame: every frame must come from the clip the cut list names, in order, and
the sound must last exactly as long as the picture.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pipeline.media.ffmpeg import ffprobe_json, run_ffmpeg, safe_input
from pipeline.render.branding import BrandingSettings
from pipeline.render.plan import FEED_BATCH
from pipeline.stages.render import Settings, render_programme
from pipeline.timeline import Segment, Timeline
from pipeline.validate import load_manifest
from pipeline.workspace import Workspace

pytestmark = pytest.mark.slow

CUTS = 1100
MANIFEST = """\
id: long
title: {vi: "Phim tài liệu", en: "Documentary"}
synopsis: {vi: "Thử", en: "Test"}
year: 2026
house: {width: 160, height: 90, fps: "25"}
footage: [red.mov, blue.mov]
timeline: {cut: [{clip: red, in: "00:00:00:00", out: "00:00:01:00"}]}
deliverables: [web-720p]
"""
PATCH = """\
video: {width: 160, height: 90, level: "3.0", preset: ultrafast, bitrate_kbps: 300, maxrate_kbps: 450,
        bufsize_bits: 600000}
"""


def _clip(path: Path, colour: str, sound: bool) -> Path:
    inputs = ["-f", "lavfi", "-i", f"color=c={colour}:size=160x90:rate=25:duration=4"]
    audio: list[str] = []
    if sound:
        inputs += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=4"]
        audio = ["-c:a", "aac", "-ac", "2"]
    run_ffmpeg([*inputs, "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p", *audio,
                "-f", "mov", safe_input(path)])
    return path


def _from_red(index: int) -> bool:
    return index % 3 == 0 or index % 7 == 1


@pytest.fixture(scope="module")
def long_programme(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Workspace]:
    base = tmp_path_factory.mktemp("long programme")
    (base / "programme.yaml").write_text(MANIFEST, encoding="utf-8")
    (base / "profiles").mkdir()
    (base / "profiles" / "web-720p.yaml").write_text(PATCH, encoding="utf-8")
    red, blue = _clip(base / "red.mov", "red", True), _clip(base / "blue.mov", "blue", False)
    segments = []
    for index in range(CUTS):
        src = index * 7 % 90  # in-points all over the clips, so every cut seeks
        clip, path, sound = ("red", red, True) if _from_red(index) else ("blue", blue, False)
        segments.append(Segment(clip, str(path), src, src + 2, index * 2, sound))
    timeline = Timeline("long", Fraction(25), 160, 90, 48000, tuple(segments), ())
    ws = Workspace(base / "workspace", "long")
    ws.timeline_json.parent.mkdir(parents=True)
    ws.timeline_json.write_text(json.dumps(timeline.to_dict()), encoding="utf-8")
    return load_manifest(base / "programme.yaml"), ws


def _frames(path: Path) -> np.ndarray[Any, Any]:
    """Every frame's mean RGB over the picture's centre (the logo sits in a corner)."""
    raw = path.with_name("frames.rgb")
    run_ffmpeg(["-i", safe_input(path), "-vf", "crop=80:40:40:25,scale=8:4", "-f", "rawvideo",
                "-pix_fmt", "rgb24", safe_input(raw)])
    return np.frombuffer(raw.read_bytes(), np.uint8).reshape(-1, 4 * 8, 3).mean(axis=1)


def test_a_thousand_cuts_render_frame_exact(long_programme: tuple[Any, Workspace]) -> None:
    programme, ws = long_programme
    assert CUTS > 30 * FEED_BATCH  # decoded by many feeder runs, one after another
    settings = Settings(branding=BrandingSettings(bumper_s=0, title_s=0, credits_s=0))
    report = render_programme(programme, ws, settings)
    (result,) = report.deliverables
    assert result.status == "rendered"
    out = Path(result.file)
    frames = _frames(out)
    assert len(frames) == 2 * CUTS
    red = (frames[:, 0] > 150) & (frames[:, 2] < 100)
    blue = (frames[:, 2] > 150) & (frames[:, 0] < 100)
    assert (red | blue).all()
    expected = np.repeat([_from_red(i) for i in range(CUTS)], 2)
    wrong = np.flatnonzero(red != expected)
    assert wrong.size == 0, f"frames from the wrong clip at {wrong[:10].tolist()}"
    streams = {s["codec_type"]: s for s in ffprobe_json(out)["streams"]}
    assert abs(float(streams["audio"]["duration"]) - 2 * CUTS / 25) < 0.05
    assert result.loudness is not None and result.loudness.within_tolerance
