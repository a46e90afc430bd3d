"""Bytes of a text script (CSV, TSV, .txt, .md) to text: UTF-8 with or without a BOM, or UTF-16
with a BOM (what Excel's "Unicode text" writes) or without one (told by its NUL bytes).

Anything else is refused rather than guessed: a Vietnamese script decoded in the wrong code page
reads as plausible nonsense ("Tr? Vinh"), which would then be aligned and broadcast.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from .model import ScriptError

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_SAVE_AS = 'save it as UTF-8 (Excel: "CSV UTF-8"; Notepad or a text editor: Save As, Encoding UTF-8)'


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le'/'-be' when most odd (or even) bytes of the start are NUL, as ASCII-heavy UTF-16 is."""
    head = data[:400]
    if len(head) < 4:
        return None
    if head[1::2].count(0) > len(head) // 4:
        return "utf-16-le"
    if head[0::2].count(0) > len(head) // 4:
        return "utf-16-be"
    return None


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _looks_like(data: bytes) -> str:
    """A guess at the legacy encoding, for the message only."""
    try:
        text = data.decode("cp1258")
    except UnicodeDecodeError:
        return ""
    if any(ch in text for ch in "ăâđêôơưĂÂĐÊÔƠƯ"):
        return " (it looks like Windows-1258, the old Vietnamese ANSI code page)"
    return ""


def decode(data: bytes, path: Path) -> str:
    """The text of `data` by the module docstring's rule; errors name the line and the fix."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            body, used = data[len(bom) :], encoding
            break
    else:
        body, used = data, _utf16_without_bom(data) or "utf-8"
    try:
        return body.decode(used)
    except UnicodeDecodeError as exc:
        if used != "utf-8":
            raise ScriptError(
                f"it starts as {used.upper()} but byte {exc.start} breaks that encoding",
                path=path,
                hint=_SAVE_AS,
            ) from None
        raise ScriptError(
            f"line {_line_of(body, exc.start)}: byte 0x{body[exc.start]:02X} is not UTF-8{_looks_like(body)}",
            path=path,
            hint=_SAVE_AS,
        ) from None
