"""Read a programme's narration script, whatever a newsroom wrote it in, into one shape.

Formats (the rules of each are in its module's docstring):
- .docx: a table (Vietnamese | English, with a speaker or shot column) or paragraphs (docx_script);
- .xlsx, .csv, .tsv: rows under a header of vi, en, speaker, clip (sheet_script; columns);
- .txt, .md: paragraphs, English after its Vietnamese (text_script; paragraphs).
The file is read once: its SHA-256 (a stage input) and its lines come from the same bytes.

Refused with the fix named: the legacy binary formats (.doc, .xls: "save it as .docx/.xlsx"), other
office formats (.odt, .ods, .rtf, .pdf, .pages), a .docx or .xlsx that is not a zip (damaged, or
another format renamed), text that is not UTF-8 or UTF-16, a script with no line in it, and one
longer than any programme's script could be (`limits`: measured before it is parsed, so a huge
file is refused in a moment).

Double-encoded text (UTF-8 read as Windows-1252 and saved again: "TrÃ  Vinh") is repaired when the
repair is exact (`encoding.undo_double_encoding`), with a note in `Script.notes`; otherwise it is
refused, naming a damaged word and the fix.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path

from . import limits
from .docx_script import read_docx
from .encoding import decode, shown, undo_double_encoding
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


def _read_bytes(path: Path, most: int) -> bytes:
    """The file's bytes; refused unread when it is not a plain file or holds more than `most`."""
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError
        if not stat.S_ISREG(info.st_mode):
            raise ScriptError("is not a plain file (a device or a pipe)", path=path, hint="name the script file itself")
        if info.st_size > most:
            raise limits.refuse(path, f"the script file is {limits.size(info.st_size)}", limits.size(most))
        with path.open("rb") as handle:
            data = handle.read(most + 1)
        if len(data) > most:  # it grew while being read
            raise limits.refuse(path, f"the script file is over {limits.size(most)}", limits.size(most))
        return data
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
    zipped = suffix in _ZIPPED
    data = _read_bytes(path, limits.MAX_ARCHIVE_BYTES if zipped else limits.MAX_TEXT_BYTES)
    if not data:
        raise ScriptError("the script file is empty (0 bytes)", path=path, hint="save the script again")
    if zipped:
        _check_container(data, path, suffix)
        text, notes = _zipped_text(data, path, suffix)
    else:
        text, notes = _plain_text(data, path)
    lines = reader(text, path)
    if not lines:
        raise ScriptError(
            "no script lines in it (every row or paragraph is empty, a heading or a bracketed direction)",
            path=path,
            hint="put the Vietnamese text in a table column headed Tiếng Việt, or as paragraphs",
        )
    from .align import sentences_of

    sentences = sentences_of(lines)
    limits.check_length(len(sentences), sum(s.syllables for s in sentences), path)
    if notes:  # the aligner sees the lines only: the first carries the file's notes to its report
        lines[0] = dataclasses.replace(lines[0], notes=tuple(notes))
    return Script(path, hashlib.sha256(data).hexdigest(), tuple(lines), tuple(notes))


_DAMAGED_FIX = {
    "word/": "paste the text again from the original document (this copy was opened in the wrong encoding and "
             "saved again), or retype the garbled words, and save it as .docx",
    "xl/": "take the script from the original workbook (this copy was opened in the wrong encoding and saved "
           "again), or retype the garbled cells, and save it as .xlsx",
    "": "take the script from its original file (this copy was opened as Windows-1252 and saved again), or "
        "retype the garbled words; then save it as UTF-8 (Excel: CSV UTF-8)",
}


def _damaged(path: Path, where: str, example: str, kind: str) -> ScriptError:
    return ScriptError(
        f"{where}the text is double-encoded (UTF-8 read as Windows-1252 and saved again: “{shown(example)}”), "
        "and cannot be repaired exactly (a byte of it was lost or changed, or correct text was typed into it)",
        path=path, hint=_DAMAGED_FIX[kind])


def _plain_text(data: bytes, path: Path) -> tuple[bytes, list[str]]:
    """A text script within the limits, repaired when it was double-encoded (as UTF-8 then)."""
    limits.check_text(data, path)
    text = decode(data, path)
    found = undo_double_encoding(text)
    if found is None:
        return data, []
    if found.repaired is None:
        line = text.count("\n", 0, found.where) + 1
        raise _damaged(path, f"line {line}: ", found.example, "")
    return found.repaired.encode("utf-8"), [found.note(path)]


# Numeric character references (openpyxl writes every non-ASCII character as one: "Tr&#195;&#160;").
_CHARACTER_REFERENCE = re.compile(r"&#(?:(\d{1,7})|x([0-9A-Fa-f]{1,6}));")


def _literal(match: re.Match[str]) -> str:
    """A reference to a character beyond ASCII as the character itself (markup stays escaped)."""
    number = int(match.group(1)) if match.group(1) else int(match.group(2), 16)
    return chr(number) if 0x80 <= number <= 0x10FFFF and not 0xD800 <= number <= 0xDFFF else match.group()


def _zipped_text(data: bytes, path: Path, suffix: str) -> tuple[bytes, list[str]]:
    """A .docx/.xlsx within the limits, its text parts repaired when they were double-encoded (the
    archive is then rebuilt in memory with the repaired parts)."""
    kind = _ZIPPED[suffix]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        if kind == "word/":
            texts = [i for i in infos if i.filename == "word/document.xml"]
        else:
            texts = [i for i in infos if i.filename == "xl/sharedStrings.xml"
                     or (i.filename.startswith("xl/worksheets/") and i.filename.endswith(".xml"))]
        xml_size = sum(i.file_size for i in texts)
        limits.check_archive(sum(i.file_size for i in infos), xml_size, path,
                             "word/document.xml" if kind == "word/" else "its sheets and shared strings")
        try:
            parts = {i.filename: archive.read(i) for i in texts}
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
            raise ScriptError(f"this {suffix} is a damaged zip ({exc})", path=path,
                              hint="copy it again, or save it again from Word or Excel") from None
    if kind == "word/":
        limits.check_docx(parts.get("word/document.xml", b""), path)
    else:
        limits.check_xlsx([body for name, body in parts.items() if name.startswith("xl/worksheets/")], path)
    repaired: dict[str, bytes] = {}
    notes: list[str] = []
    for name, body in parts.items():
        try:
            xml = _CHARACTER_REFERENCE.sub(_literal, body.decode("utf-8"))
        except UnicodeDecodeError:
            continue  # not UTF-8 XML: the reader says what is wrong with it
        found = undo_double_encoding(xml)
        if found is None:
            continue
        if found.repaired is None:
            raise _damaged(path, "", found.example, kind)
        repaired[name] = found.repaired.encode("utf-8")
        notes.append(found.note(path))
    if not repaired:
        return data, []
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, repaired.get(info.filename) or source.read(info))
    return out.getvalue(), notes[:1]
