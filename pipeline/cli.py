"""The `reportage` command: parse options, call a stage through the registry, draw progress.

`reportage run` walks `pipeline.run.STAGES` (the same walk a batch or a worker makes) under the
programme's lock; each stage's own command lives in `pipeline/commands/`.

Every error the pipeline raises on purpose becomes one line and a non-zero exit code here;
PIPELINE_DEBUG=1 shows the traceback instead.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from pathlib import Path
from typing import NoReturn

import click

from . import __version__, ui
from .commands.common import Ctx, manifest_arg, pass_ctx
from .errors import ReportageError
from .lock import Interrupted
from .manifest import Programme
from .run import RunReport, StageOutcome
from .validate import load_manifest


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="reportage")
@click.option("--workspace", "workspace", type=click.Path(file_okay=False, path_type=Path),
              default=Path("workspace"), show_default=True, envvar="REPORTAGE_WORKSPACE",
              help="Folder holding every programme's working files.")
@click.option("--json", "as_json", is_flag=True, help="Print one machine-readable JSON document on stdout.")
@click.option("--wait", is_flag=True,
              help="When another process is working on the programme, wait for it instead of stopping.")
@click.option("-v", "--verbose", count=True, help="More detail (-vv shows every ffmpeg command).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
@click.pass_context
def cli(ctx: click.Context, workspace: Path, as_json: bool, wait: bool, verbose: int, quiet: bool) -> None:
    """reportage — factual-TV pipeline: ingest → transcribe → assemble → conform → subtitles → render → QC →
    publish → package.

    Each command takes a programme manifest (YAML). Outputs go to WORKSPACE/<programme-id>/.
    """
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=logging.ERROR if quiet else level, format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = Ctx(workspace, as_json, -1 if quiet else verbose, wait)
    ui.json_requested(as_json)


# run ---------------------------------------------------------------------------------------------
# How `run` draws each stage's report: (module under pipeline.commands, function). A stage without
# an entry gets one generic line.
_SHOW = {
    "ingest": ("ingest", "show_ingest"), "assemble": ("assemble", "show_assemble"),
    "conform": ("conform", "show_conform"),
    "transcribe": ("transcribe", "show_transcribe"), "subtitles": ("subtitles", "show_subtitles"),
    "render": ("render", "show_render"), "qc": ("qc", "show_qc"), "publish": ("publish", "show_publish"),
    "package": ("qc", "show_package"),
}


def _show(c: Ctx, programme: Programme, outcome: StageOutcome) -> None:
    if c.as_json or outcome.report is None:
        return
    if outcome.failed_upstream:  # never "up to date" while what it is made from failed
        if outcome.report.up_to_date:
            ui.say(f"{outcome.name}: {programme.id} stale: made without what failed upstream", c.quiet)
        else:
            _draw(c, programme, outcome)
        for line in outcome.failed_upstream[:5]:
            ui.say(f"  stale: {line}", c.quiet)
        return
    _draw(c, programme, outcome)


def _draw(c: Ctx, programme: Programme, outcome: StageOutcome) -> None:
    assert outcome.report is not None
    module, name = _SHOW.get(outcome.name, ("", ""))
    draw = getattr(importlib.import_module(f"pipeline.commands.{module}"), name, None) if module else None
    if draw is not None:
        draw(c, programme, outcome.report)
    else:
        state = "up to date" if outcome.report.up_to_date else "done" if outcome.report.ok else "problems"
        ui.say(f"{outcome.name}: {programme.id} {state}", c.quiet)


@cli.command()
@manifest_arg
@click.option("--allow-fail", is_flag=True,
              help="Package even though QC failed (recorded in the bag's bag-info.txt).")
@click.option("--allow-unapproved", is_flag=True,
              help="Package outputs not approved in `reportage review` (recorded in bag-info.txt).")
@pass_ctx
def run(c: Ctx, manifest: Path, allow_fail: bool, allow_unapproved: bool) -> None:
    """Run every stage in order on one programme; unchanged work is skipped."""
    from .run import preflight, run_programme, stage

    programme = load_manifest(manifest)
    preflight(programme)
    settings = {"publish": stage("publish").settings(programme, allow_fail=allow_fail),
                "package": stage("package").settings(programme, allow_fail=allow_fail,
                                                     allow_unapproved=allow_unapproved)}
    with c.locked(programme) as ws, c.bars() as bars:
        report = run_programme(programme, ws, settings, progress=bars, on_stage=lambda o: _show(c, programme, o))
    if c.as_json:
        ui.emit_json(report.to_dict())
    error = report.error
    if error is not None:
        if not c.as_json:
            ui.console.print(f"error: {error.one_line()}", markup=False)
        sys.exit(error.exit_code)
    if report.stopped_after:
        ui.say(f"run: {programme.id} stopped after {report.stopped_after}: {report.stop_reason}", c.quiet)
        sys.exit(1)
    failing = _failing(programme, report)
    if failing and allow_fail and _packaged(report):
        ui.say(f"run: {programme.id}: {', '.join(failing)} failed, packaged with --allow-fail "
               "(recorded in the bag)", c.quiet)
        return
    if failing:
        sys.exit(1)


def _failing(programme: Programme, report: RunReport) -> list[str]:
    """The stages of a finished walk that failed, judged as their own commands judge them: the
    subtitles by lint errors in a language a deliverable carries (`reportage subtitles make`'s rule;
    QC fails those deliverables for them), every other stage by its report."""
    from .stages.qc import lint_errors_by_delivery

    out: list[str] = []
    for outcome in report.stages:
        if outcome.ok:
            continue
        if outcome.name == "subtitles" and outcome.report is not None and outcome.error is None:
            delivered, _ = lint_errors_by_delivery(programme, getattr(outcome.report, "record", None) or {})
            if not delivered:
                continue
        out.append(outcome.name)
    return out


def _packaged(report: RunReport) -> bool:
    """The walk ended with a bag: what failed before it was let through by an explicit override."""
    last = report.stages[-1] if report.stages else None
    return last is not None and last.name == "package" and last.ok


# doctor ------------------------------------------------------------------------------------------
@cli.command()
@pass_ctx
def doctor(c: Ctx) -> None:
    """Check that ffmpeg, ffprobe, espeak-ng, fonts, the speech model and the language model are in place."""
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
from .commands.assemble import assemble as _assemble_command  # noqa: E402
from .commands.batch import batch as _batch_command  # noqa: E402
from .commands.batch import worker as _worker_command  # noqa: E402
from .commands.conform import conform as _conform_command  # noqa: E402
from .commands.export import export_command as _export_command  # noqa: E402
from .commands.ingest import ingest as _ingest_command  # noqa: E402
from .commands.publish import publish as _publish_command  # noqa: E402
from .commands.qc import package_command as _package_command  # noqa: E402
from .commands.qc import qc_command as _qc_command  # noqa: E402
from .commands.qc import verify_command as _verify_command  # noqa: E402
from .commands.render import render as _render_command  # noqa: E402
from .commands.review import review as _review_command  # noqa: E402
from .commands.subtitles import subtitles as _subtitles_group  # noqa: E402
from .commands.transcribe import search as _search_command  # noqa: E402
from .commands.transcribe import transcribe as _transcribe_command  # noqa: E402

for _command in (_ingest_command, _transcribe_command, _assemble_command, _conform_command, _subtitles_group,
                 _render_command, _qc_command, _publish_command, _package_command, _verify_command, _search_command,
                 _export_command):
    cli.add_command(_command)
cli.add_command(_batch_command)
cli.add_command(_worker_command)
cli.add_command(_review_command)
from .commands.verify_stream import verify_stream_command as _verify_stream_command  # noqa: E402

cli.add_command(_verify_stream_command)


def _fail(line: str, exit_code: int, error: dict[str, object]) -> NoReturn:
    """Print the error's one line on stderr and exit; under `--json`, when the command printed no
    document yet, stdout gets one: `{"ok": false, "error": {…}}` (type, path, problem, hint, line)."""
    ui.console.print(line, markup=False)
    if ui.json_pending():
        ui.emit_json({"ok": False, "error": {**error, "exit_code": exit_code}})
    sys.exit(exit_code)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: one clear line per problem, an exit code, no traceback for user errors."""
    debug = os.environ.get("PIPELINE_DEBUG") == "1"
    ui.json_requested(False)
    try:
        cli.main(args=argv, prog_name="reportage", standalone_mode=False)
    except click.exceptions.Abort as exc:
        # click turns every KeyboardInterrupt (our Interrupted among them) into Abort.
        cause = exc.__cause__
        if isinstance(cause, Interrupted):
            _stopped(cause)
        _fail("interrupted: outputs in progress were discarded, finished ones are kept", 130,
              {"type": "Interrupted", "problem": "interrupted"})
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except ReportageError as exc:
        if debug:
            raise
        _fail(f"error: {exc.one_line()}", exc.exit_code, exc.to_dict())
    except Interrupted as exc:
        _stopped(exc)
    except KeyboardInterrupt:
        _fail("interrupted: outputs in progress were discarded, finished ones are kept", 130,
              {"type": "Interrupted", "problem": "interrupted"})
    except OSError as exc:
        if debug:
            raise
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        problem = f"{exc.strerror or exc}"
        _fail(f"error: {where}{problem}", 1, {"type": type(exc).__name__, "path": exc.filename,
                                                "problem": problem, "line": f"{where}{problem}"})


def _stopped(exc: Interrupted) -> NoReturn:
    _fail(f"stopped by {exc}: outputs in progress were discarded, finished ones are kept", exc.exit_code,
          {"type": "Interrupted", "problem": f"stopped by {exc}"})
