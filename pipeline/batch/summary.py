"""The morning summary: per programme, each stage's state and time, the QC verdict, what failed
with its one-line reason and the fix, the deliverables and bags with their sizes; and totals.

Built from what each programme's work reported (`ProgrammeResult`, JSON-able, so a Dramatiq
worker can keep it in Redis) and from the records in the workspace (render record, QC report,
package record). A failure's reason and fix come from the fields its record carries
(`errors.Failure`), never from splitting its printed line. Written as `batch-<date>.json` and a
self-contained `batch-<date>.html` in the workspace root.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import Failure
from ..fsutil import write_json, write_text
from ..stagelist import STAGE_LIST, STAGE_NAMES
from ..workspace import Workspace
from .html import summary_html

SUMMARY_VERSION = 1

# What to do when a stage fails without its error saying so itself.
_FIX = {
    "manifest": "correct the manifest (the message names the field), then run the batch again",
    "ingest": "replace or re-export the clip (or take it out of the manifest's footage), then run the batch again",
    "transcribe": "check the clip's audio and the speech model (`reportage doctor`), then run the batch again",
    "assemble": "correct the manifest's timeline, then run the batch again",
    "conform": "check the clip's source file (the message names it), ingest it again, then run the batch again",
    "subtitles": "check the transcripts and the translation backend, then run the batch again",
    "render": "rerun it alone with `reportage -vv render MANIFEST` to see ffmpeg's message",
    "qc": "rerun `reportage qc MANIFEST` to see the measurement that failed",
    "publish": "fix what QC reports, or what the stream validator names (`reportage verify-stream "
               "WORKSPACE/<id>/publish/web/stream`), then run the batch again",
    "package": "fix what QC reports (`qc/report.html`), or package anyway with `reportage batch --allow-fail`",
    "crash": "run `PIPELINE_DEBUG=1 reportage run MANIFEST` on this programme alone to see the traceback",
    "interrupted": "run the same batch again: finished work is kept and skipped",
}


@dataclass
class ProgrammeResult:
    """What one programme's work reported. `error` is a manifest error or an error that stopped
    the work before any stage; `crash` a process that ended without saying why."""

    key: str
    manifest: str
    stages: list[dict[str, Any]] = field(default_factory=list)
    error: dict[str, Any] | None = None
    stopped_after: str | None = None
    stop_reason: str | None = None
    interrupted: bool = False
    crash: str | None = None
    finished: bool = False
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProgrammeResult:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})

    @property
    def ok(self) -> bool:
        """Every stage walked to the end without an error. A QC FAIL packaged with --allow-fail is
        finished (the verdict is shown beside it); a QC FAIL that package refused is not."""
        walked = [str(s.get("stage")) for s in self.stages] == list(STAGE_NAMES)
        return (self.finished and walked and self.error is None and self.crash is None and not self.interrupted
                and self.stopped_after is None and not any(s.get("error") for s in self.stages))


def _reason_and_fix(fields: Mapping[str, Any], line: Any, fix: str) -> tuple[str, str]:
    """A failure's reason (`file: problem`) and its fix from the fields the record carries (`problem`,
    `path`, `hint`: `errors.Failure`); without a fix of its own, the printed line whole and `fix`."""
    failure = Failure.from_json(fields)
    if failure is not None and failure.hint:
        return failure.reason, failure.hint
    return str(line or (failure.reason if failure is not None else "")), fix


def _failure(result: ProgrammeResult) -> dict[str, str] | None:
    """The one-line reason and the fix of a programme that did not finish, or None."""
    if result.error is not None:
        where = "manifest" if result.error.get("manifest") and not result.stages else "work"
        stage = result.stopped_after or where
        reason, fix = _reason_and_fix(result.error, result.error.get("line"), _FIX.get(stage, _FIX["crash"]))
        return {"stage": stage, "reason": reason, "fix": fix}
    if result.crash is not None:
        return {"stage": result.stopped_after or "work", "reason": result.crash, "fix": _FIX["crash"]}
    if result.interrupted:
        return {"stage": result.stopped_after or "work", "fix": _FIX["interrupted"],
                "reason": "the batch was stopped before this programme finished"}
    for outcome in result.stages:
        name = str(outcome.get("stage"))
        if outcome.get("error"):
            reason, fix = _reason_and_fix(outcome, outcome["error"], _FIX.get(name, ""))
            return {"stage": name, "reason": reason, "fix": fix}
        if name == result.stopped_after:
            reason = result.stop_reason or f"{name} did not succeed"
            fix = _FIX.get(name, "")
            if name == "ingest":
                bad = [c for c in (outcome.get("report") or {}).get("clips", []) if c.get("status") == "failed"]
                if bad:  # the clip's failure as ingest recorded it (`ClipOutcome.failure`)
                    why, fix = _reason_and_fix(bad[0].get("failure") or {}, bad[0].get("error"), fix)
                    reason = f"clip {bad[0].get('clip_id')} failed to ingest: {why}"
            return {"stage": name, "reason": reason, "fix": fix}
    if not result.finished:
        return {"stage": "work", "reason": "not finished yet", "fix": "wait for the batch, or run it again"}
    return None


def _stage_rows(result: ProgrammeResult) -> list[dict[str, Any]]:
    seen = {str(o.get("stage")): o for o in result.stages}
    rows = []
    for s in STAGE_LIST:
        o = seen.get(s.name)
        if o is None:
            state = "stopped" if result.interrupted else "not run"
            rows.append({"stage": s.name, "state": state, "seconds": None})
            continue
        if o.get("error") or (not o.get("ok") and result.stopped_after == s.name):
            state = "failed"
        elif not o.get("ok"):
            state = "problems"
        elif o.get("up_to_date"):
            state = "up to date"
        else:
            state = "done"
        rows.append({"stage": s.name, "state": state, "seconds": o.get("seconds"), "detail": _detail(o)})
    return rows


def _detail(outcome: Mapping[str, Any]) -> str | None:
    """What a stage's report says of the work it split in chunks: the render's chunks encoded and
    reused (unchanged since the last render, or left by an interrupted one), other workers' help."""
    report = outcome.get("report")
    if not isinstance(report, Mapping) or "chunks_made" not in report:
        return None
    made, reused, others = (int(report.get(k) or 0) for k in ("chunks_made", "chunks_reused", "chunks_by_others"))
    if not made + reused + others:
        return None
    text = f"{made} chunks encoded, {reused} unchanged"
    return text + (f", {others} by other workers" if others else "")


