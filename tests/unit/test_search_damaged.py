"""`reportage search` on a damaged catalogue: one line naming the file, what is wrong and what to do,
never a traceback (as `run` already does on the same file)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline import search as search_module
from pipeline.cli import main
from pipeline.errors import WorkspaceError
from pipeline.fsutil import write_json
from pipeline.manifest import Programme
from pipeline.search import search
from pipeline.workspace import Workspace
from tests.asr_fixtures import make_programme, segment, transcript


@pytest.fixture
def made(tmp_path: Path) -> tuple[Programme, Workspace]:
    programme = make_programme(tmp_path / "prog")
    ws = Workspace(tmp_path / "ws", programme.id)
    write_json(ws.transcript_json("a"), transcript("a", [segment("Trà Vinh phát triển du lịch", 1000)]).to_json())
    assert search(programme, ws, "du lich")  # a good catalogue, with its search index
    return programme, ws


def _truncated(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:5000])


def _not_sqlite(path: Path) -> None:
    path.write_text("these are an editor's notes, not a catalogue\n", encoding="utf-8")


def _foreign_tables(path: Path) -> None:
    path.unlink()
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE transcript_segments (something TEXT)")


def _index_table_lost(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE transcript_fts_data")


@pytest.mark.parametrize("damage", [_truncated, _not_sqlite, _foreign_tables, _index_table_lost])
def test_search_on_a_damaged_catalogue_is_one_line(made: tuple[Programme, Workspace], damage: Callable[[Path], None],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    programme, ws = made
    damage(ws.catalogue_path)
    with pytest.raises(SystemExit) as stop:
        main(["--workspace", str(ws.root), "search", str(programme.manifest_path), "du lich"])
    assert stop.value.code == 1
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert err.startswith(f"error: {ws.catalogue_path}: is damaged (")
    assert err.endswith("move it aside; `reportage ingest` builds a new one")


def test_search_on_a_catalogue_locked_by_another_process(made: tuple[Programme, Workspace],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    programme, ws = made
    monkeypatch.setattr(search_module, "BUSY_TIMEOUT_S", 0.2, raising=False)
    holder = sqlite3.connect(ws.catalogue_path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        write_json(ws.transcript_json("b"), transcript("b", [segment("Ao Bà Om", 0)]).to_json())
        with pytest.raises(WorkspaceError) as err:
            search(programme, ws, "du lich")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert err.value.path == str(ws.catalogue_path)
    assert err.value.problem.startswith("is locked by another process")
    assert err.value.hint is not None and "try again" in err.value.hint


def test_a_read_only_catalogue_is_said_so() -> None:
    from pipeline.catalogue import catalogue_error

    error = catalogue_error(sqlite3.OperationalError("attempt to write a readonly database"), Path("c.sqlite"))
    assert error.one_line() == ("c.sqlite: cannot be written: the workspace is read-only — use a workspace folder "
                                "you can write (--workspace)")


def test_a_damaged_transcript_is_named(made: tuple[Programme, Workspace]) -> None:
    programme, ws = made
    ws.transcript_json("a").write_text('{"schema_version": ', encoding="utf-8")
    with pytest.raises(WorkspaceError) as err:
        search(programme, ws, "du lich")
    assert err.value.path == str(ws.transcript_json("a"))
    assert err.value.problem.startswith("is not a readable transcript")
    assert err.value.hint == "run `reportage transcribe --clip a` again"
