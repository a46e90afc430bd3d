"""The picture in chunks: where a programme is cut into independent encodes, and what each one is.

A deliverable's picture is encoded as chunks of about a minute, each its own ffmpeg run that
decodes only its stretch (`render/plan.picture_pass`), and joined by stream copy (`render/join.py`).
Each chunk starts a fresh GOP, so a chunk decodes alone exactly as it does inside the whole file.

Where the boundaries fall (`boundaries`): on a grid that is a whole number of GOPs of every
deliverable of the programme (12 and 50 frames at 25 fps: every 300 frames, 12 s), so every file
keeps its GOP cadence across the joins (XDCAM's GOP of 12, the stream's IDR every 2 s); each chunk
about `target` long, the boundary moved along the grid (within a quarter chunk) to the grid point
nearest a cut of the timeline and out of any dissolve, so a chunk rarely starts mid-shot. The grid
is the programme's, not the pass's: a render of one deliverable cuts where a render of all does, and
finds the chunks the other made.

What a chunk is (`chunk_key`): exactly what it shows — its stretch of the timeline (each clip's
content key and in/out, the dissolves it holds), the graphics over it (file content, placement,
timing relative to the chunk), the logo, the burned-in cues inside it, the profile, the trunk's
pixel format, and the versions of this code and ffmpeg. A lower-third fix changes the keys of the
chunks under that lower third and nothing else; a changed cue the chunks it is on, of the
deliverables that burn it in. The key names the chunk's file in the store (`render/chunkstore.py`).
"""

from __future__ import annotations

import bisect
import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..profiles import Profile
from ..subs.cues import Cue
from ..timecode import Excerpt
from ..timeline import Timeline
from .plan import PLAN_VERSION, Branding, _cut, _widened, excerpt_branding, excerpt_window

CHUNK_VERSION = 1
TARGET_S = 60.0
"""About a minute: long enough that a chunk's start (its seeks, its first GOP) costs nothing that
matters against its encode, short enough that a fix re-encodes a minute, not the programme."""


def _lcm(a: Fraction, b: Fraction) -> Fraction:
    """The least common multiple of two positive rationals."""
    return Fraction(math.lcm(a.numerator * b.denominator, b.numerator * a.denominator),
                    a.denominator * b.denominator)


def grid_frames(rate: Fraction, profiles: Iterable[Profile]) -> int:
    """Programme frames between possible chunk boundaries: the least duration that is a whole number
    of programme frames and of GOPs of every profile (a profile at another frame rate counts its GOP
    in its own frames)."""
    step = 1 / rate
    for profile in profiles:
        fps = Fraction(str(profile.video.fps))
        step = _lcm(step, Fraction(max(1, profile.video.gop)) / fps)
    frames = step * rate
    return int(frames) if frames.denominator == 1 else math.ceil(frames)


def _inside_dissolve(timeline: Timeline, frame: int) -> bool:
    return any(t.at_frame - t.before < frame < t.at_frame + t.after for t in timeline.transitions)


