"""Through the real CLI on a tiny programme: assembling from an FCP7 XML of the cut list gives the
same timeline.json as the cut list itself, and `reportage export` writes files OTIO reads back."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import opentimelineio as otio  # type: ignore[import-untyped]
import pytest

from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.records.review import Note, write_notes
from pipeline.validate import load_manifest
from pipeline.workspace import Workspace
from tests.cut_list_xml import write_cut_list_xml

REPORTAGE = str(Path(sys.executable).parent / "reportage")
CUT = """timeline:
  cut:
    - {clip: "Cảnh 1", in: "00:00:00:05", out: "00:00:01:10"}
    - {clip: canh2, in: "00:00:00:00", out: "00:00:01:00"}
    - {clip: "Cảnh 1", in: "00:00:01:12", out: "00:00:01:20"}
"""


def _clip(path: Path, seconds: float, timecode: str | None = None) -> None:
    tc = ["-timecode", timecode] if timecode else []
    run_ffmpeg(["-f", "lavfi", "-i", f"testsrc2=size=160x90:rate=25:duration={seconds}", "-f", "lavfi", "-i",
                f"sine=frequency=330:sample_rate=48000:duration={seconds}", "-c:v", "libx264", "-preset",
                "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", *tc, "-shortest", "-y", str(path)])


def _manifest(folder: Path, timeline: str) -> Path:
    text = ("id: nho\nhouse: {width: 160, height: 90, fps: \"25\"}\nfootage:\n"
            "  - footage/*.mov\n" + timeline)
    path = folder / "nho.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="reportage-nle-"))
    (root / "footage").mkdir()
    _clip(root / "footage" / "Cảnh 1.mov", 2.0, "01:00:00:00")
    _clip(root / "footage" / "canh2.mov", 1.5)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def _cli(folder: Path, ws: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([REPORTAGE, "--workspace", str(folder / ws), *args], cwd=folder, text=True,
                          capture_output=True, timeout=300, check=False)


def test_edit_file_assembles_to_the_cut_lists_timeline_and_exports_round_trip(folder: Path) -> None:
    manifest = _manifest(folder, CUT)
    for args in (("ingest", "nho.yaml"), ("assemble", "nho.yaml")):
        proc = _cli(folder, "ws_cut", *args)
        assert proc.returncode == 0, proc.stderr
    cut_timeline = json.loads((folder / "ws_cut" / "nho" / "timeline.json").read_text(encoding="utf-8"))

    write_cut_list_xml(load_manifest(manifest), Workspace(folder / "ws_cut", "nho"), folder / "cắt dựng.xml")
    _manifest(folder, 'timeline: {edit: "cắt dựng.xml"}\n')
    for args in (("ingest", "nho.yaml"), ("assemble", "nho.yaml")):
        proc = _cli(folder, "ws_edit", *args)
        assert proc.returncode == 0, proc.stderr
    edit_timeline = json.loads((folder / "ws_edit" / "nho" / "timeline.json").read_text(encoding="utf-8"))

    def strip(t: dict[str, object]) -> dict[str, object]:  # working copies live in each workspace
        t = dict(t)
        t["segments"] = [{k: v for k, v in s.items() if k != "working_copy"} for s in t["segments"]]  # type: ignore[attr-defined]
        return t

    assert strip(edit_timeline) == strip(cut_timeline)
    assert [s["src_in_frame"] for s in cut_timeline["segments"]] == [5, 0, 37]

    write_notes(Workspace(folder / "ws_edit", "nho"),
                [Note("n1", 1000, 1500, "Biên tập", "Cắt ngắn cảnh này", "2026-01-01T00:00:00Z")])
    for fmt, ext in (("otio", ".otio"), ("fcp7xml", ".xml"), ("edl", ".edl"), ("fcpxml", ".fcpxml")):
        target = folder / f"out{ext}"
        proc = _cli(folder, "ws_edit", "--json", "export", "nho.yaml", "--format", fmt, "--to", str(target))
        assert proc.returncode == 0, proc.stderr
        report = json.loads(proc.stdout)
        assert report["start_tc"] == "10:00:00:00" and report["markers"] == 1
        kwargs = {"rate": 25} if fmt == "edl" else {}
        back = otio.adapters.read_from_file(str(target), **kwargs)
        clips = list(back.find_clips())
        assert len([c for c in clips if c.parent().kind == "Video"]) == 3
        names = [m.name for m in back.tracks.markers] + [m.name for c in clips for m in c.markers]
        assert names and ("Biên tập: Cắt ngắn cảnh này" in names if fmt != "edl"
                          else any("Bien tap: Cat ngan canh nay" in n for n in names))
        if fmt != "edl":
            urls = [c.media_reference.target_url for c in clips]
            assert all("/footage/" in u and "conform" not in u for u in urls), urls
