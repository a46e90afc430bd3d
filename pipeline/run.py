"""The stage list, and the one walk over it that `reportage run`, a batch and a remote worker share.

A stage is a module in `pipeline/stages/` that defines:

- `Settings`: a frozen dataclass of the options that change its outputs (defaults usable as is);
- `inputs(programme, ws, settings) -> {target: inputs}`: what each target's freshness depends on
  (targets are clip ids for per-clip stages, deliverable names for render, `programme` otherwise);
- `outputs(programme, ws) -> [Path]`: the files it owns;
- `run(programme, ws, settings, progress, clips) -> report`: the work, skipping fresh targets;
  the report has `ok`, `up_to_date` and `to_dict()`;
- `proceed(programme, report) -> bool`: whether the stages after it can run on this result.

Modules are imported when a stage is used, not when this list is read, so `reportage --help`
stays fast. Adding a stage is one module and one entry in `STAGES`.
"""

from __future__ import annotations

import dataclasses
import importlib
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from .errors import ManifestError, ReportageError
from .manifest import Programme
from .progress import ProgressFn, ignore
from .workspace import Workspace


class StageReport(Protocol):
    """What every stage's run returns."""

    @property
    def ok(self) -> bool: ...

    @property
    def up_to_date(self) -> bool: ...

    def to_dict(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Stage:
    """One entry of the stage list: a name, the module that does the work, and what it needs."""

    name: str
    module: str
    summary: str
    needs: tuple[str, ...] = ()
    """Manifest fields the stage cannot do without (checked before it runs, with a located error)."""
    per_clip: bool = False
    """Work is addressable per clip (`clips=`), so a worker can run one clip of it."""
    files: tuple[str, ...] = ()
    """Manifest fields naming a file the stage reads (dotted: `timeline.edit`); when the manifest
    gives one, the file must exist before the stage runs."""
    uses: tuple[str, ...] = ()
    """The stages whose outputs this one reads: a failure in them, or further up (`upstream`), makes
    this stage's work stale (`stagerun.check`)."""
    clip_targets: bool = False
    """Its targets are clips: only a failure of the same clip upstream makes one stale."""

    def _mod(self) -> ModuleType:
        return importlib.import_module(self.module)

    def default_settings(self) -> Any:
        return self._mod().Settings()

    def settings(self, **options: Any) -> Any:
        """This stage's Settings with `options` (a TypeError names an option it does not have)."""
        return self._mod().Settings(**options)

    def inputs(self, programme: Programme, ws: Workspace, settings: Any = None) -> dict[str, Any]:
        """`{target: inputs}`: what the freshness of each target depends on."""
        result: dict[str, Any] = self._mod().inputs(programme, ws, settings or self.default_settings())
        return result

    def outputs(self, programme: Programme, ws: Workspace) -> list[Path]:
        result: list[Path] = self._mod().outputs(programme, ws)
        return result

    def run(self, programme: Programme, ws: Workspace, settings: Any = None, progress: ProgressFn = ignore,
            clips: Sequence[str] | None = None, **hooks: Any) -> StageReport:
        """Check the manifest has what this stage needs, then run it (fresh targets are skipped).
        `hooks` go to the stage's own run (ingest's `on_clip`)."""
        programme.require(self.needs, self.name)
        programme.require_files(self.files, self.name)
        mod = self._mod()
        if clips is not None and not self.per_clip:
            raise ManifestError(f"the {self.name} stage works on the whole programme, not on single clips",
                                path=programme.manifest_path)
        from . import stagerun

        try:
            report: StageReport = mod.run(programme, ws, settings or mod.Settings(), progress,
                                          tuple(clips) if clips is not None else None, **hooks)
        except ManifestError:
            raise  # the command or the manifest was wrong: the stage never started its work
        except ReportageError as exc:
            # the stage failed: everything made from it is stale (and says so) until it succeeds
            stagerun.note_failure(ws, self.name, exc.one_line())
            raise
        stagerun.clear_failure(ws, self.name)
        return report

    def proceed(self, programme: Programme, report: StageReport) -> bool:
        """Whether the stages after this one can run on `report`."""
        decide: Callable[[Programme, StageReport], bool] | None = getattr(self._mod(), "proceed", None)
        return decide(programme, report) if decide else report.ok


STAGES: tuple[Stage, ...] = (
    Stage("ingest", "pipeline.stages.ingest", "probe, checksum, proxy, ASR audio, thumbnails, shots",
          ("footage",), per_clip=True, clip_targets=True),
    Stage("transcribe", "pipeline.stages.transcribe", "Vietnamese speech to timed words (Whisper)",
          ("footage",), per_clip=True, uses=("ingest",), clip_targets=True),
    Stage("assemble", "pipeline.stages.assemble", "the cut list or master as timeline.json", ("timeline",),
          files=("timeline.edit",), uses=("ingest",)),
    Stage("conform", "pipeline.stages.conform", "house-format working copies of the clips the timeline uses",
          ("timeline",), uses=("ingest", "assemble"), clip_targets=True),
    Stage("subtitles", "pipeline.stages.subtitles", "Vietnamese and English cues, SRT and WebVTT", ("timeline",),
          uses=("ingest", "transcribe", "assemble")),
    Stage("render", "pipeline.stages.render", "branding, subtitles, loudness: every deliverable in one pass",
          ("timeline", "title", "deliverables"), uses=("assemble", "conform", "subtitles")),
    Stage("qc", "pipeline.stages.qc", "every deliverable measured against its profile",
          ("timeline", "deliverables"), uses=("render", "subtitles", "transcribe")),
    Stage("package", "pipeline.stages.package", "the BagIt delivery bag for the centre",
          ("timeline", "title", "synopsis", "deliverables"), uses=("qc", "render", "subtitles", "transcribe")),
)


def upstream(name: str) -> tuple[str, ...]:
    """Every stage whose outputs `name` is made from, directly or further up (`Stage.uses`), in the
    list's order; () for a name that is not a stage."""
    by_name = {s.name: s for s in STAGES}
    found: set[str] = set()
    todo = list(by_name[name].uses) if name in by_name else []
    while todo:
        current = todo.pop()
        if current not in found and current in by_name:
            found.add(current)
            todo += by_name[current].uses
    return tuple(s.name for s in STAGES if s.name in found)


def clip_stage(name: str) -> bool:
    """Whether the targets of stage `name` are clips (`Stage.clip_targets`)."""
    return any(s.name == name and s.clip_targets for s in STAGES)


RUSHES_LACK = ("timeline",)
"""What a manifest of rushes leaves out by design: without it a walk ingests and transcribes, then
stops where the edit is needed (README: "Rushes arrive before the edit exists")."""


def preflight(programme: Programme, stages: Sequence[Stage] = STAGES) -> None:
    """Before a walk (`run`, a batch): everything its stages need from the manifest, checked at once,
    so a missing `title:` or edit file is said in the first second, not after hours of encoding.

    Each stage's `needs` and `files` decide, as they do when the stage itself runs. A manifest of
    rushes (no `timeline:` yet) is walked as far as it goes, as before; commands that run one stage
    (ingest, transcribe, search) never call this. ManifestProblems lists every field missing.
    """
    if not all(programme.given(name) for name in RUSHES_LACK):
        return
    from .validate import ManifestProblems

    problems: list[str] = []
    named: set[str] = set()
    for s in stages:
        needs = [name for name in s.needs if name not in named]
        named.update(s.needs)
        problems += programme.missing(needs, s.name) + programme.missing_files(s.files, s.name)
    if problems:
        raise ManifestProblems(list(dict.fromkeys(problems)), path=programme.manifest_path,
                               hint="the walk needs these before it can finish; nothing was started")


def stage(name: str) -> Stage:
    """The stage called `name`; ManifestError listing the names when there is none."""
    for s in STAGES:
        if s.name == name:
            return s
    raise ManifestError(f"no stage called {name!r}", hint="one of " + ", ".join(s.name for s in STAGES))


@dataclass
class StageOutcome:
    """One stage of a walk: its report, or the error that stopped it."""

    name: str
    report: StageReport | None = None
    error: ReportageError | None = None
    seconds: float = 0.0
    failed_upstream: list[str] = field(default_factory=list)
    """What failed upstream and still stands (`stagerun.upstream_failures`): this stage's work is
    stale, made without it, however up to date its own report says it is."""

    @property
    def ok(self) -> bool:
        return self.error is None and self.report is not None and self.report.ok

    @property
    def up_to_date(self) -> bool:
        return self.report is not None and self.report.up_to_date and not self.failed_upstream

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"stage": self.name, "ok": self.ok, "seconds": round(self.seconds, 2)}
        if self.failed_upstream:
            data["failed_upstream"] = list(self.failed_upstream)
        if self.report is not None:
            data["up_to_date"] = self.up_to_date
            data["report"] = self.report.to_dict()
        if self.error is not None:
            data["error"] = self.error.one_line()
        return data


