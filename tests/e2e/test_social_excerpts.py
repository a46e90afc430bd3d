"""Several social cuts: `social:` as a list renders one vertical deliverable per cut in the one pass.

A tiny programme made here (two 3 s clips with sound, 320×180 house) with two cuts and deliverables
`[web-720p, social-9x16]`: the render makes `social-9x16` (the first cut, today's file name) and
`social-9x16-2` (`…_SOCIAL_9X16_2.mp4`), each as long as its own cut and within loudness; a second
render makes nothing. The same programme with the old single mapping plans exactly the deliverables
it lists, under today's names.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from pipeline.manifest import Programme
from pipeline.media.ffmpeg import ffprobe_json
from pipeline.publish.social.package import build_social, gather_social, social_inputs_key
from pipeline.publish.social.platforms import DEFAULT_SOCIAL_PLATFORMS
from pipeline.qc.plan import Status
from pipeline.render.branding import BrandingSettings
from pipeline.render.state import read_render_record
from pipeline.stagerun import Work
from pipeline.stages import qc as qc_stage
from pipeline.stages.render import Settings, render_programme
from pipeline.timeline import Segment, Timeline
from pipeline.validate import load_manifest
from pipeline.workspace import Workspace
from tests import mediagen

pytestmark = pytest.mark.slow

MANIFEST = """\
id: tiny
title: {vi: "Trà Vinh – Điểm hẹn", en: "Trà Vinh – Where Investors Meet"}
synopsis: {vi: "Thử", en: "Test"}
year: 2026
house: {width: 320, height: 180, fps: "25"}
footage: [a.mov, b.mov]
timeline: {cut: [{clip: a, in: "00:00:00:00", out: "00:00:02:00"}, {clip: b, in: "00:00:00:00", out: "00:00:02:00"}]}
deliverables: [web-720p, social-9x16]
"""
TWO_CUTS = """social:
  - {in: "00:00:00:10", out: "00:00:02:10", title: {vi: "Một", en: "One"}}
  - {in: "00:00:02:15", out: "00:00:03:15", platforms: [tiktok]}
