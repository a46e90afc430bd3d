"""The `reportage` command: parse options, call a stage function, draw progress. Nothing else.

Every error the pipeline raises on purpose becomes one line and a non-zero exit code here;
PIPELINE_DEBUG=1 shows the traceback instead.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

import click

from . import __version__, ui
from .commands.common import Ctx, manifest_arg, pass_ctx
from .errors import ReportageError
from .manifest import Programme, load_manifest
from .timecode import ms_to_timecode


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="reportage")
@click.option("--workspace", "workspace", type=click.Path(file_okay=False, path_type=Path),
              default=Path("workspace"), show_default=True, envvar="REPORTAGE_WORKSPACE",
              help="Folder holding every programme's working files.")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON on stdout.")
@click.option("-v", "--verbose", count=True, help="More detail (-vv shows every ffmpeg command).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
@click.pass_context
def cli(ctx: click.Context, workspace: Path, as_json: bool, verbose: int, quiet: bool) -> None:
    """reportage — factual-TV pipeline: ingest → transcribe → subtitles → render → QC → package.

    Each command takes a programme manifest (YAML). Outputs go to WORKSPACE/<programme-id>/.
    """
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=logging.ERROR if quiet else level, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("pyscenedetect").setLevel(logging.DEBUG if verbose > 2 else logging.WARNING)
    ctx.obj = Ctx(workspace, as_json, -1 if quiet else verbose)


# ingest ------------------------------------------------------------------------------------------
@cli.command()
@manifest_arg
@click.option("--no-shots", is_flag=True, help="Skip shot detection.")
@pass_ctx
def ingest(c: Ctx, manifest: Path, no_shots: bool) -> None:
    """Probe, checksum, conform and proxy every source clip; record them in the catalogue."""
    from .stages.ingest import IngestSettings

    programme = load_manifest(manifest)
    report = _ingest(c, programme, IngestSettings(detect_shots=not no_shots))
    if not report.ok:
        sys.exit(1)


def _ingest(c: Ctx, programme: Programme, settings: Any = None) -> Any:
    from .stages.ingest import ingest_programme

    ws = c.workspace(programme)
    with c.bars() as bars:
        report = ingest_programme(programme, ws, settings, progress=bars)
    if c.as_json:
        ui.emit_json(report.to_dict())
        return report
    if report.up_to_date and not report.timeline_problems:
        ui.say(f"ingest: {programme.id} up to date ({len(report.clips)} clips, nothing to do)", c.quiet)
        return report
    if not c.quiet:
        rows = []
        for clip in report.clips:
            rows.append([
                clip.clip_id,
                clip.status,
                ms_to_timecode(clip.duration_ms, programme.rate) if clip.duration_ms else "—",
                clip.summary or "—",
                ", ".join(clip.conform_reasons) if clip.conformed else "no",
                str(clip.shot_count) if clip.status != "failed" else "—",
            ])
        total = sum(cl.duration_ms for cl in report.clips)
        ui.table(f"ingest {programme.id}: {len(report.clips)} clips, {ms_to_timecode(total, programme.rate)}",
                 ["clip", "status", "duration", "format", "conformed", "shots"], rows)
    for clip in report.failed:
        ui.console.print(f"error: {clip.error}", markup=False)
    for problem in report.timeline_problems:
        ui.console.print(f"error: {problem}", markup=False)
    return report


# assemble ----------------------------------------------------------------------------------------
@cli.command()
@manifest_arg
@pass_ctx
def assemble(c: Ctx, manifest: Path) -> None:
    """Build timeline.json from the cut list (or the master) and the ingested clips."""
    _assemble(c, load_manifest(manifest))


def _assemble(c: Ctx, programme: Programme) -> bool:
    from .stages.assemble import assemble_programme

    report = assemble_programme(programme, c.workspace(programme))
    if c.as_json:
        ui.emit_json(report.to_dict())
    else:
        state = "written" if report.changed else "up to date"
        ui.say(f"assemble: {programme.id} timeline {state} ({len(report.timeline.segments)} segments, "
               f"{ms_to_timecode(report.timeline.duration_ms, programme.rate)})", c.quiet)
    return True


# run ---------------------------------------------------------------------------------------------
@cli.command()
@manifest_arg
@pass_ctx
def run(c: Ctx, manifest: Path) -> None:
    """Run every stage in order on one programme; unchanged work is skipped."""
    programme = load_manifest(manifest)
    report = _ingest(c, programme)
    if report.timeline_problems or any(
        cl.status == "failed" and cl.clip_id in _timeline_clip_ids(programme) for cl in report.clips
    ):
        ui.say("run: stopped after ingest: the timeline needs clips that failed or cut points that are wrong")
        sys.exit(1)
    from .commands import qc as qc_commands
    from .commands import render as render_commands
    from .commands import subtitles as subtitles_commands
    from .commands.transcribe import transcribe_step

    ok = report.ok
    ok &= _assemble(c, programme)
    ok &= transcribe_step(c, programme)
    # Subtitles with lint errors still render (QC reports them); missing transcripts stop the run.
    ok &= subtitles_commands.run_step(c, programme)
    if not render_commands.run_step(c, programme):
        sys.exit(1)
    ok &= qc_commands.run_qc_step(c, programme)
    if ok:
        ok &= qc_commands.run_package_step(c, programme)
    else:
        ui.say(f"run: {programme.id} not packaged: fix the problems above (or run `reportage package "
               "--allow-fail`)", c.quiet)
    if not ok:
        sys.exit(1)


def _timeline_clip_ids(programme: Programme) -> set[str]:
    from .stages.ingest import MASTER_CLIP_ID

    if programme.manifest.timeline.master:
        return {MASTER_CLIP_ID}
    return {event.clip for event in programme.manifest.timeline.cut or []}


# doctor ------------------------------------------------------------------------------------------
@cli.command()
@pass_ctx
def doctor(c: Ctx) -> None:
    """Check that ffmpeg, ffprobe, espeak-ng, fonts and the speech model are in place."""
    from .doctor import checks

    results = checks()
    if c.as_json:
        ui.emit_json(results)
    else:
        ui.table("reportage doctor", ["check", "status", "detail"],
                 [[r["check"], "ok" if r["ok"] else "PROBLEM", r["detail"]] for r in results])
    if not all(r["ok"] for r in results):
        sys.exit(1)


# Stage commands that live in their own modules (pipeline/commands/<stage>.py) -------------------
# (one import + add_command per module)
from .commands.qc import package_command as _package_command  # noqa: E402
from .commands.qc import qc_command as _qc_command  # noqa: E402
from .commands.qc import verify_command as _verify_command  # noqa: E402
from .commands.render import render as _render_command  # noqa: E402
from .commands.transcribe import search as _search_command  # noqa: E402
from .commands.transcribe import transcribe as _transcribe_command  # noqa: E402

cli.add_command(_qc_command)
cli.add_command(_package_command)
cli.add_command(_verify_command)
cli.add_command(_render_command)
cli.add_command(_transcribe_command)
cli.add_command(_search_command)
from .commands.subtitles import subtitles as _subtitles_group  # noqa: E402

cli.add_command(_subtitles_group)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: one clear line per problem, an exit code, no traceback for user errors."""
    debug = os.environ.get("PIPELINE_DEBUG") == "1"
    try:
        cli.main(args=argv, prog_name="reportage", standalone_mode=False)
    except click.exceptions.Abort:
        ui.console.print("aborted", markup=False)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except ReportageError as exc:
        if debug:
            raise
        ui.console.print(f"error: {exc.one_line()}", markup=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        ui.console.print("interrupted: outputs in progress were discarded, finished ones are kept", markup=False)
        sys.exit(130)
    except OSError as exc:
        if debug:
            raise
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        ui.console.print(f"error: {where}{exc.strerror or exc}", markup=False)
        sys.exit(1)
