"""Formula injection: every spreadsheet and CSV cell the project writes is text, never a formula, and a
sheet that comes back holding a formula is refused; the escape round-trips exactly (Vietnamese
dual-speaker lines start with "- ")."""

from __future__ import annotations

import csv
import io
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook

from pipeline.cli import cli
from pipeline.errors import SubtitleError
from pipeline.manifest import Programme
from pipeline.review import state
from pipeline.sheetcells import escape, unescape
from pipeline.subs import read_subtitles
from pipeline.timecode import Timecode
from pipeline.translate.sheet_backend import COLUMNS, SheetRow, read_sheet, write_sheet
from pipeline.workspace import Workspace
from tests.asr_fixtures import make_programme
from tests.unit.test_sheet_review import one_clip_subtitles

ATTACK = "=cmd|' /C calc'!A0"
TRICKY = [ATTACK, "+84 912 345 678", "- Anh đi đâu?", "-Em về nhà.", "@channel", "\tindented", "\rreturn",
          "＝1+1", "＋1", "－ Dạ", "＠x", "'Twas so", "'", "''", "'- already quoted", "'=", "", "Xin chào",
          "1-2", "a=b"]


@pytest.mark.parametrize("text", TRICKY)
def test_the_escape_round_trips_and_never_starts_like_a_formula(text: str) -> None:
    written = escape(text)
    assert unescape(written) == text
    assert not written or written[0] not in "=+-@\t\r＝＋－＠"


def test_text_that_is_not_formula_like_is_written_as_it_is() -> None:
    assert escape("Xin chào") == "Xin chào" and escape(12) == 12 and escape(None) is None
    assert escape("- Anh đi đâu?") == "'- Anh đi đâu?"
    assert unescape("'Twas") == "'Twas"  # a quote the escape did not add stays


def _rows() -> list[SheetRow]:
    # (a lone CR inside a cell is a CSV quoting matter, not the escape's: subtitle text never holds one)
    texts = [t for t in TRICKY if "\r" not in t][:9]
    return [SheetRow(n, f"00:00:0{n}:00", text, "", f"- Line {n}.") for n, text in enumerate(texts, 1)]


def test_csv_sheet_cells_are_quote_prefixed_and_read_back_exactly(tmp_path: Path) -> None:
    sheet = tmp_path / "review.csv"
    write_sheet(sheet, _rows())
    raw = list(csv.reader(io.StringIO(sheet.read_bytes().decode("utf-8-sig"))))
    assert raw[1][2] == "'" + ATTACK and raw[3][2] == "'- Anh đi đâu?" and raw[1][4] == "'- Line 1."
    assert all(not cell or cell[0] not in "=+-@\t\r＝＋－＠" for row in raw for cell in row)
    assert read_sheet(sheet) == _rows()


def test_xlsx_sheet_cells_are_strings_never_formulas(tmp_path: Path) -> None:
    sheet = tmp_path / "review.xlsx"
    write_sheet(sheet, _rows())
    book = load_workbook(sheet, data_only=False)
    cells = [c for row in book.active.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    attack = book.active["C2"]
    assert attack.data_type == "s" and attack.value == "'" + ATTACK and attack.quotePrefix
    assert read_sheet(sheet) == _rows()


def test_an_xlsx_with_a_real_formula_is_refused_naming_row_and_column(tmp_path: Path) -> None:
    sheet = tmp_path / "review.xlsx"
    book = Workbook()
    book.active.append(list(COLUMNS))
    book.active.append([1, "00:00:01:00", "Một", "One", "One."])
    book.active.append([2, "00:00:02:00", "Hai", "Two", ATTACK])  # openpyxl stores this as a formula
    assert book.active["E3"].data_type == "f"
    book.save(sheet)
    with pytest.raises(SubtitleError) as err:
        read_sheet(sheet)
    assert err.value.path == str(sheet)
    assert "row 3, column E ('final English') holds a formula" in err.value.problem
    assert "formula" in (err.value.hint or "")


def test_a_csv_cell_starting_with_equals_is_refused(tmp_path: Path) -> None:
    sheet = tmp_path / "review.csv"
    sheet.write_text(",".join(COLUMNS) + "\n1,00:00:01:00,Một,One,One.\n2,00:00:02:00,Hai,Two,=1+1\n",
                     encoding="utf-8")
    with pytest.raises(SubtitleError, match=r"row 3, column E \('final English'\) holds a formula \('=1\+1'\)"):
        read_sheet(sheet)


def test_review_notes_csv_is_escaped() -> None:
    notes = [state.Note("a1", 0, 40, "@boss", ATTACK, "2024"), state.Note("a2", 40, 80, "Hà", "- Tiếng nhỏ", "2024")]
    start = Timecode.parse("10:00:00:00", Fraction(25))
    rows = list(csv.reader(io.StringIO(state.notes_csv(notes, start).lstrip("\ufeff"))))
    assert rows[1][5:7] == ["'@boss", "'" + ATTACK] and rows[2][6] == "'- Tiếng nhỏ"




def _ts(ms: int) -> str:
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


@pytest.fixture()
def made(tmp_path: Path) -> tuple[Programme, Workspace]:
    return one_clip_subtitles(make_programme(tmp_path / "prog"), tmp_path)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_then_import_through_the_commands(made: tuple[Programme, Workspace], tmp_path: Path,
                                                 suffix: str) -> None:
    programme, ws = made
    vi_path = ws.subtitle("vi", "srt")
    cues = read_subtitles(vi_path).cues
    texts = [ATTACK, "- Anh đi đâu?\n- Em về nhà."][:len(cues)]
    vi_path.write_text("".join(f"{n}\n{_ts(c.start_ms)} --> {_ts(c.end_ms)}\n{t}\n\n"
                               for n, (c, t) in enumerate(zip(cues, texts, strict=False), 1)), encoding="utf-8")
    sheet = tmp_path / f"review{suffix}"
    run = CliRunner().invoke(cli, ["--workspace", str(ws.root), "subtitles", "export-sheet",
                                   str(programme.manifest_path), str(sheet)])
    assert run.exit_code == 0, run.output
    rows = read_sheet(sheet)
    assert [r.vietnamese for r in rows] == [" ".join(t.split("\n")) for t in texts]
    finals = ["- Where are you going?", "+84 calls."][:len(rows)]
    write_sheet(sheet, [SheetRow(r.cue, r.timecode, r.vietnamese, r.machine, f) for r, f in zip(rows, finals,
                                                                                                 strict=True)])
    run = CliRunner().invoke(cli, ["--workspace", str(ws.root), "subtitles", "import-sheet",
                                   str(programme.manifest_path), str(sheet)])
    assert run.exit_code == 0, run.output
    assert [c.flat_text for c in read_subtitles(ws.subtitle("en", "srt")).cues] == finals
