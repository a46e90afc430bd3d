"""QC of a streaming ladder and of the web package, on a real render (the 640×360, 7 s programme of
test_render_ladder.py: rungs 360p, with the sound, and 234p) and a real small HLS package.

Each rung is judged against its own rung profile and reported as `web-stream <height>p`: a good
render passes; a rung encoded again with a 37-frame GOP fails the keyframe grid, named, and only that
rung is measured again. A stream package in `publish/web/stream`, found through the publish record,
is judged by the stream validator as the report's `web-package` section: a good one passes, one with
two DEFAULT=YES subtitles fails the rule with its playlist line, and only that section is redone;
without a publish record the section is gone. An open-GOP encode, its keyframes on the grid, still
fails the closed-GOP check.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from fractions import Fraction
from pathlib import Path

import pytest

from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.profiles import load_profile
from pipeline.qc.checks import packet_fields
from pipeline.qc.ladder import rung_plan
from pipeline.qc.plan import PlanContext, Status, evaluate
from pipeline.records.publish import PublishedWeb, PublishRecord, publish_record_path, write_publish_record
from pipeline.records.qc import FileQC, QCReport
from pipeline.render.branding import BrandingSettings
from pipeline.render.state import deliverable_files, read_render_record, write_render_record
from pipeline.run import stage
from pipeline.stages import qc
from pipeline.stages.render import Settings, render_programme
from pipeline.timeline import Segment, Timeline
from pipeline.validate import load_manifest
from pipeline.workspace import Workspace
from tests import mediagen
from tests.e2e.test_render_ladder import MANIFEST  # the same programme the render test renders
from tests.streampkg import build_package

pytestmark = pytest.mark.slow

PID = "ladder"
RENDER = Settings(branding=BrandingSettings(bumper_s=0.4, title_s=1.0, credits_s=0.8))
SETTINGS = qc.Settings(posters=False)
RUNGS = ("web-stream 360p", "web-stream 234p")


def _qc(base: Path) -> tuple[qc.QCRun, Workspace]:
    programme = load_manifest(base / "programme.yaml")
    ws = Workspace(base / "workspace", PID)
    return qc.make(programme, ws, SETTINGS, stage("qc").work(ws)), ws


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The programme folder after the render and a first QC run (copied by each test that changes it)."""
    base = tmp_path_factory.mktemp("qc-ladder")
    (base / "programme.yaml").write_text(MANIFEST, encoding="utf-8")
    a = mediagen.clip_25p_mov(base / "a.mov", seconds=4, size="640x360")
    b = mediagen.clip_25p_mov(base / "b.mov", seconds=3, size="640x360")
    ws = Workspace(base / "workspace", PID)
    segs = (Segment("a", str(a), 0, 100, 0, True), Segment("b", str(b), 0, 75, 100, True))
    timeline = Timeline(PID, Fraction(25), 640, 360, 48000, segs, (2000,))
    ws.timeline_json.parent.mkdir(parents=True)
    ws.timeline_json.write_text(json.dumps(timeline.to_dict()), encoding="utf-8")
    assert render_programme(load_manifest(base / "programme.yaml"), ws, RENDER).ok
    first, _ = _qc(base)
    assert first.work.measured == list(RUNGS)
    return base


def _copy(rendered: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(rendered, tmp_path / "programme"))


def _rungs(report: QCReport) -> dict[str, FileQC]:
    return {f.deliverable: f for f in report.files if f.part_of == "web-stream"}


def _status(entry: FileQC, check_id: str) -> Status:
    check = entry.check(check_id)
    assert check is not None, f"{entry.deliverable}: no {check_id}"
    return check.status


def test_each_rung_passes_against_its_own_profile(rendered: Path) -> None:
    run, _ = _qc(rendered)
    assert run.up_to_date and run.work.measured == [] and run.work.reused == list(RUNGS)
    rungs = _rungs(run.report)
    assert list(rungs) == list(RUNGS)  # the sounding rung first, as the profile lists them
    failed = [f"{name}: {c.label} = {c.measured} ({c.detail})" for name, f in rungs.items()
              for c in f.checks if c.status is Status.FAIL]
    assert failed == []
    assert [f.deliverable for f in run.report.files] == list(RUNGS)  # no entry judged against the 1080p top
    top, low = rungs["web-stream 360p"], rungs["web-stream 234p"]
    assert top.check("video.size").measured == "640x360" and low.check("video.size").measured == "416x234"  # type: ignore[union-attr]
    for entry in (top, low):
        for check_id in ("video.keyframe_grid", "video.closed_gop", "video.colour", "video.level", "ladder.sound"):
            assert _status(entry, check_id) is Status.PASS, check_id
    assert top.check("video.keyframe_grid").measured == "4 keyframes, one every 50 frames"  # type: ignore[union-attr]
    loudness = top.check("loudness.integrated")
    assert loudness is not None and loudness.status is Status.PASS and abs((loudness.value or 0) + 14.0) <= 1.0
    assert low.check("loudness.integrated") is None and low.check("audio.codec") is None  # picture only
    assert low.check("ladder.sound").measured == "no sound"  # type: ignore[union-attr]
    assert _status(low, "ladder.duration") is Status.PASS and top.check("ladder.duration") is None
    assert run.report.file("web-stream") is top  # what package asks for: the rung with the sound
    assert top.path.endswith("web-stream/ladder_WEB_STREAM/360p.mp4")


