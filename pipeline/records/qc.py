"""`qc/report.json`: QC's verdicts on every deliverable, on the subtitles and on what failed upstream
(the QC stage is its only writer), read back by package, the review room, the NLE export and the
batch summary through `read_qc_report`, never as raw JSON.

The judging lives in pipeline/qc/ (the plan, the measuring, the HTML); this module is the report's
shape: the dataclasses the stage fills, the JSON they write and the typed reader. What only the HTML
report draws (the measurements behind the plots, the loudness target, the leader) travels in memory:
a report read back holds what the JSON holds, the verdicts and the numbers, not the decode.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import fsutil, stagerun
from ..qc.plan import CheckResult, Status, worst
from ..workspace import Workspace
from .reading import read_record

if TYPE_CHECKING:
    from ..qc.checks import FileMeasurements

QC_REPORT_VERSION = 1
"""The shape of report.json; a report without a version is of the first shape (they are the same)."""
PROGRAMME_SECONDS = "programme seconds"
QC_REPORT_NAME = "report.json"


@dataclass(frozen=True)
class LoudnessSeries:
    """A deliverable's loudness over the programme, thinned for the report: one row per `step_s`,
    the values in `columns` (time first, in programme seconds)."""

    step_s: float
    columns: tuple[str, ...]
    rows: tuple[tuple[float | None, ...], ...]

    def to_json(self) -> dict[str, Any]:
        return {"step_s": self.step_s, "columns": list(self.columns), "time": PROGRAMME_SECONDS,
                "rows": [list(r) for r in self.rows]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LoudnessSeries:
        return cls(float(data.get("step_s") or 0.0), tuple(str(c) for c in data.get("columns") or ()),
                   tuple(tuple(_number(v) for v in row) for row in data.get("rows") or ()))


@dataclass(frozen=True)
class MeasuredFile:
    """Which file content the verdicts are of and when it was measured (`qc/deliverables/<name>.json`
    keeps the measurements themselves)."""

    sha256: str
    measured_at: float
    measure_s: float
    programme_offset_s: float
    """Add to a time in the file to get programme time (the excerpt's start less the leader)."""
    loudness: LoudnessSeries

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"sha256": self.sha256} if self.sha256 else {}
        data.update(measured_at=self.measured_at, measure_s=self.measure_s,
                    programme_offset_s=round(self.programme_offset_s, 6), loudness_series=self.loudness.to_json())
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MeasuredFile | None:
        """The measurement facts of a deliverable entry, None for a file that was never measured."""
        if "measured_at" not in data:
            return None
        return cls(str(data.get("sha256") or ""), float(data.get("measured_at") or 0.0),
                   float(data.get("measure_s") or 0.0), float(data.get("programme_offset_s") or 0.0),
                   LoudnessSeries.from_json(data.get("loudness_series") or {}))


@dataclass
class FileQC:
    """The verdicts of one deliverable file, with what the HTML report draws beside them."""

    deliverable: str
    profile: str
    path: str
    """The deliverable as the render record names it: relative to the programme folder (the report
    travels in the bag and with a moved workspace); the file as given for `reportage qc FILE`."""
    checks: list[CheckResult]
    measurements: FileMeasurements | None = None
    """The measurements behind the plots (in memory only: None in a report read back)."""
    posters: list[Path] = field(default_factory=list)
    leader_s: float = 0.0
    target_lufs: float | None = None
    measured: MeasuredFile | None = None
    """Which content was measured, and when (None for a file that could not be measured)."""
    part_of: str = ""
    """The manifest's deliverable this entry is one file of, when it is not one itself: a streaming
    ladder's rung (`deliverable` is then `<deliverable> <height>p`, `qc/ladder.rung_name`)."""

    @property
    def verdict(self) -> Status:
        return worst([c.status for c in self.checks])

    def check(self, check_id: str) -> CheckResult | None:
        return next((c for c in self.checks if c.id == check_id), None)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "deliverable": self.deliverable, "profile": self.profile, "file": self.path,
            "verdict": self.verdict.value, "posters": [p.name for p in self.posters],
            "checks": [c.to_dict() for c in self.checks]}
        if self.measured is not None:
            data.update(self.measured.to_json())
        if self.part_of:
            data["part_of"] = self.part_of
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any], posters_dir: Path) -> FileQC:
        """A deliverable entry as `to_json` wrote it; poster names become files in `posters_dir`."""
        return cls(str(data["deliverable"]), str(data.get("profile") or ""), str(data.get("file") or ""),
                   [CheckResult.from_dict(c) for c in data.get("checks") or ()],
                   posters=[posters_dir / str(name) for name in data.get("posters") or ()],
                   measured=MeasuredFile.from_json(data), part_of=str(data.get("part_of") or ""))


