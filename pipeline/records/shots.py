"""`ingest/<clip>/shots.json`: a clip's shot list, the cut times ingest's scene-change detection found
(ingest is its only writer). Assemble moves them onto the timeline, where the subtitle stage and
lint keep cue edges off them."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from .. import fsutil
from ..timecode import parse_rate
from ..workspace import Workspace
from .reading import read_record


@dataclass(frozen=True)
class Shot:
    """One shot of a clip: clip milliseconds, and its first frame at the house rate."""

    start_ms: int
    end_ms: int
    start_frame: int


@dataclass(frozen=True)
class ShotList:
    """The cut times of a clip (clip milliseconds) and the shots between them."""

    rate: Fraction
    cuts_ms: tuple[int, ...]
    shots: tuple[Shot, ...]

    @classmethod
    def of(cls, cuts_ms: Sequence[int], duration_ms: int, rate: Fraction) -> ShotList:
        """The shots a clip of `duration_ms` falls into at `cuts_ms`, frames at the house `rate`."""
        bounds = [0, *cuts_ms, duration_ms]
        shots = tuple(Shot(a, b, round(Fraction(a, 1000) * rate)) for a, b in itertools.pairwise(bounds) if b > a)
        return cls(rate, tuple(cuts_ms), shots)

    def to_json(self) -> dict[str, Any]:
        return {"rate": f"{self.rate.numerator}/{self.rate.denominator}", "cuts_ms": list(self.cuts_ms),
                "shots": [{"start_ms": s.start_ms, "end_ms": s.end_ms, "start_frame": s.start_frame}
                          for s in self.shots]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ShotList:
        return cls(parse_rate(str(data.get("rate") or "25")), tuple(int(c) for c in data.get("cuts_ms") or ()),
                   tuple(Shot(int(s["start_ms"]), int(s["end_ms"]), int(s.get("start_frame") or 0))
                         for s in data.get("shots") or ()))


def shots_path(ws: Workspace, clip_id: str) -> Path:
    return ws.shots_json(clip_id)


def write_shots(ws: Workspace, clip_id: str, shots: ShotList) -> Path:
    """Record a clip's shot list (ingest is the only writer)."""
    path = shots_path(ws, clip_id)
    fsutil.write_json(path, shots.to_json())
    return path


def read_shots(ws: Workspace, clip_id: str) -> ShotList | None:
    """A clip's shot list; None when it has none (a clip without picture, or not ingested yet); a
    WorkspaceError naming the file when it cannot be read."""
    return read_record(shots_path(ws, clip_id), ShotList.from_json, "shot list",
                       "run `reportage ingest MANIFEST` again")
