"""The ASS file a burned-in subtitle track is drawn from: the cues' text exactly as the sidecar has it.

Handed an SRT, libass reads the text as ASS: `{…}` is an override block (styling, hidden), `\\N`,
`\\n` and `\\h` are a line break, a space and a hard space, so "It's 10:30 \\ [A], B; %{pts}" would
burn in as "…B; %". The render therefore writes the cues as ASS itself, with every character that
libass could take for markup escaped (`escape_libass`), and points the `subtitles` filter at that.

The script resolution is libass's default for SRT (`graphs.ASS_PLAY_RES`), so the profile's
`force_style` (`graphs.subtitle_style_for`) sizes and places the text exactly as it did for SRT.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .. import fsutil
from ..media.graphs import ASS_PLAY_RES
from ..subs.cues import Cue
from ..subs.formats import read_subtitles

WORD_JOINER = "\u2060"
"""Invisible and of zero width (a default-ignorable code point: shaping draws nothing for it); put
after a backslash it keeps libass from reading the backslash and the next letter as an escape."""


def escape_libass(text: str) -> str:
    """One line of cue text as ASS event text that libass draws literally.

    Braces become `\\{`/`\\}` (libass's literal braces); a backslash is followed by a word joiner,
    so `\\N`, `\\n`, `\\h` and `\\{` typed in a cue stay what they are. Line breaks inside the text
    become spaces: lines are joined with `\\N` by `event_text`."""
    out: list[str] = []
    for ch in text.replace("\r", " ").replace("\n", " "):
        if ch == "\\":
            out.append("\\" + WORD_JOINER)
        elif ch in "{}":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def event_text(lines: Sequence[str]) -> str:
    """A cue's lines, each escaped, joined by ASS hard line breaks."""
    return "\\N".join(escape_libass(line) for line in lines)


def ass_time(ms: int) -> str:
    """H:MM:SS.cc, ASS's centisecond clock (rounded to the nearest centisecond)."""
    cs = (max(0, ms) + 5) // 10
    h, rest = divmod(cs, 360_000)
    m, rest = divmod(rest, 6_000)
    s, c = divmod(rest, 100)
    return f"{h}:{m:02d}:{s:02d}.{c:02d}"


def ass_document(cues: Sequence[Cue]) -> str:
    """A complete ASS script: the Default style (the profile's `force_style` refines it) and one
    Dialogue event per cue, in order."""
    play_x, play_y = ASS_PLAY_RES
    head = [
        "[Script Info]", "; written by reportage: cue text escaped for libass", "ScriptType: v4.00+",
        f"PlayResX: {play_x}", f"PlayResY: {play_y}", "WrapStyle: 0", "ScaledBorderAndShadow: yes", "",
        "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, "
        "Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, "
        "MarginL, MarginR, MarginV, Encoding",
        "Style: Default,Noto Sans,16,&H00FFFFFF,&H000000FF,&H00000000,&H80000000,0,0,0,0,100,100,0,0,1,1,0,2,"
        "10,10,10,1",
        "",
        "[Events]",
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
    ]
    events = [f"Dialogue: 0,{ass_time(c.start_ms)},{ass_time(c.end_ms)},Default,,0,0,0,,{event_text(c.lines)}"
              for c in cues]
    return "\n".join([*head, *events, ""])


def write_burn_ass(subtitles: Path, dest: Path) -> Path:
    """Read `subtitles` (SRT/WebVTT, as the subtitles stage reads them) and write the ASS the
    render burns in to `dest` (atomically); return `dest`."""
    fsutil.write_text(dest, ass_document(read_subtitles(subtitles).cues))
    return dest