@dataclass
class QCReport:
    """Every deliverable's verdicts and the subtitles', as `qc/report.json` holds them."""

    programme: str
    files: list[FileQC]
    subtitles: list[CheckResult]
    title: str = ""
    generated: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"))
    pipeline: list[CheckResult] = field(default_factory=list)
    """What failed upstream and still stands (`stages.qc.failure_checks`): the outputs were made without it."""
    judged: dict[str, str] = field(default_factory=dict)
    """Which content the verdicts are of: `{path relative to the programme folder: SHA-256}` of every
    deliverable file and subtitle file judged (`judged_files`), so a reader can tell a report older
    than the files beside it (package refuses to bag them together). Empty in a report written
    before this was kept."""

    @property
    def verdict(self) -> Status:
        return worst([f.verdict for f in self.files] + [c.status for c in self.subtitles + self.pipeline])

    @property
    def failed(self) -> list[str]:
        """`deliverable: check` for every FAIL."""
        out = [f"pipeline: {c.measured}" for c in self.pipeline if c.status is Status.FAIL]
        out += [f"{f.deliverable}: {c.label}" for f in self.files for c in f.checks if c.status is Status.FAIL]
        return out + [f"subtitles: {c.label}" for c in self.subtitles if c.status is Status.FAIL]

    def file(self, deliverable: str) -> FileQC | None:
        """The verdicts of one deliverable, None when the report has none; for a streaming ladder,
        its first rung's (the one that carries the sound, and the posters)."""
        return next((f for f in self.files if f.deliverable == deliverable), None) or next(
            (f for f in self.files if f.part_of == deliverable), None)

    def to_json(self) -> dict[str, Any]:
        data = {"version": QC_REPORT_VERSION, "programme": self.programme, "title": self.title,
                "generated": self.generated, "verdict": self.verdict.value, "failed": self.failed,
                "deliverables": [f.to_json() for f in self.files],
                "subtitles": _section(self.subtitles)}
        if self.pipeline:
            data["pipeline"] = _section(self.pipeline)
        if self.judged:
            data["judged"] = dict(sorted(self.judged.items()))
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any], posters_dir: Path) -> QCReport:
        """A report as `to_json` wrote it (ValueError for another version); the verdicts are the
        checks', as the writer worked them out."""
        version = data.get("version", QC_REPORT_VERSION)
        if version != QC_REPORT_VERSION:
            raise ValueError(f"it is of version {version!r}; this reportage reads version {QC_REPORT_VERSION}")
        return cls(str(data.get("programme") or ""),
                   [FileQC.from_json(d, posters_dir) for d in data.get("deliverables") or ()],
                   _checks(data.get("subtitles")), title=str(data.get("title") or ""),
                   generated=str(data.get("generated") or ""), pipeline=_checks(data.get("pipeline")),
                   judged=_judged(data.get("judged")))


def _section(checks: Sequence[CheckResult]) -> dict[str, Any]:
    return {"verdict": worst([c.status for c in checks]).value, "checks": [c.to_dict() for c in checks]}


def _checks(section: Any) -> list[CheckResult]:
    return [CheckResult.from_dict(c) for c in (section or {}).get("checks") or ()]


def _judged(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, Mapping) else {}


def relative_name(ws: Workspace, path: Path) -> str:
    """A file as `judged` (and the approval, `review.state.current_outputs`) names it: its path
    relative to the programme folder, POSIX separators; as it is when outside the folder."""
    try:
        return path.resolve().relative_to(ws.dir.resolve()).as_posix()
    except ValueError:
        return str(path)


def judged_files(ws: Workspace, paths: Sequence[Path]) -> dict[str, str]:
    """`{relative_name: SHA-256}` of the files of `paths` that exist (`stagerun.content_hash`: a file
    read again only when its size or mtime changed), for the report's `judged`."""
    return {relative_name(ws, p): stagerun.content_hash(ws, p) for p in paths if p.is_file()}


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def qc_report_path(ws: Workspace) -> Path:
    return ws.qc_dir / QC_REPORT_NAME


def posters_dir(ws: Workspace) -> Path:
    """Where QC draws each deliverable's poster frames (the report names them)."""
    return ws.qc_dir / "posters"


def write_qc_report(path: Path, report: QCReport) -> Path:
    """Write the report at `path` (`qc_report_path` of the programme; QC is its only writer)."""
    fsutil.write_json(path, report.to_json())
    return path


def read_qc_report(ws: Workspace) -> QCReport | None:
    """The programme's QC report, None before QC has run; a WorkspaceError naming the file when it
    is unreadable or of a version this reportage does not know."""
    return read_record(qc_report_path(ws), lambda data: QCReport.from_json(data, posters_dir(ws)), "QC report",
                       "run `reportage qc MANIFEST` again")
