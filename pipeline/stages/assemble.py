"""Assemble: turn the manifest's cut list, its NLE edit (pipeline/nle) or its finished master into
`timeline.json`.

Cut points are written by editors in each clip's own source timecode (30-frame counting for a
29.97 phone clip); here they become frames of the house-rate working copies, and the cuts between
events plus the shot changes inside them become programme-time shot changes for subtitles. A clip
with no picture (a voice-over WAV) cannot be an event of the picture: it is refused here, naming the
manifest, the event and the clip, rather than failing later inside the render's filtergraph.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .. import fsutil, stagerun
from ..errors import ManifestError
from ..manifest import MASTER_CLIP_ID, Programme
from ..nle.importer import import_edit
from ..records.ingest import read_ingest_record
from ..records.probe import read_probe
from ..records.shots import read_shots
from ..stagerun import Work
from ..timecode import Timecode
from ..timeline import Segment, Timeline
from ..workspace import Workspace

STAGE = "assemble"
VERSION = 1
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settings:
    """Assemble has no options: the manifest's timeline says it all."""


def settings(programme: Programme | None = None, **options: Any) -> Settings:
    """The stage's settings (it has none of its own)."""
    return Settings(**options)


@dataclass(frozen=True)
class AssembleReport:
    timeline: Timeline
    changed: bool
    notes: tuple[str, ...] = ()
    """What an imported edit had that the programme leaves out or plays differently."""

    @property
    def ok(self) -> bool:
        return True

    @property
    def up_to_date(self) -> bool:
        return not self.changed

    def to_dict(self) -> dict[str, object]:
        return {"programme": self.timeline.programme_id, "ok": True, "up_to_date": self.up_to_date,
                "changed": self.changed, "duration_ms": self.timeline.duration_ms,
                "segments": len(self.timeline.segments), "notes": list(self.notes)}


def _events(programme: Programme) -> list[tuple[str, str | None, str | None, str]]:
    spec = programme.timeline_spec
    events: list[tuple[str, str | None, str | None, str]] = []
    if spec.master:
        events.append((MASTER_CLIP_ID, None, None, "timeline.master"))
    for index, event in enumerate(spec.cut or []):
        events.append((event.clip, event.in_, event.out, f"timeline.cut[{index}]"))
    return events


def plan(programme: Programme, ws: Workspace, settings: Settings | None = None) -> dict[str, Any]:
    """The timeline spec (and the edit file's content), the house format, and the ingest records and
    shot lists of the clips it uses (every clip of the footage for an edit, which names them itself)."""
    edit = programme.edit_path
    if edit is not None:
        used = sorted(src.clip_id for src in programme.sources())
    else:
        used = sorted({clip_id for clip_id, *_ in _events(programme)})
    return {stagerun.PROGRAMME: {
        "timeline": _spec_inputs(programme),
        **({"edit": stagerun.content_hash(ws, edit) if edit.is_file() else None} if edit is not None else {}),
        "house": programme.manifest.house.model_dump(mode="json"),
        "clips": {c: fsutil.sha256_file(p) if (p := ws.ingest_dir(c) / "ingest.json").is_file() else None
                  for c in used},
        "shots": {c: fsutil.sha256_file(ws.shots_json(c)) if ws.shots_json(c).is_file() else None for c in used},
    }}


def _spec_inputs(programme: Programme) -> dict[str, Any]:
    """The `timeline:` field as data; the edit fields only when used, so a cut list's inputs (and its
    freshness) read as they did before edits existed."""
    spec = programme.timeline_spec.model_dump(mode="json", by_alias=True)
    for key in ("edit", "format"):
        if spec.get(key) is None:
            spec.pop(key, None)
    return spec


def make(programme: Programme, ws: Workspace, settings: Settings, work: Work) -> AssembleReport:
    """The registry's entry point: `assemble_programme`."""
    return assemble_programme(programme, ws, work)


def proceed(programme: Programme, report: AssembleReport) -> bool:
    return report.ok


def _clip_cuts(ws: Workspace, clip_id: str) -> list[int]:
    shots = read_shots(ws, clip_id)
    return list(shots.cuts_ms) if shots is not None else []


def build_timeline(programme: Programme, ws: Workspace) -> Timeline:
    """The timeline from the manifest and what ingest recorded (pure apart from reading the workspace)."""
    return _build(programme, ws)[0]


def _build(programme: Programme, ws: Workspace) -> tuple[Timeline, tuple[str, ...]]:
    edit = programme.edit_path
    if edit is not None:
        placed = import_edit(programme, ws, edit)
        timeline = Timeline(programme.id, programme.rate, programme.manifest.house.width,
                            programme.manifest.house.height, programme.manifest.house.sample_rate, placed.segments,
                            _shot_changes(ws, placed.segments, programme.rate), placed.transitions, placed.markers,
                            placed.audio)
        return timeline, placed.notes
    return _from_cut_list(programme, ws), ()


def _shot_changes(ws: Workspace, segments: tuple[Segment, ...], rate: Fraction) -> tuple[int, ...]:
    """The cuts between segments and the shot changes inside each, in programme milliseconds."""
    changes: list[int] = []
    for seg in segments:
        rec_ms = round(Fraction(seg.rec_in_frame) / rate * 1000)
        in_ms = round(Fraction(seg.src_in_frame) / rate * 1000)
        out_ms = round(Fraction(seg.src_out_frame) / rate * 1000)
        if seg.rec_in_frame > 0:
            changes.append(rec_ms)
        changes += [rec_ms + cut - in_ms for cut in _clip_cuts(ws, seg.clip_id) if in_ms < cut < out_ms]
    return tuple(sorted(set(changes)))


def _from_cut_list(programme: Programme, ws: Workspace) -> Timeline:
    house = programme.manifest.house
    rate = house.rate
    segments: list[Segment] = []
    shot_changes: list[int] = []
    rec = 0
    for clip_id, tc_in, tc_out, field in _events(programme):
        meta = read_ingest_record(ws, clip_id)
        info = read_probe(ws, clip_id)
        if info.video is None and clip_id != MASTER_CLIP_ID:
            raise ManifestError(f"{field}: clip {clip_id!r} is audio only (no picture); an event of the cut "
                                "list must be a picture clip", path=programme.manifest_path,
                                hint="cut it with a clip that has picture, or leave it in `footage:` only")
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


def assemble_programme(programme: Programme, ws: Workspace, work: Work | None = None) -> AssembleReport:
    """Write timeline.json; leave the file untouched when nothing changed."""
    began = time.time()
    work = work or Work.of(ws, STAGE, VERSION)
    fresh = work.check(stagerun.PROGRAMME, plan(programme, ws)[stagerun.PROGRAMME], [ws.timeline_json])
    if fresh.fresh:
        try:
            return AssembleReport(Timeline.from_dict(fsutil.read_json(ws.timeline_json)), changed=False)
        except (OSError, ValueError, KeyError, TypeError):
            pass  # an unreadable timeline is simply built again
    timeline, notes = _build(programme, ws)
    for note in notes:
        log.warning("%s: %s", programme.manifest_path.name, note)
    changed = fsutil.write_json_if_changed(ws.timeline_json, timeline.to_dict())
    work.done(fresh, [ws.timeline_json], started_at=began)
    return AssembleReport(timeline, changed=changed, notes=notes)
