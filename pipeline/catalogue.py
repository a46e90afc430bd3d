"""The programme's SQLite catalogue: clips, their facts and checksums, and every stage run.

SQLite because it is one file in the workspace, survives crashes (WAL + transactions), and can be
queried by hand when an editor asks "which clips are VFR?".
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from .errors import WorkspaceError
from .fsutil import sha256_unchanged

P = ParamSpec("P")
R = TypeVar("R")

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS clips (
    clip_id     TEXT PRIMARY KEY,
    source      TEXT NOT NULL,
    size_bytes  INTEGER,
    mtime_ns    INTEGER,
    sha256      TEXT,
    status      TEXT NOT NULL,          -- ok | failed
    error       TEXT,
    summary     TEXT,
    duration_ms INTEGER,
    fps         TEXT,
    width       INTEGER,
    height      INTEGER,
    scan        TEXT,
    vfr         INTEGER,
    rotation    INTEGER,
    has_audio   INTEGER,
    conformed   INTEGER,
    shot_count  INTEGER,
    ingest_key  TEXT,
    probe_json  TEXT,
    updated_at  REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS stage_runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    stage       TEXT NOT NULL,
    target      TEXT NOT NULL,
    inputs_hash TEXT NOT NULL,
    status      TEXT NOT NULL,          -- done | failed | skipped
    started_at  REAL NOT NULL,
    seconds     REAL,
    outputs     TEXT,
    message     TEXT
);
CREATE INDEX IF NOT EXISTS stage_runs_target ON stage_runs (stage, target, id);
CREATE TABLE IF NOT EXISTS file_hashes (
    path        TEXT PRIMARY KEY,
    size_bytes  INTEGER NOT NULL,
    mtime_ns    INTEGER NOT NULL,
    sha256      TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class ClipRecord:
    clip_id: str
    source: str
    status: str
    size_bytes: int | None = None
    mtime_ns: int | None = None
    sha256: str | None = None
    error: str | None = None
    summary: str | None = None
    duration_ms: int | None = None
    fps: str | None = None
    width: int | None = None
    height: int | None = None
    scan: str | None = None
    vfr: bool | None = None
    rotation: int | None = None
    has_audio: bool | None = None
    conformed: bool | None = None
    shot_count: int | None = None
    ingest_key: str | None = None
    probe_json: str | None = None


@dataclass(frozen=True)
class StageRun:
    stage: str
    target: str
    inputs_hash: str
    status: str
    started_at: float
    seconds: float | None
    outputs: list[str]
    message: str | None


def _sqlite_problem(exc: sqlite3.Error) -> tuple[str, str]:
    """What a SQLite failure means for an editor, and what to do about it."""
    text = str(exc).lower()
    if "readonly" in text or "read-only" in text:
        return "cannot be written: the workspace is read-only", "use a workspace folder you can write (--workspace)"
    if "full" in text:
        return "cannot be written: the disk is full", "free disk space in the workspace"
    if "locked" in text or "busy" in text:
        return ("is locked by another process (it stayed locked while this one waited)",
                "wait for the other process using this workspace to finish, then try again")
    if "unable to open" in text:
        return "cannot be opened", "check that the workspace folder exists and can be written (--workspace)"
    if "no such module: fts5" in text:
        return "cannot be searched: this Python's SQLite has no FTS5", "use a Python built with SQLite 3.9 or newer"
    if any(sign in text for sign in ("not a database", "malformed", "no such table", "no such column",
                                     "vtable constructor failed", "has no column", "disk i/o error")):
        return f"is damaged ({exc})", "move it aside; `reportage ingest` builds a new one"
    return f"failed ({exc})", "check the workspace folder and the disk"


def catalogue_error(exc: sqlite3.Error, path: Path | None) -> WorkspaceError:
    """A SQLite failure on the catalogue at `path` as the one-line error an editor can act on."""
    problem, hint = _sqlite_problem(exc)
    return WorkspaceError(problem, path=path, hint=hint)


def _guarded(method: Callable[P, R]) -> Callable[P, R]:
    """Turn SQLite's errors into one WorkspaceError naming the catalogue file."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except sqlite3.Error as exc:
            raise catalogue_error(exc, getattr(args[0], "path", None)) from exc

    return wrapper


_OPENING = threading.Lock()

