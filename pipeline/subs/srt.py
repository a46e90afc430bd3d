"""SubRip (.srt): a tolerant reader that says which line it cannot read, and a strict writer.

Real-world SRT files skip or repeat cue numbers, forget the blank line between cues, use a dot for
the millisecond comma (read, with a note naming the cue), carry <i>/<font>/{\\an8} tags and end in
junk. pysrt reads most of these but drops a block it cannot parse without saying where (or raises
without a line number), so reading is done here, line by line; the block scanner is shared with the
WebVTT reader, whose cue syntax is the same apart from the header, its NOTE/STYLE/REGION blocks and
the dot before the milliseconds (each format names its own syntax in errors and notes). pysrt and
webvtt-py read what we write, which the tests check.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import SubtitleError
from ..fsutil import nfc
from .cues import Cue

# Groups per time: hours, minutes, seconds, the fraction's separator, the fraction; then the arrow.
_TIME = r"(?:(\d{1,4})\s*:\s*)?(\d{1,2})\s*:\s*(\d{1,2})(?:\s*([,.:])\s*(\d{1,3}))?"
_TIMING = re.compile(rf"^\s*{_TIME}\s*(-{{1,3}}>)\s*{_TIME}(?:\s+(.*?))?\s*$")
_ARROW = re.compile(r"-->|\d\s*-{1,2}>\s*\d")
# A timing line without a readable arrow ("00:00:01,000 - 00:00:02,000"); strict enough that text
# such as "10:30 - 11:30" is not mistaken for one.
_STRICT_TIME = r"(?:\d{1,4}:)?\d{1,2}:\d{2}[,.]\d{1,3}"
_LOOKS_LIKE_TIMING = re.compile(rf"^\s*{_STRICT_TIME}\s*(?:\S{{1,4}}\s*)?{_STRICT_TIME}\b.*$")
_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<\d[\d:.]*>|\{\\[^{}]*\}")
_TAG_NAME = re.compile(r"^(</?)([A-Za-z]+)|^\{\\([A-Za-z]+)")
_TIMING_HINT = "expected HH:MM:SS,mmm --> HH:MM:SS,mmm"


@dataclass(frozen=True)
class TimeSyntax:
    """How one time of a timing line was written: what a lenient reader accepted."""

    hours: bool
    separator: str | None  # the character before the fraction; None: no fraction at all
    digits: int  # of the fraction


@dataclass(frozen=True)
class TimingSyntax:
    """How a timing line was written, so each format can say where it strays from its own syntax."""

    start: TimeSyntax
    end: TimeSyntax
    arrow: str


@dataclass(frozen=True)
class ReadNote:
    """Something a reader fixed or ignored, with the line it was on (0 for the whole file)."""

    line: int
    message: str


@dataclass(frozen=True)
class Block:
    """One cue as found in the file: where its timing line is, its times and its raw text lines."""

    timing_line: int
    identifier: str | None
    start_ms: int
    end_ms: int
    settings: str
    text: tuple[str, ...]
    syntax: TimingSyntax | None = None


def parse_time(match: Sequence[str | None]) -> int:
    """Milliseconds from the (hours, minutes, seconds, separator, fraction) groups of `_TIME`."""
    hours, minutes, seconds, _, fraction = match
    if int(minutes or 0) > 59 or int(seconds or 0) > 59:
        raise ValueError("minutes and seconds must be below 60")
    # A short fraction is a decimal fraction: ",5" is half a second, not 5 ms.
    millis = int((fraction or "0").ljust(3, "0")[:3])
    return ((int(hours or 0) * 60 + int(minutes or 0)) * 60 + int(seconds or 0)) * 1000 + millis


def format_time(ms: int, separator: str = ",") -> str:
    """HH:MM:SS,mmm (or with '.' for WebVTT)."""
    if ms < 0:
        raise ValueError(f"negative time {ms} ms")
    seconds, millis = divmod(ms, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{millis:03d}"


def strip_markup(line: str) -> tuple[str, list[str]]:
    """The line without tags, and the tags removed as short names ('<i>', '<font>', '{\\an8}')."""
    removed: list[str] = []
    for match in _TAG.finditer(line):
        tag = match.group(0)
        name = _TAG_NAME.match(tag)
        if tag.startswith("{"):
            removed.append(tag)
        elif name and name.group(2):
            removed.append(f"<{name.group(2).lower()}>")
        else:
            removed.append("<timestamp>")
    return _TAG.sub("", line), removed


def _timing_error(
    lines: Sequence[str], at: int, path: Path | str, problem: str = "cannot read the timing", hint: str = _TIMING_HINT
) -> SubtitleError:
    return SubtitleError(f"line {at + 1}: {problem} {lines[at].strip()[:60]!r}", path=path, hint=hint)


def _syntax(groups: Sequence[str | None]) -> TimingSyntax:
    def one(part: Sequence[str | None]) -> TimeSyntax:
        return TimeSyntax(part[0] is not None, part[3], len(part[4] or ""))

    return TimingSyntax(one(groups[0:5]), one(groups[6:11]), groups[5] or "-->")


def timing_deviations(syntax: TimingSyntax, *, separator: str, hours_required: bool) -> list[str]:
    """What a timing line does differently from its format's syntax (`separator` before the
    milliseconds, hours required or not), each once: "'.' used instead of ','"."""
    found: list[str] = []
    times = (syntax.start, syntax.end)
    for used in dict.fromkeys(t.separator for t in times if t.separator not in (None, separator)):
        found.append(f"{used!r} used instead of {separator!r}")
    if any(t.separator is None for t in times):
        found.append("time without milliseconds (read as 000)")
    short = [t.digits for t in times if t.separator is not None and t.digits < 3]
    if short:
        found.append(f"milliseconds with {min(short)} digit(s) (read as a decimal fraction)")
    if hours_required and not all(t.hours for t in times):
        found.append("time without hours")
    if syntax.arrow != "-->":
        found.append(f"{syntax.arrow!r} used instead of '-->'")
    return found


def scan_blocks(
    lines: Sequence[str],
    path: Path | str,
    is_identifier: Callable[[Sequence[str], int], bool],
    notes: list[ReadNote],
    skip_block: Callable[[Sequence[str]], bool] = lambda block: False,
    hint: str = _TIMING_HINT,
) -> list[Block]:
    """Find every cue by its timing line ('-->'); its text runs to the next blank line.

    Text after a blank line inside a cue (a stray empty line) stays with that cue, with a note;
    text after the last cue is ignored, with a note. A timing line that cannot be read, or a
    numbered block without one, is an error naming the line. `is_identifier(lines, n)` says whether
    line n names the cue whose timing line follows it (SRT: a number; WebVTT: any line after a blank).
    """
    timings = [n for n, line in enumerate(lines) if _ARROW.search(line)]
    for at in range(timings[0] if timings else len(lines)):
        if _LOOKS_LIKE_TIMING.match(lines[at]):
            raise _timing_error(lines, at, path, hint=hint)
    blocks: list[Block] = []
    for order, at in enumerate(timings):
        match = _TIMING.match(lines[at])
        if match is None:
            raise _timing_error(lines, at, path, hint=hint)
        groups = match.groups()
        try:
            start, end = parse_time(groups[0:5]), parse_time(groups[6:11])
        except ValueError as exc:
            raise _timing_error(lines, at, path, f"{exc}:", hint=hint) from None
        own_line = at > 0 and (order == 0 or timings[order - 1] < at - 1)
        identifier = lines[at - 1].strip() if own_line and is_identifier(lines, at - 1) else None
        last = order + 1 == len(timings)
        stop = len(lines) if last else timings[order + 1]
        if not last and stop - 1 > at and is_identifier(lines, stop - 1):
            stop -= 1
        text, extra_at = _split_text(lines, at + 1, stop)
        extra = [lines[n] for n in extra_at]
        if extra and not skip_block(extra):
            bad = next((n for n in extra_at if _LOOKS_LIKE_TIMING.match(lines[n])), None)
            if bad is not None:
                raise _timing_error(lines, bad, path, hint=hint)
            if len(extra) > 1 and extra[0].strip().isdigit():
                raise SubtitleError(
                    f"line {extra_at[0] + 1}: cue {extra[0].strip()} has no timing line", path=path, hint=hint
                )
            if last:
                notes.append(ReadNote(extra_at[0] + 1, "ignored text after the last cue"))
            else:
                notes.append(ReadNote(extra_at[0] + 1, "text after a blank line was kept with the cue above"))
                text += extra
        blocks.append(Block(at + 1, identifier, start, end, (groups[11] or "").strip(), tuple(text), _syntax(groups)))
    return blocks


def timing_notes(blocks: Sequence[Block], notes: list[ReadNote], *, separator: str, hours_required: bool) -> None:
    """One note per cue whose timing line a lenient reader had to guess at ("cue 3: '.' used
    instead of ','"), on the timing line, so an editor can fix the file where it is."""
    for position, block in enumerate(blocks, 1):
        if block.syntax is None:
            continue
        found = timing_deviations(block.syntax, separator=separator, hours_required=hours_required)
        if found:
            notes.append(ReadNote(block.timing_line, f"cue {position}: {'; '.join(found)}"))


def _split_text(lines: Sequence[str], first: int, stop: int) -> tuple[list[str], list[int]]:
    """A cue's text lines (up to the first blank line) and the indexes of non-blank lines after it."""
    at = first
    while at < stop and lines[at].strip():
        at += 1
    return list(lines[first:at]), [n for n in range(at, stop) if lines[n].strip()]


def blocks_to_cues(blocks: Sequence[Block], notes: list[ReadNote], *, numbered: bool) -> list[Cue]:
    """Cues from blocks: markup stripped and noted, NFC text, numbered 1..n in file order."""
    cues: list[Cue] = []
    renumbered = False
    was_nfc = True
    for position, block in enumerate(blocks, 1):
        if numbered and (block.identifier is None or block.identifier != str(position)):
            renumbered = True
        lines: list[str] = []
        removed: list[str] = []
        for raw in block.text:
            clean, tags = strip_markup(raw)
            removed.extend(tags)
            clean = " ".join(clean.split())
            was_nfc = was_nfc and nfc(clean) == clean
            if clean:
                lines.append(nfc(clean))
        cues.append(Cue(position, block.start_ms, block.end_ms, tuple(lines), markup=tuple(dict.fromkeys(removed))))
    if renumbered:
        notes.append(ReadNote(0, "cue numbers were missing or out of sequence; renumbered 1.."))
    if not was_nfc:
        notes.append(ReadNote(0, "text was normalised to Unicode NFC"))
    if any(cue.markup for cue in cues):
        notes.append(ReadNote(0, "markup (italics, colours, positions) was removed"))
    return cues


def parse_srt(text: str, path: Path | str = "<srt>") -> tuple[list[Cue], list[ReadNote]]:
    """Cues and notes from SRT text (already decoded, newlines normalised to LF)."""
    notes: list[ReadNote] = []
    lines = text.split("\n")
    blocks = scan_blocks(lines, path, lambda lines, n: lines[n].strip().isdigit(), notes)
    if not blocks:
        raise SubtitleError(
            "no cues found (no line with '-->')",
            path=path,
            hint="is this a subtitle file? SRT cues look like '00:00:01,000 --> 00:00:02,500'",
        )
    first = blocks[0].timing_line - 1 - (1 if blocks[0].identifier else 0)
    if any(line.strip() for line in lines[: max(0, first)]):
        notes.append(ReadNote(1, "ignored text before the first cue"))
    timing_notes(blocks, notes, separator=",", hours_required=True)
    for block in blocks:
        if block.settings:
            notes.append(ReadNote(block.timing_line, f"ignored position {block.settings[:40]!r}"))
            break
    return blocks_to_cues(blocks, notes, numbered=True), notes


def render_srt(cues: Sequence[Cue]) -> str:
    """SRT text: cues numbered 1..n, comma milliseconds, LF, one blank line between cues."""
    parts: list[str] = []
    for number, cue in enumerate(cues, 1):
        body = "\n".join(nfc(line) for line in cue.lines if line.strip())
        try:
            timing = f"{format_time(cue.start_ms)} --> {format_time(cue.end_ms)}"
        except ValueError as exc:
            raise SubtitleError(f"cue {number}: cannot write {exc}") from None
        parts.append(f"{number}\n{timing}\n{body}\n" if body else f"{number}\n{timing}\n")
    return "\n".join(parts)