@dataclass
class RunReport:
    """Every stage `run_programme` walked, and where and why it stopped."""

    programme_id: str
    stages: list[StageOutcome] = field(default_factory=list)
    stopped_after: str | None = None
    stop_reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.stopped_after is None and all(s.ok for s in self.stages)

    @property
    def up_to_date(self) -> bool:
        return all(s.up_to_date for s in self.stages)

    @property
    def error(self) -> ReportageError | None:
        return next((s.error for s in self.stages if s.error is not None), None)

    def to_dict(self) -> dict[str, Any]:
        return {"programme": self.programme_id, "ok": self.ok, "up_to_date": self.up_to_date,
                "stopped_after": self.stopped_after, "stop_reason": self.stop_reason,
                "stages": [s.to_dict() for s in self.stages]}


def run_programme(programme: Programme, ws: Workspace, settings: Mapping[str, Any] | None = None,
                  progress: ProgressFn = ignore, *, stages: Sequence[Stage] = STAGES,
                  on_stage: Callable[[StageOutcome], None] | None = None) -> RunReport:
    """Walk `stages` in order on one programme; fresh work inside each stage is skipped.

    `settings` maps a stage name to its Settings. A stage whose result leaves the next ones nothing
    to work on (`proceed`) or that raises a ReportageError stops the walk; the report says where.
    `on_stage` sees each outcome as it happens (the CLI draws it).
    """
    settings = settings or {}
    report = RunReport(programme.id)
    names = [s.name for s in stages]
    early: _EarlyTranscripts | None = None
    for s in stages:
        began = time.monotonic()
        outcome = StageOutcome(s.name)
        try:
            if s.name == "ingest" and "transcribe" in names:
                early = _EarlyTranscripts(stage("transcribe"), programme, ws, settings.get("transcribe"), progress)
                try:
                    outcome.report = s.run(programme, ws, settings.get(s.name), progress, on_clip=early.submit)
                finally:
                    early.finish()
            else:
                outcome.report = s.run(programme, ws, settings.get(s.name), progress)
                if s.name == "transcribe" and early is not None:
                    outcome.report = early.merged(outcome.report)
        except ReportageError as exc:
            outcome.error = exc
        outcome.seconds = time.monotonic() - began
        outcome.failed_upstream = _failed_upstream(ws, s.name)
        report.stages.append(outcome)
        if on_stage is not None:
            on_stage(outcome)
        if outcome.error is not None:
            report.stopped_after, report.stop_reason = s.name, outcome.error.one_line()
            break
        assert outcome.report is not None
        if not s.proceed(programme, outcome.report) and s is not stages[-1]:
            report.stopped_after = s.name
            report.stop_reason = _stop_reason(s.name, outcome.report)
            break
    return report


