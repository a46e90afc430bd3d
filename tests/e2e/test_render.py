"""The one-pass render on a tiny programme made here: two 2 s clips (one silent), 320×180 house.

Three deliverables in one ffmpeg process (web-720p, social-9x16 with burned Vietnamese subtitles
over the excerpt, broadcast-h264 1080i50); each output is probed against its profile and its
loudness re-measured independently and compared with what the render record holds. Frames at the
title card, a lower third and the social cut are left in /tmp/reportage-render-checks/ for a person
to look at; the logo is checked pixel by pixel to sit inside title-safe. A second run renders
nothing, nor does one after the working copy is touched; an edited SRT re-renders only the social cut,
from the loudness measured the first time (`render/meter_cache.py`).
"""

from __future__ import annotations

import os
import shutil
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pipeline.media.ffmpeg import ffprobe_json, run_ffmpeg, safe_input
from pipeline.media.loudness import measure
from pipeline.profiles import load_profile
from pipeline.render.branding import BrandingSettings
from pipeline.render.state import read_render_record
from pipeline.stages.render import Settings, render_programme
from pipeline.timeline import Segment, Timeline
from pipeline.validate import load_manifest
from pipeline.workspace import Workspace
from tests import mediagen

pytestmark = pytest.mark.slow

LOOK_DIR = Path("/tmp/reportage-render-checks")
DELIVERABLES = ["web-720p", "social-9x16", "broadcast-h264"]
MANIFEST = """\
id: tiny
title: {vi: "Trà Vinh – Điểm hẹn", en: "Trà Vinh – Where Investors Meet"}
synopsis: {vi: "Thử", en: "Test"}
year: 2026
house: {width: 320, height: 180, fps: "25"}
footage: [a.mov, b.mp4]
timeline: {cut: [{clip: a, in: "00:00:00:00", out: "00:00:02:00"}, {clip: b, in: "00:00:00:00", out: "00:00:02:00"}]}
lower_thirds:
  - {name: "Lê Quốc Thắng", title: {vi: "Giám đốc Sở", en: "Director"}, at: "00:00:01:15", duration_s: 1.0}
deliverables: [web-720p, social-9x16, broadcast-h264]
social: {in: "00:00:01:00", out: "00:00:03:00"}
credits: [{role: {vi: "Biên tập", en: "Editor"}, name: "Nguyễn Thị Thu Hà"}]
co_producers: ["Sở Thông tin và Truyền thông", "Trung tâm Thông tin đối ngoại"]
"""
SRT = "1\n00:00:01,200 --> 00:00:02,800\nẪ ậ ặ ữ ỹ ỵ Đ — Trà Vinh\n"
SETTINGS = Settings(branding=BrandingSettings(bumper_s=0.4, title_s=1.0, credits_s=0.8))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Workspace]:
    base = tmp_path_factory.mktemp("render")
    (base / "programme.yaml").write_text(MANIFEST, encoding="utf-8")
    a = mediagen.clip_25p_mov(base / "a.mov", seconds=3)
    b = mediagen.clip_no_audio(base / "b.mp4", seconds=2.5)
    programme = load_manifest(base / "programme.yaml")
    ws = Workspace(base / "workspace", "tiny")
    segs = (Segment("a", str(a), 0, 50, 0, True), Segment("b", str(b), 0, 50, 50, False))
    timeline = Timeline("tiny", Fraction(25), 320, 180, 48000, segs, (2000,))
    ws.timeline_json.parent.mkdir(parents=True)
    import json

    ws.timeline_json.write_text(json.dumps(timeline.to_dict()), encoding="utf-8")
    ws.subtitles_dir.mkdir()
    ws.subtitle("vi", "srt").write_text(SRT, encoding="utf-8")
    ws.subtitle("en", "srt").write_text(SRT.replace("Ẫ ậ ặ ữ ỹ ỵ Đ", "Hello"), encoding="utf-8")
    return programme, ws


def frame(path: Path, at: float, png: Path) -> np.ndarray[Any, Any]:
    """One RGB frame at `at` seconds, saved as PNG and returned as an array."""
    LOOK_DIR.mkdir(parents=True, exist_ok=True)
    run_ffmpeg(["-ss", str(at), "-i", safe_input(path), "-frames:v", "1", "-update", "1", f"file:{png}"])
    raw = run_ffmpeg(["-ss", str(at), "-i", safe_input(path), "-frames:v", "1", "-f", "rawvideo", "-pix_fmt",
                      "rgb24", f"file:{png.with_suffix('.rgb')}"])
    del raw
    data = np.fromfile(png.with_suffix(".rgb"), dtype=np.uint8)
    info = ffprobe_json(path)
    v = next(s for s in info["streams"] if s["codec_type"] == "video")
    png.with_suffix(".rgb").unlink()
    return data.reshape(int(v["height"]), int(v["width"]), 3)


