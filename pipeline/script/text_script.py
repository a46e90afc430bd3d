"""Scripts as plain text or Markdown: paragraphs separated by blank lines, each Vietnamese, with
its English optionally after it ("EN: …" or "> …" lines, or the next paragraph; see `paragraphs`).

Stripped before pairing: list markers ("- ", "* ", "+ ", "• ", "1. ", "1) "; each item is a
paragraph of its own) and, in Markdown, headings (a title or section name is not spoken, so the
whole heading is dropped as a line; it names the section of the lines under it, `ScriptLine.section`),
horizontal rules, fenced code, HTML comments, images, link targets (the
link text stays) and emphasis markers (`**`, `*`, `__`, backticks; a single `_` is kept, clip ids
have them). A Markdown pipe table with a Vietnamese column is read as a table (see `columns`), and
then the paragraphs around it are not script. A .txt whose first line is a tab-separated header
naming a Vietnamese column is the tab-separated text Excel saves as "Unicode text", and is read as a
sheet.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .columns import find_layout, layout_from_header, table_lines
from .encoding import decode
from .model import ScriptLine
from .paragraphs import Block, block_from_lines, pair_blocks
from .sheet_script import sheet_lines, split_delimited

_LIST_MARKER = re.compile(r"^\s*(?:[-*+•–]|\d{1,3}[.)])\s+")
_ATX_HEADING = re.compile(r"^\s{0,3}#{1,6}(?:\s|$)")
_SETEXT_UNDERLINE = re.compile(r"^\s{0,3}(?:=+|-+)\s*$")
_RULE = re.compile(r"^\s{0,3}(?:(?:\*\s*){3,}|(?:-\s*){3,}|(?:_\s*){3,})$")
_FENCE = re.compile(r"^\s{0,3}(?:```|~~~)")
_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"\*\*|__|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])|`")
_COMMENT = re.compile(r"<!--.*?-->", re.S)


@dataclass
class _Chunk:
    """Consecutive lines that form one paragraph, or one pipe table."""

    first_line: int
    table: bool = False
    item: bool = False  # a list item: "---" under it is a rule, not a heading underline
    lines: list[str] = field(default_factory=list)
    section: str | None = None  # the Markdown heading above it (`ScriptLine.section`)


def _inline_markdown(line: str) -> str:
    line = _IMAGE.sub("", line)
    line = _LINK.sub(r"\1", line)
    line = _EMPHASIS.sub("", line)
    return line.replace("\\", "") if "\\" in line else line


def _chunks(text: str, markdown: bool) -> Iterator[_Chunk]:
    """Paragraphs and tables, with Markdown structure removed as the module docstring says."""
    if markdown:
        text = _COMMENT.sub(lambda m: "\n" * m.group().count("\n"), text)
    current: _Chunk | None = None
    fenced = False
    section: str | None = None
    lines = text.splitlines()
    for number, raw in enumerate(lines, 1):
        if markdown and _FENCE.match(raw):
            fenced = not fenced
            if current:
                yield current
            current = None
            continue
        if (
            markdown
            and not fenced
            and current
            and not current.table
            and not current.item
            and _SETEXT_UNDERLINE.match(raw)
        ):
            section = " ".join(_inline_markdown(" ".join(current.lines)).split()) or section
            current = None  # "===" or "---" under a paragraph makes that paragraph a heading
            continue
        is_break = (
            not raw.strip()
            or fenced
            or (markdown and (_ATX_HEADING.match(raw) or _RULE.match(raw) or _SETEXT_UNDERLINE.match(raw)))
        )
        if is_break:
            if current:
                yield current
            current = None
            if markdown and not fenced and _ATX_HEADING.match(raw):
                section = " ".join(_inline_markdown(raw.strip().lstrip("#").rstrip("#")).split()) or section
            continue
        table_row = markdown and raw.lstrip().startswith("|")
        starts_item = bool(_LIST_MARKER.match(raw))
        if current and (starts_item or table_row != current.table):
            yield current
            current = None
        if current is None:
            current = _Chunk(number, table=table_row, item=starts_item, section=section)
        line = _LIST_MARKER.sub("", raw, count=1) if starts_item else raw
        current.lines.append(_inline_markdown(line) if markdown and not table_row else line)
    if current:
        yield current


def _cells(line: str) -> list[str]:
    body = line.strip()
    body = body[1:] if body.startswith("|") else body
    body = body[:-1] if body.endswith("|") and not body.endswith("\\|") else body
    return [_inline_markdown(cell).replace("\\|", "|").strip() for cell in re.split(r"(?<!\\)\|", body)]


def _table_lines(chunk: _Chunk, number: int, path: Path) -> list[ScriptLine] | None:
    rows: list[list[str]] = []
    line_of: list[int] = []
    for offset, line in enumerate(chunk.lines):
        if not _TABLE_SEPARATOR.match(line):
            rows.append(_cells(line))
            line_of.append(chunk.first_line + offset)

    def where(index: int) -> str:
        return f"table {number}, row {index + 1} (line {line_of[index]})"

    layout = find_layout(rows, where, path)
    return None if layout is None else table_lines(rows, layout, where, path)


def _is_tab_sheet(text: str, path: Path) -> bool:
    first = next((line for line in text.splitlines() if line.strip()), "")
    if "\t" not in first:
        return False
    return layout_from_header(first.split("\t"), 0, lambda _index: "row 1", path) is not None


def read_text(data: bytes, path: Path, *, markdown: bool) -> list[ScriptLine]:
    """The script lines of a .txt or .md file, by the rules in the module docstring."""
    text = decode(data, path)
    if not markdown and _is_tab_sheet(text, path):
        return sheet_lines(split_delimited(text, path, "\t"), path)
    chunks = list(_chunks(text, markdown))
    tables: list[ScriptLine] = []
    found_table = False
    for number, chunk in enumerate((c for c in chunks if c.table), 1):
        lines = _table_lines(chunk, number, path)
        if lines is not None:
            found_table = True
            tables.extend(lines)
    if found_table:
        return tables
    blocks: list[Block] = []
    for number, chunk in enumerate((c for c in chunks if not c.table), 1):
        block = block_from_lines(f"paragraph {number} (line {chunk.first_line})", chunk.lines)
        blocks.append(dataclasses.replace(block, section=chunk.section))
    return pair_blocks(blocks, path)
