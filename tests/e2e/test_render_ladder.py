"""The streaming ladder as more outputs of the one render pass: a 640×360 programme of 7 s.

The ladder profile's rungs above the house size are left out (360p and 234p remain of five); each
rung file is probed for what HLS needs from it (H.264 High at its size and level, an IDR every 2 s
and nothing else, closed GOPs, 25 fps), the first carries the sound (AAC-LC 128k stereo at −14 LUFS,
measured again) and the others none; the render record lists the folder with the sounding rung
first; and the pass decodes each source once, whatever the number of rungs.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from pipeline.media.ffmpeg import ffprobe_json
from pipeline.media.loudness import measure
from pipeline.render.branding import BrandingSettings
from pipeline.render.state import read_render_record
from pipeline.stages.render import Settings, render_programme
from pipeline.timeline import Segment, Timeline
from pipeline.validate import load_manifest
from pipeline.workspace import Workspace
from tests import mediagen

pytestmark = pytest.mark.slow

MANIFEST = """\
id: ladder
title: {vi: "Trà Vinh – Điểm hẹn", en: "Trà Vinh – Where Investors Meet"}
synopsis: {vi: "Thử", en: "Test"}
year: 2026
house: {width: 640, height: 360, fps: "25"}
footage: [a.mov, b.mov]
timeline: {cut: [{clip: a, in: "00:00:00:00", out: "00:00:04:00"}, {clip: b, in: "00:00:00:00", out: "00:00:03:00"}]}
deliverables: [web-stream]
"""
SETTINGS = Settings(branding=BrandingSettings(bumper_s=0.4, title_s=1.0, credits_s=0.8))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, Any, Any]:
    base = tmp_path_factory.mktemp("ladder")
    (base / "programme.yaml").write_text(MANIFEST, encoding="utf-8")
    a = mediagen.clip_25p_mov(base / "a.mov", seconds=4, size="640x360")
    b = mediagen.clip_25p_mov(base / "b.mov", seconds=3, size="640x360")
    programme = load_manifest(base / "programme.yaml")
    ws = Workspace(base / "workspace", "ladder")
    segs = (Segment("a", str(a), 0, 100, 0, True), Segment("b", str(b), 0, 75, 100, True))
    timeline = Timeline("ladder", Fraction(25), 640, 360, 48000, segs, (2000,))
    ws.timeline_json.parent.mkdir(parents=True)
    ws.timeline_json.write_text(json.dumps(timeline.to_dict()), encoding="utf-8")
    report = render_programme(programme, ws, SETTINGS)
    return ws, report, programme


def _keyframes(path: Path) -> list[float]:
    frames = ffprobe_json(path, ["-select_streams", "v:0", "-skip_frame", "nokey",
                                 "-show_entries", "frame=pts_time,pict_type"])["frames"]
    assert all(f["pict_type"] == "I" for f in frames)
    return [round(float(f["pts_time"]), 3) for f in frames]


def test_rungs_capped_at_the_house_size(rendered: tuple[Workspace, Any, Any]) -> None:
    ws, report, _ = rendered
    assert report.ok, report.warnings
    entry = read_render_record(ws).get("web-stream")
    assert entry is not None and entry.folder
    assert [f.name for f in entry.files] == ["360p.mp4", "234p.mp4"]  # the sounding rung first
    assert entry.main == entry.path / "360p.mp4"
    assert entry.present()
    assert abs(entry.duration_s - 7.0) < 0.05


@pytest.mark.parametrize(("name", "width", "height", "level", "sound"),
                         [("360p.mp4", 640, 360, 30, True), ("234p.mp4", 416, 234, 30, False)])
def test_each_rung_is_what_a_stream_needs(rendered: tuple[Workspace, Any, Any], name: str, width: int, height: int,
                                          level: int, sound: bool) -> None:
    ws, _, _ = rendered
    path = read_render_record(ws).deliverables["web-stream"].path / name
    streams = ffprobe_json(path)["streams"]
    video = [s for s in streams if s["codec_type"] == "video"]
    audio = [s for s in streams if s["codec_type"] == "audio"]
    assert len(video) == 1
    v = video[0]
    assert (v["codec_name"], v["profile"], v["width"], v["height"], v["level"]) == ("h264", "High", width, height,
                                                                                      level)
    assert v["r_frame_rate"] == "25/1" and v["pix_fmt"] == "yuv420p" and v["color_primaries"] == "bt709"
    assert _keyframes(path) == [0.0, 2.0, 4.0, 6.0]  # an IDR every 2 s, none at the cut (4.0 is on the grid)
    if sound:
        assert len(audio) == 1
        a = audio[0]
        assert (a["codec_name"], a["profile"], a["sample_rate"], a["channels"]) == ("aac", "LC", "48000", 2)
        assert 100_000 <= int(a["bit_rate"]) <= 140_000
        loud = measure(path)
        assert loud.integrated_lufs is not None and abs(loud.integrated_lufs + 14.0) <= 1.0
    else:
        assert audio == []


def test_one_decode_for_every_rung(rendered: tuple[Workspace, Any, Any]) -> None:
    """The dry-run command: two sources opened once each, one output per rung."""
    ws, _, programme = rendered
    report = render_programme(programme, ws, Settings(dry_run=True, force=True, one_pass=True,
                                                      branding=SETTINGS.branding))
    command = report.commands[-1]
    sources = [c for c in command if c.endswith(("a.mov", "b.mov"))]
    assert len(sources) == 2
    outputs = [c for c in command if c.endswith(("360p.mp4", "234p.mp4"))]
    assert len(outputs) == 2
