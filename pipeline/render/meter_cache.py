"""What the render's audio-only passes measured, remembered by what shaped the sound.

Before the picture pass, a render measures the programme mix (and the social excerpt), then meters
trial corrections of the limited deliverables until each lands on its target
(`media/loudness.settle`). Each of those passes decodes the whole programme's sound. Re-rendering
after a picture or subtitle fix gives the same sound to the same chains, so the same figures: here
they are kept, keyed by the timeline, the working copies' content keys, the ffmpeg build, this
module's MEASURE_VERSION and the pass's own question (excerpt and trial chains), and a later render
reads them instead of decoding again. The rendered file itself is always measured again (it is the
thing delivered); only the passes before it are remembered.

Entries are small JSON files under `<programme>/cache/loudness/`; a damaged or unreadable one is
measured again and replaced, never trusted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .. import fsutil, stagerun
from ..errors import WorkspaceError
from ..media.loudness import LoudnessMeasurement, Normalisation
from ..timecode import Excerpt

log = logging.getLogger(__name__)

MEASURE_VERSION = 1
"""Part of every key: bump it when `render/plan.measure_pass` changes what it measures."""

Trials = Mapping[str, tuple[Normalisation, bool]]
"""name → (correction, metered on the excerpt?), as `render/plan.measure_pass` takes them."""


class MeterCache:
    """The remembered audio-only measurements of one programme's sound (`shape`: what made it)."""

    def __init__(self, folder: Path, shape: Mapping[str, Any]) -> None:
        self.folder = folder
        self._shape = {"version": MEASURE_VERSION, **shape}
        self.passes_run = 0
        self.passes_reused = 0

    def key(self, excerpt: Excerpt | None, trials: Trials | None) -> str:
        """The entry's name: the sound's shape and this pass's question."""
        asked = {name: {**asdict(c), "on_excerpt": on} for name, (c, on) in (trials or {}).items()}
        return stagerun.inputs_hash({**self._shape, "excerpt": list(excerpt.seconds) if excerpt else None,
                                   "trials": asked})

    def _read(self, path: Path) -> dict[str, LoudnessMeasurement] | None:
        if not path.is_file():
            return None
        try:
            data = fsutil.read_json(path)
            return {str(name): LoudnessMeasurement.from_dict(figures) for name, figures in data["meters"].items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("%s: unreadable remembered loudness (%s); measuring again", path, exc)
            return None

    def measured(self, excerpt: Excerpt | None, trials: Trials | None,
                 run: Callable[[], dict[str, LoudnessMeasurement]]) -> dict[str, LoudnessMeasurement]:
        """What the pass for (`excerpt`, `trials`) measures: remembered, or `run` now and kept."""
        path = self.folder / f"{self.key(excerpt, trials)}.json"
        found = self._read(path)
        if found is not None:
            self.passes_reused += 1
            return found
        found = run()
        self.passes_run += 1
        try:
            fsutil.write_json(path, {"meters": {name: m.as_dict() for name, m in found.items()}})
        except (OSError, WorkspaceError) as exc:  # not kept: the next render pays this pass again, nothing more
            log.warning("%s: could not remember the loudness measured (%s)", path, exc)
        return found
