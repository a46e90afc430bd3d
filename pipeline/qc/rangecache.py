"""Picture measurements of single ranges, kept under the programme's `qc/ranges/` (owner: qc).

Why: after a fix that re-rendered some chunks of a deliverable, the file's content changed and its
whole-file record is stale, but most of its picture is what it was. A range's measurement is keyed by
what the range shows (the render's chunk key; for a file without chunk spans, the file's SHA-256
and the frames) plus the measuring code and ffmpeg's version, so only the changed chunks are decoded
again. Entries are written atomically (`fsutil.write_text`) and pruned once no deliverable's record
refers to them (`prune`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from ..fsutil import read_json, write_text
from .ranges import RangeResult, Span

CACHE_VERSION = 1


class RangeCache:
    """A folder of range measurements, one JSON file per key; `hits` and `stored` count this
    process's reuse and new entries (what a test or the benchmark reads)."""

    def __init__(self, folder: Path, code: str, ffmpeg: str) -> None:
        self.folder, self.code, self.ffmpeg = folder, code, ffmpeg
        self.hits = 0
        self.stored = 0

    def key(self, span: Span, sha256: str, picture: str, scope: str = "") -> str:
        """The key of `span`'s measurement: its chunk key, else the file's content and the frames.
        A chunk key says what the chunk shows, so `scope` (which file of which deliverable: the
        same shot encoded for another deliverable decodes to other pixels) and `picture` (the
        stream's pixel format, size and time base) are part of it."""
        what = ({"chunk": span.key, "scope": scope} if span.key
                else {"file": sha256, "frames": [span.start, span.end]})
        text = json.dumps({"version": CACHE_VERSION, "code": self.code, "ffmpeg": self.ffmpeg,
                           "picture": picture, **what}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def get(self, key: str, frames: int) -> RangeResult | None:
        """The stored measurement of `frames` frames, None when missing, unreadable or not of that length."""
        try:
            data = read_json(self.path(key))
            found = RangeResult.from_json(data["range"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not found.valid(frames):
            return None
        self.hits += 1
        return found

    def put(self, key: str, result: RangeResult) -> None:
        """Stored compact (a range of an hour's master is tens of thousands of frames), atomically."""
        data = {"version": CACHE_VERSION, "range": result.to_json()}
        write_text(self.path(key), json.dumps(data, separators=(",", ":"), allow_nan=False) + "\n")
        self.stored += 1

    def check_key(self, before: str, after: str, back: int, count: int) -> str:
        """The key of a boundary's freeze check: the keys of the ranges either side, how many
        frames before the boundary the reference is, how many frames after it were read."""
        text = json.dumps({"version": CACHE_VERSION, "code": self.code, "ffmpeg": self.ffmpeg,
                           "check": [before, after, back, count]})
        return hashlib.sha256(text.encode()).hexdigest()

    def get_check(self, key: str, count: int) -> list[bool] | None:
        try:
            flags = str(read_json(self.path(key))["check"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if len(flags) != count:
            return None
        self.hits += 1
        return [c == "1" for c in flags]

    def put_check(self, key: str, flags: list[bool]) -> None:
        data = {"version": CACHE_VERSION, "check": "".join("1" if f else "0" for f in flags)}
        write_text(self.path(key), json.dumps(data) + "\n")
        self.stored += 1

    def prune(self, keep: Iterable[str]) -> list[Path]:
        """Delete every entry whose key is not in `keep`; the paths deleted."""
        wanted = set(keep)
        gone: list[Path] = []
        for entry in sorted(self.folder.glob("*.json")) if self.folder.is_dir() else []:
            if entry.stem not in wanted:
                entry.unlink(missing_ok=True)
                gone.append(entry)
        return gone


def cache_dir(qc_dir: Path) -> Path:
    """Where a programme's range measurements are kept."""
    return qc_dir / "ranges"
