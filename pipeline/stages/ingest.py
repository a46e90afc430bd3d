"""Ingest: turn every source file into facts and media an editor can search, look at and cut from.

Per clip: probe, SHA-256 of the original (read only), a 540p review proxy, 16 kHz mono audio for
speech recognition, a poster frame, a thumbnail strip and a shot list — all recorded in the
catalogue. A bad clip fails alone. Everything but the probe comes from one decode
(`media.ingest_args.ingest_args`); the checksum of a file never read before is taken while ffmpeg
decodes it, from the same pages of the disk cache. Ingest also decides whether a clip needs a
house-format working copy and why (`conform_reasons`); the conform stage makes it, after the edit,
for the clips the timeline uses.
An audio-only source (a voice-over) has no picture: it gets the probe, the checksum and the ASR
audio; its outcome says what it lacks.

A clip that ingests but will not look or sound right is warned about by name, with the fix
(`clip_warnings`, kept in its ingest record so a rerun says it again): damage the decode met (ffmpeg's
decoding errors, counted from its log: `media.ffmpeg.decode_errors`), and a picture too small to be
footage (under `MIN_PICTURE`) or that the house format would blow up more than `MAX_UPSCALE` times.

Freshness is per clip and keyed on content: the source's SHA-256 (read again only when its size or
mtime changed), the house format, the settings and ffmpeg's version. A `touch`ed source is hashed
again, found the same, and not ingested again. Clips no longer in the manifest lose their ingest
folder and catalogue entry.

A source that changes while it is read (a copy from the card still running) is refused: its size
and modification time are taken before anything reads it and checked again after the checksum and
after the decode, so no checksum or proxy of a partial file is ever recorded. A killed ingest leaves
no ffmpeg behind (`media.ffmpeg`: children die with their parent) and its temporaries in a clip's
folder are deleted when that clip is next worked on (`clear_leftovers`).
"""

from __future__ import annotations

import contextlib
import logging
import math
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import fsutil, stagerun, validate
from ..catalogue import Catalogue, ClipRecord
from ..errors import Failure, MediaError, ReportageError
from ..manifest import MASTER_CLIP_ID, Programme, SourceClip
from ..media import ffmpeg
from ..media.clipwork import check_complete, clips_at_once
from ..media.extensions import AUDIO_EXTS
from ..media.ingest_args import House, IngestOutputs, conform_reasons, ingest_args, read_shot_log
from ..media.probe import MediaInfo, probe
from ..progress import Progress, ProgressFn, ignore
from ..records.ingest import IngestRecord, ingest_record_path, read_ingest_record, write_ingest_record
from ..records.probe import probe_path, read_probe, write_probe
from ..records.shots import ShotList, write_shots
from ..stagerun import Work
from ..workspace import Workspace

log = logging.getLogger(__name__)

VERSION = 5  # 5: keyed by the runner (4 was among the inputs)
AUDIO_ONLY_VERSION = 2
STAGE = "ingest"
MIN_PICTURE = 64
"""A picture narrower or lower than this many pixels is no camera's: a thumbnail or a broken export."""
MAX_UPSCALE = 8.0
"""Scaled up more than this many times to fit the house format, a picture is a blur of blocks."""


@dataclass(frozen=True)
class Settings:
    """Options that change ingest outputs (and so belong in the up-to-date key)."""

    thumbnails: int = 8
    shot_threshold: float = 20.0
    """scdet's score (0–100) between two frames of 16×9 block averages that counts as a cut."""
    detect_shots: bool = True


@dataclass(frozen=True)
class ClipOutcome:
    clip_id: str
    source: str
    status: str  # ingested | up to date | failed | removed
    summary: str = ""
    duration_ms: int = 0
    conformed: bool = False
    conform_reasons: tuple[str, ...] = ()
    shot_count: int = 0
    has_audio: bool = False
    error: str | None = None  # the failure's printed line
    seconds: float = 0.0
    has_video: bool = True
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()  # ingested, but it will not look or sound right: each names the file and the fix
    failure: Failure | None = None  # why it failed, as fields: readers take the fix from here, not from `error`

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__, conform_reasons=list(self.conform_reasons), notes=list(self.notes),
                    warnings=list(self.warnings), failure=self.failure.to_json() if self.failure else None)


