"""WebVTT (.vtt): the SRT block scanner plus the header, NOTE/STYLE/REGION blocks and entities.

A file without the WEBVTT header is still read (with a note), because players are strict but
editors are not; cue settings (position, alignment) are dropped with a note, as tags are.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from ..errors import SubtitleError
from ..fsutil import nfc
from .cues import Cue
from .srt import ReadNote, blocks_to_cues, format_time, scan_blocks, timing_notes

_META_BLOCKS = ("NOTE", "STYLE", "REGION")
_TIMING_HINT = "expected [HH:]MM:SS.mmm --> [HH:]MM:SS.mmm (WebVTT: a dot before the milliseconds, hours optional)"


def _is_identifier(lines: Sequence[str], at: int) -> bool:
    """A cue identifier is the first line of its block: after a blank line, not the header."""
    line = lines[at].strip()
    after_blank = at == 0 or not lines[at - 1].strip()
    return bool(line) and after_blank and not line.startswith("WEBVTT") and "-->" not in line


def _is_meta(block: Sequence[str]) -> bool:
    return bool(block) and block[0].strip().split(" ", 1)[0] in _META_BLOCKS


def parse_vtt(text: str, path: Path | str = "<vtt>") -> tuple[list[Cue], list[ReadNote]]:
    """Cues and notes from WebVTT text (already decoded, newlines normalised to LF)."""
    notes: list[ReadNote] = []
    lines = text.split("\n")
    first = next((line for line in lines if line.strip()), "")
    if not first.startswith("WEBVTT"):
        notes.append(ReadNote(1, "no WEBVTT header; read anyway"))
    blocks = scan_blocks(lines, path, _is_identifier, notes, skip_block=_is_meta, hint=_TIMING_HINT)
    timing_notes(blocks, notes, separator=".", hours_required=False)
    if not blocks:
        raise SubtitleError(
            "no cues found (no line with '-->')", path=path, hint="WebVTT cues look like '00:01.000 --> 00:02.500'"
        )
    if any(block.settings for block in blocks):
        notes.append(ReadNote(0, "cue settings (position, alignment) were ignored"))
    cues = blocks_to_cues(blocks, notes, numbered=False)
    return [replace(cue, lines=_unescape(cue.lines)) for cue in cues], notes


def _unescape(lines: Sequence[str]) -> tuple[str, ...]:
    """&amp; &lt; &nbsp; … as the characters they stand for (a no-break space as a plain one)."""
    out = (nfc(" ".join(html.unescape(line).split())) for line in lines)
    return tuple(line for line in out if line)


def _escape(line: str) -> str:
    return line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_vtt(cues: Sequence[Cue]) -> str:
    """WebVTT text: header, numbered cues with dot milliseconds, escaped text, LF."""
    parts = ["WEBVTT\n"]
    for number, cue in enumerate(cues, 1):
        body = "\n".join(_escape(nfc(line)).replace("-->", "→") for line in cue.lines if line.strip())
        try:
            timing = f"{format_time(cue.start_ms, '.')} --> {format_time(cue.end_ms, '.')}"
        except ValueError as exc:
            raise SubtitleError(f"cue {number}: cannot write {exc}") from None
        parts.append(f"{number}\n{timing}\n{body}\n" if body else f"{number}\n{timing}\n")
    return "\n".join(parts)
