"""Conform: house-format working copies of the clips the timeline uses, made after the edit exists.

Ingest makes what an editor needs to find and cut footage (probe, checksum, proxy, ASR audio,
thumbnails, shots) from one decode, so a card is searchable soon after it is copied. The working
copy — deinterlaced, CFR at the house rate, rotation applied, 48 kHz stereo — is what the render
cuts from. It is the dearest output by far (a 1080 H.264 encode, about four times a bare decode) and
only the clips in the cut need one, so it is made here, for those clips only: the online of an
offline edit. A clip whose source already matches the house format is cut from the source itself.

Freshness is per clip: the ingest key (the source's SHA-256, the house format, ffmpeg's version) and
this stage's version. A source changed since ingest is refused, not conformed under a stale key.
"""

from __future__ import annotations

import contextlib
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import fsutil, stagerun
from ..catalogue import Catalogue
from ..errors import MediaError, ReportageError, WorkspaceError
from ..manifest import Programme
from ..media import ffmpeg
from ..media.clipwork import check_complete, clips_at_once
from ..media.ingest_args import IngestOutputs, ingest_args
from ..media.probe import MediaInfo
from ..progress import Progress, ProgressFn, ignore
from ..records.ingest import IngestRecord, ingest_record_path, read_ingest_record
from ..records.probe import read_probe
from ..stagerun import Work
from ..timeline import load_timeline
from ..workspace import Workspace

log = logging.getLogger(__name__)

STAGE = "conform"
VERSION = 2  # 2: the version keyed by the runner, no longer among the inputs


@dataclass(frozen=True)
class Settings:
    """Conform has no options: the house format and the ingest settings decide the working copy."""


def settings(programme: Programme | None = None, **options: Any) -> Settings:
    """The stage's settings (it has none of its own)."""
    return Settings(**options)


@dataclass(frozen=True)
class ConformOutcome:
    clip_id: str
    status: str  # conformed | up to date | not needed | failed
    reasons: tuple[str, ...] = ()
    seconds: float = 0.0
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__, reasons=list(self.reasons))


