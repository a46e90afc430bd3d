"""`progress.json` in the programme folder: how far the stage running now has got (owner: the runner,
`run.Stage.run`; readers: the review room, `reportage batch` status).

A long render or QC reports `Progress` events (seconds of picture encoded over every chunk to make,
ranges measured); the CLI draws them as bars, and this record lets whoever is not at that terminal
see them too: per task its latest figures, when it started and the time left at its pace so far.
Written at most once a second (atomically), removed when the stage ends; a record not updated for
`STALE_S` belongs to a process that died and reads as nothing running.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .. import fsutil
from ..errors import WorkspaceError
from ..progress import Progress, ProgressFn
from ..workspace import Workspace
from .reading import read_record

PROGRESS_VERSION = 1
STALE_S = 120.0
EVERY_S = 1.0


@dataclass(frozen=True)
class TaskProgress:
    """One task's latest figures (`Progress`), when it was first seen, and the seconds left at its
    pace so far (None before anything is done)."""

    task: str
    done: float
    total: float
    unit: str
    started: float
    eta_s: float | None

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total > 0 else 0.0

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TaskProgress:
        eta = data.get("eta_s")
        return cls(str(data["task"]), float(data["done"]), float(data["total"]), str(data.get("unit") or ""),
                   float(data.get("started") or 0.0), float(eta) if eta is not None else None)


@dataclass(frozen=True)
class ProgressRecord:
    """The stage running on a programme and its tasks, longest first."""

    stage: str
    host: str
    pid: int
    started: float
    updated: float
    tasks: tuple[TaskProgress, ...]

    def to_json(self) -> dict[str, Any]:
        return {"version": PROGRESS_VERSION, **asdict(self), "tasks": [asdict(t) for t in self.tasks]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ProgressRecord:
        if int(data.get("version") or 0) != PROGRESS_VERSION:
            raise ValueError(f"progress record version {data.get('version')!r}, not {PROGRESS_VERSION}")
        return cls(str(data["stage"]), str(data.get("host") or ""), int(data.get("pid") or 0),
                   float(data["started"]), float(data["updated"]),
                   tuple(TaskProgress.from_json(t) for t in data.get("tasks") or ()))


def progress_path(ws: Workspace) -> Path:
    return ws.dir / "progress.json"


def read_progress(ws: Workspace, now: float | None = None) -> ProgressRecord | None:
    """The running stage's progress; None when nothing runs (no record, or one left by a process
    that died: not updated for `STALE_S`)."""
    with contextlib.suppress(WorkspaceError):  # half-written by a process that died: nothing runs
        record = read_record(progress_path(ws), ProgressRecord.from_json, "progress record", "")
        if record is not None and (now or time.time()) - record.updated <= STALE_S:
            return record
    return None


class ProgressWriter:
    """A ProgressFn that passes every event on and keeps `progress.json` up to date (at most once
    a second, and at each task's end); `close` removes the record."""

    def __init__(self, ws: Workspace, stage: str, then: ProgressFn) -> None:
        self._ws, self._stage, self._then = ws, stage, then
        self._started = time.time()
        self._tasks: dict[str, tuple[Progress, float]] = {}
        self._written = 0.0
        self._lock = threading.Lock()

    def __call__(self, event: Progress) -> None:
        self._then(event)
        now = time.time()
        with self._lock:
            first = self._tasks.get(event.task, (event, now))[1]
            self._tasks[event.task] = (event, first)
            if now - self._written < EVERY_S and event.done < event.total:
                return
            self._written = now
            record = self._record(now)
        with contextlib.suppress(OSError, ValueError):
            fsutil.write_json(progress_path(self._ws), record.to_json())

    def _record(self, now: float) -> ProgressRecord:
        tasks = []
        for event, first in self._tasks.values():
            elapsed = now - first
            eta = (event.total - event.done) * elapsed / event.done if event.done > 0 and elapsed > 0 else None
            tasks.append(TaskProgress(event.task, event.done, event.total, event.unit, first,
                                      max(0.0, eta) if eta is not None else None))
        tasks.sort(key=lambda t: -t.total if t.unit == "s" else 0)
        return ProgressRecord(self._stage, socket.gethostname(), os.getpid(), self._started, now, tuple(tasks))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            progress_path(self._ws).unlink()
