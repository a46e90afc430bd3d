"""Subtitle files: decoding what the real world sends, a registry of formats by extension, writing.

Decoding is done once here for every format: BOMs (UTF-8, UTF-16, UTF-32), BOM-less UTF-16, UTF-8,
then the Windows code pages Vietnamese editors still produce — Windows-1258 (Vietnamese, with
combining tone marks) told apart from Windows-1252 by the bytes the two code pages disagree on
(`reads_as_vietnamese`), so Portuguese or French text in 1252 keeps its ã and õ.
A format is a parse function and a render function registered under its extensions; TTML or
EBU-TT-D can be added with one `register()` call. `WRITTEN_FORMATS` are the extensions the pipeline
writes for every language; the registry is checked against them when this module is imported, so a
format that is missing or registered under a mistyped extension fails then, not in the middle of a
run. Looking up an unknown extension raises a SubtitleError naming the known ones.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import SubtitleError
from ..fsutil import nfc, write_text
from .cues import Cue
from .srt import ReadNote, parse_srt, render_srt
from .vtt import parse_vtt, render_vtt

Parser = Callable[[str, "Path | str"], tuple[list[Cue], list[ReadNote]]]
Renderer = Callable[[Sequence[Cue]], str]


@dataclass(frozen=True)
class SubtitleFormat:
    """A format: its name, file extensions (with dot, lower case), reader and writer."""

    name: str
    extensions: tuple[str, ...]
    parse: Parser
    render: Renderer


@dataclass(frozen=True)
class SubtitleDocument:
    """A file as read: its cues, the format and encoding found, and what the reader fixed or skipped."""

    path: str
    format: str
    encoding: str
    cues: tuple[Cue, ...]
    notes: tuple[ReadNote, ...]


_REGISTRY: dict[str, SubtitleFormat] = {}

# What the subtitles stage writes for each language (file extensions without the dot).
WRITTEN_FORMATS = ("srt", "vtt")
_EXTENSION = re.compile(r"^\.[a-z0-9]+$")


def register(fmt: SubtitleFormat) -> None:
    """Make a format available for its extensions (a later registration replaces an earlier one).

    ValueError for an extension that is not a dot and lower-case letters or digits (".srt").
    """
    for extension in fmt.extensions:
        if not _EXTENSION.match(extension):
            raise ValueError(f"subtitle format {fmt.name!r}: extension {extension!r} must look like '.srt'")
        _REGISTRY[extension] = fmt


def check_registry(required: Sequence[str] = WRITTEN_FORMATS) -> None:
    """RuntimeError unless every extension in `required` ("srt") has a registered format."""
    missing = [ext for ext in required if f".{ext}" not in _REGISTRY]
    if missing:
        raise RuntimeError(
            f"no subtitle format registered for {', '.join(missing)} (registered: {', '.join(sorted(_REGISTRY))})"
        )


register(SubtitleFormat("srt", (".srt",), parse_srt, render_srt))
register(SubtitleFormat("webvtt", (".vtt",), parse_vtt, render_vtt))
check_registry()


def format_for(path: Path | str) -> SubtitleFormat:
    """The format for a file's extension (or a bare extension), or a SubtitleError listing those known."""
    text = str(path)
    # A bare extension ('.srt', 'vtt') names a format too; Path('.srt').suffix would be empty.
    bare = "/" not in text and "\\" not in text and text.lstrip(".").isalnum()
    suffix = f".{text.lstrip('.')}".lower() if bare else Path(text).suffix.lower()
    fmt = _REGISTRY.get(suffix)
    if fmt is None:
        raise SubtitleError(
            f"unknown subtitle format {suffix or '(no extension)'!r}",
            path=path,
            hint=f"known: {', '.join(sorted(_REGISTRY))}",
        )
    return fmt


# -- decoding ----------------------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Windows-1258 and Windows-1252 share most bytes (â ê ô é à … are the same in both); they differ
# where 1258 puts its five combining tone marks (0xCC 0xEC 0xD2 0xDE 0xF2: Ì ì Ò Þ ò in 1252) and
# the letters ă ơ đ ư (ã õ ð ý in 1252). So the evidence for Vietnamese is in those bytes only:
# tone marks sitting on vowels, đ or ư, and ă/ơ where Vietnamese syllables put them (ăm, ăng, ơi)
# rather than where Portuguese puts ã/õ (ão, ãe, ões, amanhã).
_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
_TONE_BEARERS = frozenset("aăâeêioôơuưyAĂÂEÊIOÔƠUƯY")
_VIETNAMESE_LETTERS = re.compile(r"[đĐưƯ]")
_VIETNAMESE_RIMES = re.compile(r"[ăĂ](?:[mnctpMNCTP])|[ơƠ](?:[imnctpuIMNCTPU]|\b)")
_PORTUGUESE_RIMES = re.compile(r"[ăĂ](?:[oeOEsS]|\b)|[ơƠ][eE][sS]?\b")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _line_of(data: bytes, offset: int) -> int:
    return data[:offset].count(b"\n") + 1


def _bomless_utf16(data: bytes) -> str | None:
    """'utf-16-le'/'-be' when every other byte of the start is NUL, as in ASCII-heavy UTF-16."""
    sample = data[:400]
    if len(sample) < 4 or len(sample) % 2:
        return None
    odd, even = sample[1::2].count(0), sample[0::2].count(0)
    half = len(sample) // 2
    if odd > half * 0.6 and even < half * 0.1:
        return "utf-16-le"
    if even > half * 0.6 and odd < half * 0.1:
        return "utf-16-be"
    return None


