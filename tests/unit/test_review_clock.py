"""The review room's clock and QC rows: broadcast timecode from the start the NLE exports use, in/out
points edited as timecode and saved as the frame's milliseconds, and QC's verdicts in the page's
language, in programme timecode, failures first, each with what to do."""

from __future__ import annotations

import asyncio
import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from starlette.types import Message, Scope

from pipeline.fsutil import write_json
from pipeline.manifest import Programme
from pipeline.nle.programme import start_timecode
from pipeline.qc.plan import CheckResult, Status
from pipeline.records.qc import FileQC, LoudnessSeries, MeasuredFile, QCReport
from pipeline.render.state import RenderedDeliverable, RenderRecord, write_render_record
from pipeline.review import clock, qcview
from pipeline.review.app import create_app
from pipeline.review.origin import HEADER
from pipeline.review.views import qc_marks
from pipeline.subs import read_subtitles
from pipeline.timecode import Timecode
from pipeline.timeline import Segment, Timeline
from pipeline.validate import load_manifest
from pipeline.workspace import Workspace

PID = "clock-test"
HOST = "127.0.0.1:8765"
START = Timecode.parse("10:00:00:00", Fraction(25))


def _programme(root: Path, deliverables: str = "[web-720p]") -> tuple[Programme, Workspace]:
    """A manifest, a 4 s timeline at 25 fps and a Vietnamese and English cue each."""
    manifest = root / f"{PID}.yaml"
    manifest.write_text(
        f"id: {PID}\nyear: 2026\ntitle: {{vi: 'Đồng hồ', en: 'Clock'}}\nsynopsis: {{vi: 'a', en: 'b'}}\n"
        f"footage: [master.mov]\ntimeline: {{master: master.mov}}\ndeliverables: {deliverables}\n", encoding="utf-8")
    ws = Workspace(root / "workspace", PID)
    write_json(ws.timeline_json, Timeline(PID, Fraction(25), 160, 90, 48000,
                                          (Segment("master", "master.mov", 0, 100, 0, True),), ()).to_dict())
    ws.subtitles_dir.mkdir(parents=True)
    for lang, text in (("vi", "Xin chào Trà Vinh"), ("en", "Hello Trà Vinh")):
        ws.subtitle(lang, "srt").write_text(f"1\n00:00:00,200 --> 00:00:01,700\n{text}\n\n", encoding="utf-8")
        ws.subtitle(lang, "vtt").write_text(f"WEBVTT\n\n00:00:00.200 --> 00:00:01.700\n{text}\n\n", encoding="utf-8")
    return load_manifest(manifest), ws


