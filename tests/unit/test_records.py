"""The on-disk records of records/ without media: each one read back as written, a clear error naming
the file when it cannot be, and the readers that used to parse JSON or display text by hand
(the batch summary's bags and failures) taking the typed fields instead."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import bagit
import pytest

from pipeline.batch.summary import ProgrammeResult, build_summary
from pipeline.errors import Failure, MediaError, WorkspaceError
from pipeline.media.probe import AudioStream, MediaInfo, VideoStream
from pipeline.qc.plan import CheckResult, Status
from pipeline.records.package import read_package_record, write_package_record
from pipeline.records.probe import read_probe, write_probe
from pipeline.records.qc import (
    FileQC,
    LoudnessSeries,
    MeasuredFile,
    QCReport,
    posters_dir,
    qc_report_path,
    read_qc_report,
    write_qc_report,
)
from pipeline.records.review import (
    Approval,
    DecisionEntry,
    Note,
    Override,
    add_note,
    delete_note,
    notes_path,
    read_approval,
    read_notes,
    write_approval,
)
from pipeline.records.shots import ShotList, read_shots, write_shots
from pipeline.stages.package import delivered_record
from pipeline.workspace import Workspace


@pytest.fixture()
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "workspace", "p")


def _report() -> QCReport:
    black = CheckResult("picture.black", "Black picture", Status.WARN, "0.6 s", "< 0.5 s", "at 2.0 s",
                        0.6, "s", ((2.0, 2.6),))
    loud = CheckResult("loudness.integrated", "Loudness", Status.PASS, "-23.1 LUFS", "-23 ± 1", value=-23.1,
                       unit="LUFS")
    measured = MeasuredFile("ab" * 32, 1_700_000_000.5, 3.25, -10.0,
                            LoudnessSeries(0.5, ("t_s", "momentary_lufs", "short_term_lufs"),
                                           ((0.5, -24.0, -25.0), (1.0, None, -24.5))))
    web = FileQC("web-720p", "web-720p", "/w/p/renders/web.mp4", [black, loud], posters=[Path("/x/web-1.jpg")],
                 measured=measured)
    failed = FileQC("broadcast", "?", "", [CheckResult("render", "Rendered file", Status.FAIL, "missing", "present")])
    lint = CheckResult("subtitles.vi.lint", "Lint vi", Status.PASS, "0 errors", "0", spans_s=())
    upstream = CheckResult("pipeline.transcribe.b", "Earlier stage: transcribe", Status.WARN, "transcribe b failed",
                           "no failure upstream")
    return QCReport("p", [web, failed], [lint], title="Trà Vinh", generated="2026-01-01 00:00 UTC",
                    pipeline=[upstream], judged={"renders/web.mp4": "ab" * 32, "subtitles/p.vi.srt": "cd" * 32})


def test_the_qc_report_reads_back_as_written(ws: Workspace) -> None:
    assert read_qc_report(ws) is None  # before QC has run
    report = _report()
    write_qc_report(qc_report_path(ws), report)
    written = json.loads(qc_report_path(ws).read_text("utf-8"))
    assert written["version"] == 1 and written["verdict"] == "FAIL"
    assert written["failed"] == ["broadcast: Rendered file"]
    assert written["deliverables"][0]["posters"] == ["web-1.jpg"]
    assert written["deliverables"][0]["loudness_series"]["time"] == "programme seconds"
    assert "measured_at" not in written["deliverables"][1]  # never measured
    again = read_qc_report(ws)
    assert again is not None and again.to_json() == written
    assert again.judged == report.judged  # which content the verdicts are of
    assert again.verdict is Status.FAIL and again.failed == report.failed
    web = again.file("web-720p")
    assert web is not None and web.posters == [posters_dir(ws) / "web-1.jpg"]
    check = web.check("loudness.integrated")
    assert check is not None and check.value == -23.1
    assert again.file("social") is None


def test_a_qc_report_from_before_the_version_field_still_reads(ws: Workspace) -> None:
    data = _report().to_json()
    del data["version"]
    qc_report_path(ws).parent.mkdir(parents=True)
    qc_report_path(ws).write_text(json.dumps(data), "utf-8")
    again = read_qc_report(ws)
    assert again is not None and again.verdict is Status.FAIL


@pytest.mark.parametrize("text", ['{"version": 7, "deliverables": []}', "{not json", "[1, 2]",
                                  '{"deliverables": [{"deliverable": "x", "checks": [{"id": "a"}]}]}'])
def test_an_unknown_or_damaged_qc_report_is_an_error_naming_it(ws: Workspace, text: str) -> None:
    qc_report_path(ws).parent.mkdir(parents=True)
    qc_report_path(ws).write_text(text, "utf-8")
    with pytest.raises(WorkspaceError) as err:
        read_qc_report(ws)
    assert err.value.path == str(qc_report_path(ws)) and "reportage qc" in (err.value.hint or "")
    assert "QC report is unreadable" in err.value.problem


def test_review_notes_keep_their_order_on_disk_and_read_in_programme_order(ws: Workspace) -> None:
    assert read_notes(ws) == []
    later = Note("b", 5000, 6000, "Hà", "Tiếng nhỏ", "2026-01-01T00:00:02Z")
    earlier = Note("a", 1000, 1000, "Khoa", "Hình tối", "2026-01-01T00:00:03Z")
    add_note(ws, later)
    add_note(ws, earlier)
    assert [n["id"] for n in json.loads(notes_path(ws).read_text("utf-8"))] == ["b", "a"]
    assert read_notes(ws) == [earlier, later]
    assert delete_note(ws, "b") and not delete_note(ws, "b")
    assert read_notes(ws) == [earlier]


def test_a_damaged_note_is_an_error_naming_the_file_and_the_note(ws: Workspace) -> None:
    notes_path(ws).parent.mkdir(parents=True)
    notes_path(ws).write_text(json.dumps([{"id": "a", "in_ms": 0}, {"id": "b", "in_ms": "soon"}]), "utf-8")
    with pytest.raises(WorkspaceError) as err:
        read_notes(ws)
    assert "review note 2" in err.value.problem and err.value.path == str(notes_path(ws))


def test_the_approval_reads_back_with_its_history(ws: Workspace) -> None:
    assert read_approval(ws) is None
    first = Approval("changes_requested", "Hà", "2026-01-01T00:00:00Z", "sửa câu 2", {"a.srt": "1" * 64})
    waived = (Override("web-720p:video.width", "qc_fail", "Kiểm tra kỹ thuật báo LỖI", "bản xem thử", "Khoa"),)
    approved = Approval("approved_with_changes", "Khoa", "2026-01-02T00:00:00Z", "sửa tên ở câu 3",
                        {"a.srt": "2" * 64}, (first.entry(),), waived)
    write_approval(ws, approved)
    again = read_approval(ws)
    assert again == approved and again.approved and again.overrides[0].reason == "bản xem thử"
    assert again.history == (DecisionEntry("changes_requested", "Hà", "2026-01-01T00:00:00Z", "sửa câu 2"),)
    path = ws.dir / "review" / "approval.json"
    for damaged in ({**approved.to_json(), "decision": "maybe"}, {**approved.to_json(), "version": 99},
                    {**approved.to_json(), "overrides": [{**waived[0].to_json(), "reason": " "}]}):
        path.write_text(json.dumps(damaged), "utf-8")
        with pytest.raises(WorkspaceError) as err:
            read_approval(ws)
        assert "not in the expected form" in err.value.problem and "reportage review" in (err.value.hint or "")


def test_an_approval_of_the_first_shape_reads_as_a_decision(ws: Workspace) -> None:
    """Records written before decisions and overrides were kept: `verdict`, no version."""
    path = ws.dir / "review" / "approval.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"verdict": "approved", "by": "Khoa", "at": "2026-01-02T00:00:00Z", "comment": "",
                                "files": {"a.srt": "2" * 64},
                                "history": [{"verdict": "changes_requested", "by": "Hà", "at": "2026-01-01T00:00:00Z",
                                             "comment": "sửa câu 2"}]}), "utf-8")
    old = read_approval(ws)
    assert old is not None and old.decision == "approved" and old.approved and old.overrides == ()
    assert old.history[0].decision == "changes_requested"
    assert old.to_json()["version"] == 2 and old.to_json()["decision"] == "approved"


def test_probe_and_shot_list_read_back_as_ingest_wrote_them(ws: Workspace) -> None:
    video = VideoStream(0, "h264", "High", 1920, 1080, "1:1", "yuv420p", "30000/1001", "30000/1001", "progressive",
                        90, "bt709", "bt709", "bt709", "tv", 8_000_000, 300)
    info = MediaInfo("/f/a.mov", "mov,mp4", 10_000, 10_010, 8_100_000, video,
                     (AudioStream(1, "aac", 48000, 2, "stereo", None),), 1, 0, "01:00:00;00", None, True,
                     (33.3, 33.4), {"reel_name": "A001"}, None)
    with pytest.raises(WorkspaceError, match="has not been ingested"):
        read_probe(ws, "a")
    write_probe(ws, "a", info)
    assert read_probe(ws, "a") == info
    assert read_shots(ws, "a") is None  # a clip without a shot list
    write_shots(ws, "a", ShotList.of([400, 1000], 2000, Fraction(25)))
    assert json.loads(ws.shots_json("a").read_text("utf-8")) == {
        "rate": "25/1", "cuts_ms": [400, 1000],
        "shots": [{"start_ms": 0, "end_ms": 400, "start_frame": 0},
                  {"start_ms": 400, "end_ms": 1000, "start_frame": 10},
                  {"start_ms": 1000, "end_ms": 2000, "start_frame": 25}]}
    shots = read_shots(ws, "a")
    assert shots is not None and shots.cuts_ms == (400, 1000) and shots.rate == 25


def _bag(ws: Workspace, name: str) -> Path:
    bag = ws.delivery_dir / name
    (bag / "video").mkdir(parents=True)
    (bag / "video" / "P_WEB.mp4").write_bytes(b"video" * 100)
    bagit.make_bag(str(bag), checksums=["sha256", "md5"], processes=1)
    return bag


def test_the_summary_lists_the_bag_package_recorded_not_whatever_lies_in_delivery(ws: Workspace) -> None:
    _bag(ws, "P_2025")  # an old bag under an earlier name: not what was delivered last
    bag = _bag(ws, "P_2026")
    record = delivered_record("p", ws, bag, None)
    assert record.bag == "delivery/P_2026" and record.zip is None
    assert [(f.path, f.size_bytes) for f in record.payload] == [("data/video/P_WEB.mp4", 500)]
    assert record.payload[0].sha256 == bagit.Bag(str(bag)).entries["data/video/P_WEB.mp4"]["sha256"]
    assert record.bag_files == len([p for p in bag.rglob("*") if p.is_file()])
    write_package_record(ws, record)
    assert read_package_record(ws) == record
    summary = build_summary([ProgrammeResult("p", "/m/p.yaml", finished=True)], ws.root, 0.0, 1.0)
    bags = summary["programmes"][0]["bags"]
    assert [b["path"] for b in bags] == [str(bag)] and bags[0]["files"] == record.bag_files
    assert bags[0]["size_bytes"] == record.bag_bytes


def test_the_summary_takes_the_fix_from_the_failures_fields_never_from_its_line(tmp_path: Path) -> None:
    error = MediaError("cannot read media — the header is cut off", path="/m/a.mov", hint="copy it again")
    assert error.failure() == Failure("cannot read media — the header is cut off", "/m/a.mov", "copy it again")
    assert error.failure().line() == error.one_line()
    outcome = {"stage": "ingest", "ok": False, "seconds": 1.0, "error": error.one_line(), **error.failure().to_json()}
    result = ProgrammeResult("p", "/m/p.yaml", [outcome], finished=True, stopped_after="ingest")
    failure = build_summary([result], tmp_path, 0.0, 1.0)["programmes"][0]["failure"]
    assert failure == {"stage": "ingest", "reason": "/m/a.mov: cannot read media — the header is cut off",
                       "fix": "copy it again"}
