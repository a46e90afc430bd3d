"""The conform stage on real media: working copies only for the clips the cut uses, made after the
edit, kept when fresh, refused when the source changed under them, made again after a new ingest."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline import stagerun
from pipeline.catalogue import Catalogue, StageRun
from pipeline.errors import WorkspaceError
from pipeline.manifest import Programme
from pipeline.media.ffmpeg import ffprobe_json
from pipeline.stages.assemble import assemble_programme
from pipeline.stages.conform import ConformReport, conform_programme
from pipeline.stages.ingest import ingest_programme
from pipeline.stages.render import check_sources
from pipeline.timeline import load_timeline
from pipeline.validate import load_manifest
from pipeline.workspace import Workspace
from tests import mediagen

pytestmark = pytest.mark.slow

MANIFEST = """\
id: conform-test
house: {width: 320, height: 180, fps: "25"}
footage: ["Cảnh đẹp.mov", "Hội trường 1080i.mxf", "Không dùng.mxf"]
timeline:
  cut:
    - {clip: "Cảnh đẹp", in: "00:00:00:00", out: "00:00:01:00"}
    - {clip: "Hội trường 1080i", in: "00:00:00:00", out: "00:00:01:00"}
"""
USED, MATCHING, UNUSED = "Hội trường 1080i", "Cảnh đẹp", "Không dùng"


@pytest.fixture()
def ingested(tmp_path: Path) -> tuple[Programme, Workspace]:
    mediagen.clip_25p_mov(tmp_path / "Cảnh đẹp.mov", seconds=2)
    mediagen.clip_interlaced_mxf(tmp_path / "Hội trường 1080i.mxf")
    mediagen.clip_interlaced_mxf(tmp_path / "Không dùng.mxf")
    (tmp_path / "prog.yaml").write_text(MANIFEST, encoding="utf-8")
    programme = load_manifest(tmp_path / "prog.yaml")
    ws = Workspace(tmp_path / "ws", programme.id)
    report = ingest_programme(programme, ws)
    assert report.ok, report.to_dict()
    assemble_programme(programme, ws)
    return programme, ws


def _statuses(report: ConformReport) -> dict[str, str]:
    return {c.clip_id: c.status for c in report.clips}


def test_only_the_cut_is_conformed_and_a_rerun_does_nothing(ingested: tuple[Programme, Workspace]) -> None:
    programme, ws = ingested
    assert not list(ws.dir.rglob("conform.mov")), "ingest makes no working copy"
    with pytest.raises(WorkspaceError, match=f"clip {USED} has no working copy yet") as err:
        check_sources(ws, load_timeline(ws.timeline_json))
    assert "reportage conform" in err.value.one_line()
    report = conform_programme(programme, ws)
    assert report.ok and _statuses(report) == {MATCHING: "not needed", USED: "conformed"}
    copy = ws.conform(USED)
    video = next(s for s in ffprobe_json(copy)["streams"] if s["codec_type"] == "video")
    audio = next(s for s in ffprobe_json(copy)["streams"] if s["codec_type"] == "audio")
    assert (video["width"], video["height"], video["r_frame_rate"]) == (320, 180, "25/1")
    assert video.get("field_order", "progressive") == "progressive" and video["codec_name"] == "h264"
    assert (audio["sample_rate"], audio["channels"]) == ("48000", 2)
    assert not ws.conform(UNUSED).exists() and not ws.conform(MATCHING).exists()
    check_sources(ws, load_timeline(ws.timeline_json))

    stamp = copy.stat().st_mtime_ns
    again = conform_programme(programme, ws)
    assert again.up_to_date and copy.stat().st_mtime_ns == stamp


def test_a_changed_source_is_refused_then_conformed_after_ingest(ingested: tuple[Programme, Workspace],
                                                                 tmp_path: Path) -> None:
    programme, ws = ingested
    source = tmp_path / "Hội trường 1080i.mxf"
    before = source.stat().st_size
    mediagen.clip_interlaced_mxf(source, seconds=3)  # the card copied again, longer
    assert source.stat().st_size != before
    report = conform_programme(programme, ws)
    failed = {c.clip_id: c.error or "" for c in report.failed}
    assert not report.ok and "changed since it was ingested" in failed[USED] and "reportage ingest" in failed[USED]
    assert not ws.conform(USED).exists(), "nothing half-made is left under the final name"

    assert ingest_programme(programme, ws).ok
    assemble_programme(programme, ws)
    report = conform_programme(programme, ws)
    assert report.ok and _statuses(report)[USED] == "conformed"
    duration = float(ffprobe_json(ws.conform(USED))["format"]["duration"])
    assert duration == pytest.approx(3.0, abs=0.1)


def test_a_reingest_removes_the_stale_copy_and_the_render_says_so(ingested: tuple[Programme, Workspace],
                                                                        tmp_path: Path) -> None:
    programme, ws = ingested
    assert conform_programme(programme, ws).ok
    mediagen.clip_interlaced_mxf(tmp_path / "Hội trường 1080i.mxf", seconds=3)
    assert ingest_programme(programme, ws).ok
    assert not ws.conform(USED).exists(), "a working copy of the old source must not be cut from"
    with pytest.raises(WorkspaceError, match="has no working copy yet"):
        check_sources(ws, load_timeline(ws.timeline_json))


def test_a_copy_made_by_an_earlier_ingest_is_kept(ingested: tuple[Programme, Workspace]) -> None:
    """Workspaces from before this stage have ingest-made working copies: they are the same file."""
    programme, ws = ingested
    assert conform_programme(programme, ws).ok
    stagerun.forget(ws, "conform", USED)
    with Catalogue(ws.catalogue_path) as cat:
        last = cat.last_done("ingest", USED)
        assert last is not None
        cat.record_run(StageRun(last.stage, last.target, last.inputs_hash, "done", last.started_at, last.seconds,
                                [*last.outputs, f"ingest/{USED}/conform.mov"], None))
    stamp = ws.conform(USED).stat().st_mtime_ns
    report = conform_programme(programme, ws)
    assert report.ok and _statuses(report)[USED] == "up to date"
    assert ws.conform(USED).stat().st_mtime_ns == stamp
