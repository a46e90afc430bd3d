"""Read a programme's narration script, whatever a newsroom wrote it in, into one shape.

Formats (the rules of each are in its module's docstring):
- .docx: a table (Vietnamese | English, with a speaker or shot column) or paragraphs (docx_script);
- .xlsx, .csv, .tsv: rows under a header of vi, en, speaker, clip (sheet_script; columns);
- .txt, .md: paragraphs, English after its Vietnamese (text_script; paragraphs).
The file is read once: its SHA-256 (a stage input) and its lines come from the same bytes.

Refused with the fix named: the legacy binary formats (.doc, .xls: "save it as .docx/.xlsx"), other
office formats (.odt, .ods, .rtf, .pdf, .pages), a .docx or .xlsx that is not a zip (damaged, or
another format renamed), text that is not UTF-8 or UTF-16, and a script with no line in it.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

from .docx_script import read_docx
from .model import Script, ScriptError, ScriptLine
from .sheet_script import read_delimited, read_xlsx
from .text_script import read_text

__all__ = ["Script", "ScriptError", "ScriptLine", "read_script"]

Reader = Callable[[bytes, Path], list[ScriptLine]]

_READERS: dict[str, Reader] = {
    ".docx": read_docx,
    ".docm": read_docx,
    ".xlsx": read_xlsx,
    ".xlsm": read_xlsx,
    ".csv": read_delimited,
    ".tsv": lambda data, path: read_delimited(data, path, "\t"),
    ".tab": lambda data, path: read_delimited(data, path, "\t"),
    ".txt": lambda data, path: read_text(data, path, markdown=False),
    ".text": lambda data, path: read_text(data, path, markdown=False),
    ".md": lambda data, path: read_text(data, path, markdown=True),
    ".markdown": lambda data, path: read_text(data, path, markdown=True),
}
_ZIPPED = {".docx": "word/", ".docm": "word/", ".xlsx": "xl/", ".xlsm": "xl/"}
_KIND = {"word/": "a Word document", "xl/": "an Excel workbook", "ppt/": "a PowerPoint presentation"}
_REFUSED: dict[str, tuple[str, str]] = {
    ".doc": ("a Word 97–2003 .doc", "open it in Word or LibreOffice and save it as .docx (Word Document)"),
    ".dot": ("a Word 97–2003 template", "open it in Word or LibreOffice and save it as .docx"),
    ".xls": ("an Excel 97–2003 .xls workbook", "open it in Excel or LibreOffice and save it as .xlsx (Excel Workbook)"),
    ".odt": ("an OpenDocument text", "in LibreOffice: File › Save As › Word 2007–365 (.docx)"),
    ".ods": ("an OpenDocument spreadsheet", "in LibreOffice: File › Save As › Excel 2007–365 (.xlsx)"),
    ".rtf": ("a Rich Text file", "open it in Word or LibreOffice and save it as .docx"),
    ".pdf": ("a PDF", "export the script from its source as .docx or .txt (a PDF does not keep its text in order)"),
    ".pages": ("a Pages document", "in Pages: File › Export To › Word (.docx)"),
    ".numbers": ("a Numbers spreadsheet", "in Numbers: File › Export To › Excel (.xlsx)"),
}
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SUPPORTED = ", ".join(sorted(_READERS))


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ScriptError(
            "the script file does not exist", path=path, hint="check the manifest's `script:` path"
        ) from None
    except IsADirectoryError:
        raise ScriptError("is a folder, not a script file", path=path, hint="name the script file itself") from None
    except OSError as exc:
        raise ScriptError(f"cannot read the script: {exc.strerror or exc}", path=path) from None


def _check_container(data: bytes, path: Path, suffix: str) -> None:
    """A .docx/.xlsx must be a zip holding that kind of document; say what it is instead."""
    expected = _ZIPPED[suffix]
    office = "Word" if expected == "word/" else "Excel"
    legacy = "a Word 97–2003 .doc" if expected == "word/" else "an Excel 97–2003 .xls"
    if data.startswith(_OLE_MAGIC):
        raise ScriptError(
            f"this {suffix} is really {legacy} file (or it is password-protected)",
            path=path,
            hint=f"open it in {office} or LibreOffice and save it as {suffix} without a password",
        )
    if not data.startswith(b"PK"):
        if data.lstrip().startswith(b"{\\rtf"):
            what = "a Rich Text (RTF) file"
        elif data.lstrip()[:1] == b"<":
            what = "a web page or XML file"
        else:
            what = "not a zip file (every .docx and .xlsx is one), so it is damaged or another format"
        raise ScriptError(f"this {suffix} is {what}", path=path, hint=f"save it again from {office} as {suffix}")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile:
        raise ScriptError(
            f"this {suffix} is a damaged zip (cut short when it was copied?)",
            path=path,
            hint="copy it again, or save it again from " + office,
        ) from None
    if not any(name.startswith(expected) for name in names):
        actual = next((kind for prefix, kind in _KIND.items() if any(n.startswith(prefix) for n in names)), None)
        raise ScriptError(
            f"this {suffix} is {actual or 'a zip, but not an Office document'}",
            path=path,
            hint="rename it to its real extension" if actual else f"save the script from {office} as {suffix}",
        )


def read_script(path: Path) -> Script:
    """The script at `path` as lines in the order written; ScriptError (naming the file, the
    row or paragraph, and the fix) when it cannot be read or has nothing to align."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in _REFUSED:
        what, hint = _REFUSED[suffix]
        raise ScriptError(f"the script is {what}, which cannot be read as a script", path=path, hint=hint)
    reader = _READERS.get(suffix)
    if reader is None:
        raise ScriptError(f"a script must be one of {_SUPPORTED}", path=path, hint="save it as .docx, .xlsx or .csv")
    data = _read_bytes(path)
    if not data:
        raise ScriptError("the script file is empty (0 bytes)", path=path, hint="save the script again")
    if suffix in _ZIPPED:
        _check_container(data, path, suffix)
    lines = reader(data, path)
    if not lines:
        raise ScriptError(
            "no script lines in it (every row or paragraph is empty, a heading or a bracketed direction)",
            path=path,
            hint="put the Vietnamese text in a table column headed Tiếng Việt, or as paragraphs",
        )
    return Script(path, hashlib.sha256(data).hexdigest(), tuple(lines))
