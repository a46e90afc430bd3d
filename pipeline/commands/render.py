"""`reportage render MANIFEST`, and how a render report is drawn (`show_render`, also used by
`reportage run`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .. import ui
from ..manifest import Programme
from ..media.ffmpeg import command_line
from ..validate import load_manifest
from .common import Ctx, manifest_arg, pass_ctx


def _size(n: int | None) -> str:
    if n is None:
        return "—"
    return f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{n / 1e3:.0f} kB"


def _loudness(loud: Any) -> str:
    if loud is None:
        return "—"
    if loud.integrated_lufs is None or loud.integrated_lufs <= -70:
        return "silent (nothing above the −70 LUFS gate)"
    tp = "—" if loud.true_peak_dbtp is None else f"{loud.true_peak_dbtp:.1f}"
    text = f"{loud.integrated_lufs:.1f} LUFS / {tp} dBTP"
    return text if loud.within_tolerance else text + " (OUT OF TOLERANCE)"


def show_render(c: Ctx, programme: Programme, report: Any) -> None:
    """Warnings, then the dry run's commands, one up-to-date line, or the table of deliverables."""
    if c.as_json:
        return
    for warning in report.warnings:
        ui.say(f"warning: {warning}", c.quiet)
    if report.commands:
        for command in report.commands:
            ui.out.print(command_line(command), markup=False, soft_wrap=True)
        return
    if report.up_to_date:
        ui.say(f"render: {programme.id} up to date ({len(report.deliverables)} deliverables, nothing to do)", c.quiet)
        return
    if not c.quiet:
        rows = [[d.name, Path(d.file).name, d.status, f"{d.duration_s:.2f} s" if d.duration_s is not None else "—",
                 _size(d.size_bytes), _loudness(d.loudness)] for d in report.deliverables]
        chunks = report.chunks_made + report.chunks_reused + report.chunks_by_others
        made = (f", chunks: {report.chunks_made} encoded, {report.chunks_reused} unchanged"
                + (f", {report.chunks_by_others} by other workers" if report.chunks_by_others else "")
                if chunks else "")
        ui.table(f"render {programme.id} ({report.elapsed_s:.1f} s, {report.graphics_made} graphics drawn{made})",
                 ["deliverable", "file", "status", "duration", "size", "loudness"], rows)


@click.command()
@manifest_arg
@click.option("--only", "only", multiple=True, metavar="NAME", help="Render only this deliverable (repeatable).")
@click.option("--dry-run", is_flag=True, help="Print the ffmpeg command line instead of running it.")
@click.option("--force", is_flag=True, help="Render even what is up to date.")
@click.option("--one-pass", is_flag=True,
              help="Render the picture in one pass from the first frame instead of in chunks.")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Chunks encoded at once on this machine (default: half the cores).")
@click.option("--chunk-seconds", type=click.FloatRange(1, 600), default=None,
              help="About how long each chunk of picture is (default 60).")
@click.option("--assist", is_flag=True,
              help="Help the render another machine is running on this programme (shared workspace): encode "
                   "chunks it has not taken yet, then exit. Joins and records nothing.")
@pass_ctx
def render(c: Ctx, manifest: Path, only: tuple[str, ...], dry_run: bool, force: bool, one_pass: bool,
           workers: int | None, chunk_seconds: float | None, assist: bool) -> None:
    """Brand, subtitle and loudness-normalise the programme into every deliverable.

    The picture is encoded in chunks of about a minute (closed GOPs, content-addressed in
    cache/chunks/) and joined by stream copy; the sound is rendered whole. A fix re-encodes only
    the chunks it touches; a killed render resumes from the chunks it finished.

    Exit 1 when a deliverable came out of loudness tolerance (the files are kept; QC says the same).
    """
    from ..render.chunks import TARGET_S
    from ..stages.render import Settings

    programme = load_manifest(manifest)
    if assist:
        _assist(c, programme, workers)
        return
    c.stage_command(programme, "render", show_render,
                    Settings(only=only, dry_run=dry_run, force=force, one_pass=one_pass, workers=workers,
                             chunk_s=chunk_seconds or TARGET_S))


def _assist(c: Ctx, programme: Programme, workers: int | None) -> None:
    """`render --assist`: chunks for a render running elsewhere, without the programme's lock."""
    from ..lock import is_held, stop_on_signals
    from ..stages.render import assist_render

    ws = c.workspace(programme)
    with stop_on_signals(), c.bars() as bars:
        report = assist_render(programme, ws, busy=lambda: is_held(ws), progress=bars, workers=workers)
    if c.as_json:
        ui.emit_json(report.to_dict())
        return
    ui.say(f"render --assist: {programme.id}: {report.chunks_made} chunk files encoded in {report.jobs_taken} jobs"
           + (f" ({report.note})" if report.note else ""), c.quiet)
