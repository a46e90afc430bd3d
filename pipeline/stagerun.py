"""The up-to-date check, done once for every stage: hash the inputs, compare, skip or run.

A stage describes its inputs (files, settings, tool versions) as a JSON-able dict; the hash of that
dict plus the existence of the recorded outputs decides whether the work is needed.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .catalogue import Catalogue, StageRun


def inputs_hash(inputs: dict[str, Any]) -> str:
    """A stable hash of a stage's inputs (keys sorted, paths as strings)."""
    blob = json.dumps(inputs, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def file_fingerprint(path: Path) -> dict[str, Any]:
    """Cheap identity of a file (size, mtime): enough to notice an edit without re-reading gigabytes."""
    st = path.stat()
    return {"path": str(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


@dataclass(frozen=True)
class UpToDate:
    fresh: bool
    key: str
    previous: StageRun | None


def check(cat: Catalogue, stage: str, target: str, inputs: dict[str, Any]) -> UpToDate:
    """Is the last successful run of `stage` on `target` from the same inputs, with outputs present?"""
    key = inputs_hash(inputs)
    previous = cat.last_done(stage, target)
    fresh = (
        previous is not None
        and previous.inputs_hash == key
        and all(os.path.exists(p) for p in previous.outputs)
    )
    return UpToDate(fresh, key, previous)


def files_fingerprint(paths: list[Path]) -> list[dict[str, Any]]:
    """Fingerprints of the files among `paths` that exist, in a stable order."""
    return [file_fingerprint(p) for p in sorted(set(paths)) if p.is_file()]


def read_key(path: Path) -> str | None:
    """The inputs hash a stage stored beside its outputs, if any."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data.get("inputs_hash") if isinstance(data, dict) else None


def write_key(path: Path, key: str) -> None:
    """Store a stage's inputs hash beside its outputs (atomically)."""
    from .fsutil import write_json

    write_json(path, {"inputs_hash": key})
