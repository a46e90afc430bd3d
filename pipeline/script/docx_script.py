"""Scripts in Word documents (.docx): a table (Vietnamese | English, often with a speaker or shot
column), or plain paragraphs.

Which is read:
- tables whose header row names a Vietnamese column (see `columns`), all of them in order; the
  paragraphs around them (title, notes, credits) are not script;
- otherwise, tables whose columns read as Vietnamese text by content, unless the paragraphs outside
  them hold more Vietnamese words (a document of paragraphs with a small metadata table);
- otherwise the body's paragraphs, paired by the rule in `paragraphs`.

Skipped: empty rows and paragraphs; Title, Subtitle and Heading paragraphs; a table row that is one
cell merged across the row (a section heading: it and a Heading paragraph name the section of the lines
after them, `ScriptLine.section`); the continuation rows of a Vietnamese cell merged
downwards; whole bracketed directions. Italics alone are not taken as a direction: newsrooms
italicise quoted interviews as often as notes. Text boxes, headers, footers and comments are not read.
"""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path
from typing import Any

from .columns import Layout, find_layout, table_lines
from .model import ScriptError, ScriptLine
from .paragraphs import Block, block_from_lines, pair_blocks

_NOT_SCRIPT_STYLES = ("title", "subtitle", "heading")


def _open(data: bytes, path: Path) -> Any:
    import docx

    try:
        return docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises ValueError, KeyError, PackageNotFoundError, lxml errors
        raise ScriptError(
            f"cannot read it as a Word document ({type(exc).__name__}: {exc})",
            path=path,
            hint="open it in Word or LibreOffice and save it again as .docx",
        ) from None


class _Table:
    """A DOCX table as rows of cell text, with the rows that are not lines of the script."""

    def __init__(self, table: Any, number: int) -> None:
        self.number = number
        self.rows: list[list[str]] = []
        # The cells' XML elements, kept alive so that `is` tells a merged cell from its neighbour.
        self._tcs: list[list[Any]] = []
        for row in table.rows:
            cells = [None] * row.grid_cols_before + list(row.cells)
            self.rows.append(["" if c is None else c.text for c in cells])
            self._tcs.append([None if c is None else c._tc for c in cells])

    def where(self, index: int) -> str:
        return f"table {self.number}, row {index + 1}"

    def skipped(self, layout: Layout) -> set[int]:
        """Headings merged across the row, and rows continuing the Vietnamese cell above."""

        def same(a: Any, b: Any) -> bool:
            return a is not None and a is b

        skip = set()
        for index, tcs in enumerate(self._tcs):
            above = self._tcs[index - 1] if index else []
            vi = tcs[layout.vi] if layout.vi < len(tcs) else None
            en = tcs[layout.en] if layout.en is not None and layout.en < len(tcs) else None
            heading = len(tcs) > 1 and all(same(tc, tcs[0]) for tc in tcs)
            continued = layout.vi < len(above) and same(vi, above[layout.vi])
            if heading or continued or same(vi, en):
                skip.add(index)
        return skip

    def headings(self) -> dict[int, str]:
        """The text of each row that is one cell merged across the table: a section heading."""
        return {index: self.rows[index][0] for index, tcs in enumerate(self._tcs)
                if len(tcs) > 1 and tcs[0] is not None and all(tc is tcs[0] for tc in tcs)}

    def lines(self, layout: Layout, path: Path) -> list[ScriptLine]:
        skip = self.skipped(layout)
        return table_lines(self.rows, layout, self.where, path, skip=lambda index: index in skip,
                           heading=self.headings().get)


class _StyleNames:
    """Paragraph style names by the style id a paragraph names, looked up once per id: python-docx's
    `paragraph.style` searches every style of the document for the default each time a paragraph
    names none (4 ms a paragraph, a minute for a long script)."""

    def __init__(self) -> None:
        self._names: dict[str | None, str] = {}

    def of(self, paragraph: Any) -> str:
        style_id = paragraph._p.style
        if style_id not in self._names:
            self._names[style_id] = getattr(paragraph.style, "name", "") or ""
        return self._names[style_id]


def _is_script_paragraph(paragraph: Any, styles: _StyleNames) -> bool:
    return not styles.of(paragraph).casefold().startswith(_NOT_SCRIPT_STYLES)


def _paragraph_lines(document: Any, path: Path) -> list[ScriptLine]:
    blocks: list[Block] = []
    number = 0
    styles = _StyleNames()
    section: str | None = None  # the last Heading paragraph's text (`ScriptLine.section`)
    for paragraph in document.paragraphs:
        text = paragraph.text
        if not text.strip():
            continue
        number += 1
        if styles.of(paragraph).casefold().startswith("heading"):
            section = " ".join(text.split())
        elif _is_script_paragraph(paragraph, styles):
            blocks.append(dataclasses.replace(block_from_lines(f"paragraph {number}", text.splitlines()),
                                              section=section))
    return pair_blocks(blocks, path)


def read_docx(data: bytes, path: Path) -> list[ScriptLine]:
    """The script lines of a .docx, by the choice in the module docstring."""
    document = _open(data, path)
    tables = [_Table(t, number) for number, t in enumerate(document.tables, 1)]
    declared: list[tuple[_Table, Layout]] = []
    for table in tables:
        layout = find_layout(table.rows, table.where, path, guess=False)
        if layout is not None:
            declared.append((table, layout))
    if declared:
        return [line for table, layout in declared for line in table.lines(layout, path)]
    guessed: list[ScriptLine] = []
    for table in tables:
        layout = find_layout(table.rows, table.where, path)
        if layout is not None:
            guessed.extend(table.lines(layout, path))
    if not guessed:
        return _paragraph_lines(document, path)
    try:
        paragraphs = _paragraph_lines(document, path)
    except ScriptError:
        return guessed
    words = sum(len(line.vi.split()) for line in paragraphs)
    return paragraphs if words > sum(len(line.vi.split()) for line in guessed) else guessed