def _call(app: Any, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """One request handed to the app as uvicorn would, from the room's own page."""
    headers = {"host": HOST, "content-type": "application/json"}
    if method != "GET":
        headers.update({"origin": f"http://{HOST}", HEADER: app.state.csrf})
    scope: Scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
                    "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
                    "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
                    "server": ("127.0.0.1", 8765), "client": ("127.0.0.1", 50123)}
    sent: list[Message] = []
    data = json.dumps(body).encode() if body is not None else b""

    async def receive() -> Message:
        return {"type": "http.request", "body": data, "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    status = next(m for m in sent if m["type"] == "http.response.start")["status"]
    return status, json.loads(b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"))


# -- the start ----------------------------------------------------------------------------------------

def test_the_start_is_the_one_the_nle_exports_use(tmp_path: Path) -> None:
    programme, ws = _programme(tmp_path)
    start = clock.programme_start(programme, ws, Fraction(25))
    assert str(start) == start_timecode(programme) == "10:00:00:00" and start.frames == 900_000
    # a programme whose own profile starts elsewhere: the room follows the export
    (programme.base_dir / "profiles").mkdir()
    (programme.base_dir / "profiles" / "web-720p.yaml").write_text("programme_start_tc: '01:00:00:00'\n", "utf-8")
    assert str(clock.programme_start(programme, ws, Fraction(25))) == start_timecode(programme) == "01:00:00:00"


def test_without_a_manifest_the_rendered_profiles_start(tmp_path: Path) -> None:
    _, ws = _programme(tmp_path)
    assert str(clock.programme_start(None, ws, Fraction(25))) == "10:00:00:00"  # nothing rendered: the house's
    house = tmp_path / "house.yaml"
    house.write_text("base: broadcast-xdcam\nname: house\nprogramme_start_tc: '09:00:00:00'\n", "utf-8")
    write_render_record(ws, RenderRecord(PID, {"house": RenderedDeliverable(
        "house", str(ws.dir / "renders" / "house.mxf"), str(house), 4.0, 1, leader_s=60.0)}))
    assert str(clock.programme_start(None, ws, Fraction(25))) == "09:00:00:00"


def test_timecode_to_programme_ms_and_back() -> None:
    assert clock.to_timecode(0, START) == "10:00:00:00"
    assert clock.to_timecode(1900, START) == "10:00:01:23"  # 47.5 frames: the nearest, halves to even
    assert clock.parse_timecode("10:00:01:23", START) == 1920 == Timecode(48, Fraction(25)).ms
    for frames in (0, 1, 24, 25, 1499, 90_001):
        text = str(Timecode(START.frames + frames, START.rate))
        assert clock.to_timecode(clock.parse_timecode(text, START), START) == text
    ntsc = Timecode.parse("01:00:00:00", Fraction(30000, 1001))
    assert clock.parse_timecode("01:00:00:15", ntsc) == Timecode(15, ntsc.rate).ms == 500
    assert clock.to_timecode(500, ntsc) == "01:00:00:15"
    with pytest.raises(ValueError, match="before the programme's start"):
        clock.parse_timecode("09:59:59:24", START)
    with pytest.raises(ValueError, match="frames 00–24"):
        clock.parse_timecode("10:00:00:25", START)


# -- the API ------------------------------------------------------------------------------------------

def test_the_page_gets_the_start_and_saves_in_out_as_timecode(tmp_path: Path) -> None:
    programme, ws = _programme(tmp_path)
    app = create_app(ws.root, programme)
    status, info = _call(app, "GET", f"/api/p/{PID}")
    assert status == 200 and info["clock"] == {"start_tc": "10:00:00:00", "start_frame": 900_000}
    cue = _call(app, "GET", f"/api/p/{PID}/cues")[1]["vi"]["cues"][0]
    status, body = _call(app, "POST", f"/api/p/{PID}/cues/vi/1/edit",
                         {"version": cue["version"], "start_tc": "10:00:00:06", "end_tc": "10:00:01:24"})
    assert status == 200, body
    saved = read_subtitles(ws.subtitle("vi", "srt")).cues[0]
    assert (saved.start_ms, saved.end_ms, saved.flat_text) == (240, 1960, "Xin chào Trà Vinh")  # frames 6 and 49
    cue = body["board"]["vi"]["cues"][0]
    status, body = _call(app, "POST", f"/api/p/{PID}/cues/vi/1/edit", {"version": cue["version"], "end_tc": "1:96"})
    assert status == 422 and "out point" in body["error"] and "10:00:00:00" in body["hint"]
    status, body = _call(app, "POST", f"/api/p/{PID}/cues/vi/1/edit",
                         {"version": cue["version"], "start_tc": "09:00:00:00"})
    assert status == 422 and "before the programme's start" in body["error"]
    assert read_subtitles(ws.subtitle("vi", "srt")).cues[0].start_ms == 240  # refusals write nothing
    status, qc = _call(app, "GET", f"/api/p/{PID}/qc")
    assert status == 200 and qc["rows"] is None and qc["clock"]["start_tc"] == "10:00:00:00"


# -- QC rows ------------------------------------------------------------------------------------------

def _report() -> QCReport:
    """A broadcast master with a 60 s leader (QC's texts in its file clock, spans in programme
    seconds, as qc.plan writes them) and the subtitles."""
    black = CheckResult("picture.black", "Black picture", Status.FAIL, "0.60 s at 00:01:02.00",
                        "none outside allowed; WARN ≥ 0.2 s, FAIL ≥ 0.5 s",
                        "1 outside allowed: 00:01:02.00–00:01:02.60", 0.6, "s", ((2.0, 2.6),))
    freeze = CheckResult("picture.freeze", "Frozen picture", Status.WARN, "2.40 s at 00:01:03.00", "…",
                         "1 outside allowed: 00:01:03.00–00:01:05.40", 2.4, "s", ((3.0, 5.4),))
    size = CheckResult("video.size", "Frame size", Status.PASS, "1920x1080", "1920x1080")
    rate = CheckResult("video.rate", "Frame rate", Status.FAIL, "30 fps", "25 fps", "expected 25 fps", 30.0, "fps")
    master = FileQC("broadcast-xdcam", "broadcast-xdcam", "renders/m.mxf", [size, black, freeze, rate],
                    measured=MeasuredFile("0" * 64, 1.0, 1.0, -60.0, LoudnessSeries(0.5, (), ())))
    web = FileQC("web-720p", "web-720p", "renders/w.mp4", [
        CheckResult("picture.black", "Black picture", Status.WARN, "0.30 s at 00:00:01.90", "…",
                    "1 outside allowed: 00:00:01.90–00:00:02.90", 0.3, "s", ((1.9, 2.9),))])
    words = CheckResult("subtitles.vi.uncertain_words", "Subtitles vi: uncertain recognised words reviewed",
                        Status.WARN, "1 word in 1 cue", "none left unreviewed (WARN)",
                        "1 uncertain recognised word in 1 cue nobody has reviewed (first at 00:00:01:10): review "
                        "them in the review room", 1.0, "words", ((1.4, 1.7),))
    coverage = CheckResult("subtitles.en.coverage", "Subtitles en cover the speech", Status.FAIL,
                           "1 uncovered, longest 2500 ms", "none ≥ 2000 ms", "1.0–3.5 s", 2500.0, "ms", ((1.0, 3.5),))
    return QCReport(PID, [master, web], [words, coverage])


def test_qc_rows_fail_first_in_programme_timecode_with_what_to_do(tmp_path: Path) -> None:
    _, ws = _programme(tmp_path)
    report = _report()
    offsets = qcview.programme_offsets(ws, report)
    assert offsets == {"broadcast-xdcam": -60.0}  # QC's own: add to the file's time for the programme's
    rows = qcview.qc_rows(report, START, offsets)
    assert rows["verdict"] == "FAIL"
    assert [(r["where"], r["id"]) for r in rows["failures"]] == [
        ("broadcast-xdcam", "picture.black"), ("broadcast-xdcam", "video.rate"), ("Phụ đề", "subtitles.en.coverage")]
    black = rows["failures"][0]
    assert black["label"] == "Hình đen" and black["label_en"] == "Black picture"  # the id stays beside it
    assert black["measured"] == "0.60 s at 10:00:02:00"  # not the master's 00:01:02.00 (leader included)
    assert black["detail"] == "1 outside allowed: 10:00:02:00–10:00:02:15"
    assert black["spans"] == [{"start_ms": 2000, "end_ms": 2600, "tc_in": "10:00:02:00", "tc_out": "10:00:02:15"}]
    assert black["start_ms"] == 2000
    assert black["todo"].startswith("Xem đoạn 10:00:02:00–10:00:02:15") and "reportage run" in black["todo"]
    assert "hồ sơ broadcast-xdcam (cần 25 fps)" in rows["failures"][1]["todo"]
    assert rows["failures"][2]["label"] == "Phụ đề tiếng Anh phủ hết lời nói"
    master = rows["groups"][0]["rows"]
    assert [r["status"] for r in master] == ["FAIL", "FAIL", "WARN", "PASS"]  # failures first
    assert master[2]["measured"] == "2.40 s at 10:00:03:00" and "todo" in master[2] and "todo" not in master[3]
    web = rows["groups"][1]["rows"][0]
    assert web["measured"] == "0.30 s at 10:00:01:23"  # no leader: the file's clock is the programme's
    subtitles = rows["groups"][2]
    assert subtitles["name"] == "Phụ đề" and [r["status"] for r in subtitles["rows"]] == ["FAIL", "WARN"]
    assert "first at 10:00:01:10" in subtitles["rows"][1]["detail"]  # a programme timecode, moved to the start
    assert subtitles["rows"][1]["label"] == "Phụ đề tiếng Việt: từ nhận dạng chưa chắc chắn đã được nghe lại"


def test_offsets_from_the_render_record_when_qc_has_none(tmp_path: Path) -> None:
    _, ws = _programme(tmp_path)
    write_render_record(ws, RenderRecord(PID, {
        "broadcast-xdcam": RenderedDeliverable("broadcast-xdcam", str(ws.dir / "m.mxf"), "broadcast-xdcam", 64.0, 1,
                                               leader_s=60.0),
        "social": RenderedDeliverable("social", str(ws.dir / "s.mp4"), "social-9x16", 2.0, 1,
                                      excerpt_s=(10.0, 12.0))}))
    report = QCReport(PID, [FileQC("broadcast-xdcam", "broadcast-xdcam", "m.mxf", [])], [])
    assert qcview.programme_offsets(ws, report) == {"broadcast-xdcam": -60.0, "social": 10.0}


def test_marks_name_the_check_in_vietnamese_with_its_id() -> None:
    marks = qc_marks(_report())
    black = next(m for m in marks if m["status"] == "FAIL")
    assert (black["kind"], black["start_ms"], black["end_ms"]) == ("black", 2000, 2600)
    assert black["label"] == "Kiểm tra kỹ thuật — Lỗi (broadcast-xdcam): Hình đen [picture.black]"
