"""A clip's shot list: the cut times ingest's scdet branch found, as `shots.json`.

Assemble moves them onto the timeline, where the subtitle stage and lint keep cue edges off them.
"""

from __future__ import annotations

import itertools
from fractions import Fraction
from pathlib import Path

from .. import fsutil


def write_shots(path: Path, cuts_ms: list[int], duration_ms: int, rate: Fraction) -> None:
    """shots.json: the cut times and the resulting shots, in ms and in frames at the house rate."""
    bounds = [0, *cuts_ms, duration_ms]
    shots = [
        {"start_ms": a, "end_ms": b, "start_frame": round(Fraction(a, 1000) * rate)}
        for a, b in itertools.pairwise(bounds) if b > a
    ]
    fsutil.write_json(path, {"rate": f"{rate.numerator}/{rate.denominator}", "cuts_ms": cuts_ms, "shots": shots})
