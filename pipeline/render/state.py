"""The render record `renders/render.json` (owner: render; read by qc and package), what each
deliverable's freshness depends on, and the subtitle sidecars.

The record says, per deliverable, which file was written from which profile, how long and how big
it came out, the excerpt of the programme it carries and its leader, and its loudness as numbers:
measured integrated loudness, true peak and range, the target, and the correction applied (gain in
dB, limiter ceiling in dBTP or none). Readers take those numbers; nobody parses display text.

Freshness is not decided here but by `pipeline.stagerun` (target = deliverable name), from
`deliverable_inputs`: each deliverable has its own inputs, so a change that only some outputs see
re-renders only those — an edited subtitle file changes the inputs of the deliverables that burn
subtitles in, while web deliverables (sidecars only) keep theirs and just get the new sidecar copied.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from .. import fsutil, stagerun
from ..profiles import Profile
from ..records.reading import read_record
from ..timecode import Excerpt
from ..workspace import Workspace, resolved_path, stored_path
from .plan import PLAN_VERSION

RENDER_RECORD_VERSION = 3  # 3: files relative to the programme folder, each deliverable's files listed


def _num(value: Any) -> float | None:
    """A finite float from JSON, or None (−inf, NaN and missing all read as None)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


@dataclass(frozen=True)
class RenderedLoudness:
    """A deliverable's loudness as measured after the render, and the correction that got it there."""

    integrated_lufs: float | None
    true_peak_dbtp: float | None
    lra_lu: float | None
    target_lufs: float
    tolerance_lu: float
    true_peak_max_dbtp: float
    within_tolerance: bool
    gain_db: float
    limiter_ceiling_dbtp: float | None
    before_lufs: float | None = None
    """The programme (or excerpt) before correction."""
    measured_by: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RenderedLoudness:
        return cls(
            integrated_lufs=_num(data.get("integrated_lufs")), true_peak_dbtp=_num(data.get("true_peak_dbtp")),
            lra_lu=_num(data.get("lra_lu")), target_lufs=float(data["target_lufs"]),
            tolerance_lu=float(data["tolerance_lu"]), true_peak_max_dbtp=float(data["true_peak_max_dbtp"]),
            within_tolerance=bool(data.get("within_tolerance")), gain_db=float(data.get("gain_db") or 0.0),
            limiter_ceiling_dbtp=_num(data.get("limiter_ceiling_dbtp")), before_lufs=_num(data.get("before_lufs")),
            measured_by=str(data.get("measured_by") or ""))


@dataclass(frozen=True)
class DeliverableFile:
    """One file of a deliverable: where it is inside the deliverable (the file's own name when the
    deliverable is one file), its size and content."""

    name: str
    size_bytes: int
    sha256: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DeliverableFile:
        return cls(str(data["name"]), int(data.get("size_bytes") or 0), str(data.get("sha256") or ""))


