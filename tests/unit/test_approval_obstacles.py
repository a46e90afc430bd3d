"""Approval that means what it says: what stands in the way of approving (review/obstacles.py), the
room refusing over it and recording each override with its reason, and `package` refusing a QC report
older than the files it would travel with.

The workspace is made by the stages' own writers: the subtitles stage (a machine translator standing
in for the local model, one recognised word flagged unsure), the render record with the render stage's
runs on record from its own plan (the files are bytes, not films), and the QC stage itself with the
decode stood in for (as tests/unit/test_qc_fresh.py does): so its report FAILs the bytes, which is the
QC FAIL an approver must set aside.
"""

from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path
from typing import Any

import bagit
import pytest

from pipeline.asr.transcript import WORD_LOW_PROBABILITY, ModelRef, Transcript, TranscriptSegment, TranscriptWord
from pipeline.errors import WorkspaceError
from pipeline.fsutil import write_json
from pipeline.manifest import Programme
from pipeline.qc import report as qc_report_html
from pipeline.qc.checks import FileMeasurements
from pipeline.records.qc import qc_report_path, read_qc_report, write_qc_report
from pipeline.records.review import read_approval
from pipeline.render.state import (
    RenderedDeliverable,
    RenderRecord,
    deliverable_files,
    read_render_record,
    render_record_path,
    write_render_record,
)
from pipeline.review import cues as cuelist
from pipeline.review import obstacles, state
from pipeline.review.app import create_app
from pipeline.review.errors import Blocked, Invalid
from pipeline.review.freshness import stage_freshness
from pipeline.review.origin import HEADER
from pipeline.run import stage
from pipeline.stages import qc as qc_stage
from pipeline.stages.package import Settings as PackageSettings
from pipeline.stages.package import package_programme
from pipeline.stages.subtitles import subtitles_programme
from pipeline.timeline import Segment, Timeline, load_timeline
from pipeline.translate import SourceCue, TranslationContext
from pipeline.validate import load_manifest
from pipeline.workspace import Workspace
from tests.unit.test_review_origin import call

PID = "p"
DELIVERABLES = ("web-720p", "social-9x16")  # sidecar subtitles; Vietnamese burned in
MANIFEST = (f"id: {PID}\nyear: 2026\ntitle: {{vi: 'Trà Vinh', en: 'Tra Vinh'}}\nsynopsis: {{vi: 'a', en: 'b'}}\n"
            "footage: [master.mov]\ntimeline: {master: master.mov}\n"
            f"deliverables: [{', '.join(DELIVERABLES)}]\n")
WORDS = [(200, 500, "Chào"), (500, 800, "mừng"), (800, 1050, "quý"), (1050, 1250, "vị"), (1250, 1400, "đến"),
         (1400, 1550, "Trà"), (1550, 1700, "Vinh.")]
UNSURE = "Trà"


class MachineTranslator:
    """Stands in for the local model: a machine draft nobody has reviewed."""

    name = "llama"
    is_machine_draft = True

    def translate(self, cues: list[SourceCue], context: TranslationContext) -> list[str]:
        return [f"EN {c.text}" for c in cues]


def _measure(path: Path, rate: Fraction, *, skip_s: float = 0.0) -> FileMeasurements:
    """Stands in for QC's decode of the render (bytes here): loudness and picture only."""
    loud = [(round(0.1 * i, 1), -23.0, -23.0) for i in range(1, 41)]
    luma: list[tuple[float, ...]] = [(i * 0.04, 16.0, 235.0, 16.0, 240.0, 16.0, 240.0, 0.0) for i in range(100)]
    values: dict[str, Any] = {"video.codec": "h264", "loudness.integrated": -23.0, "loudness.true_peak": math.nan,
                              "picture.black": [], "picture.freeze": [], "audio.silence": [], "picture.legal": luma}
    return FileMeasurements(values, loud, luma, 4.0)


@pytest.fixture(autouse=True)
def no_decode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(qc_stage, "measure_file", _measure)
    monkeypatch.setattr(qc_stage, "poster_frames", lambda *args, **kwargs: [])
    for plot in ("loudness_plot", "luma_plot"):  # the HTML's drawings are not what is tested here
        monkeypatch.setattr(qc_report_html, plot, lambda *args: b"")


