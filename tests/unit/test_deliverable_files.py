"""A deliverable may be a set of files: a folder written whole, listed file by file in the render
record (relative to the programme folder), and handled as a set by QC's freshness, approval and the
bag's inputs. A one-file deliverable is the same thing with one member."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline import fsutil
from pipeline.errors import WorkspaceError
from pipeline.render.state import (
    RenderedDeliverable,
    RenderRecord,
    deliverable_files,
    read_render_record,
    render_record_path,
    write_render_record,
)
from pipeline.review.state import current_outputs
from pipeline.workspace import Workspace


def _package(ws: Workspace, name: str = "web-hls") -> RenderedDeliverable:
    """A folder deliverable made the way the render makes one: built beside, renamed into place."""
    target = ws.render_dir(name) / "p-hls"
    with fsutil.atomic_dir(target) as tmp:
        (tmp / "master.m3u8").write_text("#EXTM3U\n", encoding="utf-8")
        (tmp / "video").mkdir()
        (tmp / "video" / "seg-1.m4s").write_bytes(b"\x00" * 100)
        (tmp / "video" / "seg-2.m4s").write_bytes(b"\x01" * 100)
    files = deliverable_files(ws, target)
    main = next(f for f in files if f.name == "master.m3u8")
    ordered = (main, *(f for f in files if f is not main))
    return RenderedDeliverable(name, str(target), "web-720p", 20.0, sum(f.size_bytes for f in files),
                               files=ordered, folder=True)


def test_a_folder_is_written_whole_or_not_at_all(tmp_path: Path) -> None:
    target = tmp_path / "out" / "package"
    with fsutil.atomic_dir(target) as tmp:
        (tmp / "a.txt").write_text("one", encoding="utf-8")
        assert not target.exists(), "nothing at the final name while it is being built"
    assert (target / "a.txt").read_text(encoding="utf-8") == "one"
    with pytest.raises(RuntimeError), fsutil.atomic_dir(target) as tmp:
        (tmp / "b.txt").write_text("two", encoding="utf-8")
        raise RuntimeError("the packager died")
    assert sorted(p.name for p in target.iterdir()) == ["a.txt"], "a failed build leaves the old one as it was"
    with pytest.raises(WorkspaceError, match="without writing any file"), fsutil.atomic_dir(target):
        pass
    with fsutil.atomic_dir(target) as tmp:
        (tmp / "b.txt").write_text("two", encoding="utf-8")
    assert sorted(p.name for p in target.iterdir()) == ["b.txt"], "replaced whole, never merged"
    assert sorted(p.name for p in target.parent.iterdir()) == ["package"], "no temporaries left beside it"


def test_the_record_lists_every_file_relative_to_the_programme_folder(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws", "p")
    entry = _package(ws)
    write_render_record(ws, RenderRecord("p", {entry.name: entry}))
    stored = fsutil.read_json(render_record_path(ws))["deliverables"]["web-hls"]
    assert stored["file"] == "renders/web-hls/p-hls" and stored["folder"] is True
    assert [f["name"] for f in stored["files"]] == ["master.m3u8", "video/seg-1.m4s", "video/seg-2.m4s"]
    again = read_render_record(ws).deliverables["web-hls"]
    assert again.present() and again.main == ws.render_dir("web-hls") / "p-hls" / "master.m3u8"
    # a workspace copied elsewhere finds its renders there
    moved = Workspace(tmp_path / "elsewhere", "p")
    shutil.copytree(ws.dir, moved.dir)
    found = read_render_record(moved).deliverables["web-hls"]
    assert found.path == moved.render_dir("web-hls") / "p-hls" and found.present()
    # a file missing or cut short: the deliverable is not there
    (found.path / "video" / "seg-2.m4s").write_bytes(b"\x01" * 10)
    assert not found.present()


def test_approval_hashes_every_file_of_a_folder_deliverable(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws", "p")
    entry = _package(ws)
    write_render_record(ws, RenderRecord("p", {entry.name: entry}))
    before = current_outputs(ws)
    assert sorted(before) == ["renders/web-hls/p-hls/master.m3u8", "renders/web-hls/p-hls/video/seg-1.m4s",
                              "renders/web-hls/p-hls/video/seg-2.m4s"]
    (entry.path / "video" / "seg-1.m4s").write_bytes(b"\x02" * 100)  # same size, other content
    after = current_outputs(ws)
    assert after["renders/web-hls/p-hls/video/seg-1.m4s"] != before["renders/web-hls/p-hls/video/seg-1.m4s"]


def test_a_one_file_deliverable_is_a_set_of_one(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws", "p")
    out = ws.render_dir("web-720p") / "p.mp4"
    out.parent.mkdir(parents=True)
    out.write_bytes(b"\x00" * 64)
    files = deliverable_files(ws, out)
    assert [(f.name, f.size_bytes) for f in files] == [("p.mp4", 64)] and len(files[0].sha256) == 64
    entry = RenderedDeliverable("web-720p", str(out), "web-720p", 1.0, 64, files=files)
    assert entry.main == out and entry.members == [out] and entry.present()
