"""The render record `renders/render.json`: typed, numbers in and numbers out, refused when foreign."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.errors import WorkspaceError
from pipeline.render.state import (
    RenderedDeliverable,
    RenderedLoudness,
    RenderRecord,
    read_render_record,
    render_record_path,
    write_render_record,
)
from pipeline.workspace import Workspace


def test_the_record_reads_back_what_was_written(tmp_path: Path) -> None:
    ws = Workspace(tmp_path, "p")
    loud = RenderedLoudness(-23.04, -3.2, 6.1, -23.0, 0.5, -1.0, True, 4.25, -1.3, -27.3, "ebur128")
    social = RenderedDeliverable("social-9x16", "/w/s.mp4", "social-9x16", 40.0, 123, loud, (10.0, 50.0), 0.0, 1.5)
    xdcam = RenderedDeliverable("broadcast-xdcam", "/w/x.mxf", "broadcast-xdcam", 120.0, 456, None, None, 60.0)
    write_render_record(ws, RenderRecord("p", {"social-9x16": social, "broadcast-xdcam": xdcam}))
    back = read_render_record(ws)
    assert back.get("social-9x16") == social and back.get("broadcast-xdcam") == xdcam
    data = json.loads(render_record_path(ws).read_text(encoding="utf-8"))
    assert data["deliverables"]["social-9x16"]["loudness"]["gain_db"] == 4.25  # a number, not filter text
    assert data["deliverables"]["social-9x16"]["excerpt_s"] == [10.0, 50.0]


def test_silence_and_a_missing_record(tmp_path: Path) -> None:
    ws = Workspace(tmp_path, "p")
    assert read_render_record(ws).deliverables == {}
    silent = RenderedLoudness.from_json({"integrated_lufs": -70.0, "true_peak_dbtp": None, "lra_lu": 0,
                                         "target_lufs": -23, "tolerance_lu": 0.5, "true_peak_max_dbtp": -1,
                                         "within_tolerance": False, "gain_db": 0, "limiter_ceiling_dbtp": None})
    assert silent.true_peak_dbtp is None and silent.integrated_lufs == -70.0 and not silent.within_tolerance


def test_an_older_or_broken_record_is_a_clear_error(tmp_path: Path) -> None:
    ws = Workspace(tmp_path, "p")
    path = render_record_path(ws)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"deliverables": {"web-720p": {"inputs_hash": "x", "summary": {}}}}), encoding="utf-8")
    with pytest.raises(WorkspaceError, match="render record is unreadable"):
        read_render_record(ws)
    path.write_text("{", encoding="utf-8")
    with pytest.raises(WorkspaceError) as broken:
        read_render_record(ws)
    assert "render MANIFEST --force" in (broken.value.hint or "")
