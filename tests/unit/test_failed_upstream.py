"""A failed upstream stage makes everything made from it stale, and everyone says so.

The scenario that shipped stale subtitles: a clip changed, its transcription failed, and `run` said
the subtitles were up to date (the old speech's transcript was still there), rendered and bagged the
old speech's words, and the bag did not mention the failure. Now the failed transcription removes the
transcript of the clip's earlier sound, the failure is part of every downstream stage's key
(`stagerun.check`), the subtitles say what they were made without, QC fails the programme over it
and the bag records it."""

from __future__ import annotations

import json
import shutil
import wave
from pathlib import Path

import bagit
import pytest

from pipeline import stagerun
from pipeline.asr.engine import TranscribeSettings
from pipeline.errors import WorkspaceError
from pipeline.manifest import Programme
from pipeline.qc.plan import Status
from pipeline.records.qc import QCReport
from pipeline.run import STAGES, stage
from pipeline.stagelist import clip_stage, upstream
from pipeline.stages.package import _bag
from pipeline.stages.qc import failure_checks
from pipeline.stages.subtitles import subtitles_programme
from pipeline.stages.transcribe import transcribe_programme
from pipeline.subs import read_subtitles
from pipeline.timeline import load_timeline
from pipeline.workspace import Workspace
from tests.asr_fixtures import FakeTranscriber, make_programme, write_ingest
from tests.unit.test_subtitles_stage import FakeTranslator, two_clip_workspace


@pytest.fixture()
def setup(tmp_path: Path) -> tuple[Programme, Workspace]:
    """The subtitles stage's two-clip programme (tests/unit/test_subtitles_stage.py)."""
    return two_clip_workspace(tmp_path)


def test_what_each_stage_is_made_from() -> None:
    assert upstream("ingest") == ()
    assert upstream("subtitles") == ("ingest", "transcribe", "assemble")
    assert "transcribe" not in upstream("conform"), "a working copy is not made from the words"
    assert upstream("package") == tuple(s.name for s in STAGES[:-1] if s.name != "publish"), \
        "a bag without the publish folders is not made from them (`package --with-publish` keys on them itself)"
    assert upstream("publish") == ("ingest", "transcribe", "assemble", "conform", "subtitles", "render", "qc")
    assert clip_stage("transcribe") and clip_stage("conform") and not clip_stage("render")


