"""Subtitles: the cue model, style profiles, line breaking, segmentation, lint, SRT/WebVTT, ownership.

Pure logic plus file I/O; the subtitles stage and the CLI call the names exported here.
"""

from __future__ import annotations

from .cues import Cue, TimedWord, renumber
from .formats import (
    WRITTEN_FORMATS,
    SubtitleDocument,
    SubtitleFormat,
    format_for,
    parse_subtitles,
    read_subtitles,
    register,
    render_subtitles,
    write_subtitles,
)
from .linebreak import break_lines
from .lint import LintIssue, LintReport, lint
from .ownership import WriteOutcome, is_hand_edited, release, write_if_not_edited
from .segment import segment
from .srt import ReadNote
from .style import RULES, Style, available_styles, load_style, style_from_mapping

__all__ = [
    "RULES",
    "WRITTEN_FORMATS",
    "Cue",
    "LintIssue",
    "LintReport",
    "ReadNote",
    "Style",
    "SubtitleDocument",
    "SubtitleFormat",
    "TimedWord",
    "WriteOutcome",
    "available_styles",
    "break_lines",
    "format_for",
    "is_hand_edited",
    "lint",
    "load_style",
    "parse_subtitles",
    "read_subtitles",
    "register",
    "release",
    "render_subtitles",
    "renumber",
    "segment",
    "style_from_mapping",
    "write_if_not_edited",
    "write_subtitles",
]
