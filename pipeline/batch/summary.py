"""The morning summary: per programme, each stage's state and time, the QC verdict, what failed
with its one-line reason and the fix, the deliverables and bags with their sizes; and totals.

Built from what each programme's work reported (`ProgrammeResult`, JSON-able, so a Dramatiq
worker can keep it in Redis) and from the records in the workspace (render record, QC report,
delivery folder). Written as `batch-<date>.json` and a self-contained `batch-<date>.html` in the
workspace root.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..fsutil import read_json, write_json, write_text
from ..run import STAGES
from ..workspace import Workspace

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
        walked = [str(s.get("stage")) for s in self.stages] == [s.name for s in STAGES]
        return (self.finished and walked and self.error is None and self.crash is None and not self.interrupted
                and self.stopped_after is None and not any(s.get("error") for s in self.stages))


def _split_hint(line: str) -> tuple[str, str | None]:
    reason, sep, hint = line.partition(" — ")
    return (reason, hint) if sep else (line, None)


def _failure(result: ProgrammeResult) -> dict[str, str] | None:
    """The one-line reason and the fix of a programme that did not finish, or None."""
    if result.error is not None:
        where = "manifest" if result.error.get("manifest") and not result.stages else "work"
        stage = result.stopped_after or where
        reason = str(result.error.get("line") or result.error.get("problem"))
        hint = result.error.get("hint")
        if hint:
            reason = _split_hint(reason)[0]
        return {"stage": stage, "reason": reason, "fix": str(hint or _FIX.get(stage, _FIX["crash"]))}
    if result.crash is not None:
        return {"stage": result.stopped_after or "work", "reason": result.crash, "fix": _FIX["crash"]}
    if result.interrupted:
        return {"stage": result.stopped_after or "work", "fix": _FIX["interrupted"],
                "reason": "the batch was stopped before this programme finished"}
    for outcome in result.stages:
        name = str(outcome.get("stage"))
        if outcome.get("error"):
            reason, hint = _split_hint(str(outcome["error"]))
            return {"stage": name, "reason": reason, "fix": str(outcome.get("hint") or hint or _FIX.get(name, ""))}
        if name == result.stopped_after:
            reason = result.stop_reason or f"{name} did not succeed"
            fix: str | None = None
            if name == "ingest":
                bad = [c for c in (outcome.get("report") or {}).get("clips", []) if c.get("status") == "failed"]
                if bad:
                    first, hint = _split_hint(str(bad[0].get("error") or ""))
                    reason = f"clip {bad[0].get('clip_id')} failed to ingest: {first}"
                    fix = hint
            return {"stage": name, "reason": reason, "fix": fix or _FIX.get(name, "")}
    if not result.finished:
        return {"stage": "work", "reason": "not finished yet", "fix": "wait for the batch, or run it again"}
    return None


def _stage_rows(result: ProgrammeResult) -> list[dict[str, Any]]:
    seen = {str(o.get("stage")): o for o in result.stages}
    rows = []
    for s in STAGES:
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
        rows.append({"stage": s.name, "state": state, "seconds": o.get("seconds")})
    return rows


def _tree_size(path: Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def _workspace_facts(ws: Workspace) -> dict[str, Any]:
    """QC verdict, deliverables and bags as the records in the workspace have them."""
    facts: dict[str, Any] = {"qc": None, "qc_report": None, "deliverables": [], "bags": []}
    qc_json = ws.qc_dir / "report.json"
    if qc_json.is_file():
        try:
            data = read_json(qc_json)
            facts["qc"] = data.get("verdict") if isinstance(data, dict) else None
            html = ws.qc_dir / "report.html"
            facts["qc_report"] = str(html) if html.is_file() else str(qc_json)
        except (OSError, ValueError):
            facts["qc"] = "unreadable"
    from ..errors import WorkspaceError
    from ..render.state import read_render_record

    try:
        record = read_render_record(ws)
    except WorkspaceError:
        record = None
    for d in (record.deliverables.values() if record else ()):
        path = Path(d.file)
        if path.is_file():
            facts["deliverables"].append({"name": d.name, "file": str(path), "size_bytes": path.stat().st_size,
                                          "duration_s": round(d.duration_s, 2)})
    if ws.delivery_dir.is_dir():
        for bag in sorted(ws.delivery_dir.iterdir()):
            if bag.is_dir() and (bag / "bagit.txt").is_file():
                size, count = _tree_size(bag)
                facts["bags"].append({"path": str(bag), "size_bytes": size, "files": count})
            elif bag.is_file() and bag.suffix == ".zip":
                facts["bags"].append({"path": str(bag), "size_bytes": bag.stat().st_size, "files": 1})
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
    from .html import summary_html

    json_path, html_path = summary_paths(workspace_root, started)
    workspace_root.mkdir(parents=True, exist_ok=True)
    write_json(json_path, summary)
    write_text(html_path, summary_html(summary))
    return json_path, html_path


def human_size(n: int | None) -> str:
    if n is None:
        return ""
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"


def human_seconds(s: float | None) -> str:
    if s is None:
        return ""
    s = float(s)
    if s < 60:
        return f"{s:.1f} s"
    m, sec = divmod(round(s), 60)
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{sec:02d}s"
