"""Scripts written as paragraphs (a DOCX without a table, a text or Markdown file): Vietnamese
paragraphs, each optionally followed by its English.

The rule, in order, for each paragraph:
- a whole bracketed paragraph is a direction and is skipped; "[Clip: X]" / "[Cảnh: X]" / "[Hình: X]"
  also names the clip of the lines after it, until the next such direction;
- a paragraph that is English (declared with "EN:" or "> ", or read as English by its words, see
  `prose.language_of`) is the English of the Vietnamese paragraph just before it; English with no
  Vietnamese before it, or after a paragraph that already has its English, is an error;
- anything else (including text with no evidence either way, "Ok Om Bok") is a Vietnamese line; a
  leading "SPEAKER:" label becomes its speaker, and a paragraph that is only a label ("PV:") gives
  its speaker to the next line.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .model import ScriptError, ScriptLine
from .prose import Language, clean, clip_of_direction, is_direction, language_marker, language_of, split_speaker


@dataclass(frozen=True)
class Block:
    """One paragraph as a format reader found it.

    `text` is what comes before any explicit English marker ("" when the paragraph starts with one),
    `english` what follows it, `declared` a language the paragraph declared with a leading marker.
    """

    ref: str
    text: str
    english: str | None = None
    declared: Language | None = None
    section: str | None = None  # the heading the paragraph falls under (`ScriptLine.section`)


def pair_blocks(blocks: Iterable[Block], path: Path) -> list[ScriptLine]:
    """Script lines from paragraphs, by the rule in the module docstring."""
    lines: list[ScriptLine] = []
    labelled: set[int] = set()  # lines whose speaker came from a label (strip one from their English)
    open_line: int | None = None  # the line the next English paragraph belongs to
    clip: str | None = None
    pending_speaker: str | None = None

    def attach(english: str, block: Block) -> None:
        nonlocal open_line
        if open_line is None:
            if lines and lines[-1].en is not None:
                problem = f"{block.ref}: English, but {lines[-1].ref} before it already has its English"
            else:
                problem = f"{block.ref}: English with no Vietnamese paragraph before it"
            raise ScriptError(
                problem,
                path=path,
                hint="put each English paragraph right after its Vietnamese one; put titles and notes in [ ]",
            )
        if open_line in labelled:
            english = split_speaker(english)[1]
        lines[open_line] = dataclasses.replace(lines[open_line], en=english)
        open_line = None

    for block in blocks:
        text = clean(block.text)
        english = clean(block.english) if block.english is not None else None
        if not text and not english:
            continue
        if text and english is None and is_direction(text):
            clip = clip_of_direction(text) or clip
            continue
        if not text:
            assert english is not None
            attach(english, block)
            continue
        language = block.declared or language_of(text) or "vi"
        if language == "en" and english is None:
            attach(text, block)
            continue
        speaker, vi = split_speaker(text)
        if not vi:
            pending_speaker = speaker
            continue
        if speaker:
            labelled.add(len(lines))
            if english:
                english = split_speaker(english)[1]
        lines.append(ScriptLine(block.ref, vi, english or None, speaker or pending_speaker, clip,
                                section=block.section))
        pending_speaker = None
        open_line = len(lines) - 1 if not english else None
    return lines


def block_from_lines(ref: str, lines: Iterable[str], *, quotes: bool = True) -> Block:
    """A paragraph's lines as a Block: lines before the first English marker ("EN:", "English:",
    "Tiếng Anh:", or with `quotes` a "> " line) are the Vietnamese, that line and the rest the
    English; a leading "VI:" declares the paragraph Vietnamese whatever its words."""
    vi: list[str] = []
    en: list[str] = []
    declared: Language | None = None
    in_english = False
    for raw in lines:
        line = raw.strip()
        if quotes and line.startswith(">"):
            in_english = True
            en.append(line.lstrip(">").strip())
            continue
        if in_english:
            en.append(line)
            continue
        marked = language_marker(line)
        if marked and marked.language == "en":
            in_english = True
            en.append(marked.text)
        elif marked:
            declared = "vi"
            vi.append(marked.text)
        else:
            vi.append(line)
    return Block(ref, " ".join(vi), " ".join(en) if in_english else None, declared)
