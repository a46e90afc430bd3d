"""`reportage ingest`, and how its report is drawn."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .. import ui
from ..manifest import Programme
from ..timecode import ms_to_timecode
from ..validate import load_manifest
from .common import Ctx, clips_option, manifest_arg, pass_ctx


def show_ingest(c: Ctx, programme: Programme, report: Any) -> None:
    """The ingest table and one line per failed clip or cut-list problem."""
    if c.as_json:
        return
    if report.up_to_date and not report.timeline_problems:
        ui.say(f"ingest: {programme.id} up to date ({len(report.clips)} clips, nothing to do)", c.quiet)
        for warning in report.warnings:
            ui.console.print(f"warning: {warning}", markup=False)
        return
    if not c.quiet and report.clips:  # none when probing found the cut list wrong before any encode
        rows = []
        for clip in report.clips:
            rows.append([
                clip.clip_id,
                clip.status,
                ms_to_timecode(clip.duration_ms, programme.rate) if clip.duration_ms else "—",
                clip.summary or "—",
                ", ".join(clip.conform_reasons) if clip.conformed else "not needed",
                str(clip.shot_count) if clip.status not in ("failed", "removed") and clip.has_video else "—",
            ])
        present = [cl for cl in report.clips if cl.status != "removed"]
        total = sum(cl.duration_ms for cl in present)
        ui.table(f"ingest {programme.id}: {len(present)} clips, {ms_to_timecode(total, programme.rate)}",
                 ["clip", "status", "duration", "format", "working copy (made by conform)", "shots"], rows)
    for warning in report.warnings:
        ui.console.print(f"warning: {warning}", markup=False)
    for clip in report.failed:
        ui.console.print(f"error: {clip.error}", markup=False)
    for problem in report.timeline_problems:
        ui.console.print(f"error: {problem}", markup=False)


@click.command()
@manifest_arg
@clips_option
@click.option("--no-shots", is_flag=True, help="Skip shot detection.")
@pass_ctx
def ingest(c: Ctx, manifest: Path, clips: tuple[str, ...], no_shots: bool) -> None:
    """Probe, checksum and proxy every source clip, with its ASR audio and shots; record them in the catalogue."""
    from ..stages.ingest import Settings

    programme = load_manifest(manifest)
    c.stage_command(programme, "ingest", show_ingest, Settings(detect_shots=not no_shots), clips or None)
