"""English that the translator returned nothing for is never silent: nothing at all fails the stage
by name (no English file written, the earlier one removed, the record saying why, the failure on
record so what comes after is stale); some of it missing is a warning naming the cues; QC fails a
delivered language whose file is empty while the other has cues. One rule (`stagerun.enforce`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from pipeline import stagerun
from pipeline.errors import NothingProduced
from pipeline.manifest import Programme
from pipeline.qc.plan import Status
from pipeline.qc.subtitles import check_language
from pipeline.stages.subtitles import subtitles_programme
from pipeline.translate import SourceCue, TranslationContext
from pipeline.workspace import Workspace
from tests.unit.test_subtitles_stage import FakeTranslator, two_clip_workspace


@pytest.fixture()
def setup(tmp_path: Path) -> tuple[Programme, Workspace]:
    """The subtitles stage's two-clip programme (tests/unit/test_subtitles_stage.py)."""
    return two_clip_workspace(tmp_path)


class SilentTranslator:
    """Returns nothing (or nothing for the cues it is told to drop), as the whisper fallback did."""

    name = "whisper"
    is_machine_draft = True

    def __init__(self, keep: int = 0) -> None:
        self.keep = keep

    def translate(self, cues: Sequence[SourceCue], context: TranslationContext) -> list[str]:
        return [f"EN {n}" if n < self.keep else "" for n, _ in enumerate(cues)]


def _record(ws: Workspace) -> dict[str, object]:
    data: dict[str, object] = json.loads((ws.subtitles_dir / "demo.subtitles.json").read_text(encoding="utf-8"))
    return data


def test_no_english_at_all_fails_the_stage_by_name_and_writes_no_file(setup: tuple[Programme, Workspace]) -> None:
    programme, ws = setup
    subtitles_programme(programme, ws, translator=FakeTranslator())  # type: ignore[arg-type]
    assert ws.subtitle("en", "srt").stat().st_size > 0  # English from a working translator first
    stagerun.forget(ws, "subtitles")  # asked again, now of a translator that returns nothing
    with pytest.raises(NothingProduced) as raised:
        subtitles_programme(programme, ws, translator=SilentTranslator())  # type: ignore[arg-type]
    line = raised.value.one_line()
    assert "English: the translator (whisper) returned nothing for 3 of 3 sentences" in line
    assert "reportage doctor" in line and str(ws.subtitle("en", "srt")) in line
    assert not ws.subtitle("en", "srt").exists() and not ws.subtitle("en", "vtt").exists(), \
        "the earlier English does not outlive the cues it was made for, and no 0-byte file is written"
    assert ws.subtitle("vi", "srt").stat().st_size > 0
    en = _record(ws)["languages"]["en"]  # type: ignore[index]
    assert en["cues"] == 0 and "returned nothing" in en["failed"] and en["untranslated"] == [1, 2, 3]
    assert not stagerun.check(ws, "subtitles", stagerun.PROGRAMME, {}).fresh


def test_the_registry_records_the_failure_so_everything_after_is_stale(
        setup: tuple[Programme, Workspace], monkeypatch: pytest.MonkeyPatch) -> None:
    programme, ws = setup
    import pipeline.stages.subtitles as stage_module
    from pipeline.run import stage

    monkeypatch.setattr(stage_module, "make_translator", lambda *_: SilentTranslator())
    with pytest.raises(NothingProduced):
        stage("subtitles").run(programme, ws)  # type: ignore[arg-type]
    failed = stagerun.upstream_failures(ws, "render")
    assert [(f.stage, f.target) for f in failed] == [("subtitles", stagerun.PROGRAMME)]
    assert "returned nothing for 3 of 3 sentences" in failed[0].line()
    monkeypatch.setattr(stage_module, "make_translator", lambda *_: FakeTranslator())
    stage("subtitles").run(programme, ws)  # type: ignore[arg-type]
    assert stagerun.upstream_failures(ws, "render") == (), "a later success clears it"


def test_some_english_missing_is_a_warning_naming_the_cues_and_is_not_remembered(
        setup: tuple[Programme, Workspace]) -> None:
    programme, ws = setup
    report = subtitles_programme(programme, ws, translator=SilentTranslator(keep=1))  # type: ignore[arg-type]
    en = report.languages[1]
    # the second sentence of cues 1–2 and the sentence of cue 3 came back empty
    assert any("returned nothing for 2 of 3 sentences" in p and "(in Vietnamese cues 1, 2, 3)" in p
               for p in en.problems), en
    assert _record(ws)["languages"]["en"]["untranslated"] == [1, 2, 3]  # type: ignore[index]
    # nothing is not an answer: the next run asks for those sentences again, and only those
    translator = FakeTranslator()
    translator.name = "whisper"
    stagerun.forget(ws, "subtitles")
    again = subtitles_programme(programme, ws, translator=translator)  # type: ignore[arg-type]
    assert translator.calls == 1 and again.languages[1].translated_now == 2
    assert _record(ws)["languages"]["en"]["untranslated"] == []  # type: ignore[index]


def test_qc_fails_an_empty_language_while_the_other_has_cues(tmp_path: Path) -> None:
    paths = {"srt": tmp_path / "p.en.srt", "vtt": tmp_path / "p.en.vtt"}
    paths["srt"].write_bytes(b"")
    paths["vtt"].write_text("WEBVTT\n\n", encoding="utf-8")
    checks = check_language(paths, "en", None, [], None, others={"vi": 67, "en": 0})
    assert [c.status for c in checks] == [Status.FAIL, Status.FAIL]
    srt = next(c for c in checks if c.id == "subtitles.en.srt")
    assert "while vi has 67 cues" in srt.detail and "reportage doctor" in srt.detail
    vtt = next(c for c in checks if c.id == "subtitles.en.vtt")
    assert "while vi has 67 cues" in vtt.detail


def test_the_rule_itself() -> None:
    assert stagerun.enforce(stagerun.shortfall("English", "the translator (x)", 0, 5, "cues", "fix")) is None
    assert stagerun.enforce(stagerun.shortfall("English", "the translator (x)", 3, 0, "cues", "fix")) is None
    partial = stagerun.enforce(stagerun.shortfall("English", "the translator (x)", 2, 5, "cues", "do this"))
    assert partial == "English: the translator (x) returned nothing for 2 of 5 cues — do this"
    with pytest.raises(NothingProduced, match="returned nothing for 5 of 5 cues"):
        stagerun.enforce(stagerun.shortfall("English", "the translator (x)", 5, 5, "cues", "do this"))
