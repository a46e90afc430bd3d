"""The script readers expose the section headings the social package's chapters come from: they
were read and dropped before; now each line carries the heading it falls under."""

from __future__ import annotations

from pathlib import Path

import docx
from openpyxl import Workbook

from pipeline.script import read_script


def _sections(path: Path) -> list[tuple[str, str | None]]:
    return [(line.vi, line.section) for line in read_script(path).lines]


def test_markdown_headings_name_the_sections(tmp_path: Path) -> None:
    path = tmp_path / "s.md"
    path.write_text("# Trà Vinh – Điểm hẹn\n\nCâu mở đầu về Trà Vinh.\n\n## Khu kinh tế **Định An**\n\n"
                    "Khu kinh tế Định An rộng lớn.\n\nEN: The Định An zone is large.\n\nChuỗi giá trị dừa\n---\n\n"
                    "Nghề nuôi tôm nước lợ.\n", encoding="utf-8")
    assert _sections(path) == [("Câu mở đầu về Trà Vinh.", "Trà Vinh – Điểm hẹn"),
                               ("Khu kinh tế Định An rộng lớn.", "Khu kinh tế Định An"),
                               ("Nghề nuôi tôm nước lợ.", "Chuỗi giá trị dừa")]


def test_a_section_column_carries_down(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("Phần,Tiếng Việt,Tiếng Anh\nMở đầu,Trà Vinh có cảng biển.,Trà Vinh has a seaport.\n"
                    ",Tỉnh kêu gọi đầu tư.,\nDừa,Chuỗi giá trị dừa lớn mạnh.,\n", encoding="utf-8")
    assert _sections(path) == [("Trà Vinh có cảng biển.", "Mở đầu"), ("Tỉnh kêu gọi đầu tư.", "Mở đầu"),
                               ("Chuỗi giá trị dừa lớn mạnh.", "Dừa")]


def test_docx_heading_paragraphs_and_merged_rows(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("Trà Vinh – Điểm hẹn", style="Title")
    document.add_paragraph("Phần một", style="Heading 1")
    document.add_paragraph("Nằm ở cửa sông Hậu, Khu kinh tế Định An rộng lớn.")
    document.add_paragraph("Phần hai", style="Heading 2")
    document.add_paragraph("Đây là vùng động lực của tỉnh Trà Vinh.")
    document.save(str(tmp_path / "p.docx"))
    assert _sections(tmp_path / "p.docx") == [("Nằm ở cửa sông Hậu, Khu kinh tế Định An rộng lớn.", "Phần một"),
                                              ("Đây là vùng động lực của tỉnh Trà Vinh.", "Phần hai")]
    document = docx.Document()
    table = document.add_table(rows=4, cols=2)
    for r, row in enumerate([["Tiếng Việt", "Tiếng Anh"], ["PHẦN 1: TIỀM NĂNG", ""],
                             ["Trà Vinh có lợi thế về cảng biển.", "Trà Vinh has a seaport."],
                             ["Luồng tàu vào sông Hậu.", "The channel into the Hậu."]]):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    table.cell(1, 0).merge(table.cell(1, 1))
    document.save(str(tmp_path / "t.docx"))
    assert [s for _vi, s in _sections(tmp_path / "t.docx")] == ["PHẦN 1: TIỀM NĂNG"] * 2


def test_xlsx_merged_heading_row(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (["vi", "en"], ["Chùa Ba Om cổ kính.", None], ["PHẦN HAI: VĂN HÓA KHMER", None],
                ["Chùa Âng cổ kính.", "The old Âng Pagoda."]):
        sheet.append(row)
    sheet.merge_cells("A3:B3")
    book.save(str(tmp_path / "s.xlsx"))
    assert _sections(tmp_path / "s.xlsx") == [("Chùa Ba Om cổ kính.", None),
                                              ("Chùa Âng cổ kính.", "PHẦN HAI: VĂN HÓA KHMER")]