def boundaries(timeline: Timeline, first: int, last: int, grid: int, target: int) -> list[tuple[int, int]]:
    """[first, last) as chunks [a, b): boundaries at `first` + k·`grid`, each chunk about `target`
    frames, a boundary moved (within a quarter chunk, at least one grid step) to the grid point
    nearest a cut and out of a dissolve; the last chunk takes the rest when that is under a chunk
    and the slack. A chunk one grid step long (a short stretch: a social cut) keeps a last chunk of
    over half a step apart: a 22 s cut on a 12 s grid is two chunks, so a fix in one of its cues
    re-encodes half of it."""
    if last <= first:
        return []
    step = max(grid, round(target / grid) * grid)
    slack = max(grid, (step // 4) // grid * grid)
    tail = min(slack, step // 2)  # the least a last chunk of its own may be: the slack, or half a one-step chunk
    cuts = sorted({seg.rec_in_frame for seg in timeline.segments} | {timeline.duration_frames})
    out: list[tuple[int, int]] = []
    start = first
    while last - start > step + tail:
        lo, hi = start + max(grid, step - slack), min(start + step + slack, last - tail)
        candidates = range(lo, hi + 1, grid)
        def rank(b: int, start: int = start) -> tuple[bool, int, int]:
            near = _to_cut(cuts, b)  # a cut within the slack draws the boundary; a farther one does not
            return _inside_dissolve(timeline, b), near if near <= slack else slack + 1, abs(b - start - step)
        best = min(candidates, key=rank)
        out.append((start, best))
        start = best
    out.append((start, last))
    return out


def _to_cut(cuts: Sequence[int], frame: int) -> int:
    """Frames from `frame` to the nearest cut."""
    i = bisect.bisect_left(cuts, frame)
    near = [cuts[j] for j in (i - 1, i) if 0 <= j < len(cuts)]
    return min(abs(c - frame) for c in near) if near else 0


def slice_key(timeline: Timeline, first: int, last: int, content_keys: Mapping[str, str]) -> dict[str, Any]:
    """The picture of programme frames [first, last) as data: the stretch a chunk decodes (widened
    over a dissolve it cuts) with each clip named by its content key, not its path."""
    wide = _widened(timeline, first, last)
    part = _cut(timeline, *wide)
    return {
        "size": [timeline.width, timeline.height], "rate": str(timeline.rate),
        "window": excerpt_window(timeline, Excerpt(first, last, timeline.rate)),
        "segments": [[content_keys.get(s.clip_id, s.clip_id), s.src_in_frame, s.src_out_frame, s.rec_in_frame]
                     for s in part.segments],
        "transitions": [[t.kind, t.index, t.at_frame, t.before, t.after] for t in part.transitions],
    }


def branding_key(branding: Branding, cut: Excerpt, content: Mapping[Path, str]) -> dict[str, Any]:
    """The logo and the graphics that overlap the chunk, placed in chunk time, by content."""
    moved = excerpt_branding(branding, cut)
    return {
        "logo": content.get(branding.logo) if branding.logo is not None else None,
        "corner": branding.corner, "opacity": branding.opacity, "height_pct": branding.logo_height_pct,
        "overlays": [[content.get(o.path, o.path.name), o.start_s, o.duration_s, o.x, o.y,
                      sorted((fmt, content.get(p, p.name)) for fmt, p in o.in_format)] for o in moved.overlays],
    }


def cues_in(cues: Sequence[Cue], cut: Excerpt) -> list[list[Any]]:
    """The cues on screen during the chunk, as the subtitles filter draws them."""
    start_ms, end_ms = round(cut.start_s * 1000), round(cut.end_s * 1000)
    return [[c.start_ms, c.end_ms, list(c.lines)] for c in cues if c.start_ms < end_ms and c.end_ms > start_ms]


def chunk_key(*, picture: Mapping[str, Any], branding: Mapping[str, Any], cues: Sequence[Any] | None,
              profile: Profile, trunk: str, ffmpeg: str) -> str:
    """The content key of one chunk of one file: a SHA-256 of everything it shows and how."""
    blob = json.dumps({"chunk": CHUNK_VERSION, "plan": PLAN_VERSION, "picture": picture, "branding": branding,
                       "cues": cues, "profile": profile.model_dump(mode="json", exclude={"source"}),
                       "trunk": trunk, "ffmpeg": ffmpeg}, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class ChunkOutput:
    """One file's chunk: the deliverable and its member file (a rung's file for a ladder), the
    profile it is encoded with, the burned-in subtitle file, its key and where the store keeps it."""

    deliverable: str
    member: str
    profile: Profile
    subtitles: Path | None
    key: str
    path: Path


@dataclass(frozen=True)
class ChunkJob:
    """One chunk's encode: programme frames [first, last) of the programme or of one excerpt, for
    every file of the pass that shows that stretch (decoded once for all of them)."""

    first: int
    last: int
    rate: Fraction
    trunk: str
    outputs: tuple[ChunkOutput, ...]

    @property
    def cut(self) -> Excerpt:
        return Excerpt(self.first, self.last, self.rate)

    @property
    def seconds(self) -> float:
        return float(Fraction(self.last - self.first) / self.rate)

    @property
    def name(self) -> str:
        """A stable name for the job (its claim in the store): the keys of what it makes."""
        return hashlib.sha256("|".join(sorted(o.key for o in self.outputs)).encode()).hexdigest()[:24]

    def missing(self) -> list[ChunkOutput]:
        """The outputs not in the store yet (a chunk is there only once complete: atomic)."""
        return [o for o in self.outputs if not o.path.is_file()]
