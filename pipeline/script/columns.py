"""Tables, whatever they are written in (a DOCX table, a sheet, a CSV, a Markdown table): which
column holds what, then each row as a script line.

A header row is recognised in Vietnamese or English ("Tiếng Việt", "Lời", "Nội dung", "Vietnamese",
"vi"; "Tiếng Anh", "English", "Bản dịch", "en"; "Nhân vật", "Người nói", "Speaker"; "Cảnh", "Clip",
"Hình", "Shot"), case, diacritics and punctuation ignored. Without one, the columns are guessed from
their content: the Vietnamese text is the column of longest Vietnamese cells, the English the column
of longest English ones, a column of identifier-like cells (file names, clip ids, timecodes) is the
clip, a column of short cells the speaker.

A recognised header decides: a column it does not name is not read (a "Ghi chú" notes column
stays out of the script even when it is in English).

A "SPEAKER:" label at the start of the Vietnamese is the speaker when the row has none in a
column; a wholly bracketed English cell ("[chưa dịch]") is a note, so the row has no English.

Rows skipped: empty ones, ones with neither Vietnamese nor English (a shot with no words), and ones
whose Vietnamese is a whole bracketed direction ("[Nhạc nền]"). A row with English and no Vietnamese
is an error: the aligner could not place it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..text import fold
from .model import ScriptError, ScriptLine
from .prose import clean, is_direction, language_of, split_speaker

Role = Literal["vi", "en", "speaker", "clip", "section"]

# Folded header texts; explicit language names rank above generic ones ("Lời", "Nội dung"), so a
# table with both a "Lời" column and a "Tiếng Việt" column is not ambiguous.
_EXPLICIT: dict[Role, tuple[str, ...]] = {
    "en": ("tieng anh", "english", "ban dich", "translation", "loi dich"),
    "vi": ("tieng viet", "vietnamese"),
}
_EXACT: dict[Role, frozenset[str]] = {
    "en": frozenset({"en", "eng", "dich"}),
    "vi": frozenset({"vi", "vn", "vie", "viet", "loi", "noi dung", "loi binh", "loi doc", "loi thoai", "van ban",
                     "kich ban", "text", "script"}),
    "speaker": frozenset({"nhan vat", "nguoi noi", "speaker", "nguoi phat bieu", "giong doc", "giong", "voice", "vai",
                          "who", "nguoi doc", "ai noi", "role"}),
    "clip": frozenset({"canh", "clip", "hinh", "shot", "hinh anh", "canh quay", "file", "tep", "ma clip", "clip id",
                       "id", "source", "nguon", "video", "tu lieu"}),
    # The heading a row falls under (carried down until the next one): chapters of the social package.
    "section": frozenset({"section", "chapter", "phan", "chuong", "muc", "chuong muc", "phan doan"}),
}  # fmt: skip
_CLIP_FIRST_WORDS = frozenset({"canh", "clip", "hinh", "shot"})
_IDENTIFIER_RE = re.compile(r"^(?:\S*[_./\\]\S*|\S*\d\S*|\d{1,2}:\d{2}(?::\d{2})?(?:[:;.]\d{2})?)$")
_SHORT_WORDS = 6
_HEADER_MAX_WORDS = 8  # a cell longer than this is text, so its row is not a header


def _key(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", fold(text)).split())


# Headers that fold alike but differ: "Anh" (English) and "Ảnh" (picture).
_UNFOLDED: dict[str, Role] = {"anh": "en", "ảnh": "clip"}


def header_role(text: str) -> tuple[Role, int] | None:
    """The role a header cell names and how explicitly (2: a language name, 1: a generic word)."""
    key = _key(text)
    if not key:
        return None
    bare = " ".join(clean(text).casefold().split())
    if bare in _UNFOLDED:
        return _UNFOLDED[bare], 1
    for role, phrases in _EXPLICIT.items():
        if any(re.search(rf"\b{phrase}\b", key) for phrase in phrases):
            return role, 2
    for role, names in _EXACT.items():
        if key in names:
            return role, 1
    if key.split()[0] in _CLIP_FIRST_WORDS:
        return "clip", 1
    return None


@dataclass(frozen=True)
class Layout:
    """Which column holds each role (0-based), and whether row `header` (0-based) is a header."""

    vi: int
    en: int | None = None
    speaker: int | None = None
    clip: int | None = None
    header: int | None = None
    section: int | None = None  # a column of section headings (`ScriptLine.section`)

    def describe(self, names: Sequence[str]) -> str:
        def name(index: int | None) -> str:
            return "none" if index is None else f"column {index + 1} ({names[index]!r})"

        return f"Vietnamese {name(self.vi)}, English {name(self.en)}"


def _cell(row: Sequence[str], index: int | None) -> str:
    return clean(row[index]) if index is not None and index < len(row) else ""


def layout_from_header(row: Sequence[str], index: int, where: Callable[[int], str], path: Path) -> Layout | None:
    """The layout a header row declares; None when the row is not a header (names no language, or
    holds a cell of running text, as a data row whose speaker is "Lời bình" does).

    A header naming English but no Vietnamese, or two columns as equally Vietnamese, is an error."""
    if any(len(clean(text).split()) > _HEADER_MAX_WORDS for text in row):
        return None
    found: dict[Role, list[tuple[int, int]]] = {}
    for column, text in enumerate(row):
        named = header_role(text)
        if named:
            found.setdefault(named[0], []).append((named[1], column))
    if "vi" not in found and "en" not in found:
        return None
    cells = ", ".join(repr(clean(c)) for c in row if clean(c))
    if "vi" not in found:
        raise ScriptError(
            f"{where(index)}: the header ({cells}) has no Vietnamese column",
            path=path,
            hint='name the column of Vietnamese text "Tiếng Việt" (or "vi", "Lời", "Nội dung")',
        )
    chosen: dict[Role, int] = {}
    for role, candidates in found.items():
        best = max(rank for rank, _ in candidates)
        columns = [column for rank, column in candidates if rank == best]
        if len(columns) > 1 and role in ("vi", "en"):
            what = "Vietnamese" if role == "vi" else "English"
            names = " and ".join(f"{clean(row[c])!r} (column {c + 1})" for c in columns)
            raise ScriptError(
                f"{where(index)}: two columns read as the {what} text: {names}",
                path=path,
                hint=f'keep one, or name the other "Tiếng {"Việt" if role == "vi" else "Anh"}" explicitly',
            )
        chosen[role] = columns[0]
    return Layout(chosen["vi"], chosen.get("en"), chosen.get("speaker"), chosen.get("clip"), header=index,
                  section=chosen.get("section"))


@dataclass(frozen=True)
class _Column:
    index: int
    cells: int
    vi: float
    en: float
    words: float
    identifiers: float


def _profile(rows: Sequence[Sequence[str]], index: int) -> _Column:
    texts = [t for t in (_cell(row, index) for row in rows) if t]
    if not texts:
        return _Column(index, 0, 0.0, 0.0, 0.0, 0.0)
    languages = [language_of(t) for t in texts]
    n = len(texts)
    return _Column(
        index,
        n,
        languages.count("vi") / n,
        languages.count("en") / n,
        sum(len(t.split()) for t in texts) / n,
        sum(bool(_IDENTIFIER_RE.match(t)) for t in texts) / n,
    )


def _looks_like_header(body: Sequence[Sequence[str]], vi: _Column) -> bool:
    """Whether the first row is an unrecognised header: its Vietnamese-column cell is not
    Vietnamese ("Text"), or all its cells are short labels ("Câu", "Dịch nghĩa") above a
    Vietnamese column whose other cells are at least twice as long."""
    head = [clean(c) for c in body[0] if clean(c)]
    if language_of(_cell(body[0], vi.index)) != "vi":
        return True
    if not head or any(len(c.split()) > 3 or c[-1] in ".!?…" for c in head):
        return False
    rest = [len(t.split()) for t in (_cell(row, vi.index) for row in body[1:]) if t]
    return bool(rest) and sum(rest) / len(rest) >= 2 * len(_cell(body[0], vi.index).split())


def guess_layout(rows: Sequence[Sequence[str]], first: int) -> Layout | None:
    """Columns by content (module docstring), for a table without a recognised header; rows from
    `first` on; a first row that looks like an unrecognised header (`_looks_like_header`) is skipped."""
    body = rows[first:]
    width = max((len(r) for r in body), default=0)
    columns = [_profile(body, i) for i in range(width)]
    vi_candidates = [c for c in columns if c.cells and c.vi >= 0.5]
    if not vi_candidates:
        return None
    vi = max(vi_candidates, key=lambda c: (c.words, -c.index))
    rest = [c for c in columns if c.index != vi.index and c.cells]
    en_candidates = [c for c in rest if c.en >= 0.5]
    en = max(en_candidates, key=lambda c: (c.words, -c.index)) if en_candidates else None
    rest = [c for c in rest if en is None or c.index != en.index]
    clip = next((c for c in rest if c.identifiers >= 0.5), None)
    speaker = next((c for c in rest if c is not clip and c.words <= _SHORT_WORDS), None)
    header = first if len(body) > 1 and _looks_like_header(body, vi) else None
    return Layout(
        vi.index,
        en.index if en else None,
        speaker.index if speaker else None,
        clip.index if clip else None,
        header=header,
    )


def find_layout(
    rows: Sequence[Sequence[str]], where: Callable[[int], str], path: Path, *, guess: bool = True
) -> Layout | None:
    """The layout of a table: from its first non-empty row if that is a header, else guessed."""
    first = next((i for i, row in enumerate(rows) if any(clean(c) for c in row)), None)
    if first is None:
        return None
    declared = layout_from_header(rows[first], first, where, path)
    if declared is not None:
        return declared
    return guess_layout(rows, first) if guess else None


def _check_not_swapped(rows: Sequence[Sequence[str]], layout: Layout, where: Callable[[int], str], path: Path) -> None:
    """Refuse a declared layout whose Vietnamese column reads as English and English as Vietnamese:
    the header names are on the wrong columns, and every line would be misaligned."""
    if layout.en is None or layout.header is None:
        return
    body = rows[layout.header + 1 :]
    vi, en = _profile(body, layout.vi), _profile(body, layout.en)
    if vi.cells and en.cells and vi.en > 0.5 and en.vi > 0.5:
        raise ScriptError(
            f"{where(layout.header)}: the column headed as Vietnamese holds English and the English one Vietnamese",
            path=path,
            hint="swap the two header names",
        )


def table_lines(
    rows: Sequence[Sequence[str]],
    layout: Layout,
    where: Callable[[int], str],
    path: Path,
    *,
    skip: Callable[[int], bool] = lambda _index: False,
    heading: Callable[[int], str | None] = lambda _index: None,
) -> list[ScriptLine]:
    """Each row after the header as a script line (rows skipped as in the module docstring, and
    those `skip` names, e.g. a heading merged across the table). A row `heading` gives text for (a
    heading merged across the table), or a cell of the section column, starts the section the lines
    after it carry (`ScriptLine.section`); a heading row is never a line."""
    _check_not_swapped(rows, layout, where, path)
    start = 0 if layout.header is None else layout.header + 1
    lines: list[ScriptLine] = []
    section: str | None = None
    for index in range(start, len(rows)):
        row = rows[index]
        title = heading(index)
        if title and clean(title):
            section = clean(title)
            continue
        if skip(index):
            continue
        section = _cell(row, layout.section) or section
        vi, en = _cell(row, layout.vi), _cell(row, layout.en)
        speaker, clip = _cell(row, layout.speaker) or None, _cell(row, layout.clip) or None
        if not vi:
            if en and not is_direction(en):
                raise ScriptError(
                    f"{where(index)}: there is English but no Vietnamese",
                    path=path,
                    hint=f"put the Vietnamese in column {layout.vi + 1}, or delete the row",
                )
            continue
        if is_direction(vi):
            continue
        if en and is_direction(en):
            en = ""  # "[chưa dịch]": a note in the English column, not English
        if speaker is None:
            label, vi = split_speaker(vi)
            if label:
                speaker = label
                en = split_speaker(en)[1] if en else en
            if not vi:
                continue
        lines.append(ScriptLine(where(index), vi, en or None, speaker, clip, section=section))
    return lines
