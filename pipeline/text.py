"""Diacritic folding for Vietnamese: the one place the pipeline turns "Đường" into "duong".

Matching (glossary, hallucination guards, search, translation clean-up) and ASCII file names all
need text without its marks. Unicode decomposition (NFD) splits "ờ" into "o" plus combining marks,
which are then dropped; "đ"/"Đ" is a letter of its own, not "d" plus a mark, so it is mapped to
"d"/"D" explicitly (SQLite's `remove_diacritics` and a bare NFD strip both leave it alone).
"""

from __future__ import annotations

import unicodedata

_D = str.maketrans({"đ": "d", "Đ": "D"})


def strip_diacritics(text: str) -> str:
    """`text` (in NFC) without diacritics, case kept: "Trà Vinh đẹp" → "Tra Vinh dep"."""
    decomposed = unicodedata.normalize("NFD", text.translate(_D))
    bare = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", bare)


def fold(text: str) -> str:
    """A matching key: case- and diacritic-insensitive ("Đường", "DUONG" and "duong" fold alike)."""
    return strip_diacritics(text).casefold()


def ascii_fold(text: str) -> str:
    """`strip_diacritics`, then anything still outside ASCII dropped: for delivered file names."""
    return strip_diacritics(text).encode("ascii", "ignore").decode("ascii")