def test_a_failure_upstream_changes_the_key_until_it_is_cleared(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws", "demo")
    inputs = {"timeline": "x"}
    before = stagerun.check(ws, "subtitles", stagerun.PROGRAMME, inputs)
    stagerun.record(ws, before, [])
    assert stagerun.check(ws, "subtitles", stagerun.PROGRAMME, inputs).fresh
    stagerun.record_failure(ws, "transcribe", "b", "RuntimeError: boom in b")
    stale = stagerun.check(ws, "subtitles", stagerun.PROGRAMME, inputs)
    assert not stale.fresh and [f.line() for f in stale.failed_upstream] == [
        "transcribe failed on b: RuntimeError: boom in b"]
    assert stagerun.check(ws, "render", "web-720p", inputs).failed_upstream, "further down too"
    assert stagerun.check(ws, "render", "web-720p", inputs, upstream=False).failed_upstream == ()
    # a stage whose targets are clips hears only of its own clip; conform is not made from words at all
    assert stagerun.check(ws, "conform", "b", inputs).failed_upstream == ()
    stagerun.record_failure(ws, "ingest", "b", "not media")
    assert [f.stage for f in stagerun.check(ws, "conform", "b", inputs).failed_upstream] == ["ingest"]
    assert stagerun.check(ws, "conform", "a", inputs).failed_upstream == ()
    # a later success on the same target clears it
    stagerun.record(ws, stagerun.check(ws, "transcribe", "b", {"audio": "new"}), [])
    stagerun.record(ws, stagerun.check(ws, "ingest", "b", {"source": "new"}), [])
    assert stagerun.upstream_failures(ws, "subtitles") == ()
    assert stagerun.check(ws, "subtitles", stagerun.PROGRAMME, inputs).fresh


def test_a_stage_that_raises_is_on_record_until_it_succeeds(tmp_path: Path) -> None:
    programme = make_programme(tmp_path / "prog")
    ws = Workspace(tmp_path / "ws", programme.id)
    with pytest.raises(WorkspaceError):  # nothing assembled yet
        stage("subtitles").run(programme, ws)
    failed = stagerun.upstream_failures(ws, "qc")
    assert [(f.stage, f.target) for f in failed] == [("subtitles", stagerun.PROGRAMME)]
    assert "timeline.json" in failed[0].message
    stagerun.clear_failure(ws, "subtitles")
    assert stagerun.upstream_failures(ws, "qc") == ()


def _sound_changed(path: Path) -> None:
    with wave.open(str(path)) as handle:
        params, frames = handle.getparams(), handle.readframes(handle.getnframes())
    with wave.open(str(path), "wb") as handle:
        handle.setparams(params)
        handle.writeframes(b"\x10\x00" + frames[2:])


def test_a_failed_transcription_of_new_sound_removes_the_old_words(tmp_path: Path) -> None:
    programme = make_programme(tmp_path / "prog")
    ws = Workspace(tmp_path / "ws", programme.id)
    write_ingest(ws, "a-interview", duration_ms=1000)
    write_ingest(ws, "interview", duration_ms=1000)
    ok = transcribe_programme(programme, ws, TranscribeSettings(), FakeTranscriber({}))  # type: ignore[arg-type]
    assert ok.ok and ws.transcript_json("a-interview").is_file()
    # the same sound failing again (other settings, a model hiccup): its words are still the clip's
    failing = FakeTranscriber({}, fail=["interview"])
    again = transcribe_programme(programme, ws, TranscribeSettings(beam_size=2), failing)  # type: ignore[arg-type]
    assert [c.clip_id for c in again.failed] == ["interview"] and ws.transcript_json("interview").is_file()
    # the clip changed and its transcription failed: the old speech's words go
    _sound_changed(ws.audio16k("a-interview"))
    failing = FakeTranscriber({}, fail=["a-interview"])
    report = transcribe_programme(programme, ws, TranscribeSettings(), failing)  # type: ignore[arg-type]
    failed = {c.clip_id: c for c in report.failed}
    assert "earlier sound was removed" in failed["a-interview"].message
    assert not ws.transcript_json("a-interview").exists() and not ws.transcript_txt("a-interview").exists()
    assert [f.target for f in stagerun.upstream_failures(ws, "subtitles")] == ["interview", "a-interview"]


def test_subtitles_after_a_failed_transcription_are_made_again_and_say_so(setup: tuple[Programme, Workspace]) -> None:
    programme, ws = setup
    first = subtitles_programme(programme, ws, translator=FakeTranslator())  # type: ignore[arg-type]
    assert not first.up_to_date and "kẹo dừa" in ws.subtitle("vi", "srt").read_text(encoding="utf-8")
    # clip b changed; its transcription failed and took the old speech's transcript with it
    stagerun.record_failure(ws, "transcribe", "b", "RuntimeError: boom in b")
    ws.transcript_json("b").unlink()
    report = subtitles_programme(programme, ws, translator=FakeTranslator())  # type: ignore[arg-type]
    assert not report.up_to_date
    assert report.failed_upstream == ("transcribe failed on b: RuntimeError: boom in b",)
    assert "kẹo dừa" not in " ".join(c.flat_text for c in read_subtitles(ws.subtitle("vi", "srt")).cues)
    # the failure stands: a rerun has nothing new to make, and still says what it is made without
    again = subtitles_programme(programme, ws, translator=FakeTranslator())  # type: ignore[arg-type]
    assert again.up_to_date and again.failed_upstream == report.failed_upstream


def test_qc_fails_over_a_clip_of_the_edit_and_the_bag_says_what_failed(
        setup: tuple[Programme, Workspace], tmp_path: Path) -> None:
    programme, ws = setup
    stagerun.record_failure(ws, "transcribe", "b", "RuntimeError: boom in b")
    stagerun.record_failure(ws, "transcribe", "rushes-9", "RuntimeError: boom in rushes-9")
    checks = failure_checks(stage("qc").work(ws), load_timeline(ws.timeline_json))
    verdicts = {c.id: (c.status, c.detail) for c in checks}
    status, detail = verdicts["pipeline.transcribe.b"]
    assert status is Status.FAIL and "made without it" in detail and "reportage run" in detail
    assert verdicts["pipeline.transcribe.rushes-9"][0] is Status.WARN, "a clip the edit leaves out"
    report = QCReport("demo", [], [], pipeline=checks)
    assert report.verdict is Status.FAIL and report.failed == ["pipeline: transcribe b failed"]
    assert json.loads(json.dumps(report.to_json()))["pipeline"]["verdict"] == "FAIL"
    bag = tmp_path / "bag"
    (bag / "data").mkdir(parents=True)
    (bag / "data" / "x.txt").write_text("x", encoding="utf-8")
    failures = [f.line() for f in stagerun.upstream_failures(ws, "package")]
    _bag(bag, programme, "DEMO", report, [], {}, None, failures)
    info = bagit.Bag(str(bag)).info
    assert "transcribe failed on b: RuntimeError: boom in b" in info["Stage-Failures"]
    shutil.rmtree(bag)
