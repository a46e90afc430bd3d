"""The bilingual review sheet: how a human translator checks the machine draft without touching SRT.

Export writes one row per Vietnamese cue (cue, timecode, Vietnamese, machine English, final English)
as CSV (always readable) or XLSX (when openpyxl is installed). Import reads the final English back
and refuses what would make bad subtitles — a changed cue count, empty cells, lines too long for two
lines of the English style, a timecode that is not the cue's — listing every problem at once, each
with its row, rather than accepting half a sheet. A quote left open in a CSV cell swallows every row
after it; that is reported at the row where the quote opens, not as a count that does not match.
Imported English is the reviewed version: not a machine draft. The machine draft is kept beside it,
so a sheet exported again shows each in its own column.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..errors import SubtitleError
from ..fsutil import nfc, read_json, write_bytes, write_json
from ..sheetcells import FORMULA_HINT, csv_row, formula_problem, unescape, xlsx_row
from ..subs import Style, break_lines
from ..timecode import Timecode
from ..workspace import Workspace
from .base import SourceCue, TranslationContext

COLUMNS = ("cue", "timecode", "Vietnamese", "machine English", "final English")
# The start of a row as `write_sheet` writes it, found inside a cell: a quote opened above never closed.
_ROW_START = re.compile(r"(?m)^\s*\d+\s*,\s*\d{1,2}:\d{2}:\d{2}[:;.]\d{2,3}\s*,")
_TIMECODE = re.compile(r"^\d{2}:\d{2}:\d{2}[:;]\d{2}$")


@dataclass(frozen=True)
class SheetRow:
    """One row of the sheet; `row` is its number in the sheet (the header is row 1), 0 when made in code."""

    cue: int
    timecode: str
    vietnamese: str
    machine: str
    final: str
    row: int = field(default=0, compare=False)

    def problem(self, text: str) -> str:
        """`text` as a problem of this row: "cue 3: … (row 4)"."""
        return f"cue {self.cue}: {text}" + (f" (row {self.row})" if self.row else "")


def write_sheet(path: Path, rows: Sequence[SheetRow]) -> None:
    """CSV (UTF-8 with BOM so spreadsheet programs see the diacritics) or XLSX by extension."""
    values = [[r.cue, r.timecode, r.vietnamese, r.machine, r.final] for r in rows]
    suffix = path.suffix.lower()
    if suffix == ".csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(csv_row(row) for row in values)  # formula-like text quote-prefixed (sheetcells)
        write_bytes(path, ("\ufeff" + nfc(buffer.getvalue())).encode("utf-8"))
        return
    if suffix != ".xlsx":
        raise SubtitleError("a review sheet must be .csv or .xlsx", path=path)
    try:
        from openpyxl import Workbook
    except ImportError:
        raise SubtitleError("writing .xlsx needs openpyxl", path=path,
                            hint="pip install openpyxl, or use .csv") from None
    book = Workbook()
    sheet = book.active
    sheet.title = "subtitles"
    table: list[list[Any]] = [list(COLUMNS), *values]
    for number, row in enumerate(table, 1):  # text cells escaped, never formulas
        xlsx_row(sheet, number, [nfc(v) if isinstance(v, str) else v for v in row])
    for column, width in zip("ABCDE", (6, 14, 50, 50, 50), strict=True):
        sheet.column_dimensions[column].width = width
    buffer_b = io.BytesIO()
    book.save(buffer_b)
    write_bytes(path, buffer_b.getvalue())


def _cells(path: Path) -> list[list[str]]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except OSError as exc:
            raise SubtitleError(f"cannot read the sheet: {exc.strerror or exc}", path=path) from None
        except UnicodeDecodeError:
            raise SubtitleError("the sheet is not UTF-8 CSV", path=path, hint="export it as CSV UTF-8") from None
        return _unescaped(path, [[(c, None) for c in row] for row in _csv_cells(text, path)])
    if suffix == ".xlsx":
        try:
            from openpyxl import load_workbook
        except ImportError:
            raise SubtitleError("reading .xlsx needs openpyxl", path=path, hint="pip install openpyxl") from None
        try:
            book = load_workbook(path, read_only=True, data_only=False)  # formulas seen as formulas
        except Exception as exc:  # openpyxl raises zipfile/KeyError/InvalidFileException
            raise SubtitleError(f"cannot read the workbook: {exc}", path=path) from None
        try:
            cells = [[("" if c.value is None else nfc(str(c.value)), getattr(c, "data_type", None)) for c in row]
                     for row in book.active.iter_rows()]
        finally:
            book.close()
        return _unescaped(path, cells)
    raise SubtitleError("a review sheet must be .csv or .xlsx", path=path)


def _unescaped(path: Path, cells: Sequence[Sequence[tuple[str, str | None]]]) -> list[list[str]]:
    """The cells' text as `write_sheet` was given it (the quote of the formula escape removed); a sheet
    holding a formula anywhere is refused, every such cell named."""
    problems = [problem for number, row in enumerate(cells, 1) for column, (text, kind) in enumerate(row, 1)
                if (problem := formula_problem(text, kind, number, column, COLUMNS))]
    if problems:
        more = f" and {len(problems) - 5} more" if len(problems) > 5 else ""
        raise SubtitleError("the sheet cannot be imported: " + "; ".join(problems[:5]) + more, path=path,
                            hint=FORMULA_HINT)
    return [[unescape(text) for text, _ in row] for row in cells]


def _unclosed_quote(row: int, line: int, column: int) -> str:
    name = COLUMNS[column] if column < len(COLUMNS) else f"column {column + 1}"
    return (f"row {row} (line {line} of the file): the quote that opens the {name!r} cell is never closed, "
            "so the rows after it were read into that one cell")


def _csv_cells(text: str, path: Path) -> list[list[str]]:
    """The records of a CSV sheet, read strictly: a quote left open is a SubtitleError at the row
    (and file line) where it opens, whether it runs to the end of the file or to a later quote."""
    reader = csv.reader(io.StringIO(text), strict=True)
    rows: list[list[str]] = []
    while True:
        first_line = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            rest = text.split("\n")[first_line - 1:]
            swallowed = [n for n, cell in enumerate(next(csv.reader(io.StringIO("\n".join(rest))), []))
                         if _ROW_START.search(cell)]
            if swallowed or "unexpected end of data" in str(exc):
                column = swallowed[0] if swallowed else _open_column(rest)
                raise SubtitleError(_unclosed_quote(len(rows) + 1, first_line, column), path=path,
                                    hint="close the quote (or remove it) and save the sheet again") from None
            raise SubtitleError(f"row {len(rows) + 1} (line {first_line} of the file): not valid CSV ({exc})",
                                path=path, hint="export it again as CSV UTF-8") from None
        for column, cell in enumerate(record):
            if _ROW_START.search(cell):
                raise SubtitleError(_unclosed_quote(len(rows) + 1, first_line, column), path=path,
                                    hint="close the quote (or remove it) and save the sheet again")
        rows.append([nfc(c) for c in record])
    return rows


def _open_column(lines: Sequence[str]) -> int:
    """Which cell of a record's first line opens the quote that is never closed (CSV quoting: a quote
    opens only at the start of a cell; inside, a doubled quote is a quote character)."""
    line = lines[0] if lines else ""
    column, quoted, cell_start, at = 0, False, True, 0
    while at < len(line):
        char = line[at]
        if quoted and char == '"':
            if line[at + 1:at + 2] == '"':
                at += 1
            else:
                quoted = False
        elif not quoted and char == '"' and cell_start:
            quoted = True
        elif not quoted and char == ",":
            column, cell_start, at = column + 1, True, at + 1
            continue
        cell_start = False
        at += 1
    return column


def read_sheet(path: Path) -> list[SheetRow]:
    """Rows of a sheet written by `write_sheet` (header checked, blank rows skipped)."""
    cells = _cells(path)
    if not cells or [c.strip().casefold() for c in cells[0][:5]] != [c.casefold() for c in COLUMNS]:
        raise SubtitleError(f"the sheet's first row must be: {', '.join(COLUMNS)}", path=path)
    rows: list[SheetRow] = []
    for number, row in enumerate(cells[1:], 2):
        padded = [*row, "", "", "", "", ""][:5]
        if not any(c.strip() for c in padded):
            continue
        try:
            cue = int(float(padded[0]))
        except ValueError:
            raise SubtitleError(f"row {number}: the cue column holds {padded[0]!r}, not a number", path=path) from None
        rows.append(SheetRow(cue, padded[1].strip(), padded[2], padded[3], padded[4].replace("\r\n", "\n"),
                             number))
    return rows


def timecode_problems(rows: Sequence[SheetRow], timecodes: Sequence[str]) -> list[str]:
    """Rows whose timecode is not the one exported for their cue: the timing comes from the
    Vietnamese subtitles, so a changed timecode is a typo (or a row moved) to point at, not ignore."""
    problems: list[str] = []
    for row in rows:
        if not 1 <= row.cue <= len(timecodes):
            continue
        expected = timecodes[row.cue - 1]
        if not _TIMECODE.match(row.timecode):
            problems.append(row.problem(f"timecode {row.timecode!r} is not HH:MM:SS:FF (it was {expected})"))
        elif row.timecode != expected:
            problems.append(row.problem(f"timecode {row.timecode} is not the cue's {expected}; the timing comes "
                                        "from the Vietnamese subtitles, put it back"))
    return problems


def export_timecodes(starts_ms: Sequence[int], rate: Fraction) -> list[str]:
    """The timecode column as `export-sheet` writes it: each cue's start, HH:MM:SS:FF at `rate`."""
    return [str(Timecode.from_ms(ms, rate)) for ms in starts_ms]


