"""The few options a batch passes to every programme, and the stage Settings they make.

They travel as JSON (to a child process, inside a Dramatiq message), so they are plain values.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..manifest import Programme


@dataclass(frozen=True)
class BatchOptions:
    """`allow_fail`: publish and package over a QC FAIL, `allow_unapproved`: package outputs nobody approved
    (both recorded in the bag, where the package stage has the option); `english`: make English subtitles;
    `beam`: Whisper beam size (None: the transcribe stage's default); `spread`: see below."""

    allow_fail: bool = False
    allow_unapproved: bool = False
    english: bool = True
    beam: int | None = None
    spread: int = 3
    """Through Dramatiq: helper tasks sent with each render (`reportage render --assist`), so idle
    workers encode chunks of its picture; 0 renders each programme on one worker."""

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> BatchOptions:
        if not isinstance(data, dict):
            return cls()
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def stage_settings(self, programme: Programme) -> dict[str, Any]:
        """`{stage name: Settings}` for `pipeline.run.run_programme`, built by each stage from the
        manifest as `reportage run` builds them."""
        from ..run import stage

        package: dict[str, Any] = {"allow_fail": self.allow_fail}
        if self.allow_unapproved:
            package["allow_unapproved"] = True  # a TypeError here names an option the stage lost
        settings: dict[str, Any] = {"publish": stage("publish").settings(programme, allow_fail=self.allow_fail),
                                    "package": stage("package").settings(programme, **package)}
        if not self.english:
            settings["subtitles"] = stage("subtitles").settings(programme, english=False)
        if self.beam is not None:
            settings["transcribe"] = stage("transcribe").settings(programme, beam=max(1, int(self.beam)))
        return settings
