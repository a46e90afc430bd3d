"""What every command shares: the context object built from the global options, and arguments."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import click

from .. import ui
from ..manifest import Programme
from ..workspace import Workspace


@dataclass(frozen=True)
class Ctx:
    workspace_root: Path
    as_json: bool
    verbosity: int

    @property
    def quiet(self) -> bool:
        return self.verbosity < 0 or self.as_json

    def bars(self) -> ui.Bars:
        return ui.Bars(enabled=not self.quiet and sys.stderr.isatty())

    def workspace(self, programme: Programme) -> Workspace:
        return Workspace(self.workspace_root.absolute(), programme.id)


pass_ctx = click.make_pass_decorator(Ctx)


pass_ctx = click.make_pass_decorator(Ctx)
manifest_arg = click.argument("manifest", type=click.Path(dir_okay=False, path_type=Path))