AUDIO_ONLY_NOTE = "audio only: no proxy, poster, thumbnails or shot list"


@dataclass
class IngestReport:
    programme_id: str
    clips: list[ClipOutcome] = field(default_factory=list)
    timeline_problems: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[ClipOutcome]:
        return [c for c in self.clips if c.status == "failed"]

    @property
    def up_to_date(self) -> bool:
        return all(c.status == "up to date" for c in self.clips)

    @property
    def warnings(self) -> list[str]:
        """Every clip's warnings, in clip order."""
        return [w for c in self.clips for w in c.warnings]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.timeline_problems

    @property
    def stop_reason(self) -> str:
        """Why the later stages cannot run on this ingest (empty when they can)."""
        if self.timeline_problems:
            return "the cut list has problems: " + "; ".join(self.timeline_problems)
        return "clips the timeline needs failed to ingest: " + ", ".join(c.clip_id for c in self.failed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "programme": self.programme_id,
            "clips": [c.to_dict() for c in self.clips],
            "ok": self.ok,
            "up_to_date": self.up_to_date,
            "failed": len(self.failed),
            "timeline_problems": self.timeline_problems,
            "warnings": self.warnings,
        }


def settings(programme: Programme | None = None, **options: Any) -> Settings:
    """The stage's settings (thumbnails, shot detection)."""
    return Settings(**options)


def plan(programme: Programme, ws: Workspace, settings: Settings | None = None,
         clips: tuple[str, ...] | None = None) -> dict[str, Any]:
    """`{clip id: inputs}` for every source (or those in `clips`); a missing file has inputs None."""
    settings = settings or Settings()
    house = programme.house
    tool = ffmpeg.version()
    out: dict[str, Any] = {}
    for src in programme.clips():
        if clips is not None and src.clip_id not in clips:
            continue
        out[src.clip_id] = _clip_inputs(ws, src, house, settings, tool) if src.path.is_file() else None
    return out


def _clip_inputs(ws: Workspace, src: SourceClip, house: House, settings: Settings, tool: str) -> dict[str, Any]:
    inputs: dict[str, Any] = {
        "source_sha256": stagerun.content_hash(ws, src.path),
        "house": [house.width, house.height, str(house.rate), house.sample_rate],
        "settings": settings.__dict__, "ffmpeg": tool,
    }
    if src.path.suffix.lower() in AUDIO_EXTS:  # voice-overs gained a working copy: only they re-ingest
        inputs["audio_only_version"] = AUDIO_ONLY_VERSION
    return inputs


def make(programme: Programme, ws: Workspace, settings: Settings, work: Work) -> IngestReport:
    """The registry's entry point: `ingest_programme`."""
    return ingest_programme(programme, ws, settings, work.progress, clips=work.clips, on_clip=work.on_clip, work=work)


def proceed(programme: Programme, report: IngestReport) -> bool:
    """Later stages can run unless the cut list is wrong or a clip it uses failed."""
    used = timeline_clip_ids(programme)
    return not report.timeline_problems and not any(c.clip_id in used for c in report.failed)


def timeline_clip_ids(programme: Programme) -> set[str]:
    """The clips the programme's timeline uses (none before the edit exists)."""
    if programme.manifest.timeline is None:
        return set()
    if programme.manifest.timeline.master:
        return {MASTER_CLIP_ID}
    return {event.clip for event in programme.cut}