def validate_final(rows: Sequence[SheetRow], expected: int, style: Style,
                   timecodes: Sequence[str] | None = None) -> list[str]:
    """Every problem of the final English, one sentence each (empty when the sheet can be taken).

    `timecodes` (the exported timecode of each cue, `export_timecodes`) also checks that column.
    """
    problems: list[str] = []
    if len(rows) != expected:
        problems.append(f"the sheet has {len(rows)} cues, the Vietnamese subtitles have {expected}")
    numbers = [r.cue for r in rows]
    if numbers != list(range(1, len(rows) + 1)):
        problems.append("cue numbers must run 1, 2, 3 … without gaps or repeats")
    if timecodes is not None:
        problems += timecode_problems(rows, timecodes)
    for row in rows:
        text = " ".join(row.final.split())
        if not text:
            problems.append(row.problem("final English is empty"))
            continue
        lines = [ln.strip() for ln in row.final.split("\n") if ln.strip()]
        if len(lines) == 1:
            lines = list(break_lines(text, style))
        longest = max(len(ln) for ln in lines)
        if len(lines) > style.lines_per_cue or longest > style.chars_per_line:
            problems.append(row.problem(
                f"final English needs {len(lines)} lines of up to {longest} characters; "
                f"{style.lines_per_cue} lines of {style.chars_per_line} is the most"
            ))
    return problems


