"""The assembled programme as data: ordered segments of clips, in frames at the programme rate.

Written by the assemble stage to `timeline.json`; read by subtitles (to place words in programme
time), render (to cut the working copies) and QC (to know the expected duration and the cuts). A
segment's `working_copy` is as the ingest record names it (relative to the programme folder for a
working copy conform made); `Timeline.located` gives the files on this machine.

An edit imported from an NLE (pipeline/nle) can add three things a typed cut list has not: dissolves
between segments, markers, and audio tracks of its own. Each is written to `timeline.json` only when
present, so a cut list's timeline reads exactly as before.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from . import fsutil
from .errors import WorkspaceError
from .timecode import parse_rate
from .workspace import Workspace

TIMELINE_VERSION = 1


@dataclass(frozen=True)
class Segment:
    """`clip_id` from `src_in_frame` to `src_out_frame` (exclusive) of its working copy, placed at
    `rec_in_frame` of the programme. All frames at the programme rate."""

    clip_id: str
    working_copy: str
    src_in_frame: int
    src_out_frame: int
    rec_in_frame: int
    has_audio: bool

    @property
    def length(self) -> int:
        return self.src_out_frame - self.src_in_frame

    @property
    def rec_out_frame(self) -> int:
        return self.rec_in_frame + self.length


@dataclass(frozen=True)
class Transition:
    """A dissolve across the cut at programme frame `at_frame` (where segment `index` begins):
    `before` frames of it lie before the cut and `after` frames after it. The outgoing segment plays
    `after` frames of handle past its `src_out_frame`, the incoming one `before` frames before its
    `src_in_frame`; the cut points of the segments themselves stay where the editor put them."""

    index: int
    at_frame: int
    before: int
    after: int
    kind: str = "dissolve"

    @property
    def length(self) -> int:
        return self.before + self.after


@dataclass(frozen=True)
class Marker:
    """A note at programme frame `frame` (lasting `duration` frames, 0 for a point): from the edit,
    QC or review."""

    frame: int
    name: str
    duration: int = 0
    color: str = "RED"
    source: str = "edit"


@dataclass(frozen=True)
class AudioSegment:
    """A clip on one of the edit's own audio tracks (track 1 = A1), in frames at the programme rate."""

    track: int
    clip_id: str
    working_copy: str
    src_in_frame: int
    src_out_frame: int
    rec_in_frame: int

    @property
    def length(self) -> int:
        return self.src_out_frame - self.src_in_frame

    @property
    def rec_out_frame(self) -> int:
        return self.rec_in_frame + self.length


@dataclass(frozen=True)
class Timeline:
    programme_id: str
    rate: Fraction
    width: int
    height: int
    sample_rate: int
    segments: tuple[Segment, ...]
    shot_changes_ms: tuple[int, ...]
    transitions: tuple[Transition, ...] = ()
    markers: tuple[Marker, ...] = ()
    audio: tuple[AudioSegment, ...] = ()
    """Empty: the sound follows the picture (each segment's own audio). Otherwise the edit's own
    audio tracks, to be mixed in place of the picture's sound."""

    @property
    def duration_frames(self) -> int:
        return self.segments[-1].rec_out_frame if self.segments else 0

    def decoded(self) -> list[Segment | AudioSegment]:
        """What a render decodes: the picture's segments and the segments of the edit's own sound."""
        return [*self.segments, *self.audio]

    def located(self, ws: Workspace) -> Timeline:
        """The same timeline with every working copy as a file on this machine (`Workspace.resolve`).

        `timeline.json` names working copies as the ingest records do, relative to the programme
        folder when inside it, and the render keys its work on that form, so a moved workspace is
        not rendered again; whatever opens the files (the render's ffmpeg) takes this one."""
        def here(path: str) -> str:
            return str(ws.resolve(path))
        return replace(self, segments=tuple(replace(s, working_copy=here(s.working_copy)) for s in self.segments),
                       audio=tuple(replace(a, working_copy=here(a.working_copy)) for a in self.audio))

    @property
    def duration_ms(self) -> int:
        return self.frames_to_ms(self.duration_frames)

    def frames_to_ms(self, frames: int) -> int:
        return round(Fraction(frames) / self.rate * 1000)

    def ms_to_frames(self, ms: int) -> int:
        return round(Fraction(ms, 1000) * self.rate)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": TIMELINE_VERSION,
            "programme": self.programme_id,
            "rate": f"{self.rate.numerator}/{self.rate.denominator}",
            "width": self.width,
            "height": self.height,
            "sample_rate": self.sample_rate,
            "duration_frames": self.duration_frames,
            "duration_ms": self.duration_ms,
            "segments": [
                {**asdict(s), "rec_out_frame": s.rec_out_frame,
                 "src_in_ms": self.frames_to_ms(s.src_in_frame), "src_out_ms": self.frames_to_ms(s.src_out_frame),
                 "rec_in_ms": self.frames_to_ms(s.rec_in_frame)}
                for s in self.segments
            ],
            "shot_changes_ms": list(self.shot_changes_ms),
            **({"transitions": [asdict(t) for t in self.transitions]} if self.transitions else {}),
            **({"markers": [asdict(m) for m in self.markers]} if self.markers else {}),
            **({"audio": [asdict(a) for a in self.audio]} if self.audio else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Timeline:
        keys = ("clip_id", "working_copy", "src_in_frame", "src_out_frame", "rec_in_frame", "has_audio")
        return cls(
            programme_id=data["programme"],
            rate=parse_rate(data["rate"]),
            width=int(data["width"]),
            height=int(data["height"]),
            sample_rate=int(data["sample_rate"]),
            segments=tuple(Segment(**{k: s[k] for k in keys}) for s in data["segments"]),
            shot_changes_ms=tuple(int(x) for x in data.get("shot_changes_ms", [])),
            transitions=tuple(Transition(**t) for t in data.get("transitions", [])),
            markers=tuple(Marker(**m) for m in data.get("markers", [])),
            audio=tuple(AudioSegment(**a) for a in data.get("audio", [])),
        )


def load_timeline(path: Path) -> Timeline:
    """Read timeline.json, or say which stage to run first."""
    if not path.exists():
        raise WorkspaceError("no assembled timeline yet", path=path, hint="run `reportage assemble MANIFEST` first")
    return Timeline.from_dict(fsutil.read_json(path))
