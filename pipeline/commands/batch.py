"""`reportage batch` (many programmes, here or through a broker) and `reportage worker`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from .. import ui
from ..errors import ReportageError
from .common import Ctx, pass_ctx

_MARK = {"done": "✓", "up to date": "=", "failed": "✗", "problems": "!", "not run": "·", "stopped": "■"}


def _stage_marks(p: dict[str, Any]) -> str:
    return " ".join(f"{s['stage']}{_MARK.get(s['state'], '?')}" for s in p["stages"])


def show_summary(summary: dict[str, Any], html: Path | None) -> None:
    """The terminal table of the morning summary."""
    from ..batch.human import human_seconds, human_size

    rows = []
    for p in summary["programmes"]:
        sizes = sum(d["size_bytes"] for d in p["deliverables"])
        outputs = f"{len(p['deliverables'])} files {human_size(sizes)}" if p["deliverables"] else ""
        if p["bags"]:
            outputs += f"{', ' if outputs else ''}bag {human_size(sum(b['size_bytes'] for b in p['bags']))}"
        f = p.get("failure")
        problem = f"{f['stage']}: {f['reason']} → {f['fix']}" if f else ""
        rows.append([p["programme"], "ok" if p["ok"] else "FAILED", _stage_marks(p), p.get("qc") or "",
                     outputs, human_seconds(p.get("seconds")), problem])
    t = summary["totals"]
    ui.table(f"reportage batch — {t['finished']} of {t['programmes']} finished, {t['failed']} failed, "
             f"{human_seconds(t['seconds'])}  (✓ done  = up to date  ✗ failed  ! problems  · not run)",
             ["programme", "state", "stages", "QC", "outputs", "time", "what failed → fix"], rows)
    if html is not None:
        ui.out.print(f"summary: {html}", markup=False, soft_wrap=True)


def _printer(c: Ctx) -> Any:
    def on_event(key: str, event: dict[str, Any]) -> None:
        if c.quiet:
            return
        kind = event.get("event")
        if kind == "start":
            ui.say(f"{key}: started")
        elif kind == "stage":
            o = event["outcome"]
            state = "failed" if o.get("error") or not o.get("ok") else "up to date" if o.get("up_to_date") else "done"
            extra = f": {o['error']}" if o.get("error") else ""
            ui.say(f"{key}: {o['stage']} {state} ({o.get('seconds', 0):.1f} s){extra}")
        elif kind == "error":
            ui.say(f"{key}: {event['error'].get('line')}")
    return on_event


def _paths_map(path_map: tuple[str, ...]) -> Any:
    from ..batch.pathmap import PathMap

    return PathMap.from_env_and_options(path_map)


@click.command("batch")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None,
              help="Programmes worked on at once on this machine [default: 2 on 2 cores, about cores/2 above].")
@click.option("--allow-fail", is_flag=True, help="Package even over a QC FAIL (recorded in each bag).")
@click.option("--allow-unapproved", is_flag=True,
              help="Package outputs nobody approved in the review room (recorded in each bag).")
@click.option("--no-english", is_flag=True, help="Vietnamese subtitles only (no English translation).")
@click.option("--beam", type=click.IntRange(1, 10), default=None, help="Whisper beam size (default: transcribe's).")
@click.option("--broker", metavar="URL", default=None, envvar="REPORTAGE_BROKER",
              help="Enqueue on Redis (redis://HOST:6379/0) for `reportage worker`s instead of running here; "
                   "`reportage batch --broker URL status` shows the queue.")
@click.option("--path-map", "path_map", multiple=True, metavar="SHARED=LOCAL",
              help="Shared path prefix and where this machine mounts it (repeatable; also $REPORTAGE_PATH_MAP).")
@click.option("--spread", type=click.IntRange(0, 63), default=3, show_default=True,
              help="With --broker: other workers that may help each render by encoding chunks of its picture.")
@pass_ctx
def batch(c: Ctx, paths: tuple[Path, ...], jobs: int | None, allow_fail: bool, allow_unapproved: bool,
          no_english: bool, beam: int | None,
          broker: str | None, path_map: tuple[str, ...], spread: int) -> None:
    """Every programme in PATHS (manifests, or folders of them) through every stage.

    Each programme is isolated: a bad clip, a failed render or a bad manifest stops that programme
    only. A rerun resumes (finished work is up to date). Writes batch-<date>.json and .html in the
    workspace; the exit code is non-zero when anything failed.
    """
    from ..batch.discover import load_entries
    from ..batch.options import BatchOptions

    options = BatchOptions(allow_fail=allow_fail, allow_unapproved=allow_unapproved, english=not no_english, beam=beam,
                           spread=spread)
    root = c.workspace_root.absolute()
    if broker is not None:
        from ..batch import distributed

        pm = _paths_map(path_map)
        if paths == (Path("status"),) and not Path("status").exists():
            state = distributed.status(broker)
            if c.as_json:
                ui.emit_json(state)
            else:
                distributed.show_status(state)
            return
        entries = load_entries(list(paths), skip=[root])
        submitted = distributed.submit(broker, entries, root, options, pm)
        if c.as_json:
            ui.emit_json(submitted)
        else:
            ui.say(f"batch {submitted['batch']}: {len(submitted['queued'])} programmes queued on {broker}, "
                   f"{len(submitted['rejected'])} rejected", c.quiet)
            for r in submitted["rejected"]:
                ui.say(f"  {r['programme']}: {r['reason']}", c.quiet)
            ui.say(f"follow it with: reportage batch --broker {broker} status", c.quiet)
        if submitted["rejected"]:
            sys.exit(1)
        return

    from ..batch.local import default_jobs, run_local
    from ..batch.summary import build_summary, write_summary

    entries = load_entries(list(paths), skip=[root])
    if not entries:
        raise ReportageError("no programme manifests found", path=", ".join(map(str, paths)),
                             hint="name manifest files, or folders holding them")
    n = jobs or default_jobs()
    run = run_local(entries, root, options, n, _printer(c))
    summary = build_summary(run.results, root, run.started, run.finished, titles=run.titles, mode="local", jobs=n,
                            interrupted=run.interrupted is not None)
    _, html = write_summary(summary, root, run.started)
    if c.as_json:
        ui.emit_json(summary)
    elif c.verbosity >= 0:
        show_summary(summary, html)
    if run.interrupted is not None:
        ui.console.print(f"stopped by {run.interrupted}: outputs in progress were discarded, finished ones are kept; "
                         "run the same batch again to resume", markup=False)
        sys.exit(run.interrupted.exit_code)
    if not summary["ok"]:
        sys.exit(1)


@click.command("worker")
@click.option("--broker", metavar="URL", required=True, envvar="REPORTAGE_BROKER", help="redis://HOST:6379/0")
@click.option("--threads", type=click.IntRange(1, 16), default=1, show_default=True,
              help="Tasks this machine works on at once (each is a whole stage of a programme or of a clip).")
@click.option("--path-map", "path_map", multiple=True, metavar="SHARED=LOCAL",
              help="Shared path prefix and where this machine mounts it (repeatable; also $REPORTAGE_PATH_MAP).")
@pass_ctx
def worker(c: Ctx, broker: str, threads: int, path_map: tuple[str, ...]) -> None:
    """Work on the batches queued on BROKER until stopped (SIGTERM or Ctrl-C stop it cleanly).

    The Dramatiq process is supervised: when it dies it is started again, and a task it held is
    delivered again (to this machine or another) once its heartbeat is missed.
    """
    from ..batch.supervise import supervise

    pm = _paths_map(path_map)
    sys.exit(supervise(broker, threads, pm, quiet=c.quiet))