def imported_path(ws: Workspace) -> Path:
    """Where an accepted sheet's final English is kept: the `sheet` backend's source."""
    return ws.subtitles_dir / f"{ws.programme_id}.en.sheet.json"


def save_imported(ws: Workspace, rows: Sequence[SheetRow], source: Path) -> None:
    """Keep the accepted rows (Vietnamese too, to notice later that the Vietnamese changed; the machine
    draft too, so a sheet exported again still shows it under "machine English")."""
    write_json(imported_path(ws), {"source": ws.stored(source),
                                   "rows": [{"cue": r.cue, "vi": r.vietnamese, "machine": r.machine, "en": r.final}
                                            for r in rows]})


def imported_rows(ws: Workspace) -> dict[int, dict[str, str]]:
    """The last accepted sheet's rows by cue number ({} when none was imported)."""
    path = imported_path(ws)
    if not path.is_file():
        return {}
    data: Any = read_json(path)
    rows = data.get("rows", []) if isinstance(data, dict) else []
    out: dict[int, dict[str, str]] = {}
    for entry in rows:
        if isinstance(entry, dict) and isinstance(entry.get("cue"), int):
            out[entry["cue"]] = {k: str(entry.get(k) or "") for k in ("vi", "machine", "en")}
    return out


def export_rows(vi: Sequence[tuple[str, str]], english: Mapping[int, str], *, reviewed: bool,
                imported: Mapping[int, Mapping[str, str]]) -> list[SheetRow]:
    """The rows of a sheet to (re-)export: `vi` is each cue's (timecode, Vietnamese), `english` the
    English in force by cue number, `reviewed` whether that English is a reviewer's.

    The machine draft goes under "machine English" (from the last imported sheet once the English
    in force is the reviewed one), the reviewed English under "final English"; never the other way.
    """
    rows: list[SheetRow] = []
    for number, (timecode, text) in enumerate(vi, 1):
        before = imported.get(number)
        same_cue = before is not None and " ".join(before["vi"].split()) == " ".join(text.split())
        current = english.get(number, "")
        if reviewed:
            machine = before["machine"] if before is not None and same_cue else ""
            final = current
        else:
            machine, final = current, ""
        rows.append(SheetRow(number, timecode, text, machine, final))
    return rows


class SheetTranslator:
    """The `sheet` backend: English comes from the last imported review sheet, cue by cue."""

    name = "sheet"
    is_machine_draft = False

    def __init__(self, ws: Workspace, options: Mapping[str, Any] | None = None) -> None:
        self.ws = ws

    def translate(self, cues: Sequence[SourceCue], context: TranslationContext) -> list[str]:
        """The imported final English; an error when no sheet was imported or the cues changed."""
        path = imported_path(self.ws)
        hint = "run `reportage subtitles export-sheet`, fill in 'final English', then `import-sheet`"
        if not path.is_file():
            raise SubtitleError("no review sheet has been imported yet", path=path, hint=hint)
        data: Any = read_json(path)
        rows = data.get("rows", []) if isinstance(data, dict) else []
        if len(rows) != len(cues) or any(" ".join(str(r.get("vi", "")).split()) != cue.text
                                         for r, cue in zip(rows, cues, strict=False)):
            raise SubtitleError("the Vietnamese subtitles changed since the review sheet was imported",
                                path=path, hint=hint)
        return [" ".join(nfc(str(r["en"])).split()) for r in rows]