def reads_as_vietnamese(cp1258_text: str) -> bool:
    """Whether text decoded as Windows-1258 (not yet NFC) is Vietnamese rather than Western text
    whose ì ò ã õ … 1258 turned into tone marks and Vietnamese letters.

    Vietnamese puts every combining tone mark on a vowel; "però" or "così" read as 1258 put one on
    an r or an s. Without tone marks, đ/ư decide, then where ă/ơ stand ("năm" against "não").
    """
    on_vowel = stray = 0
    previous = ""
    for char in cp1258_text:
        if char in _TONE_MARKS:
            if previous in _TONE_BEARERS:
                on_vowel += 1
            else:
                stray += 1
        previous = char
    if on_vowel or stray:
        return on_vowel >= 10 * stray and on_vowel > 0
    if _VIETNAMESE_LETTERS.search(cp1258_text):
        return True
    return len(_VIETNAMESE_RIMES.findall(cp1258_text)) > len(_PORTUGUESE_RIMES.findall(cp1258_text))


def _legacy(data: bytes) -> tuple[str, str] | None:
    """Windows-1258 when the text reads as Vietnamese, else Windows-1252; None if neither decodes."""
    decoded: dict[str, str] = {}
    for encoding in ("cp1258", "cp1252"):
        try:
            decoded[encoding] = data.decode(encoding)
        except UnicodeDecodeError:
            continue
    vietnamese = decoded.get("cp1258")
    if vietnamese is not None and reads_as_vietnamese(vietnamese):
        return nfc(vietnamese), "cp1258"
    if "cp1252" in decoded:
        return decoded["cp1252"], "cp1252"
    if vietnamese is not None:
        return nfc(vietnamese), "cp1258"
    return None


def decode_subtitle_bytes(data: bytes, path: Path | str = "<subtitles>") -> tuple[str, str]:
    """Text (NFC, LF newlines) and the encoding it was found in; SubtitleError when it is not text."""
    text: str | None = None
    encoding = ""
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                text, encoding = data[len(bom) :].decode(name), f"{name} with BOM"
            except UnicodeDecodeError as exc:
                raise SubtitleError(
                    f"line {_line_of(data, exc.start)}: not valid {name} although the file "
                    "starts with its byte-order mark",
                    path=path,
                ) from None
            break
    if text is None and (guess := _bomless_utf16(data)):
        try:
            text, encoding = data.decode(guess), guess
        except UnicodeDecodeError:
            text = None
    if text is None:
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError as exc:
            legacy = _legacy(data)
            if legacy is None:
                raise SubtitleError(
                    f"line {_line_of(data, exc.start)}: byte 0x{data[exc.start]:02x} is not UTF-8, "
                    "Windows-1258 or Windows-1252 text",
                    path=path,
                    hint="save the file as UTF-8",
                ) from None
            text, encoding = legacy
    text = text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\x00\x1a \t\n")
    control = _CONTROL.search(text)
    if control:
        line = text.count("\n", 0, control.start()) + 1
        raise SubtitleError(
            f"line {line}: binary data (control character 0x{ord(control.group()):02x}); not a text subtitle file",
            path=path,
        )
    return nfc(text), encoding


# -- reading and writing -------------------------------------------------------------------------------


def parse_subtitles(data: bytes | str, fmt: SubtitleFormat | str, path: Path | str = "<subtitles>") -> SubtitleDocument:
    """Read subtitles from bytes (decoded as above) or text, in `fmt` (a format or an extension)."""
    if isinstance(fmt, str):
        fmt = format_for(fmt)
    if isinstance(data, bytes):
        text, encoding = decode_subtitle_bytes(data, path)
    else:
        text, encoding = nfc(data.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")), "str"
    cues, notes = fmt.parse(text, path)
    if encoding not in ("utf-8", "str"):
        notes.insert(0, ReadNote(0, f"read as {encoding}"))
    return SubtitleDocument(str(path), fmt.name, encoding, tuple(cues), tuple(notes))


def read_subtitles(path: Path | str) -> SubtitleDocument:
    """Read an SRT or WebVTT file (format from the extension); SubtitleError names line and problem."""
    fmt = format_for(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SubtitleError(f"cannot read the file: {exc.strerror or exc}", path=path) from None
    if not data.strip():
        raise SubtitleError("the file is empty", path=path)
    return parse_subtitles(data, fmt, path)


def render_subtitles(cues: Sequence[Cue], fmt: SubtitleFormat | str) -> str:
    """Cues as the text of a file in `fmt` (a format or an extension such as '.vtt')."""
    if isinstance(fmt, str):
        fmt = format_for(fmt)
    return fmt.render(cues)


def write_subtitles(path: Path | str, cues: Sequence[Cue]) -> None:
    """Write cues atomically as NFC UTF-8 with LF, in the format of the file's extension.

    This overwrites unconditionally; the subtitles stage goes through
    `ownership.write_if_not_edited(path, render_subtitles(...), ledger)` so editors keep their edits.
    """
    write_text(Path(path), render_subtitles(cues, format_for(path)))
