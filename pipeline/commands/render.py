"""`reportage render MANIFEST`: the one-pass render, its progress bars and its summary table.

`run_step` is what `reportage run` calls after the earlier stages.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .. import ui
from ..manifest import Programme, load_manifest
from ..media.ffmpeg import command_line
from .common import Ctx, manifest_arg, pass_ctx


def _size(n: int | None) -> str:
    if n is None:
        return "—"
    return f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{n / 1e3:.0f} kB"


def _render(c: Ctx, programme: Programme, only: tuple[str, ...] = (), dry_run: bool = False,
            force: bool = False) -> bool:
    from ..stages.render import RenderSettings, render_programme

    settings = RenderSettings(only=only, dry_run=dry_run, force=force)
    with c.bars() as bars:
        report = render_programme(programme, c.workspace(programme), settings, progress=bars)
    if c.as_json:
        ui.emit_json(report.to_dict())
        return True
    for warning in report.warnings:
        ui.say(f"warning: {warning}", c.quiet)
    if dry_run:
        for command in report.commands:
            ui.out.print(command_line(command), markup=False, soft_wrap=True)
        if not report.commands:
            ui.say(f"render: {programme.id} up to date, nothing would run", c.quiet)
        return True
    if report.up_to_date:
        ui.say(f"render: {programme.id} up to date ({len(report.deliverables)} deliverables, nothing to do)", c.quiet)
        return True
    if not c.quiet:
        rows = []
        for d in report.deliverables:
            loud = d.loudness or {}
            measured = "—"
            if loud.get("integrated_lufs") is not None:
                tp = loud.get("true_peak_dbtp")
                measured = f"{loud['integrated_lufs']:.1f} LUFS / {tp if tp is None else round(tp, 1)} dBTP"
                measured += "" if loud.get("within_tolerance", True) else " (OUT OF TOLERANCE)"
            rows.append([d.name, Path(d.file).name, d.status,
                         f"{d.duration_s:.2f} s" if d.duration_s is not None else "—", _size(d.size_bytes), measured])
        ui.table(f"render {programme.id} ({report.elapsed_s:.1f} s, {report.graphics_made} graphics drawn)",
                 ["deliverable", "file", "status", "duration", "size", "loudness"], rows)
    return all(d.loudness is None or d.loudness.get("within_tolerance", True) for d in report.deliverables)


def run_step(c: Ctx, programme: Programme) -> bool:
    """The render step of `reportage run`: every deliverable, unchanged ones skipped. False when a
    deliverable came out of loudness tolerance (the files are kept; QC will say the same)."""
    return _render(c, programme)


@click.command()
@manifest_arg
@click.option("--only", "only", multiple=True, metavar="NAME", help="Render only this deliverable (repeatable).")
@click.option("--dry-run", is_flag=True, help="Print the ffmpeg command line instead of running it.")
@click.option("--force", is_flag=True, help="Render even what is up to date.")
@pass_ctx
def render(c: Ctx, manifest: Path, only: tuple[str, ...], dry_run: bool, force: bool) -> None:
    """Brand, subtitle and loudness-normalise the programme into every deliverable, in one ffmpeg pass."""
    if not _render(c, load_manifest(manifest), only, dry_run, force):
        sys.exit(1)
