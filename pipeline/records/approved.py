"""`review/approved/approved.json`: the playable files of the last approval, kept so the room can show
what was approved after a later render has replaced them (issue 28, version compare).

The approval (`approval.json`) records each approved file's SHA-256, but the render stage replaces its
files in place (`fsutil.atomic_path`), so the digest alone cannot show the picture that was approved.
At each approval the room keeps, under `review/approved/<deliverable>/<file>`, the file the player
plays for each approved deliverable (`review.watch`: MP4, not MXF or ProRes, which the browser cannot
decode; those are named in `skipped` with the reason), as a hard link when it can (no extra space) or a
copy. This record says, per deliverable, which file was kept, its SHA-256 (the approval's, checked),
its size and modification time as kept (so a file rewritten in place later is noticed, not shown as
the approved one), its programme-time offset and excerpt, and who approved it when. A later approval
replaces the whole folder, this record with it. Its one writer is `review.keep`; the room reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from .. import fsutil
from ..errors import WorkspaceError
from ..workspace import Workspace
from .review import review_dir

KEPT_VERSION = 1


@dataclass(frozen=True)
class KeptFile:
    """One approved deliverable's playable file as kept."""

    deliverable: str
    file: str
    """Where it is kept, relative to `review/approved/` (`<deliverable>/<file name>`, POSIX)."""
    source: str
    """The render it was, relative to the programme folder (the approval's name for it)."""
    sha256: str
    size_bytes: int
    mtime_ns: int
    linked: bool
    """A hard link to the approved render (no extra space), or a copy of it."""
    offset_s: float = 0.0
    """File time = programme time + offset_s (the leader, less an excerpt's start), as it was then."""
    excerpt_ms: tuple[int, int] | None = None

    def to_json(self) -> dict[str, Any]:
        return {"deliverable": self.deliverable, "file": self.file, "source": self.source, "sha256": self.sha256,
                "size_bytes": self.size_bytes, "mtime_ns": self.mtime_ns, "linked": self.linked,
                "offset_s": self.offset_s, "excerpt_ms": list(self.excerpt_ms) if self.excerpt_ms else None}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> KeptFile:
        file = str(data["file"])
        parts = PurePosixPath(file).parts
        if len(parts) != 2 or any(p in ("", ".", "..") or p.startswith(".") for p in parts) or file.startswith("/"):
            raise ValueError(f"the kept file {file!r} is not <deliverable>/<file>")
        excerpt = data.get("excerpt_ms")
        return cls(str(data["deliverable"]), file, str(data.get("source") or ""), str(data["sha256"]),
                   int(data.get("size_bytes") or 0), int(data.get("mtime_ns") or 0), bool(data.get("linked")),
                   float(data.get("offset_s") or 0.0),
                   (int(excerpt[0]), int(excerpt[1])) if isinstance(excerpt, list) and len(excerpt) == 2 else None)


@dataclass(frozen=True)
class KeptApproval:
    """What the last approval kept: by deliverable, and those not kept with why."""

    decision: str
    by: str
    at: str
    kept: Mapping[str, KeptFile] = field(default_factory=dict)
    skipped: Mapping[str, str] = field(default_factory=dict)
    """`{deliverable: why its file was not kept}` (a format the browser cannot play, a missing file)."""

    def to_json(self) -> dict[str, Any]:
        return {"version": KEPT_VERSION, "decision": self.decision, "by": self.by, "at": self.at,
                "kept": {name: k.to_json() for name, k in sorted(self.kept.items())},
                "skipped": dict(sorted(self.skipped.items()))}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> KeptApproval:
        version = data.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version > KEPT_VERSION:
            raise ValueError(f"it is of version {version!r}; this reportage reads up to {KEPT_VERSION}")
        kept = data.get("kept") or {}
        skipped = data.get("skipped") or {}
        if not isinstance(kept, Mapping) or not isinstance(skipped, Mapping):
            raise ValueError("`kept` and `skipped` must be JSON objects")
        return cls(str(data.get("decision") or ""), str(data.get("by") or ""), str(data.get("at") or ""),
                   {str(k): KeptFile.from_json(v) for k, v in kept.items()},
                   {str(k): str(v) for k, v in skipped.items()})


def approved_dir(ws: Workspace) -> Path:
    return review_dir(ws) / "approved"


def kept_record_path(ws: Workspace) -> Path:
    return approved_dir(ws) / "approved.json"


def read_kept(ws: Workspace) -> KeptApproval | None:
    """What the last approval kept; None before the first (or an approval older than keeping). A
    WorkspaceError naming the file when it cannot be read or is of another shape."""
    path = kept_record_path(ws)
    if not path.is_file():
        return None
    hint = "approve the programme again in `reportage review` (that keeps the approved files afresh)"
    try:
        data = fsutil.read_json(path)
        if not isinstance(data, Mapping):
            raise ValueError("not a JSON object")
        return KeptApproval.from_json(data)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise WorkspaceError(f"cannot read the approved versions kept ({exc})", path=path, hint=hint) from exc
