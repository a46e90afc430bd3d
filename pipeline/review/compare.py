"""Version compare in the review room: for each deliverable the player can watch, whether the version
kept at the last approval (`records/approved.py`, kept by `review.keep`) differs from the render now,
and where the page plays it; and the one read-only way to the kept files.

The page offers the comparison only where it means something: `differs` (the kept file's SHA-256 is
not the current render's). Otherwise it says calmly why not: `same` (the render now is the one
approved), `none` (nothing approved yet, or approved before the room kept versions), `skipped` (not
kept, with the reason: a format the browser cannot play), `damaged` (the kept file is gone or was
rewritten in place since: its size or time is not what was kept, so it is not shown as approved).
Kept files are served by deliverable name from the record alone, never by a path from the request,
so nothing outside `review/approved/` is reachable (`files.resolve_in_folder` on top).
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from .. import stagerun
from ..errors import ReportageError, WorkspaceError
from ..manifest import Programme
from ..records.approved import KeptApproval, KeptFile, approved_dir, read_kept
from ..timeline import Timeline
from ..workspace import Workspace
from . import watch
from .errors import NotFound
from .files import resolve_in_folder


def kept_url(ws: Workspace, kept: KeptFile) -> str:
    """The kept file's address (the route below); the digest in the query, so a later approval's file
    under the same name is never taken from the browser's cache."""
    name = PurePosixPath(kept.file).name
    return (f"/approved/{quote(ws.programme_id, safe='')}/{quote(kept.deliverable, safe='')}/"
            f"{quote(name, safe='')}?v={kept.sha256[:16]}")


def intact(ws: Workspace, kept: KeptFile) -> bool:
    """The kept file is there with the size and time it was kept with (a hard link shares the render's
    bytes: a render rewritten in place, not renamed in, would change it; that is noticed here)."""
    try:
        st = (approved_dir(ws) / kept.file).stat()
    except OSError:
        return False
    return st.st_size == kept.size_bytes and st.st_mtime_ns == kept.mtime_ns


def _one(ws: Workspace, shown: dict[str, Any], record: KeptApproval | None) -> dict[str, Any]:
    name = shown["name"]
    out: dict[str, Any] = {"name": name, "current": {"url": shown["url"], "offset_s": shown["offset_s"],
                                                     "sha256": None}}
    if record is None:
        return {**out, "state": "none"}
    out.update(by=record.by, at=record.at, decision=record.decision)
    kept = record.kept.get(name)
    if kept is None:
        reason = record.skipped.get(name)
        return {**out, "state": "skipped" if reason else "none", "reason": reason}
    if not shown["playable"] or shown["url"] is None:
        return {**out, "state": "unplayable", "reason": shown["problem"]}
    if not intact(ws, kept):
        return {**out, "state": "damaged"}
    try:
        now = stagerun.content_hash(ws, ws.dir / shown["url"])
    except (OSError, ReportageError):
        now = None
    out["current"]["sha256"] = now
    approved = {"url": kept_url(ws, kept), "offset_s": kept.offset_s, "sha256": kept.sha256,
                "excerpt_ms": list(kept.excerpt_ms) if kept.excerpt_ms else None, "linked": kept.linked}
    return {**out, "state": "same" if now == kept.sha256 else "differs", "approved": approved}


def compare_view(ws: Workspace, timeline: Timeline, programme: Programme | None) -> dict[str, Any]:
    """`{deliverables: {name: {state, …}}}` for every deliverable the player lists (`watch`)."""
    try:
        record = read_kept(ws)
    except WorkspaceError as exc:
        return {"state": "unreadable", "error": exc.one_line(), "deliverables": {}}
    shown = watch.deliverables(ws, timeline, programme)
    return {"state": "kept" if record is not None else "none",
            "deliverables": {d["name"]: _one(ws, d, record) for d in shown}}


def kept_file(ws: Workspace, deliverable: str, name: str) -> Path:
    """The kept file of `deliverable` when `name` is its name; NotFound for anything else."""
    try:
        record = read_kept(ws)
    except WorkspaceError:
        record = None
    kept = record.kept.get(deliverable) if record is not None else None
    if kept is None or PurePosixPath(kept.file).name != name:
        raise NotFound(f"no approved version {deliverable}/{name} is kept")
    return resolve_in_folder(ws.dir, approved_dir(ws), kept.file)