def render(programme: Programme, ws: Workspace, names: tuple[str, ...] = DELIVERABLES, content: bytes = b"") -> None:
    """The deliverables as the render stage leaves them: the files, the render record, and each one's
    run on record from the stage's own plan (so the catalogue finds them up to date)."""
    record = {}
    for name in names:
        out = ws.render_dir(name) / f"{PID}.mp4"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(name.encode() + content)
        record[name] = RenderedDeliverable(name, str(out), name, 4.0, out.stat().st_size,
                                           files=deliverable_files(ws, out))
    kept = dict(read_render_record(ws).deliverables) if render_record_path(ws).is_file() else {}
    write_render_record(ws, RenderRecord(PID, {**kept, **record}))
    renderer = stage("render")
    work, planned = renderer.work(ws), renderer.plan(programme, ws)
    for name in names:
        work.done(work.check(name, planned[name], upstream=False), [record[name].path, render_record_path(ws)])


def make(root: Path, *, qc: bool = True, deliverables: tuple[str, ...] = DELIVERABLES) -> tuple[Programme, Workspace]:
    """A programme after subtitles, render and (unless told) QC, each by its stage's own writer."""
    manifest = root / f"{PID}.yaml"
    manifest.write_text(MANIFEST.replace(", ".join(DELIVERABLES), ", ".join(deliverables)), encoding="utf-8")
    ws = Workspace(root / "workspace", PID)
    working = ws.conform("master")
    working.parent.mkdir(parents=True)
    working.write_bytes(b"the working copy")
    write_json(ws.timeline_json, Timeline(PID, Fraction(25), 320, 180, 48000,
                                          (Segment("master", str(working), 0, 100, 0, True),), ()).to_dict())
    words = tuple(TranscriptWord(a, b, t, 0.3 if t == UNSURE else 0.9, (WORD_LOW_PROBABILITY,) if t == UNSURE else ())
                  for a, b, t in WORDS)
    said = TranscriptSegment(200, 1700, " ".join(w.text for w in words), -0.2, 0.01, 1.1, words)
    write_json(ws.transcript_json("master"),
               Transcript("master", "vi", 4000, "0" * 64, ModelRef("t", "0" * 64), (said,)).to_json())
    programme = load_manifest(manifest)
    subtitles_programme(programme, ws, translator=MachineTranslator())  # type: ignore[arg-type]
    render(programme, ws, deliverables)
    if qc:
        stage("qc").run(programme, ws)
    return programme, ws


@pytest.fixture()
def made(tmp_path: Path) -> tuple[Programme, Workspace]:
    return make(tmp_path)


def context(ws: Workspace) -> cuelist.Context:
    return cuelist.make_context(ws, load_timeline(ws.timeline_json))


def standing(programme: Programme | None, ws: Workspace) -> list[obstacles.Obstacle]:
    """What the room finds in the way, as its endpoints gather it."""
    return obstacles.gather(ws, state.current_outputs(ws, list(DELIVERABLES)), stage_freshness(programme, ws),
                            cuelist.board(ws, context(ws)))


def by_kind(found: list[obstacles.Obstacle]) -> dict[str, list[obstacles.Obstacle]]:
    out: dict[str, list[obstacles.Obstacle]] = {}
    for o in found:
        out.setdefault(o.kind, []).append(o)
    return out


def reasons(found: list[obstacles.Obstacle], **extra: str) -> dict[str, str]:
    """A reason for setting aside each obstacle that can be."""
    return {**{o.id: f"đã xem: {o.id}" for o in found if o.overridable}, **extra}


def save(ws: Workspace, lang: str, no: int, text: str) -> None:
    """A reviewer's save in the room (the code the page's save goes through)."""
    ctx = context(ws)
    cue = cuelist.read_cues(ws, lang)[no - 1]
    cuelist.save(ws, ctx, lang, cuelist.edit_cue(ctx, lang, no, cuelist.version_of(cue), text=text))