def _workspace_facts(ws: Workspace) -> dict[str, Any]:
    """QC verdict, deliverables and bags as the records in the workspace have them."""
    from ..errors import WorkspaceError
    from ..records.package import read_package_record
    from ..records.qc import qc_report_path, read_qc_report
    from ..render.state import read_render_record

    facts: dict[str, Any] = {"qc": None, "qc_report": None, "deliverables": [], "bags": []}
    try:
        report = read_qc_report(ws)
        if report is not None:
            facts["qc"] = report.verdict.value
            html = ws.qc_dir / "report.html"
            facts["qc_report"] = str(html) if html.is_file() else str(qc_report_path(ws))
    except WorkspaceError:
        facts["qc"] = "unreadable"

    try:
        record = read_render_record(ws)
    except WorkspaceError:
        record = None
    for d in (record.deliverables.values() if record else ()):
        path = Path(d.file)
        if path.is_file():
            facts["deliverables"].append({"name": d.name, "file": str(path), "size_bytes": path.stat().st_size,
                                          "duration_s": round(d.duration_s, 2)})
    try:
        delivered = read_package_record(ws)
    except WorkspaceError:
        delivered = None
    if delivered is not None and delivered.bag_path(ws).is_dir():  # what the package stage recorded
        facts["bags"].append({"path": str(delivered.bag_path(ws)), "size_bytes": delivered.bag_bytes,
                              "files": delivered.bag_files})
        zipped = delivered.zip_path(ws)
        if zipped is not None and zipped.is_file() and delivered.zip_bytes is not None:
            facts["bags"].append({"path": str(zipped), "size_bytes": delivered.zip_bytes, "files": 1})
    return facts


def programme_summary(result: ProgrammeResult, workspace_root: Path, title: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"programme": result.key, "manifest": result.manifest, "title": title,
                             "ok": result.ok, "seconds": round(result.seconds, 1),
                             "stages": _stage_rows(result), "failure": _failure(result)}
    if result.error is None or result.stages:
        entry.update(_workspace_facts(Workspace(workspace_root, result.key)))
    else:
        entry.update({"qc": None, "qc_report": None, "deliverables": [], "bags": []})
    return entry


def build_summary(results: Sequence[ProgrammeResult], workspace_root: Path, started: float, finished: float,
                  *, titles: dict[str, str] | None = None, mode: str = "local", jobs: int | None = None,
                  interrupted: bool = False) -> dict[str, Any]:
    programmes = [programme_summary(r, workspace_root, (titles or {}).get(r.key)) for r in results]
    states = [s["state"] for p in programmes for s in p["stages"]]
    totals = {
        "programmes": len(programmes),
        "finished": sum(1 for p in programmes if p["ok"]),
        "failed": sum(1 for p in programmes if not p["ok"]),
        "stages_done": states.count("done"), "stages_up_to_date": states.count("up to date"),
        "stages_failed": states.count("failed"),
        "deliverables": sum(len(p["deliverables"]) for p in programmes),
        "deliverable_bytes": sum(d["size_bytes"] for p in programmes for d in p["deliverables"]),
        "bags": sum(len(p["bags"]) for p in programmes),
        "bag_bytes": sum(b["size_bytes"] for p in programmes for b in p["bags"]),
        "seconds": round(finished - started, 1),
    }
    return {"version": SUMMARY_VERSION, "kind": "reportage batch summary", "mode": mode, "jobs": jobs,
            "workspace": str(workspace_root), "started": _iso(started), "finished": _iso(finished),
            "interrupted": interrupted, "ok": totals["failed"] == 0 and not interrupted,
            "totals": totals, "programmes": programmes}


def _iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(t))


def summary_paths(workspace_root: Path, started: float) -> tuple[Path, Path]:
    stem = "batch-" + time.strftime("%Y-%m-%d", time.localtime(started))
    return workspace_root / f"{stem}.json", workspace_root / f"{stem}.html"


def write_summary(summary: dict[str, Any], workspace_root: Path, started: float) -> tuple[Path, Path]:
    """Write `batch-<date>.json` and `.html` (atomically) and return their paths."""
    json_path, html_path = summary_paths(workspace_root, started)
    workspace_root.mkdir(parents=True, exist_ok=True)
    write_json(json_path, summary)
    write_text(html_path, summary_html(summary))
    return json_path, html_path
