"""Delivered file names: ASCII capitals without diacritics, one scheme for every file in the bag.

Vietnamese broadcasters' ingest systems (and many MAMs) choke on non-ASCII names, so the bag uses
`<PROGRAMME>_<YEAR>_<WHAT>.<ext>`, e.g. `TRAVINH_DAUTU_2026_BROADCAST_XDCAM.mxf`; the human-readable
titles with diacritics live in the metadata sheet.
"""

from __future__ import annotations

import re

from ..fsutil import nfc
from ..text import ascii_fold


def ascii_name(text: str, *, upper: bool = True) -> str:
    """'Trà Vinh – Đầu tư' → 'TRA_VINH_DAU_TU': đ → d, tones and vowel marks stripped, anything that
    is not a letter or digit becomes one '_'. Never empty ('X' for a name with nothing left)."""
    bare = ascii_fold(nfc(text))
    name = re.sub(r"[^A-Za-z0-9]+", "_", bare).strip("_")
    return (name.upper() if upper else name) or "X"


def bag_name(programme_id: str, year: int | None) -> str:
    """The bag's folder name and the stem of every delivered file: `DAUTU_2026`."""
    return ascii_name(programme_id) + (f"_{year}" if year else "")


def delivered(base: str, what: str, ext: str) -> str:
    """`delivered('DAUTU_2026', 'sub vi', '.srt')` → `DAUTU_2026_SUB_VI.srt` (extension lower-case)."""
    ext = ext.lower() if ext.startswith(".") else "." + ext.lower()
    return f"{base}_{ascii_name(what)}{ext}"