def ingest_programme(
    programme: Programme,
    ws: Workspace,
    settings: Settings | None = None,
    progress: ProgressFn = ignore,
    *,
    clips: tuple[str, ...] | None = None,
    on_clip: Callable[[ClipOutcome], None] | None = None,
    work: Work | None = None,
) -> IngestReport:
    """Ingest every source of `programme` (or the clips named in `clips`) into `ws`; failures are
    recorded per clip, never raised. With every clip, those no longer in the manifest are forgotten.
    `on_clip` sees each clip's outcome as soon as that clip is done (the walk starts its
    transcription then, so a card is searchable clip by clip)."""
    settings = settings or Settings()
    work = work or Work.of(ws, STAGE, VERSION)
    ws.ensure()
    report = IngestReport(programme.id)
    house = programme.house
    sources = programme.clips()
    if not sources:
        raise MediaError("no footage files matched", path=programme.manifest_path,
                         hint="check the `footage:` paths and globs")
    if clips is not None:
        unknown = sorted(set(clips) - {s.clip_id for s in sources})
        if unknown:
            raise MediaError(f"no clip {', '.join(map(repr, unknown))} in the footage", path=programme.manifest_path,
                             hint="clip ids: " + ", ".join(s.clip_id for s in sources))
        sources = [s for s in sources if s.clip_id in clips]
    tool = ffmpeg.version()
    if clips is None and programme.cut:
        early = _probed_before_encoding(programme, ws, sources)
        if early:  # nothing encoded: the manifest's fix takes seconds, the encodes minutes
            report.timeline_problems = early
            return report
    with ThreadPoolExecutor(max_workers=clips_at_once(), thread_name_prefix="ingest") as pool:
        # The biggest files start first, so no long clip is left running alone at the end.
        def one(src: SourceClip) -> ClipOutcome:
            outcome = _ingest_one(src, ws, house, settings, tool, progress, work)
            if on_clip is not None:
                on_clip(outcome)
            return outcome

        started = {src.clip_id: pool.submit(one, src) for src in sorted(sources, key=_size, reverse=True)}
        report.clips += [started[src.clip_id].result() for src in sources]
    if clips is None:
        report.clips += _forget_removed(ws, {s.clip_id for s in sources}, work)
    durations = {c.clip_id: (c.duration_ms, c.source) for c in report.clips if c.status not in ("failed", "removed")}
    if clips is None:
        report.timeline_problems = _timeline_problems(programme, ws, durations)
    return report


def _size(src: SourceClip) -> int:
    try:
        return src.path.stat().st_size
    except OSError:
        return 0


def _forget_removed(ws: Workspace, keep: set[str], work: Work) -> list[ClipOutcome]:
    """Delete the ingest folders and catalogue entries of clips the manifest no longer lists."""
    with Catalogue(ws.catalogue_path) as cat:
        gone = set(cat.remove_clips_except(keep))
    base = ws.dir / "ingest"
    if base.is_dir():
        gone |= {p.name for p in base.iterdir() if p.is_dir() and p.name not in keep}
    outcomes = []
    for clip_id in sorted(gone):
        shutil.rmtree(ws.ingest_dir(clip_id), ignore_errors=True)
        work.forget(clip_id)
        outcomes.append(ClipOutcome(clip_id, "", "removed", "no longer in the manifest"))
    return outcomes


def _probed_before_encoding(programme: Programme, ws: Workspace, sources: list[SourceClip]) -> list[str]:
    """What probing the cut's clips proves wrong (cut points past a clip's end at its own rate, an
    audio-only clip in the picture), all at once, before any clip is encoded. A clip already ingested
    is read from its probe; one that cannot be probed is left to fail on its own, with its own error."""
    used = {event.clip for event in programme.cut}
    infos: dict[str, MediaInfo] = {}
    for src in sources:
        if src.clip_id not in used or not src.path.is_file():
            continue
        with contextlib.suppress(ReportageError, OSError, ValueError, KeyError):
            known = probe_path(ws, src.clip_id).is_file()
            infos[src.clip_id] = read_probe(ws, src.clip_id) if known else probe(src.path)
    return [f"{programme.manifest_path.name}: {p}" for p in validate.probed_problems(programme, infos,
                                                                                     skip_unprobed=True)]


