"""The one escape for every spreadsheet and CSV cell the project writes or reads back.

A spreadsheet program runs a cell that starts with `=`, `+`, `-` or `@` as a formula (and a tab or a
carriage return at the start lets one through), so text from subtitles, notes or a translator's sheet
written as it is could run `=cmd|' /C calc'!A0` on a reviewer's machine (CSV formula injection,
OWASP). Every text cell written goes through `escape`: one that starts with one of those characters
(or their full-width forms ＝ ＋ － ＠, which some programs also take as a formula) is prefixed with
a single quote, which makes it text; so is one that already starts with a quote, so that reading back
is exact. In an XLSX workbook the cell is also stored as a string (`data_type` "s", quote-prefixed),
never a formula. `unescape` removes that one quote again, so export → import gives the same text
back: a Vietnamese dual-speaker line "- Anh đi đâu?" comes back as "- Anh đi đâu?".

On import a real formula is refused (`formula_problem`): an XLSX cell whose type is a formula, or any
cell whose text starts with "=" (what a spreadsheet stores for a formula); the escaped cells this
module writes never do.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

TRIGGERS = frozenset("=+-@\t\r＝＋－＠")
"""First characters that make a spreadsheet program read a cell as a formula."""
QUOTE = "'"


def needs_escape(text: str) -> bool:
    """Whether `text` must be written quote-prefixed (it starts like a formula, or with the quote)."""
    return bool(text) and (text[0] in TRIGGERS or text[0] == QUOTE)


def escape(value: Any) -> Any:
    """A cell value as it is written: text that could be taken as a formula (or that starts with the
    quote) gets a leading single quote; numbers, None and other text are unchanged."""
    if isinstance(value, str) and needs_escape(value):
        return QUOTE + value
    return value


def unescape(text: str) -> str:
    """The text `escape` was given: one leading quote removed when what follows it is what `escape`
    quotes (a formula character or another quote); anything else is kept as typed."""
    if len(text) >= 2 and text[0] == QUOTE and needs_escape(text[1:]):
        return text[1:]
    return text


def csv_row(values: Iterable[Any]) -> list[Any]:
    """A row for `csv.writer`, every text cell escaped."""
    return [escape(v) for v in values]


def xlsx_row(sheet: Any, row: int, values: Sequence[Any]) -> None:
    """Write `values` into 1-based `row` of an openpyxl worksheet: every text cell escaped and stored
    as a string cell (openpyxl makes any text starting with "=" a formula unless told otherwise)."""
    for column, value in enumerate(values, 1):
        cell = sheet.cell(row=row, column=column)
        written = escape(value)
        cell.value = written
        if isinstance(written, str):
            cell.data_type = "s"
            if written is not value:
                cell.quotePrefix = True


def column_letter(column: int) -> str:
    """Spreadsheet column name of the 1-based `column`: 1 → A, 27 → AA."""
    name = ""
    while column > 0:
        column, rest = divmod(column - 1, 26)
        name = chr(ord("A") + rest) + name
    return name


def formula_problem(value: Any, data_type: str | None, row: int, column: int,
                    header: Sequence[str] = ()) -> str | None:
    """Why the cell at 1-based `row`, `column` must be refused (a formula), or None when it is text.

    `data_type` is openpyxl's ("f" for a formula; None for a CSV cell); `header` names the columns."""
    text = value if isinstance(value, str) else None
    if data_type != "f" and not (text and text.startswith(("=", "＝"))):
        return None
    name = header[column - 1] if 0 < column <= len(header) else ""
    where = f"row {row}, column {column_letter(column)}" + (f" ({name!r})" if name else "")
    shown = str(value if value is not None else "")
    shown = shown if len(shown) <= 40 else shown[:39] + "…"
    return f"{where} holds a formula ({shown!r}), not text"


FORMULA_HINT = ("type the text without a leading '=' (a cell that starts with '=' is a spreadsheet formula) "
                "and save the sheet again")
