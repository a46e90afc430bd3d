"""Every interchange format through export and import again: same events, frame-exact, the start
timecode 10:00:00:00 kept, Vietnamese marker text intact (ASCII-folded in the EDL)."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio  # type: ignore[import-untyped]
import pytest

from pipeline.nle.export import build_otio, export_text
from pipeline.nle.formats import EXTENSIONS, FORMATS, read_edit
from pipeline.nle.match import footage_from_workspace
from pipeline.nle.plan import ExportPlan, SubtitleCue
from pipeline.stages.assemble import _build
from pipeline.text import ascii_fold
from pipeline.timeline import Marker, Segment, Timeline, Transition
from pipeline.workspace import Workspace

from .test_nle_fixtures import fake_clip, programme

FILES = {"pv": "Phỏng vấn Giám đốc.mov", "broll": "b-roll 2.mov", "phone": "điện thoại.mp4"}
START = 10 * 3600 * 25


def _setup(tmp_path: Path, fmt: str) -> tuple[Workspace, Timeline, ExportPlan, Path]:
    edit = tmp_path / f"cắt dựng{EXTENSIONS[fmt]}"  # type: ignore[index]
    prog = programme(tmp_path, f'{{edit: "{edit.name}"}}', FILES)
    ws = Workspace(tmp_path / "ws", "nle")
    fake_clip(ws, "pv", tmp_path / "footage" / FILES["pv"], timecode="01:00:00:00")
    fake_clip(ws, "broll", tmp_path / "footage" / FILES["broll"], duration_ms=8000)
    fake_clip(ws, "phone", tmp_path / "footage" / FILES["phone"], fps="30000/1001", duration_ms=6006)
    wc = {c: str(ws.ingest_dir(c) / "conform.mov") for c in FILES}
    segments = (Segment("pv", wc["pv"], 12, 62, 0, True), Segment("broll", wc["broll"], 30, 70, 50, True),
                Segment("phone", wc["phone"], 25, 100, 90, True), Segment("pv", wc["pv"], 200, 237, 165, True))
    transitions = (Transition(3, 165, 0, 10),)
    markers = (Marker(10, "Ghi chú: cảnh đẹp ở Trà Vinh"), Marker(120, "Kiểm tra âm thanh", 0, "GREEN"))
    tl = Timeline("nle", prog.rate, 1920, 1080, 48000, segments, (), transitions, markers)
    footage = {c.clip_id: c for c in footage_from_workspace(ws, list(FILES))}
    plan = ExportPlan("Trà Vinh – Điểm hẹn", tl, footage, START, markers,
                      {"vi": (SubtitleCue(5, 40, "Xin chào"),), "en": (SubtitleCue(5, 40, "Hello"),)})
    return ws, tl, plan, edit


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_keeps_events_start_and_markers(tmp_path: Path, fmt: str) -> None:
    ws, tl, plan, edit = _setup(tmp_path, fmt)
    edit.write_text(export_text(plan, fmt), encoding="utf-8")  # type: ignore[arg-type]
    prog = programme(tmp_path, f'{{edit: "{edit.name}"}}', FILES)

    read = read_edit(edit, fmt, prog.rate)  # type: ignore[arg-type]
    assert read.start_frames == START, "start timecode 10:00:00:00 kept"
    back, _notes = _build(prog, ws)

    def events(t: Timeline) -> list[tuple[str, int, int, int]]:
        return [(s.clip_id, s.src_in_frame, s.src_out_frame, s.rec_in_frame) for s in t.segments]

    assert events(back) == events(tl)
    # the FCPXML adapter writes no transitions (its reader skips them too): the cut stays, the dissolve is lost
    assert back.transitions == (() if fmt == "fcpxml" else tl.transitions)
    names = [(m.frame, m.name) for m in back.markers]
    if fmt == "edl":
        assert names == [(m.frame, ascii_fold(m.name)) for m in tl.markers]
        assert all(n.isascii() for _, n in names)
    else:
        assert names == [(m.frame, m.name) for m in tl.markers]


def test_edl_text_is_v1_only_ascii_and_starts_at_programme_start(tmp_path: Path) -> None:
    _ws, _tl, plan, _edit = _setup(tmp_path, "edl")
    text = export_text(plan, "edl")
    assert text.isascii()
    events = [line for line in text.splitlines() if line[:3].isdigit()]
    assert events[0].split()[-2] == "10:00:00:00"
    assert all(line.split()[2] == "V" for line in events)
    assert "* LOC: " in text and "Ghi chu: canh dep o Tra Vinh" in text


def test_otio_export_keeps_subtitles_and_links_the_original_footage(tmp_path: Path) -> None:
    _ws, _tl, plan, edit = _setup(tmp_path, "otio")
    edit.write_text(export_text(plan, "otio"), encoding="utf-8")
    back = otio.adapters.read_from_file(str(edit))
    subs = back.metadata["reportage"]["subtitles"]
    assert subs["vi"][0]["text"] == "Xin chào" and subs["en"][0]["text"] == "Hello"
    urls = {c.media_reference.target_url for c in back.find_clips()}
    assert all("/footage/" in u and "conform" not in u for u in urls)
    assert [m.name for m in back.tracks.markers] == [m.name for m in plan.markers]


def test_fcpxml_markers_ride_on_clips_and_tcstart_is_written(tmp_path: Path) -> None:
    _ws, _tl, plan, _edit = _setup(tmp_path, "fcpxml")
    text = export_text(plan, "fcpxml")
    assert 'tcStart="36000s"' in text
    built = build_otio(plan, "fcpxml")
    assert not built.tracks.markers
    assert sum(len(c.markers) for c in built.find_clips()) == len(plan.markers)
