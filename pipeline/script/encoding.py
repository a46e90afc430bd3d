"""Bytes of a text script (CSV, TSV, .txt, .md) to text: UTF-8 with or without a BOM, or UTF-16
with a BOM (what Excel's "Unicode text" writes) or without one (told by its NUL bytes).

Anything else is refused rather than guessed: a Vietnamese script decoded in the wrong code page
reads as plausible nonsense ("Tr? Vinh"), which would then be aligned and broadcast.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..fonts import vietnamese_letters
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


# --------------------------------------------------------------------------------------------------
# Double encoding ("mojibake"): UTF-8 read as Windows-1252 (or Latin-1) and saved again as UTF-8
# --------------------------------------------------------------------------------------------------
#
# "Trà Vinh" is 54 72 C3 A0 … in UTF-8; read as Windows-1252 those bytes are "TrÃ\xa0", and saved
# again as UTF-8 that is what the file now says. Every byte became one character, so the damage is
# undone by writing each character back as its byte and reading the bytes as UTF-8 — exactly, when
# nothing else touched the text. Windows and Latin-1 readers turn the five bytes Windows-1252 leaves
# undefined (81 8D 8F 90 9D: "ờ" is E1 BB 9D) into the control characters of the same number, so
# those are taken back too.

_SLOPPY_DECODE: tuple[str, ...] = tuple(
    bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in range(256)
)
_SLOPPY_ENCODE: dict[str, int] = {char: b for b, char in enumerate(_SLOPPY_DECODE)}


def _chars(lo: int, hi: int) -> str:
    return re.escape("".join(_SLOPPY_DECODE[b] for b in range(lo, hi + 1)))


_CONT = f"[{_chars(0x80, 0xBF)}]"
# One UTF-8 sequence of two, three or four bytes, as Windows-1252 shows it.
_SEQUENCE = re.compile(
    f"[{_chars(0xC2, 0xDF)}]{_CONT}|[{_chars(0xE0, 0xEF)}]{_CONT}{{2}}|[{_chars(0xF0, 0xF4)}]{_CONT}{{3}}"
)
_CUT_NBSP = re.compile(f"(?:{_SEQUENCE.pattern})\\Z")
# Text that can be written back byte for byte: runs of it are repaired one at a time, so a word
# typed again correctly beside damaged ones does not stop the repair. An ASCII space, tab or line
# break and XML's angle brackets end a run too (no UTF-8 sequence holds those bytes), so each word
# of each XML text node is repaired on its own; a no-break space does not (it is byte A0: "à" is
# C3 A0).
_RUN = re.compile("[" + re.escape("".join(c for c in _SLOPPY_DECODE if c not in "<> \t\r\n")) + "]+")
# What counts as damage: a sequence that spells a Vietnamese letter (precomposed, or a combining
# mark of one) or the typographic punctuation office software writes.
_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323\u0302\u0306\u031b"
_PUNCTUATION = "“”‘’–—…•€™«»·°±×÷§©®¼½¾¹²³\u00a0\u2009\u200b\ufeff"
_VIETNAMESE = frozenset(vietnamese_letters() + _TONE_MARKS + _PUNCTUATION)


@dataclass(frozen=True)
class DoubleEncoding:
    """What `undo_double_encoding` found: the repaired text (None when it cannot be repaired
    exactly), how many damaged characters, and the first damaged passage with its repair."""

    repaired: str | None
    count: int
    example: str
    example_repaired: str | None
    where: int  # character offset of the first damaged passage

    def note(self, path: Path) -> str:
        """What the stage reports after a repair."""
        return (f"{path.name}: the text was double-encoded (UTF-8 read as Windows-1252 and saved again: "
                f"“{shown(self.example)}” for “{self.example_repaired}”); {self.count} letter(s) repaired exactly "
                "— save the repaired text as the script (UTF-8) to be rid of this note")


def _plausible(char: str) -> bool:
    """A character a repaired script may hold: Vietnamese, a Latin letter of a quoted name (ï, ñ),
    punctuation, a symbol or a space; never a control character, an unassigned or private one."""
    if char in _VIETNAMESE:
        return True
    category = unicodedata.category(char)
    return (category[0] == "L" and ord(char) < 0x250) or category[0] in "PSZ"


def _is_damage(sequence: str) -> bool:
    """A Windows-1252 rendering of UTF-8 bytes that spell a Vietnamese letter or mark."""
    try:
        char = bytes(_SLOPPY_ENCODE[c] for c in sequence).decode("utf-8")
    except (KeyError, UnicodeDecodeError):
        return False
    return char in _VIETNAMESE and char != sequence


def _passage(text: str, start: int, end: int) -> str:
    """The damaged word at text[start:end] and the word after it, for a message."""
    lo = max(text.rfind(c, 0, start) for c in " \t\n>") + 1
    words = 0
    hi = end
    while hi < len(text) and words < 2:
        if text[hi] in "\n<":
            break
        if text[hi] in " \t" and hi > end and text[hi - 1] not in " \t":
            words += 1
            if words == 2:
                break
        hi += 1
    return text[lo:hi].strip(" \t")


def shown(text: str) -> str:
    """`text` for a message: control characters (the bytes Windows-1252 leaves undefined) as '?'."""
    return "".join("?" if unicodedata.category(c) == "Cc" else c for c in text)


def _repaired(text: str) -> str | None:
    """`text` with every run that holds a UTF-8 sequence (as Windows-1252 shows it) written back
    and read as UTF-8; None when a run cannot be (a byte lost or changed, a letter typed again
    inside the word, a control or unassigned character as the result)."""
    pieces: list[str] = []
    at = 0
    for run in _RUN.finditer(text):
        part = run.group()
        cut = _CUT_NBSP.search(part[-3:] + "\u00a0")
        if cut is not None and _is_damage(cut.group()):
            return None  # "TrÃ Vinh": the no-break space of "à" (C3 A0) was made a plain one
        if not _SEQUENCE.search(part):
            continue
        try:
            fixed = bytes(_SLOPPY_ENCODE[c] for c in part).decode("utf-8")
        except UnicodeDecodeError:
            return None
        again = "".join(_SLOPPY_DECODE[b] for b in fixed.encode("utf-8"))
        if again != part or not all(_plausible(c) for c in fixed if ord(c) > 0x7F):
            return None
        pieces += [text[at : run.start()], fixed]
        at = run.end()
    pieces.append(text[at:])
    return "".join(pieces)


def undo_double_encoding(text: str) -> DoubleEncoding | None:
    """None when `text` shows no double encoding of Vietnamese; else what was found and, when every
    damaged run of it can be written back byte for byte, reads as UTF-8, round-trips exactly and
    gives only Vietnamese letters and punctuation, the repaired text."""
    damaged = [m for m in _SEQUENCE.finditer(text) if _is_damage(m.group())]
    if not damaged:
        return None
    first = damaged[0]
    repaired = _repaired(text)
    example = _passage(text, first.start(), first.end())
    return DoubleEncoding(repaired, len(damaged), example, _repaired(example) if repaired is not None else None,
                          first.start())
