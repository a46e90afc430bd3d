"""Start a `pipeline.batch.child` process and collect what it reports, line by line.

Shared by the in-process batch and the Dramatiq worker: both run every piece of work this way.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .child import PARENT_ENV

BUSY_EXIT = 75
RUNNING: set[Child] = set()
"""The work processes started by `Child` that are still running (a worker stops them on shutdown)."""
STOP_GRACE_S = 60.0
"""How long a child stopped with SIGTERM gets to stop ffmpeg and delete its temporaries."""


@dataclass
class ChildResult:
    """What one child reported: each stage's outcome, the walk's report, or the error that
    stopped it before the walk; and its exit status."""

    exit_code: int
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    report: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    stderr_tail: str = ""

    @property
    def busy(self) -> bool:
        return self.exit_code == BUSY_EXIT

    @property
    def interrupted(self) -> bool:
        """Stopped on purpose (SIGTERM, SIGHUP, Ctrl-C) and cleaned up after itself; a child killed
        outright (a negative status) crashed."""
        stops = {128 + int(s) for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)}
        return self.exit_code in stops or (self.error or {}).get("type") == "Interrupted"

    @property
    def crashed(self) -> bool:
        """Ended without saying how (killed, or an error that is not ours): worth another try."""
        return self.report is None and self.error is None and not self.busy

    def failure_line(self) -> str:
        if self.error is not None:
            return str(self.error.get("line") or self.error.get("problem"))
        if self.report is not None:
            return str(self.report.get("stop_reason") or "failed")
        last = [line for line in self.stderr_tail.strip().splitlines() if line.strip()]
        code = f"signal {-self.exit_code}" if self.exit_code < 0 else f"status {self.exit_code}"
        return f"the work process ended with {code}" + (f": {last[-1].strip()}" if last else "")


def child_argv(workspace: Path, manifest: Path, stages: Sequence[str] = (), clips: Sequence[str] | None = None,
               options: dict[str, Any] | None = None, wait: bool = False) -> list[str]:
    argv = [sys.executable, "-m", "pipeline.batch.child", "--workspace", str(workspace), "--manifest", str(manifest),
            "--options", json.dumps(options or {})]
    for name in stages:
        argv += ["--stage", name]
    for clip in clips or ():
        argv += ["--clip", clip]
    if wait:
        argv.append("--wait")
    return argv


class Child:
    """One running child; `stop()` may be called from any thread."""

    def __init__(self, argv: list[str]) -> None:
        self.argv = argv
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed in collect, once the child has ended)
        env = dict(os.environ, **{PARENT_ENV: str(os.getpid())})
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self._stderr, stdin=subprocess.DEVNULL,
                                     env=env, text=True, encoding="utf-8", errors="replace")
        self._stopping = threading.Event()
        RUNNING.add(self)

    def stop(self) -> None:
        """SIGTERM (a clean stop); SIGKILL when it has not stopped within STOP_GRACE_S."""
        if self._stopping.is_set() or self.proc.poll() is not None:
            return
        self._stopping.set()
        try:
            self.proc.send_signal(signal.SIGTERM)
        except ProcessLookupError:
            return
        threading.Thread(target=self._kill_later, daemon=True).start()

    def _kill_later(self) -> None:
        try:
            self.proc.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def collect(self, on_event: Callable[[dict[str, Any]], None] | None = None) -> ChildResult:
        """Read every line until the child ends; `on_event` sees each event as it comes."""
        result = ChildResult(0)
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if not isinstance(event, dict):
                continue
            kind = event.get("event")
            if kind == "stage" and isinstance(event.get("outcome"), dict):
                result.outcomes.append(event["outcome"])
            elif kind == "report" and isinstance(event.get("report"), dict):
                result.report = event["report"]
            elif kind == "error" and isinstance(event.get("error"), dict):
                result.error = event["error"]
            if on_event is not None:
                on_event(event)
        result.exit_code = self.proc.wait()
        RUNNING.discard(self)
        self._stderr.seek(0, os.SEEK_END)
        size = self._stderr.tell()
        self._stderr.seek(max(0, size - 4000))
        result.stderr_tail = self._stderr.read().decode("utf-8", "replace")
        self._stderr.close()
        return result
