"""Assemble: turn the manifest's cut list (or its finished master) into `timeline.json`.

Cut points are written by editors in each clip's own source timecode (30-frame counting for a
29.97 phone clip); here they become frames of the house-rate working copies, and the cuts between
events plus the shot changes inside them become programme-time shot changes for subtitles.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from .. import fsutil, stagerun
from ..errors import ManifestError
from ..manifest import Programme
from ..media.probe import media_info_from_dict
from ..progress import ProgressFn, ignore
from ..records import read_ingest_record
from ..timecode import Timecode
from ..timeline import Segment, Timeline
from ..workspace import Workspace
from .ingest import MASTER_CLIP_ID

STAGE = "assemble"


@dataclass(frozen=True)
class Settings:
    """Assemble has no options: the manifest's timeline says it all."""


@dataclass(frozen=True)
class AssembleReport:
    timeline: Timeline
    changed: bool

    @property
    def ok(self) -> bool:
        return True

    @property
    def up_to_date(self) -> bool:
        return not self.changed

    def to_dict(self) -> dict[str, object]:
        return {"programme": self.timeline.programme_id, "ok": True, "up_to_date": self.up_to_date,
                "changed": self.changed, "duration_ms": self.timeline.duration_ms,
                "segments": len(self.timeline.segments)}


def _events(programme: Programme) -> list[tuple[str, str | None, str | None, str]]:
    spec = programme.timeline_spec
    events: list[tuple[str, str | None, str | None, str]] = []
    if spec.master:
        events.append((MASTER_CLIP_ID, None, None, "timeline.master"))
    for index, event in enumerate(spec.cut or []):
        events.append((event.clip, event.in_, event.out, f"timeline.cut[{index}]"))
    return events


def inputs(programme: Programme, ws: Workspace, settings: Settings | None = None) -> dict[str, Any]:
    """The timeline spec, the house format, and the ingest records and shot lists of the clips it uses."""
    used = sorted({clip_id for clip_id, *_ in _events(programme)})
    return {stagerun.PROGRAMME: {
        "timeline": programme.timeline_spec.model_dump(mode="json", by_alias=True),
        "house": programme.manifest.house.model_dump(mode="json"),
        "clips": {c: fsutil.sha256_file(p) if (p := ws.ingest_dir(c) / "ingest.json").is_file() else None
                  for c in used},
        "shots": {c: fsutil.sha256_file(ws.shots_json(c)) if ws.shots_json(c).is_file() else None for c in used},
    }}


def outputs(programme: Programme, ws: Workspace) -> list[Path]:
    return [ws.timeline_json]


def run(programme: Programme, ws: Workspace, settings: Settings, progress: ProgressFn = ignore,
        clips: tuple[str, ...] | None = None) -> AssembleReport:
    """The registry's entry point: `assemble_programme`."""
    return assemble_programme(programme, ws)


def _clip_cuts(ws: Workspace, clip_id: str) -> list[int]:
    path = ws.shots_json(clip_id)
    return list(fsutil.read_json(path).get("cuts_ms", [])) if path.exists() else []


def build_timeline(programme: Programme, ws: Workspace) -> Timeline:
    """The timeline from the manifest and what ingest recorded (pure apart from reading the workspace)."""
    house = programme.manifest.house
    rate = house.rate
    segments: list[Segment] = []
    shot_changes: list[int] = []
    rec = 0
    for clip_id, tc_in, tc_out, field in _events(programme):
        meta = read_ingest_record(ws, clip_id)
        info = media_info_from_dict(fsutil.read_json(ws.probe_json(clip_id)))
        clip_rate = info.rate if info.video else rate
        clip_frames = round(Fraction(meta.duration_ms, 1000) * rate)
        try:
            in_ms = Timecode.parse(tc_in, clip_rate).ms if tc_in else 0
            out_ms = Timecode.parse(tc_out, clip_rate).ms if tc_out else meta.duration_ms
        except ValueError as exc:
            raise ManifestError(f"{field}: {exc}", path=programme.manifest_path) from exc
        src_in = round(Fraction(in_ms, 1000) * rate)
        src_out = min(round(Fraction(out_ms, 1000) * rate), clip_frames)
        if src_out <= src_in:
            raise ManifestError(f"{field} selects no frames of clip {clip_id}", path=programme.manifest_path)
        segment = Segment(clip_id, meta.working_copy, src_in, src_out, rec, meta.has_audio)
        if rec > 0:
            shot_changes.append(round(Fraction(rec) / rate * 1000))
        for cut_ms in _clip_cuts(ws, clip_id):
            if in_ms < cut_ms < out_ms:
                shot_changes.append(round(Fraction(rec) / rate * 1000) + cut_ms - round(Fraction(src_in) / rate * 1000))
        segments.append(segment)
        rec = segment.rec_out_frame
    return Timeline(programme.id, rate, house.width, house.height, house.sample_rate, tuple(segments),
                    tuple(sorted(set(shot_changes))))


def assemble_programme(programme: Programme, ws: Workspace) -> AssembleReport:
    """Write timeline.json; leave the file untouched when nothing changed."""
    began = time.time()
    fresh = stagerun.check(ws, STAGE, stagerun.PROGRAMME, inputs(programme, ws)[stagerun.PROGRAMME],
                           [ws.timeline_json])
    if fresh.fresh:
        try:
            return AssembleReport(Timeline.from_dict(fsutil.read_json(ws.timeline_json)), changed=False)
        except (OSError, ValueError, KeyError, TypeError):
            pass  # an unreadable timeline is simply built again
    timeline = build_timeline(programme, ws)
    changed = fsutil.write_json_if_changed(ws.timeline_json, timeline.to_dict())
    stagerun.record(ws, fresh, [ws.timeline_json], started_at=began)
    return AssembleReport(timeline, changed=changed)
