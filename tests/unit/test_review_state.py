"""The review room's own logic without a server: safe paths, notes, approval against the files as
they are, and cue edits through adopt_cues (fake workspace, no media)."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from pipeline.fsutil import sha256_file, write_json
from pipeline.render.state import RenderedDeliverable, RenderRecord, write_render_record
from pipeline.review import cues as cuelist
from pipeline.review import state
from pipeline.review.errors import Conflict, Invalid, NotFound
from pipeline.review.files import resolve_inside
from pipeline.review.views import legal_spans
from pipeline.subs import is_hand_edited, read_subtitles
from pipeline.subs.adopt import ledger_path, source_of
from pipeline.timecode import Timecode
from pipeline.timeline import Segment, Timeline
from pipeline.workspace import Workspace

SRT = ("1\n00:00:00,200 --> 00:00:01,700\nChào mừng quý vị\n\n"
       "2\n00:00:01,900 --> 00:00:03,600\nđến với Trà Vinh hôm nay\n\n")


@pytest.fixture()
def ws(tmp_path: Path) -> Workspace:
    ws = Workspace(tmp_path / "workspace", "p")
    ws.subtitles_dir.mkdir(parents=True)
    for lang in ("vi", "en"):
        ws.subtitle(lang, "srt").write_text(SRT, encoding="utf-8")
    write_json(ws.timeline_json, Timeline("p", Fraction(25), 320, 180, 48000,
                                          (Segment("c", "c.mov", 0, 100, 0, False),), ()).to_dict())
    render = ws.render_dir("web-720p") / "p.mp4"
    render.parent.mkdir(parents=True)
    render.write_bytes(b"not really a film")
    write_render_record(ws, RenderRecord("p", {"web-720p": RenderedDeliverable("web-720p", str(render), "web-720p",
                                                                               4.0, 17)}))
    return ws


def test_resolve_inside_refuses_escapes(tmp_path: Path) -> None:
    root = tmp_path / "prog"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "a.vtt").write_text("WEBVTT\n", encoding="utf-8")
    (tmp_path / "secret").write_text("x", encoding="utf-8")
    (root / "link").symlink_to(tmp_path / "secret")
    (root / ".lock").write_text("", encoding="utf-8")
    assert resolve_inside(root, "sub/a.vtt") == (root / "sub" / "a.vtt").resolve()
    for bad in ("../secret", "sub/../../secret", "/etc/passwd", "link", ".lock", "sub", "", "sub\\..\\..\\secret",
                "missing.vtt"):
        with pytest.raises(NotFound):
            resolve_inside(root, bad)


def test_notes_validate_and_export(ws: Workspace) -> None:
    for args in ((-1, 0, "A", "x"), (500, 100, "A", "x"), (0, 0, " ", "x"), (0, 0, "A", "  "), ("a", 0, "A", "x")):
        with pytest.raises(Invalid):
            state.add_note(ws, *args)
    assert not state.notes_path(ws).exists()
    with pytest.raises(Invalid):
        state.add_note(ws, 5000, 6000, "A", "past the end", duration_ms=4000)
    state.add_note(ws, 1200, 1500, "Nguyễn  Thị Hà", "Tiếng hơi nhỏ")
    state.add_note(ws, 400, None, "Trần Khoa", "Hình tối")
    notes = state.read_notes(ws)
    assert [(n.in_ms, n.out_ms, n.author) for n in notes] == [(400, 400, "Trần Khoa"), (1200, 1500, "Nguyễn Thị Hà")]
    csv = state.notes_csv(notes, Timecode.parse("10:00:00:00", Fraction(25)))
    assert csv.startswith("\ufeffid,in,out") and "10:00:01:05" in csv and "Tiếng hơi nhỏ" in csv
    state.delete_note(ws, notes[0].id)
    assert len(state.read_notes(ws)) == 1
    with pytest.raises(NotFound):
        state.delete_note(ws, "nope")


def test_approval_follows_the_files(ws: Workspace) -> None:
    assert state.approval_state(ws).state == "none"
    state.record_decision(ws, "approved", "Khoa", "ok", standing=[])  # obstacles: test_approval_obstacles.py
    approved = state.approval_state(ws, ["web-720p"])
    assert approved.approved
    record = json.loads(state.approval_path(ws).read_text("utf-8"))
    assert record["files"]["subtitles/p.vi.srt"] == sha256_file(ws.subtitle("vi", "srt"))
    assert record["files"]["renders/web-720p/p.mp4"] == sha256_file(ws.render_dir("web-720p") / "p.mp4")
    (ws.render_dir("web-720p") / "p.mp4").write_bytes(b"re-rendered")
    stale = state.approval_state(ws, ["web-720p"])
    assert stale.state == "stale" and stale.changed == ["renders/web-720p/p.mp4"]
    state.record_decision(ws, "changes_requested", "Hà", "sửa câu 2", standing=[])
    later = state.approval_state(ws)
    assert later.state == "changes_requested" and "Hà asked for changes" in later.reason
    assert [h["decision"] for h in later.to_dict()["history"]] == ["approved"]
    with pytest.raises(Invalid):
        state.record_decision(ws, "yes", "Hà", standing=[])


def _ctx(ws: Workspace) -> cuelist.Context:
    from pipeline.timeline import load_timeline

    return cuelist.make_context(ws, load_timeline(ws.timeline_json))


def test_edits_go_through_adopt_and_check_the_version(ws: Workspace) -> None:
    ctx = _ctx(ws)
    cues = cuelist.read_cues(ws, "vi")
    v1 = cuelist.version_of(cues[0])
    saved = cuelist.save(ws, ctx, "vi", cuelist.edit_cue(ctx, "vi", 1, v1, text="Xin chào quý vị", end_ms=1600))
    assert saved.touched == [1]
    path = ws.subtitle("vi", "srt")
    assert read_subtitles(path).cues[0].flat_text == "Xin chào quý vị" and read_subtitles(path).cues[0].end_ms == 1600
    assert read_subtitles(ws.subtitle("vi", "vtt")).cues[0].flat_text == "Xin chào quý vị"
    assert is_hand_edited(path, ledger_path(ws)) and source_of(ws, path) == "imported"
    assert cuelist.board(ws, ctx)["vi"]["cues"][0]["origin"] == "reviewed"
    before = path.read_bytes()
    with pytest.raises(Conflict):  # the page's copy is out of date
        cuelist.save(ws, ctx, "vi", cuelist.edit_cue(ctx, "vi", 1, v1, text="Khác"))
    with pytest.raises(NotFound):
        cuelist.save(ws, ctx, "vi", cuelist.edit_cue(ctx, "vi", 7, v1, text="Khác"))
    v1 = cuelist.version_of(cuelist.read_cues(ws, "vi")[0])
    with pytest.raises(Invalid):
        cuelist.save(ws, ctx, "vi", cuelist.edit_cue(ctx, "vi", 1, v1, start_ms=1700))
    with pytest.raises(Invalid):
        cuelist.save(ws, ctx, "vi", cuelist.edit_cue(ctx, "vi", 1, v1, text="   "))
    with pytest.raises(Invalid):
        cuelist.save(ws, ctx, "vi", cuelist.edit_cue(ctx, "vi", 1, v1, start_ms=5000, end_ms=6000))
    assert path.read_bytes() == before


def test_split_merge_and_lint_of_the_touched_cue(ws: Workspace) -> None:
    ctx = _ctx(ws)
    second = cuelist.read_cues(ws, "en")[1]
    with pytest.raises(Invalid):
        cuelist.save(ws, ctx, "en", cuelist.split_cue(ctx, "en", 2, cuelist.version_of(second), at_ms=1000))
    saved = cuelist.save(ws, ctx, "en", cuelist.split_cue(ctx, "en", 2, cuelist.version_of(second), at_ms=2700))
    cues = cuelist.read_cues(ws, "en")
    assert [(c.start_ms, c.end_ms) for c in cues] == [(200, 1700), (1900, 2700), (2780, 3600)]
    assert [c.flat_text for c in cues[1:]] == ["đến với Trà", "Vinh hôm nay"]
    assert saved.touched == [2, 3]
    merged = cuelist.save(ws, ctx, "en", cuelist.merge_cues(ctx, "en", 2, cuelist.version_of(cues[1]),
                                                            cuelist.version_of(cues[2])))
    cues = cuelist.read_cues(ws, "en")
    assert [(c.start_ms, c.end_ms, c.flat_text) for c in cues][1] == (1900, 3600, "đến với Trà Vinh hôm nay")
    assert merged.touched == [2]
    # a cue made too short to read is saved (the reviewer decides) and lint says so for that cue
    short = cuelist.save(ws, ctx, "en", cuelist.edit_cue(ctx, "en", 1, cuelist.version_of(cues[0]), end_ms=500))
    assert any(i["rule"] == "min-duration" and i["cue"] == 1 and i["label"] for i in short.issues)


def test_legal_spans_join_consecutive_frames() -> None:
    frame = 0.04
    rows = [(0.0, 16, 235, 16, 240, 16, 240, 0.0), (0.04, 0, 255, 16, 240, 16, 240, 0.05),
            (0.08, 0, 255, 16, 240, 16, 240, 0.2), (0.12, 16, 235, 16, 240, 16, 240, 0.005),
            (0.40, 0, 255, 16, 240, 16, 240, 0.02), (0.44, 16, 235, 16, 240, 16, 240)]
    assert legal_spans(rows, frame) == [(0.04, 0.12), (0.40, 0.44)]
