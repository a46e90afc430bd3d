"""`reportage conform`, and how its report is drawn."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .. import ui
from ..manifest import Programme
from ..validate import load_manifest
from .common import Ctx, manifest_arg, pass_ctx


def show_conform(c: Ctx, programme: Programme, report: Any) -> None:
    """One line when nothing was needed, else a row per timeline clip; one line per failed clip."""
    if c.as_json:
        return
    made = [clip for clip in report.clips if clip.status == "conformed"]
    if not made and not report.failed:
        ui.say(f"conform: {programme.id} up to date ({len(report.clips)} timeline clips, nothing to do)", c.quiet)
        return
    if not c.quiet:
        rows = [[clip.clip_id, clip.status, ", ".join(clip.reasons) or "—",
                 f"{clip.seconds:.1f} s" if clip.status == "conformed" else "—"] for clip in report.clips]
        ui.table(f"conform {programme.id}: {len(made)} working copies made", ["clip", "status", "why", "took"], rows)
    for clip in report.failed:
        ui.console.print(f"error: {clip.error}", markup=False)


@click.command()
@manifest_arg
@pass_ctx
def conform(c: Ctx, manifest: Path) -> None:
    """Make house-format working copies of the clips the timeline uses (after `assemble`)."""
    programme = load_manifest(manifest)
    c.stage_command(programme, "conform", show_conform)