def test_one_pass_render(tiny: tuple[Any, Workspace]) -> None:
    programme, ws = tiny
    report = render_programme(programme, ws, SETTINGS)
    assert [d.status for d in report.deliverables] == ["rendered"] * 3
    assert report.loudness_passes >= 1 and report.loudness_reused == 0  # measured (and any limited one settled)
    assert report.graphics_made == 5  # bumpers ×2, title, credits, one lower third
    from pipeline.graphics.cache import read_box

    boxes = {p.name.split("-")[0]: read_box(p) for p in ws.graphics_dir.glob("*.mov")}
    lower_box = boxes["lower"]  # cropped to its panel: inside title-safe, in the lower half
    assert lower_box is not None and lower_box.y >= 90 and lower_box.x >= 16 * 0.99
    assert lower_box.y + lower_box.height <= 180 - 9 + 2 and lower_box.width * lower_box.height < 320 * 180 / 3
    for d in report.deliverables:
        profile = load_profile(d.name)
        out = Path(d.file)
        assert out.parent == ws.render_dir(d.name) and out.name == profile.output_name("tiny")
        info = ffprobe_json(out)
        v = next(s for s in info["streams"] if s["codec_type"] == "video")
        audio = [s for s in info["streams"] if s["codec_type"] == "audio"]
        assert (v["width"], v["height"], v["r_frame_rate"]) == (profile.video.width, profile.video.height, "25/1")
        assert v["codec_name"] == "h264" and v["pix_fmt"] == "yuv420p"
        if profile.video.interlaced:
            assert v.get("field_order") == "tt"
        else:
            assert v.get("field_order", "progressive") == "progressive"
        assert [(s["codec_name"], s["channels"], s["sample_rate"]) for s in audio] == [("aac", 2, "48000")]
        expected = 2.0 if profile.excerpt else 4.0
        assert abs(float(info["format"]["duration"]) - expected) < 0.1
        again = measure(out)
        loud = profile.loudness
        assert abs(again.integrated_lufs - loud.target_lufs) <= loud.tolerance_lu
        assert again.true_peak_dbtp <= loud.true_peak_max_dbtp + 0.05
        recorded = read_render_record(ws).deliverables[d.name]
        assert recorded.loudness is not None and recorded.loudness.within_tolerance
        assert recorded.loudness.integrated_lufs is not None
        assert abs(recorded.loudness.integrated_lufs - again.integrated_lufs) <= 0.2  # the record holds numbers
        assert recorded.excerpt_s == ((1.0, 3.0) if profile.excerpt else None)
        assert d.loudness == recorded.loudness and report.ok
        if profile.subtitles.sidecar:
            assert out.with_name(f"{out.stem}.vi.srt").exists()

    web = Path(report.deliverables[0].file)
    title = frame(web, 0.9, LOOK_DIR / "title-card-web720.png")
    lower = frame(web, 2.3, LOOK_DIR / "lower-third-web720.png")
    frame(Path(report.deliverables[1].file), 0.7, LOOK_DIR / "social-subtitles.png")
    frame(Path(report.deliverables[2].file), 2.9, LOOK_DIR / "credits-broadcast.png")
    assert title.std() > 10 and lower.std() > 10
    # the logo sits in the top-right corner inside title-safe (5%): where the frame differs from the
    # same source frame without branding (segment b at 0.3 s, scaled alike), in the top third
    bare = LOOK_DIR / "bare.rgb"
    run_ffmpeg(["-ss", "0.3", "-i", safe_input(Path(programme.base_dir / "b.mp4")), "-frames:v", "1", "-vf",
                "scale=1280:720:flags=bicubic", "-f", "rawvideo", "-pix_fmt", "rgb24", f"file:{bare}"])
    plain = np.fromfile(bare, dtype=np.uint8).reshape(720, 1280, 3)
    bare.unlink()
    h, w = lower.shape[:2]
    diff = np.abs(lower.astype(int) - plain.astype(int)).max(axis=2)[: h // 3]
    ys, xs = np.nonzero(diff > 80)
    assert len(xs) > 200, "no logo found"
    assert xs.min() > w // 2, "the logo is not in the right half"
    assert xs.min() >= w * 0.05 - 1 and w - 1 - xs.max() >= w * 0.05 - 1 and ys.min() >= h * 0.05 - 1


def test_rerun_renders_nothing_and_subtitle_edit_rerenders_burned_only(tiny: tuple[Any, Workspace]) -> None:
    programme, ws = tiny
    report = render_programme(programme, ws, SETTINGS)
    assert report.up_to_date and report.graphics_made == 0
    source = Path(programme.base_dir / "a.mov")  # the working copy: same bytes, new mtime
    later = source.stat().st_mtime_ns + 5 * 10**9
    os.utime(source, ns=(later, later))
    assert render_programme(programme, ws, SETTINGS).up_to_date, "a touched working copy re-renders nothing"
    srt = ws.subtitle("vi", "srt")
    srt.write_text(SRT.replace("Trà Vinh", "Ao Bà Om"), encoding="utf-8")
    report = render_programme(programme, ws, SETTINGS)
    status = {d.name: d.status for d in report.deliverables}
    assert status == {"web-720p": "up to date", "social-9x16": "rendered", "broadcast-h264": "up to date"}
    # the same sound: the measurement and the settling rounds are remembered, not decoded again
    assert report.loudness_passes == 0 and report.loudness_reused >= 1
    social = report.deliverables[1]
    assert social.loudness is not None and social.loudness.within_tolerance
    web = Path(report.deliverables[0].file)
    assert web.with_name(f"{web.stem}.vi.srt").read_text(encoding="utf-8") == srt.read_text(encoding="utf-8")


def test_missing_subtitles_warns(tiny: tuple[Any, Workspace], tmp_path: Path) -> None:
    programme, ws = tiny
    dry = Workspace(tmp_path, "tiny")
    dry.timeline_json.parent.mkdir(parents=True)
    shutil.copy(ws.timeline_json, dry.timeline_json)
    report = render_programme(programme, dry, Settings(dry_run=True, one_pass=True, branding=SETTINGS.branding))
    assert len(report.commands) == 1 and any("subtitles yet" in w for w in report.warnings)
    assert report.commands[0].count("-filter_complex") == 2  # one process: the programme and the excerpt trunk
    assert [d.status for d in report.deliverables] == ["planned"] * 3
