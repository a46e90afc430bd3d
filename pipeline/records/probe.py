"""`ingest/<clip>/probe.json`: ffprobe's facts about one source file (`MediaInfo`), as ingest found
them (ingest is its only writer), read by assemble, conform, the NLE matcher and ingest itself on a
rerun instead of probing the file again."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .. import fsutil
from ..errors import WorkspaceError
from ..media.probe import AudioStream, MediaInfo, VideoStream
from ..workspace import Workspace
from .reading import read_record


def probe_path(ws: Workspace, clip_id: str) -> Path:
    return ws.probe_json(clip_id)


def media_info_from_json(data: Mapping[str, Any]) -> MediaInfo:
    """MediaInfo as `MediaInfo.to_dict` wrote it."""
    video = VideoStream(**data["video"]) if data.get("video") else None
    audio = tuple(AudioStream(**a) for a in data.get("audio") or ())
    interval = data.get("frame_interval_ms")
    rest = {k: v for k, v in data.items() if k not in ("video", "audio", "frame_interval_ms")}
    return MediaInfo(**rest, video=video, audio=audio, frame_interval_ms=tuple(interval) if interval else None)


def write_probe(ws: Workspace, clip_id: str, info: MediaInfo) -> Path:
    """Record what probing a clip's source found (ingest is the only writer)."""
    path = probe_path(ws, clip_id)
    fsutil.write_json(path, info.to_dict())
    return path


def read_probe(ws: Workspace, clip_id: str) -> MediaInfo:
    """What ingest found probing a clip's source; a WorkspaceError naming the file when the clip has
    not been ingested or the file cannot be read."""
    path = probe_path(ws, clip_id)
    if not path.is_file():
        raise WorkspaceError(f"clip {clip_id!r} has not been ingested (no probe)", path=path,
                             hint="run `reportage ingest MANIFEST` and fix the clip's errors first")
    info = read_record(path, media_info_from_json, "probe record", "run `reportage ingest MANIFEST` again")
    assert info is not None  # the file is there: read_record returns a record or raises
    return info
