"""What every command shares: the context built from the global options, the programme lock, and
the one way a command runs a stage (lock held, signals turned into a clean stop)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

import click

from .. import ui
from ..lock import programme_lock, stop_on_signals
from ..manifest import Programme
from ..run import StageReport, stage
from ..workspace import Workspace

Show: TypeAlias = "Callable[[Ctx, Programme, Any], None]"
"""Draws a stage's report for an editor (nothing under --json)."""


@dataclass(frozen=True)
class Ctx:
    workspace_root: Path
    as_json: bool
    verbosity: int
    wait: bool = False

    @property
    def quiet(self) -> bool:
        return self.verbosity < 0 or self.as_json

    def bars(self) -> ui.Bars:
        return ui.Bars(enabled=not self.quiet and sys.stderr.isatty())

    def workspace(self, programme: Programme) -> Workspace:
        return Workspace(self.workspace_root.absolute(), programme.id)

    @contextlib.contextmanager
    def locked(self, programme: Programme) -> Iterator[Workspace]:
        """The programme's workspace, held against other writers, with SIGTERM/SIGHUP/SIGINT
        turned into a clean stop (children stopped, temporaries deleted, non-zero exit)."""
        ws = self.workspace(programme)
        with stop_on_signals(), programme_lock(ws, wait=self.wait):
            yield ws

    def run_stage(self, programme: Programme, name: str, settings: Any = None,
                  clips: Sequence[str] | None = None) -> StageReport:
        """Run one stage of the registry on `programme` under the lock, drawing progress bars."""
        with self.locked(programme) as ws, self.bars() as bars:
            return stage(name).run(programme, ws, settings, bars, clips)

    def stage_command(self, programme: Programme, name: str, show: Show, settings: Any = None,
                      clips: Sequence[str] | None = None) -> None:
        """What a stage's own command does: run it, print its report (one JSON document under
        `--json`, else `show`), and exit 1 when the report is not ok."""
        report = self.run_stage(programme, name, settings, clips)
        if self.as_json:
            ui.emit_json(report.to_dict())
        show(self, programme, report)
        self.say_failed_upstream(programme, name)
        if not report.ok:
            sys.exit(1)

    def say_failed_upstream(self, programme: Programme, name: str) -> None:
        """What failed upstream of stage `name` and still stands: its work is stale, made without it
        (`stagerun.upstream_failures`); `reportage run` says the same for every stage it walks."""
        from .. import stagerun
        from ..errors import ReportageError

        try:
            failed = stagerun.upstream_failures(self.workspace(programme), name)
        except ReportageError:
            return
        for failure in failed[:5]:
            ui.say(f"  stale: {failure.line()} — fix it and run again", self.quiet)


pass_ctx = click.make_pass_decorator(Ctx)
manifest_arg = click.argument("manifest", type=click.Path(dir_okay=False, path_type=Path))
clips_option = click.option("--clip", "clips", multiple=True, metavar="ID",
                            help="Only this clip (repeatable); the others are left as they are.")