def _timeline_problems(programme: Programme, ws: Workspace, ok: dict[str, tuple[int, str]]) -> list[str]:
    """The probe checks again on what ingest produced (also for clips that failed to ingest)."""
    if not programme.cut and not (programme.manifest.timeline and programme.manifest.timeline.master):
        return []
    infos = {clip_id: read_probe(ws, clip_id) for clip_id in ok if probe_path(ws, clip_id).is_file()}
    failed = frozenset({s.clip_id for s in programme.clips()} - set(ok))
    return [f"{programme.manifest_path.name}: {p}" for p in validate.probed_problems(programme, infos, failed)]


def _has_video(rec: ClipRecord) -> bool:
    return rec.width is not None


def _outputs_present(ws: Workspace, rec: ClipRecord) -> bool:
    needed = [ws.probe_json(rec.clip_id), ingest_record_path(ws, rec.clip_id)]
    if _has_video(rec):
        needed.append(ws.proxy(rec.clip_id))
    if rec.has_audio:
        needed.append(ws.audio16k(rec.clip_id))
    return all(p.exists() for p in needed)


def _ingest_one(src: SourceClip, ws: Workspace, house: House, settings: Settings, tool: str,
                progress: ProgressFn, work: Work) -> ClipOutcome:
    started = time.monotonic()
    try:
        clear_leftovers(ws, src.clip_id)
        if not src.path.exists():
            raise MediaError("file not found", path=src.path, hint=f"check `{src.declared_as}` in the manifest")
        # Never ingested and never read: nothing to compare with, so the checksum is read alongside
        # the decode, not before it.
        first_time = work.never_done(src.clip_id) and stagerun.known_hash(ws, src.path) is None
        fresh = None if first_time else work.check(src.clip_id, _clip_inputs(ws, src, house, settings, tool))
        with Catalogue(ws.catalogue_path) as cat:
            previous = cat.clip(src.clip_id)
        if fresh and fresh.fresh and previous and previous.status == "ok" and _outputs_present(ws, previous):
            video = _has_video(previous)
            return ClipOutcome(
                src.clip_id, str(src.path), "up to date", previous.summary or "", previous.duration_ms or 0,
                bool(previous.conformed), (), previous.shot_count or 0, bool(previous.has_audio),
                has_video=video, notes=() if video else (AUDIO_ONLY_NOTE,), warnings=_recorded_warnings(ws, src),
            )
        if fresh is None or fresh.previous is None or fresh.previous.inputs_hash != fresh.key:
            # The source or the house format changed: a working copy of what they were must not
            # be cut from, even if this ingest fails. Conform makes it again.
            ws.conform(src.clip_id).unlink(missing_ok=True)
        outcome = _do_ingest(src, ws, house, settings, tool, progress, work)
        return ClipOutcome(**{**outcome.__dict__, "seconds": round(time.monotonic() - started, 2)})
    except ReportageError as exc:
        return _failed(src, ws, work, exc.failure(), started)
    except OSError as exc:  # a full disk or a folder that cannot be written: this clip fails, cleanly
        where = exc.filename or src.path
        return _failed(src, ws, work, Failure(str(exc.strerror or exc), str(where)), started)
    except Exception as exc:  # one bad clip must not stop the batch
        log.debug("unexpected failure ingesting %s", src.path, exc_info=True)
        return _failed(src, ws, work, Failure(f"unexpected error: {exc}", str(src.path)), started)


def own_outputs(ws: Workspace, clip_id: str) -> list[Path]:
    """Every file ingest writes into a clip's ingest folder (not conform's working copy)."""
    return [ws.probe_json(clip_id), ingest_record_path(ws, clip_id), ws.proxy(clip_id), ws.audio16k(clip_id),
            ws.poster(clip_id), ws.thumbs(clip_id), ws.shots_json(clip_id)]