"""
ONE_CUT = 'social: {in: "00:00:00:10", out: "00:00:02:10"}\n'
SRT = "1\n00:00:00,500 --> 00:00:01,500\nTrà Vinh\n"
SETTINGS = Settings(branding=BrandingSettings(bumper_s=0.4, title_s=1.0, credits_s=0.8))


def _programme(base: Path, social: str) -> tuple[Programme, Workspace]:
    """The manifest with `social`, its two clips and a timeline written as assemble would."""
    base.mkdir(parents=True, exist_ok=True)
    (base / "programme.yaml").write_text(MANIFEST + social, encoding="utf-8")
    a = mediagen.clip_25p_mov(base / "a.mov", seconds=3)
    b = mediagen.clip_25p_mov(base / "b.mov", seconds=3)
    ws = Workspace(base / "workspace", "tiny")
    segs = (Segment("a", str(a), 0, 50, 0, True), Segment("b", str(b), 0, 50, 50, True))
    timeline = Timeline("tiny", Fraction(25), 320, 180, 48000, segs, (2000,))
    ws.timeline_json.parent.mkdir(parents=True)
    ws.timeline_json.write_text(json.dumps(timeline.to_dict()), encoding="utf-8")
    ws.subtitles_dir.mkdir()
    for lang in ("vi", "en"):
        ws.subtitle(lang, "srt").write_text(SRT, encoding="utf-8")
    return load_manifest(base / "programme.yaml"), ws


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> tuple[Programme, Workspace]:
    return _programme(tmp_path_factory.mktemp("excerpts"), TWO_CUTS)


def test_each_cut_is_its_own_deliverable(two: tuple[Programme, Workspace]) -> None:
    programme, ws = two
    assert programme.deliverables == ("web-720p", "social-9x16", "social-9x16-2")
    report = render_programme(programme, ws, SETTINGS)
    assert [(d.name, d.status) for d in report.deliverables] == [
        ("web-720p", "rendered"), ("social-9x16", "rendered"), ("social-9x16-2", "rendered")]
    assert report.ok, report.stop_reason
    assert report.loudness_passes >= 2  # the programme with each excerpt: one measuring pass per cut
    files = {d.name: Path(d.file) for d in report.deliverables}
    assert files["social-9x16"] == ws.render_dir("social-9x16") / "tiny_SOCIAL_9X16.mp4"
    assert files["social-9x16-2"] == ws.render_dir("social-9x16-2") / "tiny_SOCIAL_9X16_2.mp4"
    record = read_render_record(ws)
    for name, (start, end) in (("web-720p", (0.0, 4.0)), ("social-9x16", (0.4, 2.4)), ("social-9x16-2", (2.6, 3.6))):
        info = ffprobe_json(files[name])
        assert abs(float(info["format"]["duration"]) - (end - start)) < 0.1, name
        entry = record.deliverables[name]
        assert entry.profile == programme.deliverable_profile(name)
        cut = entry.excerpt_s
        if name == "web-720p":
            assert cut is None
        else:
            assert cut is not None and max(abs(cut[0] - start), abs(cut[1] - end)) < 1e-6, name
        loud = entry.loudness
        assert loud is not None and loud.within_tolerance and loud.integrated_lufs is not None, name
        assert abs(loud.integrated_lufs - loud.target_lufs) <= loud.tolerance_lu, name


def test_a_second_render_renders_nothing(two: tuple[Programme, Workspace]) -> None:
    programme, ws = two
    report = render_programme(programme, ws, SETTINGS)
    assert report.up_to_date and [d.name for d in report.deliverables] == list(programme.deliverables)
    only = render_programme(programme, ws, Settings(only=("social-9x16-2",), branding=SETTINGS.branding))
    assert [(d.name, d.status) for d in only.deliverables] == [("social-9x16-2", "up to date")]


def test_one_mapping_plans_today_s_deliverables(tmp_path: Path) -> None:
    programme, ws = _programme(tmp_path, ONE_CUT)
    assert programme.deliverables == ("web-720p", "social-9x16")
    report = render_programme(programme, ws, Settings(dry_run=True, branding=SETTINGS.branding))
    assert [(d.name, Path(d.file).name) for d in report.deliverables] == [
        ("web-720p", "tiny_WEB_720P.mp4"), ("social-9x16", "tiny_SOCIAL_9X16.mp4")]


def test_the_social_package_has_sheets_per_cut(two: tuple[Programme, Workspace], tmp_path: Path) -> None:
    programme, ws = two
    assert render_programme(programme, ws, SETTINGS).ok
    inputs = gather_social(programme, ws)
    record = read_render_record(ws)
    assert inputs.cut == record.deliverables["social-9x16"].main and inputs.cut_title_en == "One"
    assert inputs.platforms == DEFAULT_SOCIAL_PLATFORMS  # the first cut names none: YouTube and every vertical
    (more,) = inputs.more_cuts
    assert (more.number, more.cut, more.platforms) == (2, record.deliverables["social-9x16-2"].main, ("tiktok",))
    assert more.title_en == programme.title.en and more.excerpt_s is not None
    assert max(abs(more.excerpt_s[0] - 2.6), abs(more.excerpt_s[1] - 3.6)) < 1e-6
    key = social_inputs_key(ws, inputs)
    assert key["more_cuts"][0]["number"] == 2 and len(key["files"]) == 5  # landscape, two cuts, two SRTs
    result = build_social(inputs, tmp_path / "social")
    assert result.platforms == (*DEFAULT_SOCIAL_PLATFORMS, "tiktok-2")
    sheets = {s.key: s for s in result.sheets}
    assert sheets["tiktok-2"].name != sheets["tiktok"].name
    videos = {k: next(f.value for f in s.fields if f.label == "Video") for k, s in sheets.items() if k != "youtube"}
    assert videos["tiktok"].endswith("tiny_SOCIAL_9X16.mp4") and videos["tiktok-2"].endswith("tiny_SOCIAL_9X16_2.mp4")
    assert {"tiny.thumb-1080x1920.jpg", "tiny-2.thumb-1080x1920.jpg", "tiny.thumb-1280x720.jpg"} <= set(result.files)


def test_qc_holds_each_cut_to_its_own_length(two: tuple[Programme, Workspace]) -> None:
    programme, ws = two
    assert render_programme(programme, ws, SETTINGS).ok
    run = qc_stage.make(programme, ws, qc_stage.Settings(posters=False), Work.of(ws, qc_stage.STAGE, qc_stage.VERSION))
    for name in programme.deliverables:
        judged = run.report.file(name)
        assert judged is not None, name
        duration = next(c for c in judged.checks if c.id == "duration")
        assert duration.status == Status.PASS, (name, duration)
