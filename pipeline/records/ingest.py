"""`ingest/<clip>/ingest.json`: what ingest found and made for one clip (ingest is its only writer).

`source` and `working_copy` are kept as the record names them (`Workspace.stored`): a working copy
conform makes lives in the programme's folder and is named relative to it, so a workspace copied or
mounted elsewhere still cuts from it; a source outside the folder (footage on the editors' disks) is
absolute. Readers take the files through `source_path` and `working_copy_path`; the timeline copies
`working_copy` as it is, so its render key does not depend on where the workspace lies.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from .. import fsutil
from ..errors import WorkspaceError
from ..timecode import parse_rate
from ..workspace import Workspace

INGEST_RECORD_VERSION = 4  # 4: a working copy in the programme folder named relative to it (3 still read)


@dataclass(frozen=True)
class IngestRecord:
    """What ingest found and made for one clip."""

    clip_id: str
    source: str
    sha256: str
    content_key: str
    """Identity of the working copy's content: the source's SHA-256 and the conform settings."""
    has_audio: bool
    duration_ms: int
    fps: str
    programme_fps: str
    conformed: bool
    conform_reasons: tuple[str, ...]
    working_copy: str
    summary: str
    has_video: bool = True  # False for a voice-over: no proxy, poster, thumbnails or shots
    version: int = INGEST_RECORD_VERSION
    warnings: tuple[str, ...] = ()  # damage the decode met, a picture too small: said again on every rerun

    @property
    def rate(self) -> Fraction:
        return parse_rate(self.fps)

    def source_path(self, ws: Workspace) -> Path:
        """The source file on this machine."""
        return ws.resolve(self.source)

    def working_copy_path(self, ws: Workspace) -> Path:
        """The file the render cuts from on this machine: conform's working copy, or the source."""
        return ws.resolve(self.working_copy)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "conform_reasons": list(self.conform_reasons), "warnings": list(self.warnings)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IngestRecord:
        return cls(
            clip_id=str(data["clip_id"]), source=str(data["source"]), sha256=str(data.get("sha256") or ""),
            content_key=str(data.get("content_key") or data.get("sha256") or ""),
            has_audio=bool(data.get("has_audio")), duration_ms=int(data.get("duration_ms") or 0),
            fps=str(data.get("fps") or data.get("programme_fps") or "25"),
            programme_fps=str(data.get("programme_fps") or data.get("fps") or "25"),
            conformed=bool(data.get("conformed")), conform_reasons=tuple(data.get("conform_reasons") or ()),
            working_copy=str(data.get("working_copy") or data["source"]), summary=str(data.get("summary") or ""),
            has_video=bool(data.get("has_video", True)), version=int(data.get("version") or 2),
            warnings=tuple(str(w) for w in data.get("warnings") or ()),
        )


def ingest_record_path(ws: Workspace, clip_id: str) -> Path:
    return ws.ingest_dir(clip_id) / "ingest.json"


def write_ingest_record(ws: Workspace, record: IngestRecord) -> Path:
    """Write a clip's ingest record (ingest is its only writer)."""
    path = ingest_record_path(ws, record.clip_id)
    fsutil.write_json(path, record.to_json())
    return path


def read_ingest_record(ws: Workspace, clip_id: str) -> IngestRecord:
    """A clip's ingest record, or a WorkspaceError saying to ingest it first."""
    path = ingest_record_path(ws, clip_id)
    if not path.is_file():
        raise WorkspaceError(f"clip {clip_id!r} has not been ingested", path=path,
                             hint="run `reportage ingest MANIFEST` and fix the clip's errors first")
    try:
        return IngestRecord.from_json(fsutil.read_json(path))
    except (OSError, ValueError, KeyError, TypeError, ZeroDivisionError) as exc:
        raise WorkspaceError(f"ingest record is unreadable ({exc})", path=path,
                             hint="rerun `reportage ingest`") from exc
