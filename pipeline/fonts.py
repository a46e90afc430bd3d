"""The fonts we ship (`assets/fonts`) and a check that a font can write every Vietnamese letter.

Subtitles, slates and lower thirds are in Vietnamese: a font that lacks 'ặ' or 'Ữ' makes libass or
FreeType fall back to another font mid-word, or draw a box. We ship fonts known to be complete (Be
Vietnam Pro, designed for Vietnamese; Noto Sans) and can check any other font before it is used.

The check reads the font's `cmap` table directly (formats 4 and 12, plain sfnt or the first font
of a collection), so it needs neither fontTools nor fontconfig.
"""

from __future__ import annotations

import struct
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .errors import ReportageError
from .fsutil import nfc
from .shipped import shipped

# Vowels that take tone marks, and the five marks (huyền, hỏi, ngã, sắc, nặng) as combining chars.
_VOWELS = "aăâeêioôơuưy"
_TONES = ("\u0300", "\u0309", "\u0303", "\u0301", "\u0323")
SUBTITLE_FAMILY = "Be Vietnam Pro"


@dataclass(frozen=True)
class ShippedFont:
    """One font file in assets/fonts: its family name as libass/fontconfig see it, and its licence."""

    key: str
    family: str
    style: str
    filename: str
    licence: str


SHIPPED: tuple[ShippedFont, ...] = (
    ShippedFont("be-vietnam-pro-regular", "Be Vietnam Pro", "Regular", "BeVietnamPro-Regular.ttf",
                "OFL-BeVietnamPro.txt"),
    ShippedFont("be-vietnam-pro-medium", "Be Vietnam Pro Medium", "Medium", "BeVietnamPro-Medium.ttf",
                "OFL-BeVietnamPro.txt"),
    ShippedFont("be-vietnam-pro-semibold", "Be Vietnam Pro SemiBold", "SemiBold", "BeVietnamPro-SemiBold.ttf",
                "OFL-BeVietnamPro.txt"),
    ShippedFont("be-vietnam-pro-bold", "Be Vietnam Pro", "Bold", "BeVietnamPro-Bold.ttf", "OFL-BeVietnamPro.txt"),
    ShippedFont("noto-sans-regular", "Noto Sans", "Regular", "NotoSans-Regular.ttf", "OFL-NotoSans.txt"),
    ShippedFont("noto-sans-bold", "Noto Sans", "Bold", "NotoSans-Bold.ttf", "OFL-NotoSans.txt"),
)


class FontError(ReportageError):
    """A font is missing, unreadable, or cannot write the text it is meant for."""


def fonts_dir() -> Path:
    """`assets/fonts`: give this folder to the `subtitles` filter (`fontsdir`) so libass finds our fonts."""
    return shipped("assets", "fonts")


def font_path(key: str) -> Path:
    """Path of a shipped font by key (`be-vietnam-pro-bold`, `noto-sans-regular`, …)."""
    for font in SHIPPED:
        if font.key == key:
            path = fonts_dir() / font.filename
            if not path.is_file():
                raise FontError("shipped font is missing", path=path, hint="restore assets/fonts from the repository")
            return path
    raise FontError(f"no shipped font {key!r}", hint="known: " + ", ".join(f.key for f in SHIPPED))


def vietnamese_letters() -> str:
    """Every letter Vietnamese writes, lower and upper case, precomposed (NFC): the 26 Latin letters,
    đ, ă â ê ô ơ ư, and the twelve vowels with each of the five tone marks: 93 × 2 letters."""
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)] + ["đ"]
    for vowel in _VOWELS:
        letters.append(vowel)
        letters += [unicodedata.normalize("NFC", vowel + tone) for tone in _TONES]
    letters = list(dict.fromkeys(letters))
    return "".join(letters) + "".join(ch.upper() for ch in letters)


def missing_glyphs(font: Path, text: str) -> list[str]:
    """The characters of `text` (NFC) that `font` has no glyph for, in order of first appearance.

    Control characters (line breaks) are ignored; a space or punctuation mark counts like a letter.
    """
    covered = cmap_codepoints(font)
    missing: dict[str, None] = {}
    for ch in nfc(text):
        if unicodedata.category(ch) != "Cc" and ord(ch) not in covered:
            missing[ch] = None
    return list(missing)