def clear_leftovers(ws: Workspace, clip_id: str) -> list[Path]:
    """Delete the temporaries of ingest's own outputs that a killed ingest left in the clip's folder
    (`.proxy.*.part.mp4`, `.audio16k.*.part.wav`, `.shots.scratch.*.part.txt` …: `fsutil`'s temporary
    names); nothing else there is touched. Only one process works on a programme at a time (its lock),
    so a temporary found here before the clip's work starts is nobody's."""
    if not ws.ingest_dir(clip_id).is_dir():
        return []
    gone = [path for target in own_outputs(ws, clip_id) for path in fsutil.clear_leftovers(target)]
    for path in gone:
        log.info("deleted %s, left by an interrupted ingest", path)
    return gone


def _failed(src: SourceClip, ws: Workspace, work: Work, failure: Failure, started: float) -> ClipOutcome:
    message = failure.line()
    with contextlib.suppress(ReportageError):  # the catalogue itself may be what cannot be written
        with Catalogue(ws.catalogue_path) as cat:
            cat.upsert_clip(ClipRecord(src.clip_id, str(src.path), "failed", error=message))
        work.failed(src.clip_id, message)
    return ClipOutcome(src.clip_id, str(src.path), "failed", error=message,
                       seconds=round(time.monotonic() - started, 2), failure=failure)


def _do_ingest(src: SourceClip, ws: Workspace, house: House, settings: Settings, tool: str,
               progress: ProgressFn, work: Work) -> ClipOutcome:
    wall = time.time()
    task = f"ingest {src.clip_id}"
    stat = src.path.stat()  # before anything reads it: a file that changes from here on is refused
    info = probe(src.path)
    reasons = conform_reasons(info, house)
    folder = ws.ingest_dir(src.clip_id)
    folder.mkdir(parents=True, exist_ok=True)
    want_conform = bool(reasons)
    duration_s = (info.duration_ms or 0) / 1000
    picture = info.video is not None
    with contextlib.ExitStack() as stack:
        def media_out(target: Path) -> Path:
            return stack.enter_context(fsutil.atomic_path(target, min_bytes=1))

        proxy_tmp = media_out(ws.proxy(src.clip_id)) if picture else None
        audio_tmp = media_out(ws.audio16k(src.clip_id)) if info.audio else None
        poster_tmp = media_out(ws.poster(src.clip_id)) if picture else None
        strip_tmp = media_out(ws.thumbs(src.clip_id)) if picture else None
        shot_log = stack.enter_context(fsutil.temporary_beside(ws.shots_json(src.clip_id), ".txt")) \
            if picture and settings.detect_shots else None
        args = ingest_args(info, src.path, house, IngestOutputs(
            None, proxy_tmp, audio_tmp, poster_tmp, strip_tmp, shot_log,
            settings.thumbnails, settings.shot_threshold))
        with stagerun.hashing_alongside(ws, src.path) as checksum:
            log_text = ffmpeg.run_ffmpeg(
                [*ffmpeg.COUNTED_LOG, *args], duration_s=duration_s, subject=src.path,
                progress=lambda f: progress(Progress(task, f * duration_s, duration_s)),
            )
        sha = checksum()
        # A file still being copied onto the disk decoded and hashed as far as it had come: refuse it
        # rather than record a checksum and media of bytes that are not the file.
        fsutil.refuse_if_changed(src.path, stat, "while it was being ingested")
        check_complete(src.path, info, proxy_tmp or audio_tmp)
        fresh = work.check(src.clip_id, _clip_inputs(ws, src, house, settings, tool))
        shot_cuts = read_shot_log(shot_log, info.duration_ms or 0) if shot_log else []
    if not picture:  # left from an earlier version of this clip that had a picture
        for kind in (ws.proxy, ws.poster, ws.thumbs, ws.shots_json):
            kind(src.clip_id).unlink(missing_ok=True)
    else:
        write_shots(ws, src.clip_id, ShotList.of(shot_cuts, info.duration_ms or 0, house.rate))
    warnings = clip_warnings(src, info, house, ffmpeg.decode_errors(log_text))
    for warning in warnings:
        log.info("%s", warning)  # the report says it (`reportage ingest` prints it); -v logs it as it happens
    write_probe(ws, src.clip_id, info)
    video = info.video
    record = ClipRecord(
        clip_id=src.clip_id, source=str(src.path), status="ok",
        size_bytes=stat.st_size, mtime_ns=stat.st_mtime_ns, sha256=sha,
        summary=info.summary(), duration_ms=info.duration_ms,
        fps=f"{info.rate.numerator}/{info.rate.denominator}" if video else None,
        width=video.display_size[0] if video else None, height=video.display_size[1] if video else None,
        scan=(video.field_order if video and video.interlaced else "progressive") if video else None,
        vfr=info.vfr, rotation=video.rotation if video else None, has_audio=info.has_audio,
        conformed=want_conform, shot_count=len(shot_cuts) + 1 if video else 0, ingest_key=fresh.key,
        probe_json=None,
    )
    write_ingest_record(ws, IngestRecord(
        clip_id=src.clip_id, source=ws.stored(src.path), sha256=sha, content_key=fresh.key, has_audio=info.has_audio,
        duration_ms=info.duration_ms or 0,
        fps=record.fps or f"{house.rate.numerator}/{house.rate.denominator}",
        programme_fps=f"{house.rate.numerator}/{house.rate.denominator}",
        conformed=want_conform, conform_reasons=tuple(reasons),
        working_copy=ws.stored(ws.conform(src.clip_id) if want_conform else src.path), summary=info.summary(),
        has_video=video is not None, warnings=warnings,
    ))
    with Catalogue(ws.catalogue_path) as cat:
        cat.upsert_clip(record)
    outputs = [p for p in (ws.probe_json(src.clip_id), ingest_record_path(ws, src.clip_id), ws.proxy(src.clip_id),
                           ws.audio16k(src.clip_id)) if p.exists()]
    work.done(fresh, outputs, started_at=wall)
    return ClipOutcome(
        src.clip_id, str(src.path), "ingested", info.summary(), info.duration_ms or 0, want_conform,
        tuple(reasons), record.shot_count or 0, info.has_audio,
        has_video=video is not None, notes=() if video else (AUDIO_ONLY_NOTE,), warnings=warnings,
    )


