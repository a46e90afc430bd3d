"""The in-process batch: every programme on this machine, up to `jobs` at a time.

Each programme walks the whole stage list in its own child process, so with `jobs` > 1 different
programmes are at different stages at once (one transcribing while another renders), and a
programme that fails stops alone. SIGTERM, SIGHUP or Ctrl-C stops every child cleanly (each
deletes its temporaries and leaves finished work in place) and no new programme is started;
the summary of what got done is still written. A rerun of the same batch skips what is fresh.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..lock import Interrupted, stop_on_signals
from .discover import Entry
from .options import BatchOptions
from .spawn import Child, ChildResult, child_argv
from .summary import ProgrammeResult

EventFn = Callable[[str, dict[str, Any]], None]
"""Called with (programme key, event) as children report; the CLI prints from it."""


def default_jobs(cpus: int | None = None) -> int:
    """Programmes in flight at once by default: two on a 2-core machine, about one per two cores
    beyond that (ffmpeg and Whisper each use several cores; more programmes only add memory)."""
    n = cpus if cpus is not None else (os.cpu_count() or 1)
    return max(1, min(8, max(2, n // 2))) if n >= 2 else 1


@dataclass
class LocalBatch:
    """The outcome of an in-process batch: one result per programme, in the order given."""

    results: list[ProgrammeResult]
    started: float
    finished: float
    jobs: int
    interrupted: Interrupted | None = None
    titles: dict[str, str] = field(default_factory=dict)


def result_from_child(result: ProgrammeResult, child: ChildResult) -> None:
    """Fill `result` from what its child reported."""
    result.stages = child.outcomes
    if child.report is not None:
        result.stopped_after = child.report.get("stopped_after")
        result.stop_reason = child.report.get("stop_reason")
    if child.error is not None:
        result.error = child.error
        result.stopped_after = result.stopped_after or (str(child.outcomes[-1]["stage"]) if child.outcomes else None)
    if child.interrupted:
        result.interrupted = True
        result.error = None
    elif child.crashed:
        result.crash = child.failure_line()
    result.finished = True


def run_local(entries: Sequence[Entry], workspace_root: Path, options: BatchOptions, jobs: int,
              on_event: EventFn | None = None) -> LocalBatch:
    """Run every loadable programme of `entries`; bad manifests become results with their error."""
    started = time.time()
    results: list[ProgrammeResult] = []
    titles: dict[str, str] = {}
    children: dict[int, Child] = {}
    guard = threading.Lock()
    stopping = threading.Event()
    for e in entries:
        r = ProgrammeResult(e.key, str(e.manifest))
        if e.error is not None:
            from .child import error_dict

            r.error, r.finished = error_dict(e.error), True
        elif e.programme is not None:
            titles[e.key] = e.programme.manifest.title.vi if e.programme.manifest.title else ""
        results.append(r)

    def one(index: int, entry: Entry) -> None:
        r = results[index]
        if stopping.is_set():
            r.interrupted = True
            return
        began = time.monotonic()
        argv = child_argv(workspace_root, entry.manifest, options=options.to_json())
        with guard:
            if stopping.is_set():
                r.interrupted = True
                return
            child = children[index] = Child(argv)
        if on_event is not None:
            on_event(entry.key, {"event": "start"})
        got = child.collect((lambda ev: on_event(entry.key, ev)) if on_event is not None else None)
        result_from_child(r, got)
        r.seconds = time.monotonic() - began
        if on_event is not None:
            on_event(entry.key, {"event": "end", "ok": r.ok})

    runnable = [(i, e) for i, e in enumerate(entries) if e.error is None]
    interrupted: Interrupted | None = None
    pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="batch")
    try:
        with stop_on_signals():
            futures: set[Future[None]] = {pool.submit(one, i, e) for i, e in runnable}
            try:
                while futures:
                    _, futures = wait(futures, timeout=0.5, return_when=FIRST_COMPLETED)
            except Interrupted as exc:
                interrupted = exc
                stopping.set()
                with guard:
                    for child in children.values():
                        child.stop()
                wait(futures)
    finally:
        pool.shutdown(wait=True)
    for i, _ in runnable:
        if interrupted is not None and not results[i].finished:
            results[i].interrupted = True
    return LocalBatch(results, started, time.time(), jobs, interrupted, titles)
