"""Chunks of picture and the sound rendered whole → one file, by stream copy.

The concat demuxer reads the chunks in order, each given its exact length (`duration`: frames over
the rate), so the picture's timestamps run on frame-exactly across every join; the sound, rendered
whole (`render/plan.sound_pass`), is the second input. Nothing is decoded or encoded: the muxer
writes the deliverable's container with its own options (`media/encode.container_args`: faststart,
start timecode) and the programme's metadata, as the one pass did.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

from ..fsutil import write_text
from ..media.encode import container_args
from ..media.ffmpeg import safe_input
from ..profiles import Profile


def quoted(path: Path) -> str:
    """A path as the concat demuxer's `file` directive reads it (absolute, in single quotes, `'`
    escaped)."""
    return "'" + str(path.resolve()).replace("'", "'\\''") + "'"


def write_chunk_list(list_file: Path, chunks: Sequence[tuple[Path, int]], rate: Fraction) -> None:
    """An ffconcat script of `chunks` (file, frames) in order, each with its exact duration."""
    lines = ["ffconcat version 1.0"]
    for path, frames in chunks:
        seconds = Fraction(frames) / rate
        lines += [f"file {quoted(path)}", f"duration {float(seconds):.6f}"]
    write_text(list_file, "\n".join(lines) + "\n")


def join_chunks_args(list_file: Path, sound: Path | None, profile: Profile, output: Path,
                     metadata: Sequence[tuple[str, str]] = ()) -> list[str]:
    """The files listed in `list_file` → `output` by copy: every stream of them, or their picture
    and `sound` (the second input) when the sound was rendered apart. The leader's join is this too
    (`render/leader.py`: leader + body, each with its sound)."""
    args = ["-f", "concat", "-safe", "0", "-i", safe_input(list_file)]
    if sound is not None:
        args += ["-i", safe_input(sound), "-map", "0:v:0", "-map", "1:a"]
    else:
        args += ["-map", "0"]
    args += ["-c", "copy"]
    for key, value in metadata:
        args += ["-metadata", f"{key}={value}"]
    return [*args, *container_args(profile), safe_input(output)]
