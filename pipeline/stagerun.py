"""Freshness, decided one way for every stage: the catalogue's `stage_runs` table.

The runner hands each stage's `make` a `Work`: the stage describes the inputs of each of its targets
(a clip, a deliverable, or the whole programme) as a JSON-able dict, `Work.check` hashes that dict
with the stage's `VERSION` (a code change that alters outputs makes them stale) and compares it
with the last successful run of the same stage on the same target, whose outputs must still exist;
`Work.done` writes the run once the outputs are in place. Files enter an inputs dict through
`content_hash`, which reads a file again only when its size or mtime changed, so a `touch`ed source
keeps its key.

A failure upstream is part of every downstream key: `check` adds the failures that still stand in
the stages a stage is made from (`stagelist.upstream`; a failure cleared by a later success), so a
clip whose transcription failed makes the subtitles, the QC report and the bag stale, and
`Freshness.failed_upstream` names what failed so the stage can say so. Work keyed by content alone (a
render of the same inputs, a measurement of the same file) asks `check(upstream=False)`.

One rule for a stage that produced nothing where something was expected (`Shortfall`, `enforce`):
nothing at all fails the stage by name (`NothingProduced`, recorded as the stage's failure by
`run.Stage.run`), less than expected is a warning the stage reports; either way nothing of 0 bytes is
written at a final name.
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

from . import stagelist
from .catalogue import Catalogue, StageRun
from .errors import NothingProduced, ReportageError
from .fsutil import folder_files, refuse_if_changed, sha256_unchanged
from .progress import ProgressFn, ignore
from .workspace import Workspace

PROGRAMME = "programme"
"""The target name of stages that work on the programme as a whole."""


def inputs_hash(inputs: Any) -> str:
    """A stable hash of a stage's inputs (keys sorted, paths as strings)."""
    blob = json.dumps(inputs, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Failure:
    """The last run of `stage` on `target` failed, and nothing has succeeded there since."""

    stage: str
    target: str
    message: str

    def line(self) -> str:
        """`transcribe failed on clip_02: …` (no target named for a stage as a whole)."""
        where = "" if self.target == PROGRAMME else f" on {self.target}"
        return f"{self.stage} failed{where}: {self.message}"

    def to_json(self) -> dict[str, str]:
        return {"stage": self.stage, "target": self.target, "message": self.message}


@dataclass(frozen=True)
class Freshness:
    """The answer of `check`: the inputs key of `stage` on `target`, and whether it is up to date;
    `failed_upstream`: the failures upstream that are part of the key (the stage says so)."""

    stage: str
    target: str
    key: str
    fresh: bool
    previous: StageRun | None = None
    failed_upstream: tuple[Failure, ...] = ()


def _failures(cat: Catalogue, before: Sequence[str], per_clip: bool, target: str) -> tuple[Failure, ...]:
    if not before:
        return ()
    return tuple(Failure(r.stage, r.target, r.message or "failed") for r in cat.latest_failures(list(before))
                 if not per_clip or r.target in (target, PROGRAMME))


def upstream_failures(ws: Workspace, stage: str, target: str = PROGRAMME) -> tuple[Failure, ...]:
    """The failures that still stand in the stages `stage` is made from, directly or further up
    (`stagelist.upstream`); for a stage whose targets are clips, only those of the same clip (or of an
    upstream stage as a whole)."""
    with Catalogue(ws.catalogue_path) as cat:
        return _failures(cat, stagelist.upstream(stage), stagelist.clip_stage(stage), target)


def failed_targets(ws: Workspace, stage: str) -> set[str]:
    """The targets (clips) whose last run of `stage` failed: for a reader of its outputs, a gap to
    report, not an old output to use."""
    with Catalogue(ws.catalogue_path) as cat:
        return {r.target for r in cat.latest_failures([stage])}


def check(ws: Workspace, stage: str, target: str, inputs: Any, outputs: Sequence[Path] = (), *,
          upstream: bool = True, version: int = 0, before: Sequence[str] | None = None,
          clip_targets: bool | None = None) -> Freshness:
    """Is the last successful run of `stage` on `target` from the same inputs and code, with outputs present?

    Stages do not call this themselves: the runner hands each one a `Work` that does, with the
    stage's `VERSION` (a change of code that alters outputs makes them stale) and the stages it is
    made from (`before`; the stage list's by default). `outputs` are the files the caller needs now;
    the ones the run recorded must exist as well. The failures upstream that still stand are part of
    the key (`upstream=False` leaves them out: work that the same inputs make the same whatever
    failed elsewhere; so is the work of a stage whose targets are clips, which its own clip's new
    inputs make stale when the failure is mended); the key is the inputs' alone when there are none,
    so nothing is redone when nothing failed.
    """
    before = stagelist.upstream(stage) if before is None else tuple(before)
    per_clip = stagelist.clip_stage(stage) if clip_targets is None else clip_targets
    with Catalogue(ws.catalogue_path) as cat:
        previous = cat.last_done(stage, target)
        failed = _failures(cat, before, per_clip, target) if upstream else ()
    keyed = failed if not per_clip else ()
    material: Any = {"version": version, "inputs": inputs} if version else inputs
    key = inputs_hash(material if not keyed else
                      {"inputs": material, "failed_upstream": sorted([f.stage, f.target] for f in keyed)})
    fresh = (
        previous is not None
        and previous.inputs_hash == key
        and all(os.path.exists(_absolute(ws, p)) for p in previous.outputs)
        and all(p.exists() for p in outputs)
    )
    return Freshness(stage, target, key, fresh, previous, failed)


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


def note_failure(ws: Workspace, stage: str, message: str) -> None:
    """Remember that `stage` as a whole failed (`run.Stage.run`, on a ReportageError): everything
    made from it is stale until it runs again without failing (`clear_failure`). Never raises: a
    workspace that cannot be written is the error being reported already."""
    with contextlib.suppress(Exception):
        record_failure(ws, stage, PROGRAMME, message)


def clear_failure(ws: Workspace, stage: str) -> None:
    """`stage` as a whole ran without failing: its earlier failure no longer stands. Its failures on
    single targets (clips) stand until those targets succeed. Never raises."""
    with contextlib.suppress(Exception), Catalogue(ws.catalogue_path) as cat:
        cat.clear_failures(stage, PROGRAMME)


@dataclass(frozen=True)
class Shortfall:
    """Less than expected came back from a step of a stage: `missing` of `expected` `unit` empty.
    `enforce` applies the one rule to it."""

    what: str
    """What is short, as the editor knows it: "English"."""
    source: str
    """Who returned nothing: "the translator (whisper)"."""
    missing: int
    expected: int
    unit: str
    fix: str
    path: Path | None = None

    @property
    def nothing(self) -> bool:
        return self.missing >= self.expected

    def line(self) -> str:
        """`English: the translator (whisper) returned nothing for 67 of 67 cues — check …`."""
        return f"{self.problem()} — {self.fix}"

    def problem(self) -> str:
        return f"{self.what}: {self.source} returned nothing for {self.missing} of {self.expected} {self.unit}"


def shortfall(what: str, source: str, missing: int, expected: int, unit: str, fix: str,
              path: Path | None = None) -> Shortfall | None:
    """A Shortfall when something was expected (`expected` > 0) and some of it is missing, else None."""
    if expected <= 0 or missing <= 0:
        return None
    return Shortfall(what, source, min(missing, expected), expected, unit, fix, path)


def enforce(found: Shortfall | None) -> str | None:
    """The one rule for a stage that produced nothing where something was expected: nothing at all
    raises NothingProduced naming what, who, how much and the fix (the stage stops before writing
    it; `run.Stage.run` records the failure, so everything downstream is stale and says so); part
    of it missing returns the warning line for the stage's report; None when all of it came."""
    if found is None:
        return None
    if found.nothing:
        raise NothingProduced(found.problem(), path=found.path, hint=found.fix)
    return found.line()


def forget(ws: Workspace, stage: str, target: str | None = None) -> None:
    """Drop the recorded runs of `stage` (on `target`, or every target): the next run does the work."""
    with Catalogue(ws.catalogue_path) as cat:
        cat.forget_runs(stage, target)


def content_hash(ws: Workspace, path: Path) -> str:
    """SHA-256 of `path`, read again only when its size or mtime differ from the last reading."""
    with Catalogue(ws.catalogue_path) as cat:
        return cat.content_hash(path)


def folder_hashes(ws: Workspace, folder: Path) -> dict[str, str]:
    """`{path relative to the folder: SHA-256}` of every file of a folder (`fsutil.folder_files`), in one
    catalogue connection: each file read once, later known by its size and mtime."""
    with Catalogue(ws.catalogue_path) as cat:
        return {p.relative_to(folder).as_posix(): cat.content_hash(p) for p in folder_files(folder)}


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


@dataclass(frozen=True)
class Work:
    """What the runner hands a stage's `make`: where it works, what it was asked for, and the one way
    it asks whether a target is up to date and says that it made one.

    The key of every target holds the stage's `VERSION` and the failures upstream that still stand
    (`before`: the stages it is made from, from the stage list the runner walks), so a stage never
    builds a key itself and a code change that alters outputs makes them stale.
    """

    ws: Workspace
    stage: str
    version: int
    before: tuple[str, ...] = ()
    clip_targets: bool = False
    progress: ProgressFn = ignore
    clips: tuple[str, ...] | None = None
    """The clips asked for (None: all of them), for a stage that works per clip."""
    on_clip: Callable[[Any], None] | None = None
    """Told of each clip as it is done (ingest: the walk transcribes it meanwhile)."""

    @classmethod
    def of(cls, ws: Workspace, stage: str, version: int, progress: ProgressFn = ignore,
           clips: Sequence[str] | None = None, on_clip: Callable[[Any], None] | None = None) -> Work:
        """The work of a stage of the stage list (`stagelist.STAGE_LIST`) on `ws`."""
        return cls(ws, stage, version, stagelist.upstream(stage), stagelist.clip_stage(stage), progress,
                   tuple(clips) if clips is not None else None, on_clip)

    def check(self, target: str, inputs: Any, outputs: Sequence[Path] = (), *, upstream: bool = True) -> Freshness:
        """Is `target` up to date: the same inputs and version as its last good run, outputs present?"""
        return check(self.ws, self.stage, target, inputs, outputs, upstream=upstream, version=self.version,
                     before=self.before, clip_targets=self.clip_targets)

    def done(self, freshness: Freshness, outputs: Sequence[Path], *, started_at: float | None = None,
             message: str | None = None) -> None:
        """`freshness.target` was made, with these files: the next check finds it up to date."""
        record(self.ws, freshness, outputs, started_at=started_at, message=message)

    def failed(self, target: str, message: str) -> None:
        """`target` failed: nothing made from it is up to date until it is made again."""
        record_failure(self.ws, self.stage, target, message)

    def forget(self, target: str | None = None) -> None:
        """Drop what is on record for `target` (every target): the next run makes it again."""
        forget(self.ws, self.stage, target)

    def never_done(self, target: str) -> bool:
        return never_done(self.ws, self.stage, target)

    def failed_upstream(self, target: str = PROGRAMME) -> tuple[Failure, ...]:
        """The failures upstream that still stand (the stage says what it was made without)."""
        with Catalogue(self.ws.catalogue_path) as cat:
            return _failures(cat, self.before, self.clip_targets, target)
