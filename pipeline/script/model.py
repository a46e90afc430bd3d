"""What a narration script is once read: its lines, in the order the editor wrote them.

The readers (one per file format) produce these; the aligner consumes them. Nothing here knows a
format, so a new format is one new reader and nothing else changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import ReportageError


class ScriptError(ReportageError):
    """The programme's script cannot be read, or a row/paragraph of it makes no sense.

    The problem names the row or paragraph ("row 12: …", "table 1, row 3: …") so the editor can find it.
    """

    exit_code = 2  # like a manifest error: the editor's input needs fixing


@dataclass(frozen=True)
class ScriptLine:
    """One spoken line of the script (a row of its table, or a paragraph), as the editor wrote it.

    `vi` is never empty; `en` is the translator's English, or None where the script has none (the
    translation backend fills that in); `speaker` and `clip` only when the script names them.
    """

    ref: str  # where it is in the file, for messages: "row 12", "paragraph 7", "table 1, row 3"
    vi: str  # NFC, whitespace collapsed, never empty
    en: str | None  # the translator's English (NFC), None when the script has none for it
    speaker: str | None  # e.g. "Lê Quốc Thắng", "PV", "Lời bình", as written
    clip: str | None  # a clip id or shot/file reference when the script names one
    notes: tuple[str, ...] = ()  # what reading changed; the first line carries the file's (a repair)
    # The section heading the line falls under (a DOCX Heading paragraph or heading row merged across
    # a table, a sheet's section column or merged heading row, a Markdown heading): the chapters of
    # the programme's social package. None before the first heading, or when the script has none.
    section: str | None = None


@dataclass(frozen=True)
class Script:
    """A programme's script: the file it came from, its content hash (a stage input), its lines."""

    path: Path
    sha256: str
    lines: tuple[ScriptLine, ...]
    notes: tuple[str, ...] = ()  # what reading changed (a double-encoded text repaired), for the report
