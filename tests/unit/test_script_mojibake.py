"""A double-encoded script (UTF-8 read as Windows-1252 and saved again as UTF-8: "TrÃ  Vinh") is
repaired when the repair is exact, with a note the stage reports, or refused naming the damage and
the fix; it is never aligned as it is (which placed 0 of its sentences). Correct text is untouched."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
from openpyxl import Workbook

from pipeline.script import ScriptError, read_script
from pipeline.script.align import align
from pipeline.script.encoding import undo_double_encoding
from pipeline.subs.cues import TimedWord

S1 = "Trà Vinh có hơn một trăm ngôi chùa Khmer cổ kính."
S2 = "Người dân nơi đây giữ gìn đặc sản không quỵ lụy."
EN1, EN2 = "Tra Vinh has more than a hundred old Khmer pagodas.", "People here keep their specialities."


def garbled(text: str) -> str:
    """`text` as UTF-8 bytes read as Windows-1252 (what a Windows program shows), the five bytes
    1252 leaves undefined as the control characters of the same number (as Windows reads them)."""
    out = []
    for byte in text.encode("utf-8"):
        try:
            out.append(bytes([byte]).decode("cp1252"))
        except UnicodeDecodeError:
            out.append(chr(byte))
    return "".join(out)


def heard(text: str, start_ms: int = 0) -> list[TimedWord]:
    words = []
    for n, token in enumerate(text.split()):
        at = start_ms + 300 * n
        words.append(TimedWord(at, at + 260, token.strip(".,").lower(), 0.9, None, f"c1@{at}"))
    return words


def test_the_garbling_is_the_one_in_the_report() -> None:
    assert garbled("Trà Vinh") == "TrÃ\u00a0 Vinh"
    assert garbled("người") == "ngÆ°á»\x9di"  # ờ is E1 BB 9D, and 9D is undefined in Windows-1252


def test_a_double_encoded_csv_is_repaired_exactly_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "kịch bản.csv"
    path.write_text(garbled(f"vi,en\n{S1},{EN1}\n{S2},{EN2}\n"), encoding="utf-8")
    script = read_script(path)
    assert [(line.vi, line.en) for line in script.lines] == [(S1, EN1), (S2, EN2)]
    [note] = script.notes
    assert "kịch bản.csv" in note and "double-encoded" in note and "Trà Vinh" in note and "UTF-8" in note
    # the stage reports the aligner's notes: the repair reaches it with the lines
    alignment = align(script.lines, heard(f"{S1} {S2}"))
    assert alignment.report()["placed"] == 2
    assert note in alignment.notes


def test_a_double_encoded_text_and_docx_are_repaired(tmp_path: Path) -> None:
    text = tmp_path / "s.txt"
    text.write_text(garbled(f"{S1}\nEN: {EN1}\n\n{S2}\n"), encoding="utf-8")
    assert [(line.vi, line.en) for line in read_script(text).lines] == [(S1, EN1), (S2, None)]
    document = docx.Document()
    table = document.add_table(rows=3, cols=2)
    for r, (vi, en) in enumerate([("Tiếng Việt", "English"), (S1, EN1), (S2, EN2)]):
        table.cell(r, 0).text, table.cell(r, 1).text = garbled(vi), en
    path = tmp_path / "s.docx"
    document.save(str(path))
    script = read_script(path)
    assert [(line.vi, line.en) for line in script.lines] == [(S1, EN1), (S2, EN2)]
    assert script.notes and "s.docx" in script.notes[0]


def test_a_double_encoded_xlsx_is_repaired(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [("vi", "en"), (garbled(S1), EN1), (garbled(S2), EN2)]:
        sheet.append(list(row))
    path = tmp_path / "s.xlsx"
    book.save(str(path))
    script = read_script(path)
    assert [(line.vi, line.en) for line in script.lines] == [(S1, EN1), (S2, EN2)]
    assert script.notes


def test_a_row_typed_again_correctly_beside_garbled_ones_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text(f"vi,en\n{garbled(S1)},{EN1}\n{S2},{EN2}\n", encoding="utf-8")
    assert [line.vi for line in read_script(path).lines] == [S1, S2]


@pytest.mark.parametrize("damage", [
    lambda text: text.replace("\x9d", "?"),  # a byte Windows-1252 has no letter for, lost on the way
    lambda text: text.replace("\u00a0", " "),  # "Ã\xa0" (à) with its no-break space made a plain space
])
def test_garbling_that_cannot_be_undone_exactly_is_refused_with_the_fix(tmp_path: Path, damage: object) -> None:
    path = tmp_path / "kịch bản.csv"
    path.write_text(damage(garbled(f"vi,en\n{S1},{EN1}\n{S2},{EN2}\n")), encoding="utf-8")  # type: ignore[operator]
    with pytest.raises(ScriptError) as caught:
        read_script(path)
    error = caught.value
    assert str(path) in error.one_line()
    assert error.problem.startswith("line ") and "double-encoded" in error.problem
    assert error.hint and "UTF-8" in error.hint and "original" in error.hint


def test_correct_text_is_never_touched() -> None:
    for text in (S1, S2, "café, naïve, São Paulo", "Ê… anh ơi", "NGÃ BA", "Ông Lê Quốc Thắng — “Đây”…",
                 "Số 1/2 · 25 °C · 3 × 4 · ½"):
        assert undo_double_encoding(text) is None, text


def test_repair_round_trips_every_vietnamese_letter() -> None:
    from pipeline.fonts import vietnamese_letters

    text = " ".join(vietnamese_letters()) + " “dấu” – … ’"
    found = undo_double_encoding(garbled(text))
    assert found is not None and found.repaired == text
