"""What an export writes, as plain data: the programme's timeline, the footage it links to, its start
timecode, markers and subtitles.

Gathered from the workspace (`nle.programme.plan_export`) or built in tests, and handed to whichever
writer the format needs: OpenTimelineIO's adapters (`nle.export`) or the EDL written directly
(`nle.edl`). The writers depend on the plan and never on each other's modules for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from ..timecode import Timecode
from ..timeline import Marker, Timeline
from .match import FootageClip


@dataclass(frozen=True)
class SubtitleCue:
    start_frame: int
    end_frame: int
    text: str


@dataclass(frozen=True)
class ExportPlan:
    """Everything an export writes, gathered from the workspace (`nle.programme.plan_export`) or built in tests."""

    name: str
    timeline: Timeline
    footage: dict[str, FootageClip]
    start_frame: int
    markers: tuple[Marker, ...]
    subtitles: dict[str, tuple[SubtitleCue, ...]] = field(default_factory=dict)
    srt_text: dict[str, str] = field(default_factory=dict)

    @property
    def rate(self) -> Fraction:
        return self.timeline.rate

    def start_tc(self) -> str:
        return str(Timecode(self.start_frame, self.rate))

    def source_start_frames(self, clip: FootageClip) -> float:
        """The clip's own start timecode, counted in programme-rate frames (what NLEs show)."""
        return float(clip.start_s * self.rate)