def test_fresh_outputs_leave_only_what_a_person_decides(made: tuple[Programme, Workspace]) -> None:
    programme, ws = made
    found = by_kind(standing(programme, ws))
    assert set(found) == {"qc_fail", "machine_cues", "uncertain_words"}
    report = read_qc_report(ws)
    assert report is not None and report.judged  # the report names what it judged
    fails = [f"{f.deliverable}:{c.id}" for f in report.files for c in f.checks if c.status.value == "FAIL"]
    assert sorted(o.id for o in found["qc_fail"]) == sorted(fails) and "web-720p:video.size" in fails
    assert found["machine_cues"][0].items == ("en #1",)
    assert "1 từ nhận dạng chưa chắc chắn trong 1 câu" in found["uncertain_words"][0].problem
    assert all(o.overridable for group in found.values() for o in group)


def test_renders_older_than_the_subtitles_or_the_manifest(made: tuple[Programme, Workspace]) -> None:
    programme, ws = made
    save(ws, "vi", 1, "Xin chào Trà Vinh")  # burned into the social cut; web-720p carries it beside
    found = by_kind(standing(programme, ws))
    assert found["renders_stale"][0].problem.endswith(": social-9x16")
    assert found["qc_stale"][0].items == ("subtitles/p.vi.srt", "subtitles/p.vi.vtt")
    everything = reasons(standing(programme, ws), renders_stale="sẽ dựng sau", qc_stale="không cần")
    with pytest.raises(Blocked) as refused:  # neither can be set aside: the stages must run
        state.record_decision(ws, "approved", "Khoa", "", list(DELIVERABLES), standing=standing(programme, ws),
                              overrides=everything)
    assert {o["id"] for o in refused.value.obstacles} == {"renders_stale", "qc_stale"}
    assert not any(o["overridable"] for o in refused.value.obstacles)
    assert read_approval(ws) is None  # nothing recorded

    render(programme, ws, ("social-9x16",), b" again")
    assert "renders_stale" not in by_kind(standing(programme, ws))
    (programme.manifest_path).write_text(MANIFEST.replace("'Trà Vinh'", "'Trà Vinh hôm nay'"), encoding="utf-8")
    retitled = load_manifest(programme.manifest_path)
    stale = by_kind(standing(retitled, ws))["renders_stale"][0]
    assert stale.problem.endswith(": web-720p, social-9x16")  # the titles are in every render
    assert not stale.overridable


def test_a_qc_report_older_than_the_renders(tmp_path: Path) -> None:
    programme, ws = make(tmp_path, qc=False)
    missing = by_kind(standing(programme, ws))["qc_stale"][0]
    assert missing.problem == "Chưa có báo cáo kiểm tra kỹ thuật." and not missing.overridable
    stage("qc").run(programme, ws)
    assert "qc_stale" not in by_kind(standing(programme, ws))
    render(programme, ws, ("web-720p",), b" re-rendered")  # rendered again, QC not run since
    found = by_kind(standing(programme, ws))
    assert "renders_stale" not in found and found["qc_stale"][0].items == ("renders/web-720p/p.mp4",)
    assert stage_freshness(programme, ws).qc_stale  # what the QC stage recorded says so too
    stage("qc").run(programme, ws)
    assert "qc_stale" not in by_kind(standing(programme, ws))


def test_each_qc_fail_is_set_aside_by_its_own_override_with_a_reason(made: tuple[Programme, Workspace]) -> None:
    programme, ws = made
    found = standing(programme, ws)
    given = reasons(found)
    left_out = "web-720p:video.size"
    with pytest.raises(Blocked) as refused:
        state.record_decision(ws, "approved", "Khoa", "", list(DELIVERABLES), standing=found,
                              overrides={k: v for k, v in given.items() if k != left_out})
    assert [o["id"] for o in refused.value.obstacles] == [left_out]
    assert "Frame size" in refused.value.obstacles[0]["problem"]
    with pytest.raises(Blocked):  # one override for every FAIL is not one per check
        state.record_decision(ws, "approved", "Khoa", "", list(DELIVERABLES), standing=found,
                              overrides={**{k: v for k, v in given.items() if ":" not in k}, "qc_fail": "tất cả"})
    with pytest.raises(Invalid):  # a reason is needed
        state.record_decision(ws, "approved", "Khoa", "", list(DELIVERABLES), standing=found,
                              overrides={**given, left_out: "  "})
    assert read_approval(ws) is None

    approval = state.record_decision(ws, "approved", "Khoa", "ok", list(DELIVERABLES), standing=found,
                                     overrides={**given, left_out: "bản xem thử 320×180, bản phát sóng dựng sau"})
    again = read_approval(ws)
    assert again == approval and again.approved and again.decision == "approved"
    size = next(o for o in again.overrides if o.id == left_out)
    assert (size.kind, size.reason, size.by) == ("qc_fail", "bản xem thử 320×180, bản phát sóng dựng sau", "Khoa")
    assert {o.id for o in again.overrides} == {o.id for o in found}
    assert state.approval_state(ws, list(DELIVERABLES)).approved


