"""Transcript search: diacritic- and case-insensitive, đ → d, timecodes and context."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from pipeline.asr.transcript import Transcript
from pipeline.fsutil import write_json
from pipeline.manifest import Programme
from pipeline.search import refresh_index, search
from pipeline.workspace import Workspace
from tests.asr_fixtures import make_programme, segment, transcript


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Programme, Workspace]:
    programme = make_programme(tmp_path / "prog")
    ws = Workspace(tmp_path / "ws", programme.id)
    save(ws, transcript("a", [
        segment("Trà Vinh phát triển du lịch cộng đồng", 10_000),
        segment("Đường đến Ao Bà Om rất đẹp", 20_000),
    ]))
    save(ws, transcript("b", [segment("Ngành DU LỊCH của tỉnh tăng trưởng nhanh", 61_000)]))
    return programme, ws


def save(ws: Workspace, t: Transcript) -> None:
    write_json(ws.transcript_json(t.clip_id), t.to_json())


def test_query_without_marks_finds_text_with_marks(setup: tuple[Programme, Workspace]) -> None:
    programme, ws = setup
    hits = search(programme, ws, "du lich")
    assert [(h.clip_id, h.match) for h in hits] == [("a", "du lịch"), ("b", "DU LỊCH")]
    first = hits[0]
    assert first.start_ms == 10_000 + 4 * 300 and first.timecode == "00:00:11:05"  # 11.2 s at 25 fps
    assert first.before == "Trà Vinh phát triển" and first.after.startswith("cộng đồng Đường đến")
    assert hits[1].timecode == "00:01:01:07"  # 61.3 s
    assert first.to_dict()["context"] == "Trà Vinh phát triển [du lịch] cộng đồng Đường đến Ao Bà Om rất"


def test_d_with_stroke_folds_to_d(setup: tuple[Programme, Workspace]) -> None:
    programme, ws = setup
    assert [h.match for h in search(programme, ws, "duong den")] == ["Đường đến"]
    assert [h.match for h in search(programme, ws, "ĐƯỜNG")] == ["Đường"]


def test_phrases_must_be_consecutive_and_syntax_is_inert(setup: tuple[Programme, Workspace]) -> None:
    programme, ws = setup
    assert search(programme, ws, "vinh du") == []
    assert search(programme, ws, 'ao" OR "du* NEAR(') == []
    assert search(programme, ws, "   ") == []
    assert len(search(programme, ws, "du lich", limit=1)) == 1


def test_index_follows_the_transcripts(setup: tuple[Programme, Workspace]) -> None:
    programme, ws = setup
    assert refresh_index(ws) == 2
    assert refresh_index(ws) == 0, "unchanged transcripts are not re-read"
    save(ws, transcript("a", [segment("kẹo dừa Cầu Kè", 0)]))
    ws.transcript_json("b").unlink()
    assert refresh_index(ws) == 1
    assert search(programme, ws, "du lich") == []
    assert [h.clip_id for h in search(programme, ws, "keo dua")] == ["a"]


def test_own_tables_beside_the_catalogue(setup: tuple[Programme, Workspace]) -> None:
    programme, ws = setup
    with sqlite3.connect(ws.catalogue_path) as conn:
        conn.execute("CREATE TABLE clips (clip_id TEXT PRIMARY KEY)")
        conn.execute("INSERT INTO clips VALUES ('a')")
    search(programme, ws, "du lich")
    with sqlite3.connect(ws.catalogue_path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert conn.execute("SELECT count(*) FROM clips").fetchone() == (1,)
    assert {"clips", "transcript_fts", "transcript_segments", "transcript_sources"} <= tables


def test_segments_without_word_timings_are_searchable(tmp_path: Path) -> None:
    programme = make_programme(tmp_path / "prog")
    ws = Workspace(tmp_path / "ws", programme.id)
    save(ws, transcript("c", [segment("lễ hội Ok Om Bok", 4000, with_words=False)]))
    hits = search(programme, ws, "ok om bok")
    assert len(hits) == 1 and hits[0].start_ms >= 4000 and hits[0].before == "lễ hội"