def check_vietnamese(font: Path) -> None:
    """Raise FontError naming the letters `font` cannot write; return None when it writes them all."""
    missing = missing_glyphs(font, vietnamese_letters())
    if missing:
        raise FontError(
            f"cannot write {len(missing)} Vietnamese letters: {' '.join(missing[:20])}",
            path=font,
            hint="use a shipped font (Be Vietnam Pro, Noto Sans) or one with full Vietnamese coverage",
        )


def cmap_codepoints(font: Path) -> frozenset[int]:
    """Every code point the font maps to a real glyph (not .notdef), read from its cmap table."""
    try:
        data = font.read_bytes()
    except OSError as exc:
        raise FontError(f"cannot be read ({exc.strerror})", path=font) from exc
    try:
        return _codepoints(data)
    except (struct.error, IndexError, ValueError) as exc:
        raise FontError(f"is not a usable TrueType/OpenType font ({exc})", path=font) from exc


def _codepoints(data: bytes) -> frozenset[int]:
    base = 0
    if data[:4] == b"ttcf":
        (base,) = struct.unpack_from(">I", data, 12)  # first font of the collection
    num_tables = struct.unpack_from(">H", data, base + 4)[0]
    cmap_offset = None
    for index in range(num_tables):
        tag, _checksum, offset, _length = struct.unpack_from(">4sIII", data, base + 12 + 16 * index)
        if tag == b"cmap":
            cmap_offset = offset
    if cmap_offset is None:
        raise ValueError("no cmap table")
    _version, count = struct.unpack_from(">HH", data, cmap_offset)
    best: tuple[int, int] | None = None  # (preference, subtable offset)
    for index in range(count):
        platform, encoding, offset = struct.unpack_from(">HHI", data, cmap_offset + 4 + 8 * index)
        fmt = struct.unpack_from(">H", data, cmap_offset + offset)[0]
        rank = _rank(platform, encoding, fmt)
        if rank and (best is None or rank > best[0]):
            best = (rank, cmap_offset + offset)
    if best is None:
        raise ValueError("no Unicode cmap subtable of format 4 or 12")
    start = best[1]
    fmt = struct.unpack_from(">H", data, start)[0]
    return frozenset(_format12(data, start) if fmt == 12 else _format4(data, start))


def _rank(platform: int, encoding: int, fmt: int) -> int:
    """Prefer full-Unicode format 12, then BMP format 4; skip symbol and legacy Mac tables."""
    unicode_table = platform == 0 or (platform == 3 and encoding in (1, 10))
    if not unicode_table:
        return 0
    return {12: 2, 4: 1}.get(fmt, 0)


def _format4(data: bytes, start: int) -> set[int]:
    seg_count = struct.unpack_from(">H", data, start + 6)[0] // 2
    ends = start + 14
    starts = ends + 2 * seg_count + 2
    deltas = starts + 2 * seg_count
    range_offsets = deltas + 2 * seg_count
    out: set[int] = set()
    for seg in range(seg_count):
        end = struct.unpack_from(">H", data, ends + 2 * seg)[0]
        first = struct.unpack_from(">H", data, starts + 2 * seg)[0]
        delta = struct.unpack_from(">h", data, deltas + 2 * seg)[0]
        ro_at = range_offsets + 2 * seg
        range_offset = struct.unpack_from(">H", data, ro_at)[0]
        for code in range(first, min(end, 0xFFFE) + 1):
            if range_offset == 0:
                glyph = (code + delta) & 0xFFFF
            else:
                glyph = struct.unpack_from(">H", data, ro_at + range_offset + 2 * (code - first))[0]
                glyph = (glyph + delta) & 0xFFFF if glyph else 0
            if glyph:
                out.add(code)
    return out


def _format12(data: bytes, start: int) -> set[int]:
    groups = struct.unpack_from(">I", data, start + 12)[0]
    out: set[int] = set()
    for index in range(groups):
        first, last, glyph = struct.unpack_from(">III", data, start + 16 + 12 * index)
        out.update(code for code in range(first, last + 1) if glyph + code - first)
    return out
