"""Records name files the way `Workspace.stored` writes them and `Workspace.resolve` reads them: a
file in the programme folder relative to it, so a workspace copied, restored or mounted elsewhere
finds its own files; footage outside it absolute, through the batch path map. Records an older
version wrote with absolute paths still read, at their place and after a move."""

from __future__ import annotations

import shutil
from fractions import Fraction
from pathlib import Path

import pytest

from pipeline import fsutil
from pipeline.records.ingest import IngestRecord, read_ingest_record, write_ingest_record
from pipeline.render.state import RenderedDeliverable, RenderRecord, read_render_record, render_record_path
from pipeline.timeline import AudioSegment, Segment, Timeline
from pipeline.workspace import Workspace


@pytest.fixture(autouse=True)
def _no_path_map(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REPORTAGE_PATH_MAP", raising=False)


def test_inside_is_relative_outside_is_absolute(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws", "p")
    inside = ws.conform("a")
    assert ws.stored(inside) == "ingest/a/conform.mov"
    assert ws.resolve("ingest/a/conform.mov") == inside
    outside = tmp_path / "footage" / "a.mov"
    assert ws.stored(outside) == str(outside)
    assert ws.resolve(str(outside)) == outside
    assert ws.stored(ws.dir / "renders" / ".." / "timeline.json") == "timeline.json"  # normalised
    assert ws.stored(tmp_path / "ws" / "p2" / "x.mov") == str(tmp_path / "ws" / "p2" / "x.mov")  # a neighbour


def test_a_folder_reached_through_a_symlink_is_still_inside(tmp_path: Path) -> None:
    (tmp_path / "real" / "p").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "real")
    ws = Workspace(tmp_path / "link", "p")
    assert ws.stored(tmp_path / "real" / "p" / "timeline.json") == "timeline.json"


def test_footage_outside_goes_through_the_path_map(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPORTAGE_PATH_MAP", f"/srv/footage={tmp_path / 'mnt'}")
    ws = Workspace(tmp_path / "ws", "p")
    assert ws.stored(tmp_path / "mnt" / "a.mov") == "/srv/footage/a.mov"  # the same on every machine
    assert ws.resolve("/srv/footage/a.mov") == tmp_path / "mnt" / "a.mov"
    assert ws.stored(ws.proxy("a")) == "ingest/a/proxy.mp4"  # the map never touches the folder's own files


def test_an_old_absolute_path_into_the_moved_programme_folder_is_found_here(tmp_path: Path) -> None:
    old = Workspace(tmp_path / "before" / "ws", "p")
    written = str(old.conform("a"))  # as a record of an earlier version named it
    old.ingest_dir("a").mkdir(parents=True)
    old.conform("a").write_bytes(b"x")
    assert old.resolve(written) == old.conform("a")  # where it was written: as it is
    shutil.move(tmp_path / "before", tmp_path / "after")
    moved = Workspace(tmp_path / "after" / "ws", "p")
    assert moved.resolve(written) == moved.conform("a")
    assert moved.resolve(str(tmp_path / "before" / "ws" / "p" / "gone.mov")) == \
        tmp_path / "before" / "ws" / "p" / "gone.mov"  # nothing of that name here: named as written


def test_the_ingest_record_names_a_working_copy_relative_and_resolves_it(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws", "p")
    source = tmp_path / "footage" / "a.mov"
    record = IngestRecord("a", ws.stored(source), "0" * 64, "k", True, 2000, "30000/1001", "25/1", True,
                          ("29.970 fps",), ws.stored(ws.conform("a")), "fake")
    write_ingest_record(ws, record)
    data = fsutil.read_json(ws.ingest_dir("a") / "ingest.json")
    assert data["working_copy"] == "ingest/a/conform.mov" and data["source"] == str(source)
    back = read_ingest_record(ws, "a")
    assert back.working_copy_path(ws) == ws.conform("a") and back.source_path(ws) == source


def test_the_timeline_keeps_records_paths_and_locates_them_on_this_machine(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws", "p")
    source = tmp_path / "footage" / "b.mov"
    segments = (Segment("a", "ingest/a/conform.mov", 0, 50, 0, True), Segment("b", str(source), 0, 50, 50, True))
    timeline = Timeline("p", Fraction(25), 320, 180, 48000, segments, (),
                        audio=(AudioSegment(1, "a", "ingest/a/conform.mov", 0, 100, 0),))
    here = timeline.located(ws)
    assert [s.working_copy for s in here.segments] == [str(ws.conform("a")), str(source)]
    assert here.audio[0].working_copy == str(ws.conform("a"))
    assert [s["working_copy"] for s in timeline.to_dict()["segments"]] == ["ingest/a/conform.mov", str(source)]
    assert Timeline.from_dict(timeline.to_dict()) == timeline  # the render's key: where the folder lies is not in it


def test_a_version_2_render_record_of_a_moved_workspace_finds_its_render(tmp_path: Path) -> None:
    old = Workspace(tmp_path / "before", "p")
    render = old.render_dir("web-720p") / "p_WEB_720P.mp4"
    render.parent.mkdir(parents=True)
    render.write_bytes(b"\x00" * 10)
    entry = RenderedDeliverable("web-720p", str(render), "web-720p", 4.0, 10).to_json()  # absolute, as v2 wrote
    fsutil.write_json(render_record_path(old), {"version": 2, "programme": "p", "deliverables": {"web-720p": entry}})
    shutil.move(tmp_path / "before", tmp_path / "after")
    moved = Workspace(tmp_path / "after", "p")
    found = read_render_record(moved).deliverables["web-720p"]
    assert found.path == moved.render_dir("web-720p") / "p_WEB_720P.mp4" and found.present()
    assert RenderRecord("p", {"web-720p": found}).to_json(moved.dir)["deliverables"]["web-720p"]["file"] == \
        "renders/web-720p/p_WEB_720P.mp4"