@dataclass
class ConformReport:
    programme_id: str
    clips: list[ConformOutcome] = field(default_factory=list)

    @property
    def failed(self) -> list[ConformOutcome]:
        return [c for c in self.clips if c.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def up_to_date(self) -> bool:
        return all(c.status in ("up to date", "not needed") for c in self.clips)

    @property
    def stop_reason(self) -> str:
        return "clips the timeline needs have no working copy: " + ", ".join(c.clip_id for c in self.failed)

    def to_dict(self) -> dict[str, Any]:
        return {"programme": self.programme_id, "ok": self.ok, "up_to_date": self.up_to_date,
                "failed": len(self.failed), "clips": [c.to_dict() for c in self.clips]}


def timeline_clips(ws: Workspace) -> list[str]:
    """The clips the assembled timeline decodes (picture and the edit's own sound), in order; none
    before assemble has run."""
    if not ws.timeline_json.is_file():
        return []
    try:
        timeline = load_timeline(ws.timeline_json)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise WorkspaceError(f"the timeline cannot be read: {exc}", path=ws.timeline_json,
                             hint="run `reportage assemble MANIFEST` again") from exc
    return list(dict.fromkeys(seg.clip_id for seg in timeline.decoded()))


def _record(ws: Workspace, clip_id: str) -> IngestRecord:
    if not ingest_record_path(ws, clip_id).is_file():
        raise WorkspaceError(f"clip {clip_id} is not ingested", path=ws.ingest_dir(clip_id),
                             hint="run `reportage ingest MANIFEST` first")
    return read_ingest_record(ws, clip_id)


def _clip_inputs(record: IngestRecord) -> dict[str, Any]:
    return {"ingest": record.content_key}


def plan(programme: Programme, ws: Workspace, settings: Settings | None = None) -> dict[str, Any]:
    """`{clip id: inputs}` for every timeline clip that needs a working copy."""
    out: dict[str, Any] = {}
    for clip_id in timeline_clips(ws):
        with contextlib.suppress(ReportageError, OSError, ValueError, KeyError):
            record = _record(ws, clip_id)
            if record.conformed:
                out[clip_id] = _clip_inputs(record)
    return out


def make(programme: Programme, ws: Workspace, settings: Settings, work: Work) -> ConformReport:
    """The registry's entry point: `conform_programme`."""
    return conform_programme(programme, ws, work.progress, work)


def proceed(programme: Programme, report: ConformReport) -> bool:
    return report.ok


def conform_programme(programme: Programme, ws: Workspace, progress: ProgressFn = ignore,
                      work: Work | None = None) -> ConformReport:
    """Make the missing or stale working copies of the timeline's clips."""
    clip_ids = timeline_clips(ws)
    if not clip_ids:
        raise WorkspaceError("there is no timeline to conform", path=ws.timeline_json,
                             hint="run `reportage assemble MANIFEST` first")
    return conform_clips(programme, ws, clip_ids, progress, work)


def conform_clips(programme: Programme, ws: Workspace, clip_ids: list[str],
                  progress: ProgressFn = ignore, work: Work | None = None) -> ConformReport:
    """Make the working copies of `clip_ids` that need one and lack a fresh one, two clips at a time,
    the longest first; a clip that fails is reported and the others go on."""
    report = ConformReport(programme.id)
    ledger = work or Work.of(ws, STAGE, VERSION)

    def one(clip_id: str) -> ConformOutcome:
        return _conform_one(programme, ws, clip_id, progress, ledger)

    with ThreadPoolExecutor(max_workers=clips_at_once(), thread_name_prefix="conform") as pool:
        started = {c: pool.submit(one, c) for c in sorted(clip_ids, key=lambda c: _duration(ws, c), reverse=True)}
        report.clips = [started[c].result() for c in clip_ids]
    return report


def _duration(ws: Workspace, clip_id: str) -> int:
    with contextlib.suppress(ReportageError, OSError, ValueError, KeyError):
        return _record(ws, clip_id).duration_ms
    return 0


def _conform_one(programme: Programme, ws: Workspace, clip_id: str, progress: ProgressFn,
                 work: Work) -> ConformOutcome:
    began = time.monotonic()
    try:
        for path in fsutil.clear_leftovers(ws.conform(clip_id)):  # a killed conform's `.conform.*.part.mov`
            log.info("deleted %s, left by an interrupted conform", path)
        record = _record(ws, clip_id)
        if not record.conformed:
            return ConformOutcome(clip_id, "not needed")
        fresh = work.check(clip_id, _clip_inputs(record), [ws.conform(clip_id)])
        if fresh.fresh:
            return ConformOutcome(clip_id, "up to date", record.conform_reasons)
        if _made_by_ingest(ws, record):
            work.done(fresh, [ws.conform(clip_id)])
            return ConformOutcome(clip_id, "up to date", record.conform_reasons)
        wall = time.time()
        _make_working_copy(programme, ws, record, progress)
        work.done(fresh, [ws.conform(clip_id)], started_at=wall)
        return ConformOutcome(clip_id, "conformed", record.conform_reasons, round(time.monotonic() - began, 2))
    except ReportageError as exc:
        message = exc.one_line()
    except OSError as exc:  # a full disk or a folder that cannot be written: this clip fails, cleanly
        message = f"{exc.filename or ws.conform(clip_id)}: {exc.strerror or exc}"
    except Exception as exc:  # one bad clip must not stop the others
        log.debug("unexpected failure conforming %s", clip_id, exc_info=True)
        message = f"{clip_id}: unexpected error: {exc}"
    with contextlib.suppress(ReportageError):
        work.failed(clip_id, message)
    return ConformOutcome(clip_id, "failed", error=message, seconds=round(time.monotonic() - began, 2))


def _made_by_ingest(ws: Workspace, record: IngestRecord) -> bool:
    """A working copy an earlier version of ingest made in the same run that wrote this record (the
    same key): the same file conform would make, so it is kept, not encoded again."""
    with Catalogue(ws.catalogue_path) as cat:
        last = cat.last_done("ingest", record.clip_id)
    made = ws.conform(record.clip_id)
    return (last is not None and last.inputs_hash == record.content_key and made.is_file()
            and any(Path(ws.dir, out) == made for out in last.outputs))


def _make_working_copy(programme: Programme, ws: Workspace, record: IngestRecord, progress: ProgressFn) -> None:
    """One decode of the source into the working copy alone, at ingest's presets; written to a
    temporary name, checked complete, then renamed into place."""
    source = record.source_path(ws)
    if not source.is_file():
        raise MediaError("file not found", path=source,
                         hint="put the footage back where the manifest says, or run `reportage ingest` again")
    if stagerun.content_hash(ws, source) != record.sha256:
        raise MediaError("the file changed since it was ingested", path=source,
                         hint="run `reportage ingest MANIFEST` again, then conform")
    info: MediaInfo = read_probe(ws, record.clip_id)
    seconds = record.duration_ms / 1000
    task = f"conform {record.clip_id}"
    with fsutil.atomic_path(ws.conform(record.clip_id), min_bytes=1) as tmp:
        args = ingest_args(info, source, programme.house, IngestOutputs(tmp, None, None))
        ffmpeg.run_ffmpeg(args, duration_s=seconds, subject=source,
                          progress=lambda f: progress(Progress(task, f * seconds, seconds)))
        check_complete(source, info, tmp)
