"""Ownership: the pipeline never overwrites a subtitle file an editor has changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.errors import WorkspaceError
from pipeline.fsutil import sha256_text
from pipeline.subs.ownership import is_hand_edited, load_ledger, release, write_if_not_edited

TEXT = "1\n00:00:01,000 --> 00:00:02,000\nXin chào.\n"


def test_write_record_and_skip_identical_rewrites(tmp_path: Path) -> None:
    ledger = tmp_path / "subtitles" / ".written.json"
    path = tmp_path / "subtitles" / "p1.vi.srt"
    first = write_if_not_edited(path, TEXT, ledger)
    assert (first.status, first.written, first.sha256) == ("written", True, sha256_text(TEXT))
    assert path.read_text(encoding="utf-8") == TEXT
    assert json.loads(ledger.read_text(encoding="utf-8")) == {"version": 1, "files": {"p1.vi.srt": sha256_text(TEXT)}}
    assert not is_hand_edited(path, ledger)
    again = write_if_not_edited(path, TEXT, ledger)
    assert (again.status, again.message) == ("unchanged", "p1.vi.srt is up to date")
    changed = write_if_not_edited(path, TEXT.replace("chào", "chào quý vị"), ledger)
    assert changed.status == "written"


def test_an_edited_file_is_kept(tmp_path: Path) -> None:
    ledger = tmp_path / ".written.json"
    path = tmp_path / "p1.en.srt"
    write_if_not_edited(path, TEXT, ledger)
    path.write_text(TEXT.replace("Xin chào.", "Hello."), encoding="utf-8")
    assert is_hand_edited(path, ledger)
    outcome = write_if_not_edited(path, TEXT.replace("Xin chào.", "Good day."), ledger)
    assert (outcome.status, outcome.written) == ("kept-edited", False)
    assert outcome.message == "kept hand-edited file p1.en.srt"
    assert "Hello." in path.read_text(encoding="utf-8")


def test_a_file_we_never_wrote_belongs_to_the_editor(tmp_path: Path) -> None:
    ledger = tmp_path / ".written.json"
    path = tmp_path / "p1.vi.vtt"
    assert not is_hand_edited(path, ledger)  # nothing there yet
    path.write_text("WEBVTT\n", encoding="utf-8")
    assert is_hand_edited(path, ledger)
    assert write_if_not_edited(path, "WEBVTT\n\nnew\n", ledger).status == "kept-edited"


def test_release_gives_a_file_back_to_the_pipeline(tmp_path: Path) -> None:
    ledger = tmp_path / ".written.json"
    path = tmp_path / "p1.vi.srt"
    path.write_text("edited\n", encoding="utf-8")
    release(path, ledger)
    assert write_if_not_edited(path, TEXT, ledger).status == "written"
    path.unlink()
    release(path, ledger)
    assert load_ledger(ledger) == {}


def test_text_is_hashed_as_written_in_nfc(tmp_path: Path) -> None:
    ledger = tmp_path / ".written.json"
    path = tmp_path / "p1.vi.srt"
    write_if_not_edited(path, "Ngu\u031bo\u031b\u0300i\n", ledger)
    assert not is_hand_edited(path, ledger)
    assert path.read_text(encoding="utf-8") == "Người\n"


@pytest.mark.parametrize("content", ["{not json", '{"files": {"a": 1}}', "[]"])
def test_a_broken_ledger_is_an_error_with_a_way_out(tmp_path: Path, content: str) -> None:
    ledger = tmp_path / ".written.json"
    ledger.write_text(content, encoding="utf-8")
    with pytest.raises(WorkspaceError) as caught:
        write_if_not_edited(tmp_path / "x.srt", TEXT, ledger)
    assert caught.value.hint is not None and "delete it" in caught.value.hint
    assert not (tmp_path / "x.srt").exists()
