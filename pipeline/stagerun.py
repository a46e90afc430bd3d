"""Freshness, decided one way for every stage: the catalogue's `stage_runs` table.

A stage describes the inputs of each of its targets (a clip, a deliverable, or the whole
programme) as a JSON-able dict. `check` hashes that dict and compares it with the last successful
run of the same stage on the same target, whose outputs must still exist; `record` writes the run
once the outputs are in place. Files enter an inputs dict through `content_hash`, which reads a
file again only when its size or mtime changed, so a `touch`ed source keeps its key.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .catalogue import Catalogue, StageRun
from .errors import ReportageError
from .fsutil import refuse_if_changed, sha256_unchanged
from .workspace import Workspace

PROGRAMME = "programme"
"""The target name of stages that work on the programme as a whole."""


def inputs_hash(inputs: Any) -> str:
    """A stable hash of a stage's inputs (keys sorted, paths as strings)."""
    blob = json.dumps(inputs, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Freshness:
    """The answer of `check`: the inputs key of `stage` on `target`, and whether it is up to date."""

    stage: str
    target: str
    key: str
    fresh: bool
    previous: StageRun | None = None


def check(ws: Workspace, stage: str, target: str, inputs: Any, outputs: Sequence[Path] = ()) -> Freshness:
    """Is the last successful run of `stage` on `target` from the same inputs, with outputs present?

    `outputs` are the files the caller needs now; the ones the run recorded must exist as well.
    """
    key = inputs_hash(inputs)
    with Catalogue(ws.catalogue_path) as cat:
        previous = cat.last_done(stage, target)
    fresh = (
        previous is not None
        and previous.inputs_hash == key
        and all(os.path.exists(_absolute(ws, p)) for p in previous.outputs)
        and all(p.exists() for p in outputs)
    )
    return Freshness(stage, target, key, fresh, previous)


def _relative(ws: Workspace, path: Path) -> str:
    """An output as recorded: relative to the programme's folder when inside it, so a workspace
    mounted at another path on another machine (a batch worker's) still finds its outputs."""
    try:
        return Path(path).absolute().relative_to(ws.dir.absolute()).as_posix()
    except ValueError:
        return str(path)


def _absolute(ws: Workspace, recorded: str) -> str:
    """A recorded output on this machine: relative entries resolve against the programme's folder."""
    return recorded if os.path.isabs(recorded) else str(ws.dir / recorded)


def record(ws: Workspace, freshness: Freshness, outputs: Sequence[Path], *, started_at: float | None = None,
           message: str | None = None) -> None:
    """Remember a successful run of `freshness.stage` on its target, with the files it wrote."""
    began = started_at if started_at is not None else time.time()
    with Catalogue(ws.catalogue_path) as cat:
        cat.record_run(StageRun(freshness.stage, freshness.target, freshness.key, "done", began,
                                round(time.time() - began, 3), [_relative(ws, p) for p in outputs], message))


def record_failure(ws: Workspace, stage: str, target: str, message: str) -> None:
    """Remember that `stage` failed on `target` (a failed run never counts as fresh)."""
    with Catalogue(ws.catalogue_path) as cat:
        cat.record_run(StageRun(stage, target, "", "failed", time.time(), None, [], message))


def forget(ws: Workspace, stage: str, target: str | None = None) -> None:
    """Drop the recorded runs of `stage` (on `target`, or every target): the next run does the work."""
    with Catalogue(ws.catalogue_path) as cat:
        cat.forget_runs(stage, target)


def content_hash(ws: Workspace, path: Path) -> str:
    """SHA-256 of `path`, read again only when its size or mtime differ from the last reading."""
    with Catalogue(ws.catalogue_path) as cat:
        return cat.content_hash(path)


def content_hashes(ws: Workspace, paths: Sequence[Path]) -> dict[str, str | None]:
    """`{file name: SHA-256}` of `paths` (None for a missing file), in one catalogue connection."""
    out: dict[str, str | None] = {}
    with Catalogue(ws.catalogue_path) as cat:
        for path in sorted(set(paths)):
            out[path.name if path.name not in out else str(path)] = cat.content_hash(path) if path.is_file() else None
    return out


def known_hash(ws: Workspace, path: Path) -> str | None:
    """The SHA-256 of `path` without reading it: the last reading's, if size and mtime still match."""
    with Catalogue(ws.catalogue_path) as cat:
        return cat.known_hash(path)


def never_done(ws: Workspace, stage: str, target: str) -> bool:
    """No successful run of `stage` on `target` is on record (so nothing can be fresh)."""
    with Catalogue(ws.catalogue_path) as cat:
        return cat.last_done(stage, target) is None


@contextlib.contextmanager
def hashing_alongside(ws: Workspace, path: Path) -> Iterator[Callable[[], str]]:
    """Read `path`'s SHA-256 in a thread while the block decodes the same file, so a camera card is
    read once, not twice. Yields a function that returns the digest (waiting for the thread)."""
    known = known_hash(ws, path)
    if known is not None:
        yield lambda: known
        return
    st = path.stat()
    result: dict[str, str | BaseException] = {}

    def read() -> None:
        try:
            result["sha"] = sha256_unchanged(path, st)  # refused when the file changes while it is read
        except (OSError, ReportageError) as exc:
            result["error"] = exc

    thread = threading.Thread(target=read, name=f"sha256 {path.name}", daemon=True)
    thread.start()

    def digest() -> str:
        thread.join()
        if "error" in result:
            raise result["error"]  # type: ignore[misc]
        sha = str(result["sha"])
        refuse_if_changed(path, st, "while it was being read")  # since the reading ended, too
        with Catalogue(ws.catalogue_path) as cat:
            cat.store_hash(path, st, sha)
        return sha

    try:
        yield digest
    finally:
        thread.join()
