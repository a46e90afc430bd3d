"""The bilingual review sheet: how a human translator checks the machine draft without touching SRT.

Export writes one row per Vietnamese cue (cue, timecode, Vietnamese, machine English, final English)
as CSV (always readable) or XLSX (when openpyxl is installed). Import reads the final English back
and refuses what would make bad subtitles — a changed cue count, empty cells, lines too long for two
lines of the English style — listing every problem at once rather than accepting half a sheet.
Imported English is the reviewed version: not a machine draft.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import SubtitleError
from ..fsutil import nfc, read_json, write_bytes, write_json
from ..subs import Style, break_lines
from ..workspace import Workspace
from .base import SourceCue, TranslationContext

COLUMNS = ("cue", "timecode", "Vietnamese", "machine English", "final English")


@dataclass(frozen=True)
class SheetRow:
    """One row of the sheet."""

    cue: int
    timecode: str
    vietnamese: str
    machine: str
    final: str


def write_sheet(path: Path, rows: Sequence[SheetRow]) -> None:
    """CSV (UTF-8 with BOM so spreadsheet programs see the diacritics) or XLSX by extension."""
    values = [[r.cue, r.timecode, r.vietnamese, r.machine, r.final] for r in rows]
    suffix = path.suffix.lower()
    if suffix == ".csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(values)
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
    sheet.append(list(COLUMNS))
    for row in values:
        sheet.append([nfc(v) if isinstance(v, str) else v for v in row])
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
        return [[nfc(c) for c in row] for row in csv.reader(io.StringIO(text))]
    if suffix == ".xlsx":
        try:
            from openpyxl import load_workbook
        except ImportError:
            raise SubtitleError("reading .xlsx needs openpyxl", path=path, hint="pip install openpyxl") from None
        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises zipfile/KeyError/InvalidFileException
            raise SubtitleError(f"cannot read the workbook: {exc}", path=path) from None
        rows = [["" if c is None else nfc(str(c)) for c in row] for row in book.active.iter_rows(values_only=True)]
        book.close()
        return rows
    raise SubtitleError("a review sheet must be .csv or .xlsx", path=path)


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
        rows.append(SheetRow(cue, padded[1], padded[2], padded[3], padded[4].replace("\r\n", "\n")))
    return rows


def validate_final(rows: Sequence[SheetRow], expected: int, style: Style) -> list[str]:
    """Every problem of the final English, one sentence each (empty when the sheet can be taken)."""
    problems: list[str] = []
    if len(rows) != expected:
        problems.append(f"the sheet has {len(rows)} cues, the Vietnamese subtitles have {expected}")
    numbers = [r.cue for r in rows]
    if numbers != list(range(1, len(rows) + 1)):
        problems.append("cue numbers must run 1, 2, 3 … without gaps or repeats")
    for row in rows:
        text = " ".join(row.final.split())
        if not text:
            problems.append(f"cue {row.cue}: final English is empty")
            continue
        lines = [ln.strip() for ln in row.final.split("\n") if ln.strip()]
        if len(lines) == 1:
            lines = list(break_lines(text, style))
        longest = max(len(ln) for ln in lines)
        if len(lines) > style.lines_per_cue or longest > style.chars_per_line:
            problems.append(
                f"cue {row.cue}: final English needs {len(lines)} lines of up to {longest} characters; "
                f"{style.lines_per_cue} lines of {style.chars_per_line} is the most"
            )
    return problems


def imported_path(ws: Workspace) -> Path:
    """Where an accepted sheet's final English is kept: the `sheet` backend's source."""
    return ws.subtitles_dir / f"{ws.programme_id}.en.sheet.json"


def save_imported(ws: Workspace, rows: Sequence[SheetRow], source: Path) -> None:
    """Keep the accepted rows (Vietnamese too, to notice later that the Vietnamese changed)."""
    write_json(imported_path(ws), {"source": str(source),
                                   "rows": [{"cue": r.cue, "vi": r.vietnamese, "en": r.final} for r in rows]})


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
