"""How long a script can be: longer than any programme could be is refused before it is read.

Reading and aligning a script cost time in proportion to its size (the aligner compares every
sentence with the speech around each place it might be), and the programme's lock is held all the
while; a 214 KB DOCX of 640,000 paragraphs once held it for over five minutes. So a script is
measured before it is parsed, from what costs nothing to count:
- a text file (CSV, TSV, .txt, .md) by its bytes and its lines;
- a DOCX or XLSX by its unpacked size (a zip of repeated paragraphs is tiny on disk), the XML the
  reader parses, and that XML's paragraphs (DOCX) or cells (XLSX);
and, once read, by its sentences and syllables. Each limit is far beyond a real script: two hours
of narration is about 40,000 syllables in 2,000 sentences.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .model import ScriptError

MAX_SENTENCES = 2_000
MAX_SYLLABLES = 40_000
"""About two hours of narration read at a newsreader's pace, in sentences of 20 syllables."""
MAX_TEXT_BYTES = 4 << 20
MAX_TEXT_LINES = 20_000
MAX_XML_BYTES = 16 << 20
"""The XML a DOCX's text (word/document.xml) or an XLSX's sheets and strings unpack to."""
MAX_ARCHIVE_BYTES = 256 << 20
"""Everything a DOCX or XLSX unpacks to, pictures included (the readers load every part)."""
MAX_PARAGRAPHS = 20_000
MAX_CELLS = 40_000
"""Lines, paragraphs and cells: ten times what a script of `MAX_SENTENCES` needs (blank lines, the
English, headings, notes columns), and each read in a few seconds at most."""

_WHAT = "longer than any programme's script could be"
_FIX = ("check that the manifest's `script:` names this programme's script (not a series' archive, a log or a "
        "generated file); a longer programme needs one script per part")


def size(n: int) -> str:
    """Bytes for a message: "214 KB", "31.4 MB"."""
    if n >= 1 << 20:
        return f"{n / (1 << 20):.1f} MB"
    return f"{max(1, round(n / 1024))} KB"


def refuse(path: Path, found: str, limit: str, hint: str = _FIX) -> ScriptError:
    """The error for a script over a limit: what it has, the limit, the fix."""
    return ScriptError(f"{found}: {_WHAT} (the limit is {limit})", path=path, hint=hint)


def check_text(data: bytes, path: Path) -> None:
    """A text script's bytes and lines, before it is decoded."""
    if len(data) > MAX_TEXT_BYTES:
        raise refuse(path, f"the script is {size(len(data))} of text", size(MAX_TEXT_BYTES))
    lines = data.count(b"\n")
    if lines > MAX_TEXT_LINES:
        raise refuse(path, f"the script has {lines:,} lines ({size(len(data))})", f"{MAX_TEXT_LINES:,} lines",
                     "delete the empty lines, or " + _FIX)


def check_archive(unpacked: int, xml: int, path: Path, part: str) -> None:
    """A DOCX/XLSX's unpacked size (`unpacked`) and the size of the XML its reader parses (`xml`)."""
    if unpacked > MAX_ARCHIVE_BYTES:
        raise refuse(path, f"it unpacks to {size(unpacked)}", size(MAX_ARCHIVE_BYTES),
                     "save it again without the pictures and embedded files, or " + _FIX)
    if xml > MAX_XML_BYTES:
        raise refuse(path, f"its text is {size(xml)} of XML ({part})", size(MAX_XML_BYTES))


def check_docx(xml: bytes, path: Path) -> None:
    """A DOCX's paragraphs (every table cell holds at least one), counted in its XML."""
    paragraphs = xml.count(b"<w:p>") + xml.count(b"<w:p ")
    if paragraphs > MAX_PARAGRAPHS:
        raise refuse(path, f"the document has {paragraphs:,} paragraphs ({size(len(xml))} of XML)",
                     f"{MAX_PARAGRAPHS:,} paragraphs", "delete the empty paragraphs, or " + _FIX)


def check_xlsx(sheets: Sequence[bytes], path: Path) -> None:
    """An XLSX's cells, over every sheet (the reader loads them all)."""
    cells = sum(xml.count(b"<c ") + xml.count(b"<c>") for xml in sheets)
    if cells > MAX_CELLS:
        raise refuse(path, f"the workbook has {cells:,} cells", f"{MAX_CELLS:,} cells",
                     "delete the sheets and rows that are not the script, or " + _FIX)


def check_length(sentences: int, syllables: int, path: Path) -> None:
    """The script as read: its sentences and syllables."""
    if sentences > MAX_SENTENCES or syllables > MAX_SYLLABLES:
        raise refuse(path, f"the script has {sentences:,} sentences ({syllables:,} syllables)",
                     f"{MAX_SENTENCES:,} sentences or {MAX_SYLLABLES:,} syllables, about two hours of narration")