def deliverable_files(ws: Workspace, path: Path, *, first: str | None = None) -> tuple[DeliverableFile, ...]:
    """What a deliverable at `path` is, file by file: the file itself, or every file under the
    folder (sorted, hidden temporaries left out; `first`, the one to play and measure, ahead of the
    rest), each with its size and SHA-256 (`content_hash`, so the readers after render — QC,
    approval, the bag — do not read it again)."""
    if path.is_dir():
        members = sorted((p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")),
                         key=lambda p: (p.relative_to(path).as_posix() != first, p.relative_to(path).as_posix()))
        return tuple(DeliverableFile(p.relative_to(path).as_posix(), p.stat().st_size, stagerun.content_hash(ws, p))
                     for p in members)
    return (DeliverableFile(path.name, path.stat().st_size, stagerun.content_hash(ws, path)),)


@dataclass(frozen=True)
class ChunkSpan:
    """One chunk of a deliverable's picture (`render/chunks.py`): frames [start_frame, end_frame) of
    the file `file` (its name inside the deliverable; the leader counted, so a QC range can seek
    straight to it), and the chunk's content key. Chunk boundaries are closed-GOP starts, so a range
    decodes to the same frames alone as inside the whole file; readers key per-range work (QC's
    measurements) by `key` and redo only the chunks whose key changed."""

    file: str
    start_frame: int
    end_frame: int
    key: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ChunkSpan:
        return cls(str(data["file"]), int(data["start_frame"]), int(data["end_frame"]), str(data["key"]))


@dataclass(frozen=True)
class RenderedDeliverable:
    """One deliverable as the render left it: a file, or a folder of files (a streaming package)
    written whole (`fsutil.atomic_dir`). `file` is where it is on this machine; the record on disk
    names it relative to the programme folder, so a workspace copied, restored or mounted elsewhere
    finds its renders."""

    name: str
    file: str
    profile: str
    duration_s: float
    size_bytes: int
    loudness: RenderedLoudness | None = None
    excerpt_s: tuple[float, float] | None = None
    """The stretch of programme time it carries (programme seconds), None for the whole programme."""
    leader_s: float = 0.0
    """Seconds of broadcast leader before the programme body."""
    rendered_at: float = 0.0
    files: tuple[DeliverableFile, ...] = ()
    """Every file it is made of: one, its own, for a file; the playable one first for a folder."""
    folder: bool = False
    chunks: tuple[ChunkSpan, ...] = ()
    """The picture's chunks, file by file, in order (empty for a deliverable rendered in one pass)."""
    sound: str = ""
    """The key of its sound in the chunk store (rendered whole; empty for a one-pass render)."""

    @property
    def path(self) -> Path:
        return Path(self.file)

    @property
    def main(self) -> Path:
        """The file to play and measure: the deliverable itself, or the first file of a folder."""
        return self.path / self.files[0].name if self.folder and self.files else self.path

    @property
    def members(self) -> list[Path]:
        """Every file of the deliverable on this machine."""
        if not self.folder:
            return [self.path]
        return [self.path / f.name for f in self.files]

    def present(self) -> bool:
        """Whether every file of it is where the record says, at the size it was written."""
        if not self.folder:
            return self.path.is_file()
        return bool(self.files) and all(
            (p := self.path / f.name).is_file() and p.stat().st_size == f.size_bytes for f in self.files)

    def excerpt_at(self, rate: Fraction) -> Excerpt | None:
        """The stretch it carries in frames of a programme at `rate` (the record keeps seconds)."""
        return Excerpt.from_seconds(*self.excerpt_s, rate) if self.excerpt_s else None

    def to_json(self, base: Path | None = None) -> dict[str, Any]:
        """As recorded: `file` relative to `base` (the programme folder) when it is inside it."""
        data = asdict(self)
        data["file"] = _relative(self.path, base)
        data["loudness"] = self.loudness.to_json() if self.loudness else None
        data["excerpt_s"] = list(self.excerpt_s) if self.excerpt_s else None
        data["files"] = [f.to_json() for f in self.files]
        data["chunks"] = [c.to_json() for c in self.chunks]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any], base: Path | None = None) -> RenderedDeliverable:
        """As on this machine: a relative `file` is under `base` (the programme folder)."""
        excerpt = data.get("excerpt_s")
        loudness = data.get("loudness")
        file = resolved_path(base, str(data["file"])) if base is not None else Path(str(data["file"]))
        return cls(
            name=str(data["name"]), file=str(file), profile=str(data.get("profile") or data["name"]),
            duration_s=float(data.get("duration_s") or 0.0), size_bytes=int(data.get("size_bytes") or 0),
            loudness=RenderedLoudness.from_json(loudness) if isinstance(loudness, Mapping) else None,
            excerpt_s=(float(excerpt[0]), float(excerpt[1])) if excerpt else None,
            leader_s=float(data.get("leader_s") or 0.0), rendered_at=float(data.get("rendered_at") or 0.0),
            files=tuple(DeliverableFile.from_json(f) for f in data.get("files") or ()),
            folder=bool(data.get("folder")),
            chunks=tuple(ChunkSpan.from_json(c) for c in data.get("chunks") or ()),
            sound=str(data.get("sound") or ""))


def _relative(path: Path, base: Path | None) -> str:
    """`path` as the record names it: relative to `base` when inside it (`workspace.stored_path`),
    as it is without a base."""
    return str(path) if base is None else stored_path(base, path)


