"""Assemble: turn the manifest's cut list (or its finished master) into `timeline.json`.

Cut points are written by editors in each clip's own source timecode (30-frame counting for a
29.97 phone clip); here they become frames of the house-rate working copies, and the cuts between
events plus the shot changes inside them become programme-time shot changes for subtitles.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .. import fsutil
from ..errors import ManifestError, WorkspaceError
from ..manifest import Programme
from ..media.probe import media_info_from_dict
from ..timecode import Timecode
from ..timeline import Segment, Timeline
from ..workspace import Workspace
from .ingest import MASTER_CLIP_ID


@dataclass(frozen=True)
class AssembleReport:
    timeline: Timeline
    changed: bool

    def to_dict(self) -> dict[str, object]:
        return {"programme": self.timeline.programme_id, "changed": self.changed,
                "duration_ms": self.timeline.duration_ms, "segments": len(self.timeline.segments)}


def _clip_meta(ws: Workspace, clip_id: str) -> dict[str, object]:
    path = ws.ingest_dir(clip_id) / "ingest.json"
    if not path.exists():
        raise WorkspaceError(f"clip {clip_id!r} has not been ingested", path=path,
                             hint="run `reportage ingest MANIFEST` and fix the clip's errors first")
    data: dict[str, object] = fsutil.read_json(path)
    return data


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
    events: list[tuple[str, str | None, str | None, str]] = []
    if programme.manifest.timeline.master:
        events.append((MASTER_CLIP_ID, None, None, "timeline.master"))
    for index, event in enumerate(programme.manifest.timeline.cut or []):
        events.append((event.clip, event.in_, event.out, f"timeline.cut[{index}]"))
    for clip_id, tc_in, tc_out, field in events:
        meta = _clip_meta(ws, clip_id)
        info = media_info_from_dict(fsutil.read_json(ws.probe_json(clip_id)))
        clip_rate = info.rate if info.video else rate
        clip_frames = round(Fraction(int(meta["duration_ms"]), 1000) * rate)  # type: ignore[call-overload]
        try:
            in_ms = Timecode.parse(tc_in, clip_rate).ms if tc_in else 0
            out_ms = Timecode.parse(tc_out, clip_rate).ms if tc_out else int(meta["duration_ms"])  # type: ignore[call-overload]
        except ValueError as exc:
            raise ManifestError(f"{field}: {exc}", path=programme.manifest_path) from exc
        src_in = round(Fraction(in_ms, 1000) * rate)
        src_out = min(round(Fraction(out_ms, 1000) * rate), clip_frames)
        if src_out <= src_in:
            raise ManifestError(f"{field} selects no frames of clip {clip_id}", path=programme.manifest_path)
        segment = Segment(clip_id, str(meta["working_copy"]), src_in, src_out, rec, bool(meta["has_audio"]))
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
    timeline = build_timeline(programme, ws)
    return AssembleReport(timeline, changed=fsutil.write_json_if_changed(ws.timeline_json, timeline.to_dict()))
