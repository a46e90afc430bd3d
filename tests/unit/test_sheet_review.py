"""The review sheet as translators really return it: a quote left open, a timecode typed over, and a
second round of review after the first (machine draft and reviewed English each in its own column)."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.errors import SubtitleError
from pipeline.fsutil import write_json
from pipeline.manifest import Programme
from pipeline.stages.subtitles import subtitles_programme
from pipeline.timeline import Segment, Timeline
from pipeline.translate import SourceCue, TranslationContext
from pipeline.translate.sheet_backend import SheetRow, read_sheet, write_sheet
from pipeline.workspace import Workspace
from tests.asr_fixtures import make_programme, segment, transcript, write_silent_wav

HEADER = "cue,timecode,Vietnamese,machine English,final English\n"


class Draft:
    """A machine draft that is easy to tell from a reviewer's English."""

    name = "draft"
    is_machine_draft = True

    def translate(self, cues: Sequence[SourceCue], context: TranslationContext) -> list[str]:
        return [f"Draft {cue.index}." for cue in cues]


def one_clip_subtitles(programme: Programme, tmp_path: Path) -> tuple[Programme, Workspace]:
    """One recognised clip of two sentences, through the subtitles stage with the `Draft` translator."""
    ws = Workspace(tmp_path / "ws", programme.id)
    timeline = Timeline("demo", Fraction(25), 320, 180, 48000, (Segment("a", "a.mov", 0, 500, 0, True),), ())
    write_json(ws.timeline_json, timeline.to_dict())
    words = "Chào mừng quý vị đến với tỉnh Trà Vinh. Ao Bà Om là một danh thắng nổi tiếng của tỉnh."
    write_json(ws.transcript_json("a"), transcript("a", [segment(words, 500, step_ms=330)]).to_json())
    write_silent_wav(ws.audio16k("a"), 20_000)
    subtitles_programme(programme, ws, translator=Draft())  # type: ignore[arg-type]
    return programme, ws


@pytest.fixture()
def made(tmp_path: Path) -> tuple[Programme, Workspace]:
    return one_clip_subtitles(make_programme(tmp_path / "prog"), tmp_path)


def cli_run(ws: Workspace, *args: str) -> object:
    return CliRunner().invoke(cli, ["--workspace", str(ws.root), "subtitles", *args])


def test_a_quote_left_open_to_the_end_names_its_row(tmp_path: Path) -> None:
    sheet = tmp_path / "review.csv"
    sheet.write_text(HEADER + '1,00:00:00:12,Một,One,One.\n2,00:00:02:00,Hai,Two,"Two.\n'
                     "3,00:00:04:00,Ba,Three,Three.\n4,00:00:06:00,Bốn,Four,Four.\n", encoding="utf-8")
    with pytest.raises(SubtitleError) as err:
        read_sheet(sheet)
    assert err.value.problem == ("row 3 (line 3 of the file): the quote that opens the 'final English' cell is "
                                 "never closed, so the rows after it were read into that one cell")


def test_a_quote_closed_rows_later_names_the_row_where_it_opens(tmp_path: Path) -> None:
    sheet = tmp_path / "review.csv"
    sheet.write_text(HEADER + '1,00:00:00:12,"Một,One,One.\n2,00:00:02:00,Hai,Two,Two.\n'
                     '3,00:00:04:00,Ba,Three,"Three, ""quoted"""\n', encoding="utf-8")
    with pytest.raises(SubtitleError, match=r"row 2 \(line 2 of the file\): the quote that opens the 'Vietnamese'"):
        read_sheet(sheet)


def test_quoted_cells_with_line_breaks_and_commas_are_still_read(tmp_path: Path) -> None:
    sheet = tmp_path / "review.csv"
    rows = [SheetRow(1, "00:00:00:12", "Một, hai", 'Say "one"', "First line,\nsecond line"),
            SheetRow(2, "00:00:02:00", "Ba", "Three", "Three.")]
    write_sheet(sheet, rows)
    assert read_sheet(sheet) == rows
    assert [r.row for r in read_sheet(sheet)] == [2, 3]


def test_a_timecode_typo_is_reported_with_its_row(made: tuple[Programme, Workspace], tmp_path: Path) -> None:
    programme, ws = made
    sheet = tmp_path / "review.csv"
    assert cli_run(ws, "export-sheet", str(programme.manifest_path), str(sheet)).exit_code == 0  # type: ignore[attr-defined]
    rows = read_sheet(sheet)
    assert len(rows) >= 2
    typo = rows[0].timecode.replace("0", "O", 1)
    moved = "00:00:59:00"
    edited = [SheetRow(r.cue, typo if r.cue == 1 else moved if r.cue == 2 else r.timecode, r.vietnamese, r.machine,
                       f"Reviewed {r.cue}.") for r in rows]
    write_sheet(sheet, edited)
    result = cli_run(ws, "import-sheet", str(programme.manifest_path), str(sheet))
    assert isinstance(result.exception, SubtitleError)  # type: ignore[attr-defined]
    message = result.exception.problem  # type: ignore[attr-defined]
    assert f"cue 1: timecode {typo!r} is not HH:MM:SS:FF (it was {rows[0].timecode}) (row 2)" in message
    assert f"cue 2: timecode {moved} is not the cue's {rows[1].timecode}" in message and "(row 3)" in message
    assert "Reviewed" not in ws.subtitle("en", "srt").read_text(encoding="utf-8")  # nothing imported


def test_a_second_export_keeps_machine_and_reviewed_english_apart(made: tuple[Programme, Workspace],
                                                                  tmp_path: Path) -> None:
    programme, ws = made
    manifest = str(programme.manifest_path)
    first, second = tmp_path / "round1.csv", tmp_path / "round2.xlsx"
    assert cli_run(ws, "export-sheet", manifest, str(first)).exit_code == 0
    rows = read_sheet(first)
    # The draft is made by sentence ("… Trà Vinh. Ao Bà Om … nổi tiếng" / "của tỉnh." is one group of two
    # whole sentences): its English sits on the row of the cue where it starts.
    assert [r.machine for r in rows] == ["Draft 1. Draft 2.", ""] and all(r.final == "" for r in rows)
    write_sheet(first, [SheetRow(r.cue, r.timecode, r.vietnamese, r.machine, f"Reviewed {r.cue}.") for r in rows])
    result = cli_run(ws, "import-sheet", manifest, str(first))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert cli_run(ws, "export-sheet", manifest, str(second)).exit_code == 0
    again = read_sheet(second)
    assert [r.machine for r in again] == [r.machine for r in rows]
    assert [r.final for r in again] == [f"Reviewed {r.cue}." for r in rows]