class _EarlyTranscripts:
    """Transcribes each clip as soon as ingest has it, one at a time beside the ingest, so the
    rushes are searchable clip by clip while the rest of the card is still being ingested. The
    transcribe stage then runs as usual and finds these clips fresh; its report shows them as
    transcribed in this walk. A failure here is left for that run to meet and report."""

    def __init__(self, transcribe: Stage, programme: Programme, ws: Workspace, settings: Any,
                 progress: ProgressFn) -> None:
        self._stage, self._programme, self._ws, self._progress = transcribe, programme, ws, progress
        self._settings = settings or transcribe.default_settings()
        self._stopped = threading.Event()
        if getattr(self._settings, "transcriber", "absent") is None:
            try:  # one engine for every clip: the model is loaded once
                self._settings = dataclasses.replace(self._settings, transcriber=self._settings.engine(programme))
            except Exception:
                self._stopped.set()  # no engine: the transcribe stage will say why
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="early-transcribe")
        self._futures: list[Future[StageReport]] = []

    def submit(self, clip: Any) -> None:
        """Ingest's `on_clip`: queue a clip that ingest has ready (with sound) for transcription."""
        if clip.status in ("ingested", "up to date") and clip.has_audio and not self._stopped.is_set():
            self._futures.append(self._pool.submit(self._one, clip.clip_id))

    def _one(self, clip_id: str) -> StageReport:
        if self._stopped.is_set():
            raise _Skipped
        try:
            return self._stage.run(self._programme, self._ws, self._settings, self._progress, (clip_id,))
        except Exception:
            self._stopped.set()  # a missing model fails every clip: the stage itself will say so
            raise

    def finish(self) -> None:
        self._pool.shutdown(wait=True)

    def merged(self, report: StageReport) -> StageReport:
        earlier = [f.result() for f in self._futures if f.exception() is None]
        merge: Callable[[StageReport, list[StageReport]], StageReport] | None = getattr(
            self._stage._mod(), "with_earlier", None)
        return merge(report, earlier) if merge and earlier else report


class _Skipped(Exception):
    """An early transcription not started because an earlier one failed."""


def _failed_upstream(ws: Workspace, name: str) -> list[str]:
    """The failures upstream of stage `name` that still stand, one line each (none when the
    catalogue cannot be read: the stage's own error says why)."""
    from . import stagerun

    try:
        return [f.line() for f in stagerun.upstream_failures(ws, name)]
    except ReportageError:
        return []


def _stop_reason(name: str, report: StageReport) -> str:
    reason = getattr(report, "stop_reason", None)
    if isinstance(reason, str) and reason:
        return reason
    return f"{name} did not succeed; the stages after it need its results"


def fresh(programme: Programme, ws: Workspace, s: Stage, settings: Any = None) -> Iterator[tuple[str, bool]]:
    """`(target, fresh)` for every target of stage `s`: the same check its run makes."""
    from . import stagerun

    for target, inputs in s.inputs(programme, ws, settings).items():
        yield target, stagerun.check(ws, s.name, target, inputs).fresh