def clip_warnings(src: SourceClip, info: MediaInfo, house: House, damage: ffmpeg.DecodeErrors) -> tuple[str, ...]:
    """What is wrong with a clip that ingested all the same, each naming the file and the fix:
    damage the decode met, and a picture too small to be footage or to fill the house format."""
    warnings: list[str] = []
    name = f"{src.path} (clip {src.clip_id})"
    if damage:
        warnings.append(
            f"{name}: damaged: ffmpeg met {damage.count} decoding error(s) in it (the first: {damage.first}), so "
            "its picture or sound breaks up where the damage is — copy it again from the camera card, or export "
            "it again from its source, then run ingest again")
    if info.video is not None:
        width, height = info.video.display_size
        upscale = min(house.width / width, house.height / height) if width > 0 and height > 0 else math.inf
        if min(width, height) < MIN_PICTURE:
            warnings.append(
                f"{name}: the picture is {width}×{height} pixels, smaller than any camera records "
                f"({MIN_PICTURE}×{MIN_PICTURE} at least): a thumbnail, a placeholder or a broken export — use the "
                "original footage at its real size")
        elif upscale > MAX_UPSCALE:
            warnings.append(
                f"{name}: the picture is {width}×{height}, which the house format {house.width}×{house.height} "
                f"scales up {upscale:.1f}× (more than {MAX_UPSCALE:g}×): it will look soft and blocky on air — use "
                "a larger original of it if there is one")
    return tuple(warnings)


def _recorded_warnings(ws: Workspace, src: SourceClip) -> tuple[str, ...]:
    """The warnings the clip's last ingest recorded (none from an ingest before they were kept)."""
    try:
        return read_ingest_record(ws, src.clip_id).warnings
    except ReportageError:
        return ()