def test_unreviewed_machine_cues_and_uncertain_words(made: tuple[Programme, Workspace]) -> None:
    programme, ws = made
    found = standing(programme, ws)
    fails = {o.id: "xem thử" for o in found if o.kind == "qc_fail"}
    with pytest.raises(Blocked) as refused:
        state.record_decision(ws, "approved", "Hà", "", list(DELIVERABLES), standing=found, overrides=fails)
    assert {o["id"] for o in refused.value.obstacles} == {"machine_cues", "uncertain_words"}
    approval = state.record_decision(ws, "approved", "Hà", "", list(DELIVERABLES), standing=found,
                                     overrides={**fails, "machine_cues": "người dịch đã đọc bản in",
                                                "uncertain_words": "tên riêng, đã kiểm tra"})
    waived = {o.id: o.reason for o in approval.overrides}
    assert waived == {**fails, "machine_cues": "người dịch đã đọc bản in", "uncertain_words": "tên riêng, đã kiểm tra"}

    save(ws, "en", 1, "Welcome to Trà Vinh")  # reviewed in the room: no longer the machine's
    save(ws, "vi", 1, "Chào mừng quý vị đến với Trà Vinh.")  # heard again and saved: no unsure word left
    assert not {"machine_cues", "uncertain_words"} & set(by_kind(standing(programme, ws)))


def test_without_the_manifest_the_stages_cannot_be_asked(made: tuple[Programme, Workspace]) -> None:
    _, ws = made
    found = by_kind(standing(None, ws))
    assert not found["unchecked"][0].overridable and "manifest" in found["unchecked"][0].fix
    assert "renders_stale" not in found and "qc_stale" not in found  # the report still judged these files


def test_asking_for_changes_needs_nothing_set_aside_and_approving_with_changes_says_which(
        made: tuple[Programme, Workspace]) -> None:
    programme, ws = made
    found = standing(programme, ws)
    asked = state.record_decision(ws, "changes_requested", "Hà", "sửa câu 2", list(DELIVERABLES), standing=found)
    assert asked.decision == "changes_requested" and not asked.approved and asked.overrides == ()
    with pytest.raises(Invalid):
        state.record_decision(ws, "approved_with_changes", "Khoa", " ", list(DELIVERABLES), standing=found,
                              overrides=reasons(found))
    approved = state.record_decision(ws, "approved_with_changes", "Khoa", "đổi tên ở câu 2 khi dựng lại",
                                     list(DELIVERABLES), standing=found, overrides=reasons(found))
    assert approved.approved and [h.decision for h in approved.history] == ["changes_requested"]
    now = state.approval_state(ws, list(DELIVERABLES))
    assert now.approved and now.to_dict()["decision"] == "approved_with_changes"
    assert now.reason == "approved with changes"


