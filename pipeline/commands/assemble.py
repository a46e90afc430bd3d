"""`reportage assemble`, and how its report is drawn."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .. import ui
from ..manifest import Programme
from ..timecode import ms_to_timecode
from ..validate import load_manifest
from .common import Ctx, manifest_arg, pass_ctx


def show_assemble(c: Ctx, programme: Programme, report: Any) -> None:
    """One line: whether the timeline was written, its segments and its duration."""
    state = "written" if report.changed else "up to date"
    ui.say(f"assemble: {programme.id} timeline {state} ({len(report.timeline.segments)} segments, "
           f"{ms_to_timecode(report.timeline.duration_ms, programme.rate)})", c.quiet)


@click.command()
@manifest_arg
@pass_ctx
def assemble(c: Ctx, manifest: Path) -> None:
    """Build timeline.json from the cut list (or the master) and the ingested clips."""
    programme = load_manifest(manifest)
    c.stage_command(programme, "assemble", show_assemble)
