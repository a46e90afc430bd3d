"""Shot changes of a clip, found with PySceneDetect on the review proxy (small frames decode fast).

Ingest writes them to `shots.json`; assemble moves them onto the timeline, where the subtitle
stage and lint keep cue edges off them.
"""

from __future__ import annotations

import itertools
import logging
from fractions import Fraction
from pathlib import Path

from .. import fsutil
from ..errors import MediaError

log = logging.getLogger(__name__)


def detect_cuts(proxy: Path, rate: Fraction, threshold: float = 27.0) -> list[int]:
    """Times in ms where a new shot starts (excluding the clip's first frame)."""
    try:
        from scenedetect import ContentDetector, detect
    except ImportError as exc:  # pragma: no cover - a broken install
        raise MediaError("PySceneDetect is not installed", hint="run ./scripts/demo to set up") from exc
    # PySceneDetect logs every run at INFO through its own handler; keep it to real problems.
    logging.getLogger("pyscenedetect").setLevel(max(logging.WARNING, log.getEffectiveLevel()))
    try:
        scenes = detect(str(proxy), ContentDetector(threshold=threshold, min_scene_len=round(rate / 2)))
    except Exception as exc:
        raise MediaError(f"shot detection failed ({exc})", path=proxy) from exc
    cuts = [round(start.get_seconds() * 1000) for start, _ in scenes[1:]]
    return cuts


def write_shots(path: Path, cuts_ms: list[int], duration_ms: int, rate: Fraction) -> None:
    """shots.json: the cut times and the resulting shots, in ms and in frames at the house rate."""
    bounds = [0, *cuts_ms, duration_ms]
    shots = [
        {"start_ms": a, "end_ms": b, "start_frame": round(Fraction(a, 1000) * rate)}
        for a, b in itertools.pairwise(bounds) if b > a
    ]
    fsutil.write_json(path, {"rate": f"{rate.numerator}/{rate.denominator}", "cuts_ms": cuts_ms, "shots": shots})
