"""Scripts as sheets: Excel workbooks (.xlsx) and delimited text (.csv, .tsv, or a .txt saved as
Excel's "Unicode text"), one line per row under a header of vi, en, speaker, clip (or their
synonyms; see `columns`).

A workbook is read from its active sheet; a cell merged across the Vietnamese column and its
neighbours is a heading, not a line. A delimited file's separator is the one of comma, semicolon
(Excel in locales with a decimal comma) and tab that its first line uses most. Row numbers in
messages are a spreadsheet's: the header is row 1, and a cell holding line breaks is still one row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from .columns import Layout, find_layout, table_lines
from .encoding import decode
from .model import ScriptError, ScriptLine

_DELIMITERS = (",", ";", "\t")


def _row_ref(index: int) -> str:
    return f"row {index + 1}"


def sheet_lines(rows: Sequence[Sequence[str]], path: Path, skip: set[int] | None = None) -> list[ScriptLine]:
    """The lines of a sheet's rows (header or guessed columns); `skip`: 0-based rows that are not lines."""
    if not any(any(c.strip() for c in row) for row in rows):
        raise ScriptError("no row has any text", path=path, hint="put a header row (vi, en) and the script under it")
    layout = find_layout(rows, _row_ref, path)
    if layout is None:
        first = next(i for i, row in enumerate(rows) if any(c.strip() for c in row))
        raise ScriptError(
            f"{_row_ref(first)}: no Vietnamese column: the first row is not a header naming one, and no column "
            "reads as Vietnamese text",
            path=path,
            hint='start with a header row such as "vi, en, speaker, clip" (or "Tiếng Việt, Tiếng Anh")',
        )
    def heading(index: int) -> str | None:  # a skipped row's text is a heading merged across the sheet
        return next((cell for cell in rows[index] if cell.strip()), None) if index in (skip or set()) else None

    return table_lines(rows, layout, _row_ref, path, skip=lambda index: index in (skip or set()), heading=heading)


# --------------------------------------------------------------------------------------------------
# Delimited text
# --------------------------------------------------------------------------------------------------


def _first_line(text: str) -> str:
    """The first record's first physical line, outside quotes as far as a simple scan can tell."""
    for line in text.splitlines():
        if line.strip():
            return line
    return ""


def _delimiter(text: str) -> str:
    line = _first_line(text)
    outside = "".join(part for n, part in enumerate(line.split('"')) if n % 2 == 0)
    counts = {d: outside.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _quote_problem(message: str) -> str:
    if "unexpected end of data" in message or "newline inside string" in message:
        return 'a quote (") opens a cell here and is never closed'
    if "expected after" in message:
        return 'a quote (") inside a quoted cell must be written twice ("")'
    return f"cannot be read as CSV ({message})"


def split_delimited(text: str, path: Path, delimiter: str | None = None) -> list[list[str]]:
    """Rows of a CSV/TSV text; a quoting error names the row (and line) where its record starts."""
    if "\x00" in text:
        raise ScriptError("it holds NUL bytes, so it is not a text file", path=path, hint="save it as CSV UTF-8")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter or _delimiter(text), strict=True)
    rows: list[list[str]] = []
    line = 0  # the physical line the last complete record ended on
    try:
        for row in reader:
            rows.append(row)
            line = reader.line_num
    except csv.Error as exc:
        where = f"row {len(rows) + 1}" + (f" (line {line + 1})" if line + 1 != len(rows) + 1 else "")
        raise ScriptError(
            f"{where}: {_quote_problem(str(exc))}",
            path=path,
            hint='close the quote, or write a quote inside a cell as ""',
        ) from None
    return rows


def read_delimited(data: bytes, path: Path, delimiter: str | None = None) -> list[ScriptLine]:
    """The script lines of a CSV or TSV file (any of the encodings `encoding.decode` accepts)."""
    return sheet_lines(split_delimited(decode(data, path), path, delimiter), path)


# --------------------------------------------------------------------------------------------------
# Workbooks
# --------------------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    """A cell as the editor sees it: whole numbers without ".0", dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _merged_headings(sheet: Any, layout: Layout) -> set[int]:
    """0-based rows where a merged cell covers the Vietnamese column and spans more columns."""
    rows: set[int] = set()
    for merged in sheet.merged_cells.ranges:
        if merged.min_col <= layout.vi + 1 <= merged.max_col and merged.max_col > merged.min_col:
            rows.update(range(merged.min_row - 1, merged.max_row))
    return rows


def read_xlsx(data: bytes, path: Path) -> list[ScriptLine]:
    """The script lines of an .xlsx workbook's active sheet."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, InvalidFileException, lxml errors
        raise ScriptError(
            f"cannot read it as an Excel workbook ({type(exc).__name__}: {exc})",
            path=path,
            hint="open it in Excel or LibreOffice and save it again as .xlsx",
        ) from None
    try:
        sheet = book.active
        if sheet is None or not hasattr(sheet, "iter_rows"):
            raise ScriptError("the workbook has no worksheet", path=path, hint="put the script on the first sheet")
        rows = [[_text(v) for v in row] for row in sheet.iter_rows(min_row=1, values_only=True)]
        layout = find_layout(rows, _row_ref, path)
        skip = _merged_headings(sheet, layout) if layout is not None else set()
        return sheet_lines(rows, path, skip)
    finally:
        book.close()