@dataclass(frozen=True)
class RenderRecord:
    """`renders/render.json`: every deliverable rendered so far, by name."""

    programme: str
    deliverables: Mapping[str, RenderedDeliverable] = field(default_factory=dict)
    version: int = RENDER_RECORD_VERSION

    def get(self, name: str) -> RenderedDeliverable | None:
        return self.deliverables.get(name)

    def to_json(self, base: Path | None = None) -> dict[str, Any]:
        return {"version": self.version, "programme": self.programme,
                "deliverables": {name: d.to_json(base) for name, d in self.deliverables.items()}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any], base: Path | None = None) -> RenderRecord:
        if int(data.get("version") or 1) not in (2, RENDER_RECORD_VERSION):  # 2: absolute paths, files unlisted
            raise ValueError(f"render record version {data.get('version')!r}, not {RENDER_RECORD_VERSION}")
        entries = data.get("deliverables") or {}
        return cls(str(data.get("programme") or ""),
                   {str(name): RenderedDeliverable.from_json(entry, base) for name, entry in entries.items()})


def render_record_path(ws: Workspace) -> Path:
    return ws.dir / "renders" / "render.json"


def read_render_record(ws: Workspace) -> RenderRecord:
    """The render record; an empty one before the first render. An unreadable record (or one of an
    older version) is a WorkspaceError saying to render again."""
    record = read_record(render_record_path(ws), lambda data: RenderRecord.from_json(data, ws.dir), "render record",
                         "run `reportage render MANIFEST --force`")
    return record if record is not None else RenderRecord(ws.programme_id)


def write_render_record(ws: Workspace, record: RenderRecord) -> Path:
    """Write the render record (render is its only writer)."""
    path = render_record_path(ws)
    fsutil.write_json(path, record.to_json(ws.dir))
    return path


def deliverable_inputs(ws: Workspace, *, profile: Profile, shared: dict[str, Any], burn_in: Path | None,
                       excerpt: Excerpt | None) -> dict[str, Any]:
    """The inputs of one deliverable: the shared ones (timeline, working copies' content keys,
    graphics, logo, settings, ffmpeg) plus its profile, the content of its burned-in subtitle file
    and its excerpt. An excerpt's graphics are those it shows: a lower third outside the social cut
    does not make it stale."""
    subtitle: Any = None
    if profile.subtitles.burn_in is not None:
        subtitle = stagerun.content_hash(ws, burn_in) if burn_in is not None and burn_in.is_file() else "missing"
    if excerpt is not None and isinstance(shared.get("graphics"), list):  # only the graphics it shows
        start_s, end_s = excerpt.seconds
        shared = {**shared, "graphics": [g for g in shared["graphics"]
                                         if float(g["start_s"]) < end_s and float(g["start_s"]) + float(
                                             g.get("duration_s") or 0.0) > start_s]}
    return {"plan": PLAN_VERSION, **shared, "profile": profile.model_dump(mode="json", exclude={"source"}),
            "burn_in": subtitle, "excerpt": list(excerpt.seconds) if excerpt else None}


def copy_sidecars(ws: Workspace, profile: Profile, output: Path) -> list[Path]:
    """Copy the subtitle files a web/broadcast deliverable carries beside it (`<stem>.<lang>.<fmt>`).

    Copied only when different, atomically, never empty; a missing subtitle file is skipped (the
    caller warns, unless the programme has no speech) and the copy an earlier render left beside the
    deliverable is removed: no sidecar outlives the subtitles it was copied from.
    """
    copied: list[Path] = []
    for lang in profile.subtitles.sidecar:
        for fmt in profile.subtitles.formats:
            source = ws.subtitle(lang, fmt)
            target = output.with_name(f"{output.stem}.{lang}.{fmt}")
            if not source.exists():
                target.unlink(missing_ok=True)
                continue
            if not target.exists() or target.read_bytes() != source.read_bytes():
                with fsutil.atomic_path(target, min_bytes=1) as tmp:
                    shutil.copyfile(source, tmp)
            copied.append(target)
    return copied


__all__ = ["ChunkSpan", "RenderRecord", "RenderedDeliverable", "RenderedLoudness", "copy_sidecars",
           "deliverable_inputs", "read_render_record", "render_record_path", "write_render_record"]
