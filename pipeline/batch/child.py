"""The child process that does one piece of a batch: some stages of one programme (optionally on
some clips only), under the programme's lock, reporting each stage as one JSON line on stdout.

Running the work in its own process isolates programmes from each other (a crash in one decoder
is that programme's failure, not the batch's), keeps a Dramatiq worker's heartbeat thread free,
and lets the parent stop it cleanly with SIGTERM: `stop_on_signals` unwinds through the ffmpeg
runner and every atomic write, so nothing half-written is left at a final name. When the parent
dies (a worker SIGKILLed), the kernel sends this process SIGTERM (PR_SET_PDEATHSIG) and it stops
the same way.

Lines on stdout, each one JSON object with an `event`:
  {"event": "stage", "outcome": {...StageOutcome.to_dict(), "problem", "path", "hint"}}
  {"event": "report", "report": {...RunReport.to_dict()}}
  {"event": "error", "error": {"type", "problem", "path", "hint", "line"}, "exit_code": N}
Exit status: 0 every stage ok, 1 a stage failed or stopped the walk, 75 the programme is busy,
128 + signal when stopped, anything else a crash.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PARENT_ENV = "REPORTAGE_BATCH_PARENT"
"""The parent's pid: the child asks to be stopped when that process goes away."""

_PR_SET_PDEATHSIG = 1


def _stop_with_parent() -> None:
    parent = os.environ.get(PARENT_ENV)
    if not parent or not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != int(parent):  # the parent died before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)


def emit(event: str, **data: Any) -> None:
    sys.stdout.write(json.dumps({"event": event, **data}, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def error_dict(exc: BaseException) -> dict[str, Any]:
    from ..errors import ManifestError, ReportageError

    if isinstance(exc, ReportageError):
        return {"type": type(exc).__name__, "problem": exc.problem, "path": exc.path, "hint": exc.hint,
                "line": exc.one_line(), "manifest": isinstance(exc, ManifestError)}
    return {"type": type(exc).__name__, "problem": str(exc), "path": None, "hint": None,
            "line": f"{type(exc).__name__}: {exc}"}


def _outcome_dict(outcome: Any) -> dict[str, Any]:
    data: dict[str, Any] = outcome.to_dict()
    if outcome.error is not None:  # the error's fields beside its line: readers never split the line
        data.update(outcome.error.failure().to_json(), error_type=type(outcome.error).__name__)
    return data


def work(workspace: Path, manifest: Path, stages: Sequence[str], clips: Sequence[str] | None,
         options: dict[str, Any], wait: bool) -> int:
    """Run `stages` of the programme in `manifest`; the exit status as described above."""
    from ..errors import ReportageError
    from ..lock import Interrupted, programme_lock, stop_on_signals
    from ..run import STAGES, RunReport, StageOutcome, run_programme, stage
    from ..validate import load_manifest
    from ..workspace import Workspace
    from .options import BatchOptions

    try:
        with stop_on_signals():
            programme = load_manifest(manifest)
            chosen = [stage(n) for n in stages] if stages else list(STAGES)
            settings = BatchOptions.from_json(options).stage_settings(programme)
            ws = Workspace(workspace.absolute(), programme.id)
            command = f"reportage batch: {programme.id} {'+'.join(s.name for s in chosen)}"
            if clips:
                command += f" ({', '.join(clips)})"
            with programme_lock(ws, wait=wait, command=command):
                if clips:
                    report = RunReport(programme.id)
                    for s in chosen:
                        began = time.monotonic()
                        outcome = StageOutcome(s.name)
                        try:
                            outcome.report = s.run(programme, ws, settings.get(s.name), clips=clips)
                        except ReportageError as exc:
                            outcome.error = exc
                        outcome.seconds = time.monotonic() - began
                        report.stages.append(outcome)
                        emit("stage", outcome=_outcome_dict(outcome))
                        if not outcome.ok:
                            report.stopped_after = s.name
                            report.stop_reason = outcome.error.one_line() if outcome.error else "failed"
                            break
                else:
                    def on_stage(o: StageOutcome) -> None:
                        data = _outcome_dict(o)
                        data["proceed"] = o.report is not None and stage(o.name).proceed(programme, o.report)
                        if o.report is not None and not data["proceed"]:
                            data["stop_reason"] = (getattr(o.report, "stop_reason", None)
                                                   or f"{o.name} did not succeed; the stages after it need its results")
                        emit("stage", outcome=data)

                    report = run_programme(programme, ws, settings, stages=chosen, on_stage=on_stage)
            emit("report", report=report.to_dict())
            return 0 if report.ok else 1
    except Interrupted as exc:
        emit("error", error={"type": "Interrupted", "problem": f"stopped by {exc}", "path": None, "hint": None,
                             "line": f"stopped by {exc}"}, exit_code=exc.exit_code)
        return exc.exit_code
    except ReportageError as exc:
        emit("error", error=error_dict(exc), exit_code=exc.exit_code)
        return exc.exit_code


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pipeline.batch.child")
    parser.add_argument("--workspace", type=Path, required=True)
    parser.add_argument("--manifest", type=Path, required=True)
    parser.add_argument("--stage", action="append", default=[])
    parser.add_argument("--clip", action="append", default=None)
    parser.add_argument("--options", default="{}")
    parser.add_argument("--wait", action="store_true")
    args = parser.parse_args(argv)
    _stop_with_parent()
    sys.exit(work(args.workspace, args.manifest, args.stage, args.clip, json.loads(args.options), args.wait))


if __name__ == "__main__":
    main()
