"""A burned-in cue on top of a lower third is reported, not moved: render a tiny programme (one 4 s
clip at 320×180, one lower third, the social cut patched to 180×320) whose Vietnamese cue 1 shows
while the lower third does and cue 2 after it; the render report and QC warn about cue 1 alone.
With cue 1 moved past the lower third, neither says anything, and QC is judged again."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from pipeline.graphics.cache import read_box
from pipeline.media.ffmpeg import ffprobe_json
from pipeline.qc.subtitles import LOWER_THIRDS_CHECK
from pipeline.render.branding import BrandingSettings
from pipeline.render.overlap import FIX, estimated_lower_third_box
from pipeline.run import stage
from pipeline.stages import qc
from pipeline.stages.render import Settings, render_programme
from pipeline.timeline import Segment, Timeline
from pipeline.validate import load_manifest
from pipeline.workspace import Workspace
from tests import mediagen

pytestmark = pytest.mark.slow

MANIFEST = """\
id: chong
title: {vi: "Trà Vinh – Điểm hẹn", en: "Where Investors Meet"}
synopsis: {vi: "Thử", en: "Test"}
year: 2026
house: {width: 320, height: 180, fps: "25"}
footage: [a.mov]
timeline: {cut: [{clip: a, in: "00:00:00:00", out: "00:00:04:00"}]}
lower_thirds:
  - {name: "Lê Quốc Thắng", title: {vi: "Giám đốc Sở", en: "Director"}, at: "00:00:01:00", duration_s: 1.5}
deliverables: [social-9x16]
social: {in: "00:00:00:00", out: "00:00:04:00"}
"""
# the social cut, small and quick; its subtitle style and safe areas stay the shipped ones
SOCIAL = "video: {width: 180, height: 320, preset: ultrafast}\n"
OVER = "1\n00:00:01,200 --> 00:00:02,200\nÔng Lê Quốc Thắng\n\n2\n00:00:02,800 --> 00:00:03,600\nCảm ơn\n"
CLEAR = OVER.replace("00:00:01,200 --> 00:00:02,200", "00:00:02,600 --> 00:00:02,760")
SETTINGS = Settings(branding=BrandingSettings(bumper_s=0, title_s=0, credits_s=0))  # the lower third only
QC = qc.Settings(posters=False)


def _programme(base: Path) -> tuple[Any, Workspace]:
    (base / "programme.yaml").write_text(MANIFEST, encoding="utf-8")
    (base / "profiles").mkdir()
    (base / "profiles" / "social-9x16.yaml").write_text(SOCIAL, encoding="utf-8")
    clip = mediagen.clip_25p_mov(base / "a.mov", seconds=4, size="320x180")
    ws = Workspace(base / "workspace", "chong")
    timeline = Timeline("chong", Fraction(25), 320, 180, 48000, (Segment("a", str(clip), 0, 100, 0, True),), ())
    ws.timeline_json.parent.mkdir(parents=True)
    ws.timeline_json.write_text(json.dumps(timeline.to_dict()), encoding="utf-8")
    ws.subtitles_dir.mkdir()
    ws.subtitle("vi", "srt").write_text(OVER, encoding="utf-8")
    return load_manifest(base / "programme.yaml"), ws


def _overlap_lines(warnings: list[str]) -> list[str]:
    return [w for w in warnings if "lower third" in w]


def _check(run: qc.QCRun) -> dict[str, Any]:
    social, = run.data["deliverables"]
    found: dict[str, Any] = next(c for c in social["checks"] if c["id"] == LOWER_THIRDS_CHECK)
    return found


def test_a_cue_over_a_lower_third_is_reported_by_render_and_qc(tmp_path: Path) -> None:
    programme, ws = _programme(tmp_path)
    report = render_programme(programme, ws, SETTINGS)
    assert [d.status for d in report.deliverables] == ["rendered"]
    v = next(s for s in ffprobe_json(Path(report.deliverables[0].file))["streams"] if s["codec_type"] == "video")
    assert (v["width"], v["height"]) == (180, 320)
    box = read_box(next(ws.graphics_dir.glob("lower-third-*.mov")))  # where its pixels are, as drawn
    assert box is not None and box.y >= 90 and box.y + box.height <= 180
    guess = estimated_lower_third_box(320, 180)  # what a dry run would use before drawing it
    assert guess.y <= box.y and guess.y + guess.height >= box.y + box.height

    lines = _overlap_lines(report.warnings)
    assert len(lines) == 1, report.warnings
    line = lines[0]
    assert line.startswith("social-9x16: cue 1 at 00:00:01:05 is burned in over the lower third "
                           "\u201cLê Quốc Thắng\u201d")
    assert "00:00:01:05–00:00:02:05" in line and line.endswith(FIX)  # both on screen 1.2–2.2 s
    assert "cue 2" not in line  # it comes after the lower third has gone

    run = qc.make(programme, ws, QC, stage("qc").work(ws))
    check = _check(run)
    assert check["status"] == "WARN" and check["value"] == 1 and check["spans_s"] == [[1.2, 2.2]]
    assert "cue 1 at 00:00:01:05" in check["detail"] and "Lê Quốc Thắng" in check["detail"]
    assert FIX in check["detail"] and "cue 2" not in check["detail"]
    assert f"social-9x16: {check['label']}" not in run.failed  # a warning, never a FAIL
    assert qc.make(programme, ws, QC, stage("qc").work(ws)).up_to_date  # nothing changed: the report stands

    ws.subtitle("vi", "srt").write_text(CLEAR, encoding="utf-8")  # cue 1 after the lower third (ends 2.5 s)
    again = render_programme(programme, ws, SETTINGS)
    assert [d.status for d in again.deliverables] == ["rendered"] and _overlap_lines(again.warnings) == []
    rerun = qc.make(programme, ws, QC, stage("qc").work(ws))
    assert not rerun.up_to_date and rerun.work.measured == ["social-9x16"]
    clear = _check(rerun)
    assert clear["status"] == "PASS" and clear["value"] == 0 and clear["spans_s"] == []
