"""Graphics in the trunk's pixel format (`render/trunk_graphics.py`), on a tiny ARGB card made here:
a card that fades in, holds and fades out keeps only its distinct frames, and overlaid on a picture
it gives exactly the frames the original ARGB file gives."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from pipeline.media.ffmpeg import run_ffmpeg, safe_input
from pipeline.render.trunk_graphics import distinct_frames, ensure_trunk_copy


def _card(path: Path) -> Path:
    """2 s of a half-transparent white box at 25 fps, 0.2 s fade in and out: ARGB QuickTime RLE."""
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "color=white@0.6:size=160x90:rate=25:duration=2,format=argb,"
                    "fade=t=in:d=0.2:alpha=1,fade=t=out:st=1.8:d=0.2:alpha=1",
                    "-c:v", "qtrle", str(path)], check=True)
    return path


def _overlaid(graphic: Path, out: Path) -> str:
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=160x90:rate=25:duration=3,format=yuv420p", "-i",
                safe_input(graphic), "-filter_complex",
                "[1:v]setpts=PTS+0.5/TB[g];[0:v][g]overlay=format=yuv420:eof_action=pass",
                "-f", "framemd5", safe_input(out)])
    lines = [line for line in out.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    assert len(lines) == 75
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def test_a_card_is_converted_once_to_its_distinct_frames(tmp_path: Path) -> None:
    card = _card(tmp_path / "thẻ tiêu đề.mov")
    keep = distinct_frames(card, "yuva420p")
    assert keep[0] == 0 and keep[-1] == 49 and 8 <= len(keep) <= 14  # the fades, one held frame, the last
    copy = ensure_trunk_copy(card, "yuv420p")
    assert copy is not None and copy.name == "thẻ tiêu đề.yuva420p.nut"
    assert _overlaid(copy, tmp_path / "copy.md5") == _overlaid(card, tmp_path / "card.md5")
    mtime = copy.stat().st_mtime_ns
    assert ensure_trunk_copy(card, "yuv420p") == copy and copy.stat().st_mtime_ns == mtime  # made once
    assert ensure_trunk_copy(card, "yuv422p", dry_run=True) is None  # a dry run makes nothing
