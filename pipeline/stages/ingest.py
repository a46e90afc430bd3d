"""Ingest: turn every source file into facts and working media the rest of the pipeline trusts.

Per clip: probe, SHA-256 of the original (read only), a house-format working copy when the source
does not already match, a 540p review proxy, 16 kHz mono audio for speech recognition, a poster frame,
a thumbnail strip and a shot list — all recorded in the catalogue. A bad clip fails alone.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import fsutil
from ..catalogue import Catalogue, ClipRecord, StageRun
from ..errors import MediaError, ReportageError
from ..manifest import Programme, SourceClip
from ..media import ffmpeg, shots
from ..media.conform import House, IngestOutputs, conform_reasons, ingest_args, thumbnails_args
from ..media.probe import MediaInfo, media_info_from_dict, probe
from ..progress import Progress, ProgressFn, ignore
from ..stagerun import file_fingerprint, inputs_hash
from ..workspace import Workspace

log = logging.getLogger(__name__)

INGEST_VERSION = 2
MASTER_CLIP_ID = "master"


@dataclass(frozen=True)
class IngestSettings:
    """Options that change ingest outputs (and so belong in the up-to-date key)."""

    thumbnails: int = 8
    shot_threshold: float = 27.0
    detect_shots: bool = True


@dataclass(frozen=True)
class ClipOutcome:
    clip_id: str
    source: str
    status: str  # ingested | up to date | failed
    summary: str = ""
    duration_ms: int = 0
    conformed: bool = False
    conform_reasons: tuple[str, ...] = ()
    shot_count: int = 0
    has_audio: bool = False
    error: str | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__, conform_reasons=list(self.conform_reasons))


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
    def ok(self) -> bool:
        return not self.failed and not self.timeline_problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "programme": self.programme_id,
            "clips": [c.to_dict() for c in self.clips],
            "failed": len(self.failed),
            "timeline_problems": self.timeline_problems,
        }


def house_of(programme: Programme) -> House:
    h = programme.manifest.house
    return House(h.width, h.height, h.rate, h.sample_rate)


def programme_sources(programme: Programme) -> list[SourceClip]:
    """Footage plus, for a `master:` timeline, the master itself as clip `master`."""
    sources = programme.sources()
    master = programme.master_path()
    if master is not None:
        sources = [s for s in sources if s.path != master]
        sources.append(SourceClip(MASTER_CLIP_ID, master, "timeline.master"))
    return sources


def ingest_programme(
    programme: Programme,
    ws: Workspace,
    settings: IngestSettings | None = None,
    progress: ProgressFn = ignore,
) -> IngestReport:
    """Ingest every source of `programme` into `ws`; failures are recorded per clip, never raised."""
    settings = settings or IngestSettings()
    ws.ensure()
    report = IngestReport(programme.id)
    house = house_of(programme)
    sources = programme_sources(programme)
    if not sources:
        raise MediaError("no footage files matched", path=programme.manifest_path,
                         hint="check the `footage:` paths and globs")
    tool = ffmpeg.version()
    with Catalogue(ws.catalogue_path) as cat:
        for src in sources:
            report.clips.append(_ingest_one(src, ws, cat, house, settings, tool, progress))
        durations = {
            c.clip_id: (c.duration_ms, c.source) for c in report.clips if c.status != "failed"
        }
        report.timeline_problems = _timeline_problems(programme, ws, durations)
    return report


def _timeline_problems(programme: Programme, ws: Workspace, ok: dict[str, tuple[int, str]]) -> list[str]:
    if not programme.manifest.timeline.cut:
        return []
    frames: dict[str, Any] = {}
    for clip_id in ok:
        data = fsutil.read_json(ws.probe_json(clip_id))
        info = media_info_from_dict(data)
        rate = info.rate if info.video else programme.rate
        frames[clip_id] = (round(info.duration_ms or 0) * rate.numerator // (rate.denominator * 1000), rate)
    failed_ids = {s.clip_id for s in programme_sources(programme)} - set(ok)
    problems = []
    for problem in programme.check_cut(frames):
        if any(f"clip {cid!r}" in problem for cid in failed_ids):
            problem += " (that clip failed to ingest)"
        problems.append(f"{programme.manifest_path.name}: {problem}")
    return problems


def _ingest_key(src: SourceClip, house: House, settings: IngestSettings, tool: str) -> tuple[str, dict[str, Any]]:
    fingerprint = file_fingerprint(src.path)
    key = inputs_hash({
        "source": fingerprint, "house": [house.width, house.height, str(house.rate), house.sample_rate],
        "settings": settings.__dict__, "version": INGEST_VERSION, "ffmpeg": tool,
    })
    return key, fingerprint


def _outputs_present(ws: Workspace, rec: ClipRecord) -> bool:
    needed = [ws.probe_json(rec.clip_id), ws.ingest_dir(rec.clip_id) / "ingest.json", ws.proxy(rec.clip_id)]
    if rec.conformed:
        needed.append(ws.conform(rec.clip_id))
    if rec.has_audio:
        needed.append(ws.audio16k(rec.clip_id))
    return all(p.exists() for p in needed)


def _ingest_one(
    src: SourceClip, ws: Workspace, cat: Catalogue, house: House, settings: IngestSettings, tool: str,
    progress: ProgressFn,
) -> ClipOutcome:
    started = time.monotonic()
    try:
        if not src.path.exists():
            raise MediaError("file not found", path=src.path, hint=f"check `{src.declared_as}` in the manifest")
        key, fingerprint = _ingest_key(src, house, settings, tool)
        previous = cat.clip(src.clip_id)
        if previous and previous.status == "ok" and previous.ingest_key == key and _outputs_present(ws, previous):
            return ClipOutcome(
                src.clip_id, str(src.path), "up to date", previous.summary or "", previous.duration_ms or 0,
                bool(previous.conformed), (), previous.shot_count or 0, bool(previous.has_audio),
            )
        outcome = _do_ingest(src, ws, cat, house, settings, key, fingerprint, progress)
        return ClipOutcome(**{**outcome.__dict__, "seconds": round(time.monotonic() - started, 2)})
    except ReportageError as exc:
        return _failed(src, cat, exc.one_line(), started)
    except Exception as exc:  # one bad clip must not stop the batch
        log.debug("unexpected failure ingesting %s", src.path, exc_info=True)
        return _failed(src, cat, f"{src.path}: unexpected error: {exc}", started)


def _failed(src: SourceClip, cat: Catalogue, message: str, started: float) -> ClipOutcome:
    cat.upsert_clip(ClipRecord(src.clip_id, str(src.path), "failed", error=message))
    cat.record_run(StageRun("ingest", src.clip_id, "", "failed", time.time(), None, [], message))
    return ClipOutcome(src.clip_id, str(src.path), "failed", error=message,
                       seconds=round(time.monotonic() - started, 2))


def _do_ingest(
    src: SourceClip, ws: Workspace, cat: Catalogue, house: House, settings: IngestSettings, key: str,
    fingerprint: dict[str, Any], progress: ProgressFn,
) -> ClipOutcome:
    wall = time.time()
    task = f"ingest {src.clip_id}"
    info = probe(src.path)
    sha = fsutil.sha256_file(src.path)
    reasons = conform_reasons(info, house)
    folder = ws.ingest_dir(src.clip_id)
    folder.mkdir(parents=True, exist_ok=True)
    want_conform = bool(reasons) and info.video is not None
    duration_s = (info.duration_ms or 0) / 1000
    with contextlib.ExitStack() as stack:
        conform_tmp = stack.enter_context(fsutil.atomic_path(ws.conform(src.clip_id))) if want_conform else None
        proxy_tmp = stack.enter_context(fsutil.atomic_path(ws.proxy(src.clip_id))) if info.video else None
        audio_tmp = stack.enter_context(fsutil.atomic_path(ws.audio16k(src.clip_id))) if info.audio else None
        args = ingest_args(info, src.path, house, IngestOutputs(conform_tmp, proxy_tmp, audio_tmp))
        ffmpeg.run_ffmpeg(
            args, duration_s=duration_s, subject=src.path,
            progress=lambda f: progress(Progress(task, f * duration_s, duration_s)),
        )
        _check_complete(src.path, info, proxy_tmp or audio_tmp)
    if not want_conform and ws.conform(src.clip_id).exists():
        ws.conform(src.clip_id).unlink()  # the source matches now; a stale copy would mislead
    shot_cuts: list[int] = []
    if info.video is not None:
        with fsutil.atomic_path(ws.poster(src.clip_id)) as poster_tmp, \
                fsutil.atomic_path(ws.thumbs(src.clip_id)) as strip_tmp:
            ffmpeg.run_ffmpeg(
                thumbnails_args(ws.proxy(src.clip_id), info.duration_ms or 0, poster_tmp, strip_tmp,
                                settings.thumbnails),
                subject=src.path,
            )
        if settings.detect_shots:
            shot_cuts = shots.detect_cuts(ws.proxy(src.clip_id), house.rate, settings.shot_threshold)
        shots.write_shots(ws.shots_json(src.clip_id), shot_cuts, info.duration_ms or 0, house.rate)
    probe_dict = info.to_dict()
    fsutil.write_json(ws.probe_json(src.clip_id), probe_dict)
    video = info.video
    record = ClipRecord(
        clip_id=src.clip_id, source=str(src.path), status="ok",
        size_bytes=fingerprint["size"], mtime_ns=fingerprint["mtime_ns"], sha256=sha,
        summary=info.summary(), duration_ms=info.duration_ms,
        fps=f"{info.rate.numerator}/{info.rate.denominator}" if video else None,
        width=video.display_size[0] if video else None, height=video.display_size[1] if video else None,
        scan=(video.field_order if video and video.interlaced else "progressive") if video else None,
        vfr=info.vfr, rotation=video.rotation if video else None, has_audio=info.has_audio,
        conformed=want_conform, shot_count=len(shot_cuts) + 1 if video else 0, ingest_key=key,
        probe_json=None,
    )
    fsutil.write_json(folder / "ingest.json", {
        "clip_id": src.clip_id,
        "source": str(src.path),
        "sha256": sha,
        "has_audio": info.has_audio,
        "duration_ms": info.duration_ms,
        "fps": record.fps or f"{house.rate.numerator}/{house.rate.denominator}",
        "programme_fps": f"{house.rate.numerator}/{house.rate.denominator}",
        "conformed": want_conform,
        "conform_reasons": reasons,
        "working_copy": str(ws.conform(src.clip_id) if want_conform else src.path),
        "summary": info.summary(),
    })
    cat.upsert_clip(record)
    outputs = [str(p) for p in (ws.probe_json(src.clip_id), ws.proxy(src.clip_id), ws.audio16k(src.clip_id),
                                ws.conform(src.clip_id)) if p.exists()]
    cat.record_run(StageRun("ingest", src.clip_id, key, "done", wall, round(time.time() - wall, 2), outputs, None))
    return ClipOutcome(
        src.clip_id, str(src.path), "ingested", info.summary(), info.duration_ms or 0, want_conform,
        tuple(reasons), record.shot_count or 0, info.has_audio,
    )


def _check_complete(path: Path, info: MediaInfo, output: Path | None) -> None:
    """Refuse a clip that decoded to much less than its header claims: truncated or damaged."""
    if output is None or not info.duration_ms:
        return
    got = ffmpeg.ffprobe_json(output).get("format", {}).get("duration")
    if got in (None, "N/A"):
        raise MediaError("nothing could be decoded", path=path, hint="the file is damaged; copy it again")
    decoded_ms = round(float(got) * 1000)
    if decoded_ms < info.duration_ms * 0.9 and info.duration_ms - decoded_ms > 1000:
        raise MediaError(
            f"truncated or damaged: decoded {decoded_ms / 1000:.1f} s of the {info.duration_ms / 1000:.1f} s "
            "its header claims",
            path=path, hint="copy the file again from the camera card",
        )