class Catalogue:
    """A connection to one programme's catalogue; use as a context manager.

    Every SQLite failure (read-only folder, full disk, damaged file) surfaces as a WorkspaceError.
    """

    @_guarded
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WorkspaceError(f"cannot create the programme folder ({exc.strerror})", path=path.parent,
                                 hint="use a workspace folder you can write (--workspace)") from exc
        self.db = sqlite3.connect(path, timeout=30)
        self.db.row_factory = sqlite3.Row
        with _OPENING:  # two ingest threads opening a new catalogue must not race to create it
            if self.db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                self.db.execute("PRAGMA journal_mode=WAL")  # SQLite does not wait for this one
            self.db.executescript(_SCHEMA)
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            self.db.commit()

    def __enter__(self) -> Catalogue:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self.db:
            yield self.db

    # clips -------------------------------------------------------------------------------------
    @_guarded
    def upsert_clip(self, record: ClipRecord) -> None:
        values: dict[str, Any] = dict(record.__dict__)
        for key in ("vfr", "has_audio", "conformed"):
            if values[key] is not None:
                values[key] = int(values[key])
        values["updated_at"] = time.time()
        columns = ", ".join(values)
        marks = ", ".join(f":{k}" for k in values)
        with self.transaction() as db:
            db.execute(f"INSERT OR REPLACE INTO clips ({columns}) VALUES ({marks})", values)

    @_guarded
    def clip(self, clip_id: str) -> ClipRecord | None:
        row = self.db.execute("SELECT * FROM clips WHERE clip_id = ?", (clip_id,)).fetchone()
        return _clip_from_row(row) if row else None

    @_guarded
    def clips(self) -> list[ClipRecord]:
        return [_clip_from_row(r) for r in self.db.execute("SELECT * FROM clips ORDER BY clip_id")]

    @_guarded
    def remove_clips_except(self, keep: set[str]) -> list[str]:
        """Forget clips no longer in the manifest; returns their ids."""
        gone = [r["clip_id"] for r in self.db.execute("SELECT clip_id FROM clips") if r["clip_id"] not in keep]
        with self.transaction() as db:
            db.executemany("DELETE FROM clips WHERE clip_id = ?", [(g,) for g in gone])
        return gone

    # stage runs --------------------------------------------------------------------------------
    @_guarded
    def record_run(self, run: StageRun) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO stage_runs (stage, target, inputs_hash, status, started_at, seconds, outputs, message)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (run.stage, run.target, run.inputs_hash, run.status, run.started_at, run.seconds,
                 json.dumps(run.outputs, ensure_ascii=False), run.message),
            )

    @_guarded
    def last_done(self, stage: str, target: str) -> StageRun | None:
        """The most recent successful run of `stage` on `target`, for the up-to-date check."""
        row = self.db.execute(
            "SELECT * FROM stage_runs WHERE stage = ? AND target = ? AND status = 'done' ORDER BY id DESC LIMIT 1",
            (stage, target),
        ).fetchone()
        if row is None:
            return None
        return StageRun(row["stage"], row["target"], row["inputs_hash"], row["status"], row["started_at"],
                        row["seconds"], json.loads(row["outputs"] or "[]"), row["message"])


    @_guarded
    def latest_failures(self, stages: Sequence[str]) -> list[StageRun]:
        """The targets of `stages` whose most recent run failed (a later success clears a failure),
        oldest first."""
        if not stages:
            return []
        marks = ", ".join("?" * len(stages))
        rows = self.db.execute(
            f"SELECT r.* FROM stage_runs r JOIN (SELECT MAX(id) AS id FROM stage_runs WHERE stage IN ({marks})"
            " GROUP BY stage, target) latest ON r.id = latest.id WHERE r.status = 'failed' ORDER BY r.id",
            tuple(stages),
        ).fetchall()
        return [StageRun(row["stage"], row["target"], row["inputs_hash"], row["status"], row["started_at"],
                         row["seconds"], json.loads(row["outputs"] or "[]"), row["message"]) for row in rows]

    @_guarded
    def clear_failures(self, stage: str, target: str) -> None:
        """Forget the failed runs of `stage` on `target` (the stage has since run without failing)."""
        with self.transaction() as db:
            db.execute("DELETE FROM stage_runs WHERE stage = ? AND target = ? AND status = 'failed'", (stage, target))

    @_guarded
    def forget_runs(self, stage: str, target: str | None = None) -> None:
        """Delete the recorded runs of `stage` (on one target, or all)."""
        with self.transaction() as db:
            if target is None:
                db.execute("DELETE FROM stage_runs WHERE stage = ?", (stage,))
            else:
                db.execute("DELETE FROM stage_runs WHERE stage = ? AND target = ?", (stage, target))

    # content hashes ----------------------------------------------------------------------------
    @_guarded
    def content_hash(self, path: Path) -> str:
        """SHA-256 of `path`; the file is read only when its size or mtime changed since last time."""
        st = path.stat()
        known = self.known_hash(path, st)
        if known is not None:
            return known
        digest = sha256_unchanged(path, st)  # a file still being copied is refused, not remembered
        self.store_hash(path, st, digest)
        return digest

    def known_hash(self, path: Path, st: os.stat_result | None = None) -> str | None:
        """The SHA-256 read before, if the file's size and mtime are still what they were then."""
        st = st or path.stat()
        row = self.db.execute("SELECT * FROM file_hashes WHERE path = ?", (str(path),)).fetchone()
        if row is not None and row["size_bytes"] == st.st_size and row["mtime_ns"] == st.st_mtime_ns:
            return str(row["sha256"])
        return None

    def store_hash(self, path: Path, st: os.stat_result, digest: str) -> None:
        """Remember `digest` for `path` as it was when `st` was taken (before the reading began)."""
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO file_hashes VALUES (?, ?, ?, ?)",
                       (str(path), st.st_size, st.st_mtime_ns, digest))


def _clip_from_row(row: sqlite3.Row) -> ClipRecord:
    data = dict(row)
    data.pop("updated_at", None)
    for key in ("vfr", "has_audio", "conformed"):
        if data[key] is not None:
            data[key] = bool(data[key])
    return ClipRecord(**data)
