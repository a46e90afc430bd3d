"""Reading a programme's narration script from every format a Vietnamese newsroom writes it in.

Each format's fixtures are made the way an editor's office software makes them (python-docx,
openpyxl, bytes in the encodings Excel and Notepad write), then read back; errors must name the
row or paragraph. The sample generator's DOCX and XLSX must read back as its ground truth.
"""

from __future__ import annotations

import codecs
import hashlib
import importlib.machinery
import importlib.util
import json
import sys
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import docx
import pytest
from openpyxl import Workbook

from pipeline.errors import ReportageError
from pipeline.script import Script, ScriptError, ScriptLine, read_script
from pipeline.script.prose import is_direction, language_of, split_speaker

REPO = Path(__file__).resolve().parents[2]
# Every stacked diacritic the brief names: ẫ ậ ặ ữ ỹ ỵ and Đ.
STACKED = "Đoàn khách Mỹ dẫn đầu, vậy mà những người giữ đặc sản không quỵ lụy."
STACKED_EN = "The American group led the way, yet the keepers of local specialities did not bow."


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def docx_file(
    path: Path,
    tables: Sequence[Sequence[Sequence[str]]] = (),
    paragraphs: Sequence[str | tuple[str, str]] = (),
    before: Sequence[str] = (),
) -> Path:
    """A .docx with `before` paragraphs, then `tables`, then `paragraphs` ((text, style) for a style)."""
    document = docx.Document()
    for text in before:
        document.add_paragraph(text)
    for rows in tables:
        table = document.add_table(rows=len(rows), cols=max(len(r) for r in rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                table.cell(r, c).text = text
    for item in paragraphs:
        text, style = item if isinstance(item, tuple) else (item, None)
        document.add_paragraph(text, style=style)
    document.save(str(path))
    return path


def xlsx_file(path: Path, rows: Sequence[Sequence[Any]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    book.save(str(path))
    return path


def error_of(path: Path) -> ScriptError:
    with pytest.raises(ScriptError) as caught:
        read_script(path)
    return caught.value


def triples(script: Script) -> list[tuple[str, str | None, str | None]]:
    return [(line.vi, line.en, line.speaker) for line in script.lines]


# --------------------------------------------------------------------------------------------------
# Words: language, speakers, directions
# --------------------------------------------------------------------------------------------------


def test_language_of_every_sample_sentence() -> None:
    """The rule holds on every sentence of the sample scripts, English full of Vietnamese names too."""
    for name in ("dautu", "dulich"):
        data = json.loads((REPO / "examples" / "scripts" / f"{name}.json").read_text(encoding="utf-8"))
        for entry in data["clips"].values():
            for utterance in entry["utterances"]:
                assert language_of(utterance["vi"]) == "vi", utterance["vi"]
                assert language_of(utterance["en"]) == "en", utterance["en"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ao Bà Om, Âng Pagoda and Trà Vinh.", "en"),
        ("Thank you very much.", "en"),
        ("Dạ vâng.", "vi"),
        ("Trà Vinh", "vi"),
        ("Ok Om Bok", None),
        ("2026", None),
    ],
)
def test_language_of_short_and_name_heavy_text(text: str, expected: str | None) -> None:
    assert language_of(text) == expected


@pytest.mark.parametrize(
    ("text", "speaker", "rest"),
    [
        ("PV: Xin chào quý vị.", "PV", "Xin chào quý vị."),
        ("Lời bình: Nằm ở cửa sông Hậu.", "Lời bình", "Nằm ở cửa sông Hậu."),
        ("Lê Quốc Thắng: Trà Vinh có lợi thế.", "Lê Quốc Thắng", "Trà Vinh có lợi thế."),
        (
            "Ông Lê Quốc Thắng, Giám đốc Sở Kế hoạch và Đầu tư: Chúng tôi cam kết.",
            "Ông Lê Quốc Thắng, Giám đốc Sở Kế hoạch và Đầu tư",
            "Chúng tôi cam kết.",
        ),
        ("TS. Nguyễn Văn An: Xin cảm ơn.", "TS. Nguyễn Văn An", "Xin cảm ơn."),
        ("Tỉnh có ba lợi thế: cảng biển, điện và lao động.", None, None),
        ("Năm 2025: tăng trưởng mạnh.", None, None),
        ("Ông nói: chúng tôi sẵn sàng.", None, None),
        ("Trà Vinh, vùng đất có nhiều tiềm năng: cảng biển.", None, None),
    ],
)
def test_speaker_labels(text: str, speaker: str | None, rest: str | None) -> None:
    assert split_speaker(text) == (speaker, rest if speaker else text)


@pytest.mark.parametrize(
    ("text", "direction"),
    [("[Nhạc nền]", True), ("(Hiện chữ: Trà Vinh)", True), ("(a) và (b)", False), ("Câu (có ngoặc).", False)],
)
def test_only_wholly_bracketed_text_is_a_direction(text: str, direction: bool) -> None:
    assert is_direction(text) is direction


# --------------------------------------------------------------------------------------------------
# DOCX
# --------------------------------------------------------------------------------------------------


def test_docx_two_column_table_with_vietnamese_header(tmp_path: Path) -> None:
    path = docx_file(
        tmp_path / "Kịch bản Trà Vinh.docx",
        tables=[
            [
                ["Tiếng Việt", "Tiếng Anh"],
                ["Trà Vinh có lợi thế về cảng biển.", "Trà Vinh has the advantage of a seaport."],
                ["", ""],
                ["Tỉnh đang kêu gọi đầu tư.", ""],
            ]
        ],
        before=["KỊCH BẢN: Trà Vinh – Điểm hẹn của nhà đầu tư", "Biên tập: Nguyễn Thị Thu Hà"],
    )
    script = read_script(path)
    assert script.lines == (
        ScriptLine("table 1, row 2", "Trà Vinh có lợi thế về cảng biển.", "Trà Vinh has the advantage of a seaport.",
                   None, None),
        ScriptLine("table 1, row 4", "Tỉnh đang kêu gọi đầu tư.", None, None, None),
    )  # fmt: skip
    assert script.path == path
    assert script.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    "header",
    [
        ("Nhân vật", "Lời", "Bản dịch", "Cảnh"),
        ("Người nói", "Nội dung", "Tiếng Anh", "Hình"),
        ("Speaker", "Vietnamese", "English", "Shot"),
        ("speaker", "vi", "en", "clip"),
        ("NGƯỜI NÓI", "Lời bình (tiếng Việt)", "Lời dịch", "Cảnh quay"),
        ("Vai", "VI", "Anh", "Ảnh"),  # "Anh" is English, "Ảnh" a picture: they fold alike
    ],
)
def test_docx_header_synonyms_in_both_languages(tmp_path: Path, header: tuple[str, ...]) -> None:
    # Header and values are listed as speaker, Vietnamese, English, clip; the table puts them in
    # another order, so that the header, not the position, decides.
    order = (3, 1, 0, 2)
    rows = [
        [header[i] for i in order],
        [["Lê Quốc Thắng", "Trà Vinh có lợi thế.", "Trà Vinh has advantages.", "dautu_02_phong_van"][i] for i in order],
    ]
    script = read_script(docx_file(tmp_path / "s.docx", tables=[rows]))
    assert script.lines == (
        ScriptLine("table 1, row 2", "Trà Vinh có lợi thế.", "Trà Vinh has advantages.", "Lê Quốc Thắng",
                   "dautu_02_phong_van"),
    )  # fmt: skip


def test_docx_table_without_header_is_read_by_content(tmp_path: Path) -> None:
    rows = [
        ["Lying at the mouth of the Hậu River, the zone is large.", "C0005.MXF", "Nằm ở cửa sông Hậu, khu rất rộng.",
         "Lời bình"],
        ["Investors in the zone enjoy the highest incentives.", "dautu_02", "Nhà đầu tư được hưởng ưu đãi cao nhất.",
         "Lê Quốc Thắng"],
    ]  # fmt: skip
    script = read_script(docx_file(tmp_path / "s.docx", tables=[rows]))
    assert [(line.ref, line.vi, line.en, line.speaker, line.clip) for line in script.lines] == [
        ("table 1, row 1", "Nằm ở cửa sông Hậu, khu rất rộng.", rows[0][0], "Lời bình", "C0005.MXF"),
        ("table 1, row 2", "Nhà đầu tư được hưởng ưu đãi cao nhất.", rows[1][0], "Lê Quốc Thắng", "dautu_02"),
    ]


@pytest.mark.parametrize("header", [["Câu", "Dịch nghĩa"], ["Sentence", "Meaning"]])
def test_docx_unrecognised_header_is_skipped_when_guessing(tmp_path: Path, header: list[str]) -> None:
    rows = [header, ["Câu một về Trà Vinh.", "Sentence one about Trà Vinh."], ["Câu hai ở đây.", "Two is here."]]
    script = read_script(docx_file(tmp_path / "s.docx", tables=[rows]))
    assert [line.ref for line in script.lines] == ["table 1, row 2", "table 1, row 3"]
    assert script.lines[0].en == "Sentence one about Trà Vinh."


def test_columns_a_header_does_not_name_are_not_read(tmp_path: Path) -> None:
    rows = [["Lời", "Ghi chú"], ["Câu một về Trà Vinh.", "Check the spelling of the name."]]
    assert triples(read_script(docx_file(tmp_path / "s.docx", tables=[rows]))) == [("Câu một về Trà Vinh.", None, None)]


def test_docx_skips_headings_directions_and_merged_rows(tmp_path: Path) -> None:
    document = docx.Document()
    table = document.add_table(rows=7, cols=3)
    cells = [
        ["Người nói", "Tiếng Việt", "Tiếng Anh"],
        ["PHẦN 1: TIỀM NĂNG", "", ""],  # merged across the row below: a section heading
        ["Lời bình", "[Nhạc hiệu]", "[Theme music]"],
        ["Lê Quốc Thắng", "Trà Vinh có lợi thế về cảng biển.", "Trà Vinh has a seaport."],
        ["", "Chúng tôi cam kết đồng hành.", "We are committed."],  # speaker merged down from above
        ["Lời bình", "(Hiện chữ: Khu kinh tế Định An)", ""],
        ["Lời bình", "Luồng tàu biển vào sông Hậu.", "The channel into the Hậu River."],
    ]
    for r, row in enumerate(cells):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    table.cell(1, 0).merge(table.cell(1, 2))
    table.cell(3, 0).merge(table.cell(4, 0))
    document.save(str(tmp_path / "s.docx"))
    script = read_script(tmp_path / "s.docx")
    assert [(line.ref, line.speaker, line.vi, line.en) for line in script.lines] == [
        ("table 1, row 4", "Lê Quốc Thắng", "Trà Vinh có lợi thế về cảng biển.", "Trà Vinh has a seaport."),
        ("table 1, row 5", "Lê Quốc Thắng", "Chúng tôi cam kết đồng hành.", "We are committed."),
        ("table 1, row 7", "Lời bình", "Luồng tàu biển vào sông Hậu.", "The channel into the Hậu River."),
    ]


def test_table_labels_and_bracketed_english(tmp_path: Path) -> None:
    rows = [
        ["Người nói", "Tiếng Việt", "Tiếng Anh"],
        ["", "PV: Xin chào từ Trà Vinh.", "Reporter: Hello from Trà Vinh."],
        ["MC", "Lời bình: giữ nguyên khi đã có người nói.", "[chưa dịch]"],
    ]
    assert triples(read_script(docx_file(tmp_path / "s.docx", tables=[rows]))) == [
        ("Xin chào từ Trà Vinh.", "Hello from Trà Vinh.", "PV"),
        ("Lời bình: giữ nguyên khi đã có người nói.", None, "MC"),
    ]


def test_docx_only_tables_with_a_header_are_script(tmp_path: Path) -> None:
    """A metadata table (no header naming a language) beside the script table is not read."""
    meta = [["Chương trình", "Trà Vinh – Điểm hẹn của nhà đầu tư"], ["Biên tập", "Nguyễn Thị Thu Hà"]]
    script_rows = [["Tiếng Việt", "Tiếng Anh"], ["Câu một ở Trà Vinh.", "Sentence one in Trà Vinh."]]
    script = read_script(docx_file(tmp_path / "s.docx", tables=[meta, script_rows]))
    assert [line.ref for line in script.lines] == ["table 2, row 2"]


def test_docx_row_with_english_but_no_vietnamese_names_the_row(tmp_path: Path) -> None:
    rows = [["Tiếng Việt", "Tiếng Anh"], ["Câu một ở Trà Vinh.", "Sentence one."], ["", "An orphan sentence."]]
    error = error_of(docx_file(tmp_path / "s.docx", tables=[rows]))
    assert "table 1, row 3" in error.problem and "no Vietnamese" in error.problem
    assert error.path == str(tmp_path / "s.docx") and error.hint


def test_docx_header_without_vietnamese_column(tmp_path: Path) -> None:
    rows = [["Speaker", "English"], ["PV", "Hello from Trà Vinh, where the river meets the sea."]]
    error = error_of(docx_file(tmp_path / "s.docx", tables=[rows]))
    assert "table 1, row 1" in error.problem and "no Vietnamese column" in error.problem


def test_docx_two_vietnamese_columns_are_ambiguous(tmp_path: Path) -> None:
    rows = [["Tiếng Việt", "Vietnamese", "English"], ["Câu một.", "Câu một.", "One."]]
    error = error_of(docx_file(tmp_path / "s.docx", tables=[rows]))
    assert "two columns" in error.problem and "column 1" in error.problem and "column 2" in error.problem


def test_docx_swapped_header_is_refused(tmp_path: Path) -> None:
    rows = [
        ["Tiếng Việt", "Tiếng Anh"],
        ["This is the growth engine of the province.", "Đây là vùng động lực của tỉnh."],
        ["The channel has opened the shortest route.", "Luồng đã mở ra con đường ngắn nhất."],
    ]
    assert "swap" in (error_of(docx_file(tmp_path / "s.docx", tables=[rows])).hint or "")


def test_docx_vietnamese_paragraphs_only(tmp_path: Path) -> None:
    path = docx_file(
        tmp_path / "s.docx",
        paragraphs=[
            ("Trà Vinh – Điểm hẹn của nhà đầu tư", "Title"),
            ("Phần một", "Heading 1"),
            "Nằm ở cửa sông Hậu, Khu kinh tế Định An rộng hơn 39 nghìn héc-ta.",
            "[Nhạc nền]",
            "Ok Om Bok",  # no evidence either way: Vietnamese, the script's language
            "Đây là vùng động lực của tỉnh Trà Vinh.",
        ],
    )
    assert [(line.ref, line.vi, line.en) for line in read_script(path).lines] == [
        ("paragraph 3", "Nằm ở cửa sông Hậu, Khu kinh tế Định An rộng hơn 39 nghìn héc-ta.", None),
        ("paragraph 5", "Ok Om Bok", None),
        ("paragraph 6", "Đây là vùng động lực của tỉnh Trà Vinh.", None),
    ]


def test_docx_paragraph_pairs_speakers_and_clips(tmp_path: Path) -> None:
    path = docx_file(
        tmp_path / "s.docx",
        paragraphs=[
            "[Clip: dautu_01_dinh_an]",
            "Lời bình: Nằm ở cửa sông Hậu, Khu kinh tế Định An rộng lớn.",
            "Lying at the mouth of the Hậu River, the Định An Economic Zone is vast.",
            "(Cảnh: Phỏng vấn Giám đốc Sở.mov)",
            "Lê Quốc Thắng: Trà Vinh có lợi thế về cảng biển.",
            "Lê Quốc Thắng: Trà Vinh has the advantage of a seaport.",
            "Chúng tôi cam kết đồng hành cùng doanh nghiệp.",
            "EN: We are committed to standing by businesses.",
        ],
    )
    assert [(l.ref, l.speaker, l.clip, l.en) for l in read_script(path).lines] == [  # noqa: E741
        ("paragraph 2", "Lời bình", "dautu_01_dinh_an",
         "Lying at the mouth of the Hậu River, the Định An Economic Zone is vast."),
        ("paragraph 5", "Lê Quốc Thắng", "Phỏng vấn Giám đốc Sở.mov", "Trà Vinh has the advantage of a seaport."),
        ("paragraph 7", None, "Phỏng vấn Giám đốc Sở.mov", "We are committed to standing by businesses."),
    ]  # fmt: skip


def test_docx_english_paragraph_without_vietnamese(tmp_path: Path) -> None:
    first = error_of(docx_file(tmp_path / "a.docx", paragraphs=["This is the growth engine of the province."]))
    assert first.problem.startswith("paragraph 1: English with no Vietnamese")
    twice = docx_file(
        tmp_path / "b.docx",
        paragraphs=["Đây là vùng động lực của tỉnh.", "This is the growth engine.", "It is where ports meet."],
    )
    assert error_of(twice).problem.startswith("paragraph 3: English, but paragraph 1")


def test_docx_that_is_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "Kịch bản.docx"
    path.write_bytes(b"Tr\xe0 Vinh plain text saved with the wrong name")
    error = error_of(path)
    assert "not a zip" in error.problem and ".docx" in (error.hint or "")
    path.write_bytes(b"{\\rtf1\\ansi Tra Vinh}")
    assert "RTF" in error_of(path).problem


def test_docx_that_is_really_a_legacy_doc(tmp_path: Path) -> None:
    path = tmp_path / "s.docx"
    path.write_bytes(codecs.decode("d0cf11e0a1b11ae1", "hex") + bytes(504))
    error = error_of(path)
    assert ".doc file" in error.problem and "save it as .docx" in (error.hint or "")


def test_docx_that_is_an_excel_workbook(tmp_path: Path) -> None:
    path = tmp_path / "s.docx"
    path.write_bytes(xlsx_file(tmp_path / "book.xlsx", [["vi"], ["Câu một."]]).read_bytes())
    assert "Excel workbook" in error_of(path).problem


@pytest.mark.parametrize(("name", "advice"), [("s.doc", "save it as .docx"), ("s.xls", "save it as .xlsx")])
def test_legacy_office_formats_say_how_to_save(tmp_path: Path, name: str, advice: str) -> None:
    path = tmp_path / name
    path.write_bytes(codecs.decode("d0cf11e0a1b11ae1", "hex") + bytes(504))
    assert advice in (error_of(path).hint or "")


# --------------------------------------------------------------------------------------------------
# XLSX and CSV
# --------------------------------------------------------------------------------------------------


def test_xlsx_rows_under_a_header(tmp_path: Path) -> None:
    path = xlsx_file(
        tmp_path / "Kịch bản du lịch.xlsx",
        [
            ["clip", "speaker", "vi", "en"],
            ["dulich_01", "narrator", "Cách trung tâm thành phố Trà Vinh khoảng năm cây số.", "About five km away."],
            [None, None, None, None],
            [5, "Thạch Thị Sô Phi", "Trà Vinh có hơn 140 ngôi chùa Khmer.", None],
        ],
    )
    assert [(l.ref, l.clip, l.speaker, l.vi, l.en) for l in read_script(path).lines] == [  # noqa: E741
        (
            "row 2",
            "dulich_01",
            "narrator",
            "Cách trung tâm thành phố Trà Vinh khoảng năm cây số.",
            "About five km away.",
        ),
        ("row 4", "5", "Thạch Thị Sô Phi", "Trà Vinh có hơn 140 ngôi chùa Khmer.", None),
    ]


def test_xlsx_merged_heading_row_is_skipped(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (["vi", "en"], ["PHẦN HAI: VĂN HÓA KHMER", None], ["Chùa Âng cổ kính.", "The old Âng Pagoda."]):
        sheet.append(row)
    sheet.merge_cells("A2:B2")
    book.save(str(tmp_path / "s.xlsx"))
    assert [line.ref for line in read_script(tmp_path / "s.xlsx").lines] == ["row 3"]


def test_xlsx_errors_name_the_row(tmp_path: Path) -> None:
    missing = error_of(xlsx_file(tmp_path / "a.xlsx", [["speaker", "en"], ["PV", "Hello."]]))
    assert missing.problem.startswith("row 1:") and "no Vietnamese column" in missing.problem
    orphan = error_of(xlsx_file(tmp_path / "b.xlsx", [["vi", "en"], ["Câu một.", "One."], [None, "Two."]]))
    assert orphan.problem.startswith("row 3:") and "English but no Vietnamese" in orphan.problem
    assert "no row has any text" in error_of(xlsx_file(tmp_path / "c.xlsx", [])).problem
    only_header = error_of(xlsx_file(tmp_path / "d.xlsx", [["vi", "en"]]))
    assert "no script lines" in only_header.problem


def test_xlsx_that_is_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "s.xlsx"
    path.write_text("vi,en\nCâu một,One\n", encoding="utf-8")
    assert "not a zip" in error_of(path).problem


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("utf-8", ","), ("utf-8-sig", ","), ("utf-8-sig", ";"), ("utf-16", "\t"), ("utf-16-le", ",")],
)
def test_csv_encodings_and_separators(tmp_path: Path, encoding: str, delimiter: str) -> None:
    rows = [
        ["Tiếng Việt", "Tiếng Anh", "Người nói"],
        ["Câu một, có dấu phẩy; và chấm phẩy.", "Sentence one, with a comma.", "PV"],
        ["Câu hai\nxuống dòng trong ô.", "", "Lê Quốc Thắng"],
    ]

    def cell(text: str) -> str:
        return '"' + text.replace('"', '""') + '"' if any(ch in text for ch in ',;\t\n"') else text

    text = "\r\n".join(delimiter.join(cell(c) for c in row) for row in rows) + "\r\n"
    path = tmp_path / "kịch bản.csv"
    path.write_bytes(text.encode(encoding))
    assert [(l.ref, l.vi, l.en, l.speaker) for l in read_script(path).lines] == [  # noqa: E741
        ("row 2", "Câu một, có dấu phẩy; và chấm phẩy.", "Sentence one, with a comma.", "PV"),
        ("row 3", "Câu hai xuống dòng trong ô.", None, "Lê Quốc Thắng"),
    ]


def test_excel_unicode_text_saved_as_txt(tmp_path: Path) -> None:
    """Excel's "Unicode text" is UTF-16 with a BOM, tab-separated, and named .txt."""
    path = tmp_path / "Kịch bản.txt"
    path.write_bytes("vi\ten\r\nXin chào Trà Vinh.\tHello, Trà Vinh.\r\n".encode("utf-16"))
    assert triples(read_script(path)) == [("Xin chào Trà Vinh.", "Hello, Trà Vinh.", None)]


def test_csv_unclosed_quote_names_the_row_where_it_starts(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text('vi,en\nCâu một,One\n"Câu hai, chưa đóng,Two\nCâu ba,Three\nCâu bốn,Four\n', encoding="utf-8")
    error = error_of(path)
    assert error.problem.startswith("row 3:") and "never closed" in error.problem
    path.write_text('vi,en\n"Câu một\nhai dòng",One\n"Câu ba "sai" ngoặc",Three\n', encoding="utf-8")
    error = error_of(path)
    assert error.problem.startswith("row 3 (line 4):") and '""' in error.problem


def test_csv_that_is_not_utf8_says_how_to_save(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_bytes("vi,en\nCâu một,One\n".encode() + "Tr\u00e0 Vinh \u0111e\u0323p,Tra Vinh\n".encode("cp1258"))
    error = error_of(path)
    assert error.problem.startswith("line 3:") and "Windows-1258" in error.problem
    assert "UTF-8" in (error.hint or "")


def test_csv_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert "empty" in error_of(empty).problem
    blank = tmp_path / "blank.csv"
    blank.write_text("\n,,\n", encoding="utf-8")
    assert "no row has any text" in error_of(blank).problem
    english = tmp_path / "english.csv"
    english.write_text("English,Speaker\nHello from the delta.,PV\n", encoding="utf-8")
    assert "row 1: the header" in error_of(english).problem
    unnamed = tmp_path / "unnamed.csv"
    unnamed.write_text("a,b\nHello from the delta, where it is.,PV\n", encoding="utf-8")
    assert "no Vietnamese column" in error_of(unnamed).problem


# --------------------------------------------------------------------------------------------------
# Text and Markdown
# --------------------------------------------------------------------------------------------------


def test_text_paragraphs_with_english_markers_and_speakers(tmp_path: Path) -> None:
    path = tmp_path / "kịch bản.txt"
    path.write_text(
        "Nằm ở cửa sông Hậu, Khu kinh tế Định An\nrộng hơn 39 nghìn héc-ta.\n"
        "EN: Lying at the mouth of the Hậu River,\nthe zone covers 39 thousand hectares.\n\n"
        "PV: Tôi đang đứng tại Trung tâm Điện lực Duyên Hải.\n> I am standing at the Duyên Hải Power Centre.\n\n\n"
        "Lê Quốc Thắng:\nTrà Vinh có lợi thế về cảng biển.\n\n"
        "Trà Vinh has the advantage of a seaport.\n\n"
        "[Nhạc nền]\n\n"
        "- Câu cuối không có tiếng Anh.\n",
        encoding="utf-8",
    )
    assert [(l.ref, l.speaker, l.vi, l.en) for l in read_script(path).lines] == [  # noqa: E741
        ("paragraph 1 (line 1)", None, "Nằm ở cửa sông Hậu, Khu kinh tế Định An rộng hơn 39 nghìn héc-ta.",
         "Lying at the mouth of the Hậu River, the zone covers 39 thousand hectares."),
        ("paragraph 2 (line 6)", "PV", "Tôi đang đứng tại Trung tâm Điện lực Duyên Hải.",
         "I am standing at the Duyên Hải Power Centre."),
        ("paragraph 3 (line 10)", "Lê Quốc Thắng", "Trà Vinh có lợi thế về cảng biển.",
         "Trà Vinh has the advantage of a seaport."),
        ("paragraph 6 (line 17)", None, "Câu cuối không có tiếng Anh.", None),
    ]  # fmt: skip


def test_markdown_structure_is_stripped(tmp_path: Path) -> None:
    path = tmp_path / "script.md"
    path.write_text(
        "# Kịch bản: Trà Vinh\n\nTiêu đề phụ\n===\n\n<!-- ghi chú\nnhiều dòng -->\n\n"
        "[Clip: dautu_01_dinh_an]\n\n"
        "* **Lời bình:** Nằm ở cửa *sông Hậu*, rộng lớn.\n  > Lying at the mouth of the *Hậu River*.\n"
        "1. Câu một của danh sách.\n2) Câu hai có [liên kết](http://example.org) và `mã`.\n---\n"
        "```\nmã không phải lời\n```\n"
        "## Phần hai\nĐoạn cuối, mã clip dautu_02_phong_van giữ nguyên.\n",
        encoding="utf-8",
    )
    lines = read_script(path).lines
    assert [(line.speaker, line.vi, line.en, line.clip) for line in lines] == [
        ("Lời bình", "Nằm ở cửa sông Hậu, rộng lớn.", "Lying at the mouth of the Hậu River.", "dautu_01_dinh_an"),
        (None, "Câu một của danh sách.", None, "dautu_01_dinh_an"),
        (None, "Câu hai có liên kết và mã.", None, "dautu_01_dinh_an"),
        (None, "Đoạn cuối, mã clip dautu_02_phong_van giữ nguyên.", None, "dautu_01_dinh_an"),
    ]


def test_markdown_pipe_table(tmp_path: Path) -> None:
    path = tmp_path / "script.md"
    path.write_text(
        "# Kịch bản\n\nGhi chú không phải lời.\n\n"
        "| Người nói | Tiếng Việt | Tiếng Anh |\n|---|:---|---:|\n"
        "| PV | Xin chào **Trà Vinh** \\| miền Tây. | Hello, Trà Vinh. |\n| | | |\n"
        "| Lời bình | Chùa Âng cổ kính. | |\n",
        encoding="utf-8",
    )
    assert [(l.ref, l.speaker, l.vi, l.en) for l in read_script(path).lines] == [  # noqa: E741
        ("table 1, row 2 (line 7)", "PV", "Xin chào Trà Vinh | miền Tây.", "Hello, Trà Vinh."),
        ("table 1, row 4 (line 9)", "Lời bình", "Chùa Âng cổ kính.", None),
    ]


def test_text_english_first_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "s.md"
    path.write_text("This is the growth engine of the province.\n\nĐây là vùng động lực.\n", encoding="utf-8")
    assert error_of(path).problem.startswith("paragraph 1 (line 1): English with no Vietnamese")


def test_text_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "s.txt"
    path.write_bytes("Dòng một.\n\n".encode() + "Tr\u00e0 Vinh \u0111e\u0323p.\n".encode("cp1258"))
    error = error_of(path)
    assert error.problem.startswith("line 3:") and "save it as UTF-8" in (error.hint or "")


def test_text_with_only_directions_has_no_lines(tmp_path: Path) -> None:
    path = tmp_path / "s.txt"
    path.write_text("[Nhạc hiệu]\n\n(Hết)\n", encoding="utf-8")
    error = error_of(path)
    assert "no script lines" in error.problem and isinstance(error, ReportageError)


# --------------------------------------------------------------------------------------------------
# Every format: NFC from NFD, whitespace collapsed
# --------------------------------------------------------------------------------------------------


def _nfd_docx_table(path: Path) -> None:
    docx_file(path, tables=[[[nfd("Tiếng Việt"), "English"], [nfd(STACKED), STACKED_EN]]])


def _nfd_docx_paragraphs(path: Path) -> None:
    docx_file(path, paragraphs=[nfd(STACKED), STACKED_EN])


def _nfd_xlsx(path: Path) -> None:
    xlsx_file(path, [["vi", "en"], [nfd(STACKED), STACKED_EN]])


def _nfd_csv(path: Path) -> None:
    path.write_bytes(f'vi,en\n"{nfd(STACKED)}","{STACKED_EN}"\n'.encode())


def _nfd_text(path: Path) -> None:
    path.write_text(f"{nfd(STACKED)}\nEN: {STACKED_EN}\n", encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("t.docx", _nfd_docx_table),
        ("p.docx", _nfd_docx_paragraphs),
        ("s.xlsx", _nfd_xlsx),
        ("s.csv", _nfd_csv),
        ("s.txt", _nfd_text),
        ("s.md", _nfd_text),
    ],
)
def test_stacked_diacritics_come_out_nfc(tmp_path: Path, name: str, make: Any) -> None:
    path = tmp_path / name
    make(path)
    assert nfd(STACKED) != STACKED
    (line,) = read_script(path).lines
    assert line.vi == STACKED and unicodedata.is_normalized("NFC", line.vi)
    assert line.en == STACKED_EN


def test_whitespace_and_invisible_characters_are_tidied(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text('vi,en\n"  Trà\u00a0Vinh\u200b   có\tcảng   biển. ",\u00a0\n', encoding="utf-8")
    (line,) = read_script(path).lines
    assert (line.vi, line.en) == ("Trà Vinh có cảng biển.", None)


def test_missing_file_and_unknown_format(tmp_path: Path) -> None:
    assert "does not exist" in error_of(tmp_path / "không có.docx").problem
    (tmp_path / "s.pdf").write_bytes(b"%PDF-1.4")
    assert ".docx" in (error_of(tmp_path / "s.pdf").hint or "")
    (tmp_path / "s.json").write_text("{}", encoding="utf-8")
    assert "must be one of" in error_of(tmp_path / "s.json").problem


# --------------------------------------------------------------------------------------------------
# The sample generator's documents
# --------------------------------------------------------------------------------------------------


def _load_generator() -> ModuleType:
    name = "make_sample_footage_for_scripts"
    if name in sys.modules:
        return sys.modules[name]
    loader = importlib.machinery.SourceFileLoader(name, str(REPO / "scripts" / "make-sample-footage"))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gen() -> ModuleType:
    return _load_generator()


def test_generated_documents_read_back_as_the_ground_truth(gen: ModuleType, tmp_path: Path) -> None:
    scripts = {p: gen.load_script(p) for p in gen.PROGRAMMES}
    assert gen.write_script_documents(tmp_path, scripts, force=False) == len(gen.SCRIPT_DOCUMENTS)
    kinds = set()
    for doc in gen.SCRIPT_DOCUMENTS:
        path = tmp_path / doc.programme / doc.file
        assert " " in path.name and not path.name.isascii() and unicodedata.is_normalized("NFC", path.name)
        kinds.add(path.suffix)
        expected = [
            (
                unicodedata.normalize("NFC", u["vi"]),
                u["en"] if u.get("script_en", True) else None,
                doc.narrator if u["speaker"] == "narrator" else u["speaker"],
            )
            for entry in scripts[doc.programme].data["clips"].values()
            for u in entry["utterances"]
        ]
        script = read_script(path)
        assert triples(script) == expected
        without = [line for line in script.lines if line.en is None]
        assert 2 <= len(without) <= 3, doc.programme
        assert all(line.speaker != doc.narrator for line in without), "English is left out of interviews only"
    assert kinds == {".docx", ".xlsx"}
    docx_lines = read_script(tmp_path / "dautu" / gen.SCRIPT_DOCUMENTS[0].file).lines
    assert docx_lines[0].ref == "table 1, row 2", "the title paragraph above the table is not a line"


def test_generated_documents_are_stamped(gen: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scripts = {p: gen.load_script(p) for p in gen.PROGRAMMES}
    gen.write_script_documents(tmp_path, scripts, force=False)
    paths = [tmp_path / d.programme / d.file for d in gen.SCRIPT_DOCUMENTS]
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in paths}
    capsys.readouterr()
    assert gen.write_script_documents(tmp_path, scripts, force=False) == 0, "a rerun is a no-op"
    assert capsys.readouterr().out == ""
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in paths} == before
    # An edit of the ground truth remakes that programme's document only.
    first = next(iter(scripts["dulich"].data["clips"].values()))["utterances"][0]
    first["en"] = "About five kilometres from the city centre."
    assert gen.write_script_documents(tmp_path, scripts, force=False) == 1
    dulich = next(p for p in paths if "dulich" in str(p))
    assert read_script(dulich).lines[0].en == "About five kilometres from the city centre."
    # A document changed on disk (here: cut short) is remade from the ground truth.
    dulich.write_bytes(dulich.read_bytes()[:100])
    assert gen.write_script_documents(tmp_path, scripts, force=False) == 1
    assert read_script(dulich).lines[0].en == "About five kilometres from the city centre."
    stamp = json.loads((dulich.parent / gen.STAMP_NAME).read_text(encoding="utf-8"))
    assert stamp["scripts"][dulich.name]["hash"] == hashlib.sha256(dulich.read_bytes()).hexdigest()


def test_script_en_markers_do_not_remake_footage(gen: ModuleType) -> None:
    """Which lines the document leaves without English shapes the document, not the clip's sound."""
    script = gen.load_script("dautu")
    clip = next(c for c in gen.CLIPS if c.clip_id == "dautu_02_phong_van")
    marked = gen.clip_hash(clip, script, True)
    for utterance in script.clip_entry(clip.clip_id)["utterances"]:
        utterance.pop("script_en", None)
    assert gen.clip_hash(clip, script, True) == marked
    script.clip_entry(clip.clip_id)["utterances"][0]["vi"] += " Xin cảm ơn."
    assert gen.clip_hash(clip, script, True) != marked
