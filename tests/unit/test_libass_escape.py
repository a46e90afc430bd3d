"""Burned-in text is the cue's text (issue 15): libass reads `{…}` as hidden override tags and `\\N`
as a line break when handed SRT, so the render writes its own ASS with the text escaped.

No OCR here: the same text is drawn through the render's own `subtitles` filter from the SRT and
from the ASS the render writes, on a black 320×180 frame, and the ink is measured. The ASS of
"B; %{pts}" draws as wide as "B; %(pts)" and wider than the SRT, which loses "{pts}"; "a\\Nb" stays
on one line from the ASS where the SRT breaks it in two.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pipeline.fonts import fonts_dir
from pipeline.media import graphs as g
from pipeline.media.ffmpeg import run_ffmpeg, safe_input
from pipeline.render.ass import WORD_JOINER, ass_document, escape_libass, write_burn_ass
from pipeline.subs.cues import Cue

TEXT = "It's 10:30 \\ [A], B; %{pts}"
W, H = 320, 180


def test_escape_keeps_every_character_literal() -> None:
    assert escape_libass(TEXT) == "It's 10:30 \\" + WORD_JOINER + " [A], B; %\\{pts\\}"
    assert escape_libass("a\\Nb\\h{\\b1}") == f"a\\{WORD_JOINER}Nb\\{WORD_JOINER}h\\{{\\{WORD_JOINER}b1\\}}"
    doc = ass_document([Cue(1, 1200, 3456, ("Trà Vinh {1}", "dòng hai"))])
    assert "PlayResX: 384\nPlayResY: 288" in doc
    last = doc.rstrip().splitlines()[-1]
    assert last == "Dialogue: 0,0:00:01.20,0:00:03.46,Default,,0,0,0,,Trà Vinh \\{1\\}\\Ndòng hai"


def _srt(path: Path, text: str) -> Path:
    path.write_text(f"1\n00:00:00,000 --> 00:00:02,000\n{text}\n", encoding="utf-8")
    return path


def _ink(subtitles: Path, tmp: Path) -> np.ndarray[Any, Any]:
    """The white pixels of one 320×180 frame with `subtitles` burned in, as the render burns them."""
    style = g.subtitle_style(frame_w=W, frame_h=H, font="Noto Sans", size_pct=7.0, outline_pct=0.0, bold=False,
                             title_safe_pct=(5.0, 5.0, 5.0, 5.0))
    raw = tmp / f"{subtitles.name}.gray"
    run_ffmpeg(["-f", "lavfi", "-i", f"color=c=black:size={W}x{H}:rate=25:duration=1",
                "-vf", g.burn_subtitles(subtitles, fonts_dir=fonts_dir(), style=style),
                "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", safe_input(raw)])
    return np.frombuffer(raw.read_bytes(), np.uint8).reshape(H, W) > 128


def _width(ink: np.ndarray[Any, Any]) -> int:
    cols = np.flatnonzero(ink.any(axis=0))
    return int(cols[-1] - cols[0] + 1) if cols.size else 0


def _lines(ink: np.ndarray[Any, Any]) -> int:
    """Runs of rows with ink (one per text line)."""
    rows = ink.any(axis=1).astype(int)
    return int(np.count_nonzero(np.diff(np.concatenate([[0], rows])) == 1))


@pytest.mark.slow
def test_burned_text_is_the_cue_text(tmp_path: Path) -> None:
    def ass(name: str, text: str) -> Path:
        return write_burn_ass(_srt(tmp_path / f"{name}.srt", text), tmp_path / f"{name}.ass")

    from_srt = _ink(_srt(tmp_path / "raw.srt", TEXT), tmp_path)
    ours = _ink(ass("ours", TEXT), tmp_path)
    parens = _ink(ass("parens", TEXT.replace("{", "(").replace("}", ")")), tmp_path)
    assert _width(ours) > _width(from_srt) + 15  # "{pts}" is drawn, not swallowed
    assert abs(_width(ours) - _width(parens)) <= 4  # braces are about as wide as parentheses
    assert _lines(_ink(_srt(tmp_path / "break.srt", "a\\Nb"), tmp_path)) == 2  # libass breaks SRT's \N
    assert _lines(_ink(ass("nobreak", "a\\Nb"), tmp_path)) == 1
