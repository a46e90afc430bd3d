"""`reportage subtitles make`'s exit status is QC's judgement of the subtitles: lint errors in a
language a deliverable carries fail it (also on a rerun with nothing to do); errors in a language no
deliverable carries, which QC does not check, are listed and do not."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pipeline.cli import cli
from pipeline.manifest import Programme
from pipeline.stages import subtitles as subtitles_stage
from pipeline.subs import read_subtitles
from pipeline.validate import load_manifest
from pipeline.workspace import Workspace
from tests.asr_fixtures import make_programme
from tests.unit.test_sheet_review import Draft, one_clip_subtitles


def _made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deliverables: str | None) -> tuple[Programme, Workspace]:
    programme = make_programme(tmp_path / "prog")
    if deliverables is not None:
        with programme.manifest_path.open("a", encoding="utf-8") as handle:
            handle.write(f"deliverables: [{deliverables}]\n")
        programme = load_manifest(programme.manifest_path)
    monkeypatch.setattr(subtitles_stage, "make_translator", lambda *args: Draft())
    return one_clip_subtitles(programme, tmp_path)


def _make(programme: Programme, ws: Workspace) -> Result:
    return CliRunner().invoke(cli, ["--workspace", str(ws.root), "subtitles", "make", str(programme.manifest_path)])


def _three_line_english(ws: Workspace) -> Path:
    """An editor's English file with a cue of three lines: a lint error (lines-per-cue)."""
    path = ws.subtitle("en", "srt")
    cue = read_subtitles(path).cues[0]
    stamp = lambda ms: f"00:00:{ms // 1000:02d},{ms % 1000:03d}"  # noqa: E731
    path.write_text(f"1\n{stamp(cue.start_ms)} --> {stamp(cue.end_ms)}\nOne\nTwo\nThree\n", encoding="utf-8")
    return path


def test_clean_subtitles_exit_0(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    programme, ws = _made(tmp_path, monkeypatch, None)
    result = _make(programme, ws)
    assert result.exit_code == 0, result.output


def test_a_lint_error_in_a_delivered_language_fails_now_and_on_a_rerun(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    programme, ws = _made(tmp_path, monkeypatch, "web-720p")
    path = _three_line_english(ws)
    first = _make(programme, ws)
    assert first.exit_code == 1, first.output
    assert f"error: {path}: 1 lint error(s); QC fails the deliverables that carry en" in first.output
    again = _make(programme, ws)  # nothing to do, the error is still there: QC would still fail it
    assert again.exit_code == 1, again.output
    assert "up to date" in again.output


def test_a_lint_error_in_a_language_no_deliverable_carries_is_listed_not_failed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    programme, ws = _made(tmp_path, monkeypatch, "social-9x16")  # burns in Vietnamese, carries no English
    path = _three_line_english(ws)
    result = _make(programme, ws)
    assert result.exit_code == 0, result.output
    assert f"{path}: 1 lint error(s) in a language no deliverable carries (QC does not check it)" in result.output
    json_run = CliRunner().invoke(cli, ["--workspace", str(ws.root), "--json", "subtitles", "make",
                                        str(programme.manifest_path)])
    assert json_run.exit_code == 0 and '"undelivered_lint_errors": {\n    "en": 1' in json_run.output