def test_a_rung_with_a_broken_gop_fails_naming_it(rendered: Path, tmp_path: Path) -> None:
    base = _copy(rendered, tmp_path)
    ws = Workspace(base / "workspace", PID)
    entry = read_render_record(ws).deliverables["web-stream"]
    rung = entry.path / "234p.mp4"
    broken = tmp_path / "234p.mp4"
    run_ffmpeg(["-i", "file:" + str(rung), "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high",
                "-pix_fmt", "yuv420p", "-g", "37", "-keyint_min", "37", "-sc_threshold", "0", "-b:v", "400k",
                "-an", "-movflags", "+faststart", "file:" + str(broken)])
    shutil.move(broken, rung)
    record = read_render_record(ws)  # the record keeps up with the file (its size is what QC checks it by)
    files = deliverable_files(ws, entry.path, first=entry.files[0].name)
    write_render_record(ws, dataclasses.replace(record, deliverables={
        "web-stream": dataclasses.replace(entry, files=files)}))

    run, _ = _qc(base)
    assert run.work.measured == ["web-stream 234p"] and run.work.reused == ["web-stream 360p"]
    rungs = _rungs(run.report)
    grid = rungs["web-stream 234p"].check("video.keyframe_grid")
    assert grid is not None and grid.status is Status.FAIL
    assert "frame 37 (00:00:01.48)" in grid.detail and "no keyframe at frame 50" in grid.detail
    assert "web-stream 234p: Keyframes on the segment grid (every 50 frames)" in run.report.failed
    assert not [c for c in rungs["web-stream 360p"].checks if c.status is Status.FAIL]
    saved = json.loads((ws.qc_dir / "report.json").read_text("utf-8"))
    low = next(d for d in saved["deliverables"] if d["deliverable"] == "web-stream 234p")
    assert low["part_of"] == "web-stream" and low["verdict"] == "FAIL"


def _publish(ws: Workspace) -> None:
    write_publish_record(ws, PublishRecord(PID, web=PublishedWeb(
        "publish/web", "index.html", "embed.html", "stream/master.m3u8", "stream/manifest.mpd", "ladder.mp4",
        ("180p", "90p"), ("vi", "en"), 6.0, 0)))


def test_the_web_package_is_judged_by_the_stream_validator(rendered: Path, tmp_path: Path) -> None:
    base = _copy(rendered, tmp_path)
    ws = Workspace(base / "workspace", PID)
    package = build_package(ws.publish_dir / "web" / "stream")
    _publish(ws)

    run, _ = _qc(base)
    assert not run.up_to_date and run.work.web_package == "checked" and run.work.measured == []
    web = run.report.file("web-package")
    assert web is not None and web.path == "publish/web/stream/master.m3u8"
    assert web.verdict is not Status.FAIL, [c.detail for c in web.checks if c.status is Status.FAIL]
    assert _status(web, "hls.group-default") is Status.PASS and _status(web, "hls.idr-start") is Status.PASS
    assert not [f for f in run.report.failed if f.startswith("web-package")]

    again, _ = _qc(base)
    assert again.up_to_date and again.work.to_dict()["web_package"] == "reused"

    english = 'NAME="English",LANGUAGE="en",DEFAULT='
    package.replace("master.m3u8", english + "NO", english + "YES")  # a second default subtitle rendition
    broken, _ = _qc(base)
    assert not broken.up_to_date and broken.work.web_package == "checked"
    assert broken.work.measured == [] and broken.work.subtitles_checked == []  # only the package's section redone
    check = broken.report.file("web-package").check("hls.group-default")  # type: ignore[union-attr]
    assert check is not None and check.status is Status.FAIL
    assert f"master.m3u8:{package.master_lines['subs-en']}" in check.detail
    assert "web-package: A rendition group has at most one DEFAULT=YES [group-default]" in broken.report.failed
    assert not broken.ok

    publish_record_path(ws).unlink()
    gone, _ = _qc(base)
    assert gone.report.file("web-package") is None and gone.work.web_package is None
    assert [f.deliverable for f in gone.report.files] == list(RUNGS)
    assert not (ws.qc_dir / "web-package.json").exists()


def test_an_open_gop_on_the_grid_still_fails(tmp_path: Path) -> None:
    """x264's open GOPs: keyframes every 50 frames, but B-frames decoded after each later keyframe
    are shown before it, so a segment starting there cannot be decoded alone."""
    path = tmp_path / "open.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=416x234:rate=25:duration=6", "-c:v", "libx264",
                "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "50", "-keyint_min", "50", "-sc_threshold", "0",
                "-bf", "2", "-x264-params", "open-gop=1", "file:" + str(path)])
    values = packet_fields(path, Fraction(25))
    rung = load_profile("web-stream").rung_profiles(640, 360)[-1]
    specs = {s.id: s for s in rung_plan(rung, PlanContext(), sounding=False)}
    assert evaluate(specs["video.keyframe_grid"], values).status is Status.PASS
    closed = evaluate(specs["video.closed_gop"], values)
    assert closed.status is Status.FAIL and closed.measured.endswith(("1 open GOP", "2 open GOPs"))
    assert "frame 50 (00:00:02.00)" in closed.detail
    assert not any(s.measure.startswith(("audio.", "loudness.")) for s in specs.values())  # picture only