def test_the_room_refuses_over_its_api_and_records_the_overrides(made: tuple[Programme, Workspace]) -> None:
    programme, ws = made
    app = create_app(ws.root, programme)
    own = {"host": "127.0.0.1:8765", "origin": "http://127.0.0.1:8765", HEADER: app.state.csrf,
           "content-type": "application/json"}
    status, body = call(app, "GET", f"/api/p/{PID}/obstacles", {"host": "127.0.0.1:8765"})
    listed = json.loads(body)["obstacles"]
    assert status == 200 and {o["kind"] for o in listed} == {"qc_fail", "machine_cues", "uncertain_words"}
    assert all(o["fix"] and o["overridable"] for o in listed)
    ask = {"decision": "approved", "author": "Trần Minh Khoa"}
    status, body = call(app, "POST", f"/api/p/{PID}/approval", own, json.dumps(ask).encode())
    refused = json.loads(body)
    assert status == 409 and "approval refused" in refused["error"]
    assert {o["id"] for o in refused["obstacles"]} == {o["id"] for o in listed}
    assert read_approval(ws) is None
    given = {o["id"]: "đã bàn với đài" for o in listed}
    status, body = call(app, "POST", f"/api/p/{PID}/approval", own, json.dumps({**ask, "overrides": given}).encode())
    assert status == 200, body
    assert json.loads(body)["state"] == "approved"
    status, body = call(app, "GET", f"/api/p/{PID}/approval", {"host": "127.0.0.1:8765"})
    record = json.loads(body)["record"]
    assert record["decision"] == "approved" and record["version"] == 2
    assert {o["id"]: o["reason"] for o in record["overrides"]} == given
    assert {o["by"] for o in record["overrides"]} == {"Trần Minh Khoa"}


def test_package_refuses_a_qc_report_older_than_its_contents(made: tuple[Programme, Workspace]) -> None:
    """The issue: subtitles edited after QC, bagged beside the report of the files before the edit."""
    programme, ws = made
    allowed = PackageSettings(allow_fail=True, allow_unapproved=True)
    save(ws, "en", 1, "Welcome, everyone, to Trà Vinh")
    with pytest.raises(WorkspaceError) as refused:
        package_programme(programme, ws, allowed)
    assert "QC report is older than what would be bagged" in refused.value.problem
    assert "subtitles/p.en.srt" in refused.value.problem and "reportage qc" in (refused.value.hint or "")
    assert refused.value.path == str(qc_report_path(ws)) and not ws.delivery_dir.exists()

    stage("qc").run(programme, ws)  # judged again: the report and the bag agree
    made_bag = package_programme(programme, ws, allowed)
    assert (made_bag.bag / "data" / "subtitles").is_dir()

    report = read_qc_report(ws)  # a report from before reports named what they judged
    assert report is not None
    report.judged = {}
    write_qc_report(qc_report_path(ws), report)
    with pytest.raises(WorkspaceError) as older:
        package_programme(programme, ws, allowed)
    assert "not named by the report" in older.value.problem


def test_subtitles_no_deliverable_carries_still_travel_judged(tmp_path: Path) -> None:
    """Only the social cut (Vietnamese burned in): QC checks no English, yet the bag carries the
    English file, so the report names it too, and QC again brings the report up to date with it."""
    programme, ws = make(tmp_path, deliverables=("social-9x16",))
    allowed = PackageSettings(allow_fail=True, allow_unapproved=True)
    save(ws, "en", 1, "Welcome, everyone, to Trà Vinh")
    with pytest.raises(WorkspaceError, match=r"subtitles/p\.en\.srt"):
        package_programme(programme, ws, allowed)
    assert not stage("qc").run(programme, ws).up_to_date
    assert package_programme(programme, ws, allowed).bag.is_dir()


def test_the_bag_says_the_decision_and_what_was_set_aside(made: tuple[Programme, Workspace]) -> None:
    programme, ws = made
    found = standing(programme, ws)
    state.record_decision(ws, "approved", "Khoa", "", list(DELIVERABLES), standing=found,
                          overrides=reasons(found, machine_cues="người dịch đã đọc"))
    result = package_programme(programme, ws, PackageSettings(allow_fail=True))
    info = bagit.Bag(str(result.bag)).info
    assert info["Review-Decision"] == "approved" and info["Review-Approved-By"] == "Khoa"
    assert info["Review-Overrides"].startswith(f"{len(found)} set aside: machine_cues: người dịch đã đọc (Khoa)")
    assert "Review-Override" not in info  # approved: not packaged with --allow-unapproved
    sheet = json.loads(next((result.bag / "data" / "metadata").glob("*.json")).read_text("utf-8"))
    assert sheet["approval"]["decision"] == "approved" and len(sheet["approval"]["overrides"]) == len(found)
