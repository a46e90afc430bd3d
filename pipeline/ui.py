"""Drawing for the CLI: progress bars, tables, JSON. Stages never import this."""

from __future__ import annotations

import json
import sys
import threading
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.progress import Progress as RichProgress
from rich.table import Table

from .progress import Progress

# Wide enough for the summary tables when output goes to a log file rather than a terminal. Lines
# printed to a file or a pipe are never wrapped (`soft_wrap`): an error line stays one line however
# long its path, for whoever greps the log; a terminal wraps at its own width.
console = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 160,
                  soft_wrap=not sys.stderr.isatty())
out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)


class Bars:
    """A progress callback that draws one rich bar per task, with ETA; silent when disabled."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._bars: RichProgress | None = None
        self._tasks: dict[str, Any] = {}
        self._lock = threading.Lock()  # ingest reports two clips at once, from two threads

    def __enter__(self) -> Bars:
        if self.enabled:
            self._bars = RichProgress(
                TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=console, transient=True,
            )
            self._bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bars is not None:
            self._bars.stop()

    def __call__(self, event: Progress) -> None:
        if self._bars is None:
            return
        with self._lock:
            task = self._tasks.get(event.task)
            if task is None:
                task = self._bars.add_task(event.task, total=max(event.total, 1e-9))
                self._tasks[event.task] = task
            self._bars.update(task, completed=event.done, total=max(event.total, 1e-9))


def table(title: str, columns: list[str], rows: list[list[str]]) -> None:
    """Print a summary table to stdout."""
    tab = Table(title=title, show_lines=False)
    for col in columns:
        tab.add_column(col, overflow="fold")
    for row in rows:
        tab.add_row(*row)
    out.print(tab)


_json = {"requested": False, "emitted": False}


def json_requested(requested: bool) -> None:
    """The CLI says whether `--json` was given (and forgets any document printed before)."""
    _json.update(requested=requested, emitted=False)


def json_pending() -> bool:
    """Whether `--json` was given and no document has been printed yet (an error then prints one)."""
    return _json["requested"] and not _json["emitted"]


def emit_json(data: Any) -> None:
    """Machine-readable output for `--json`: one JSON document on stdout."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
    _json["emitted"] = True


def say(text: str, quiet: bool = False) -> None:
    """A line for the editor on stderr (stdout stays clean for tables and JSON)."""
    if not quiet:
        console.print(text, markup=False)
