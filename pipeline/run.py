"""The registry: each stage of the stage list paired with the module that does its work, and the one
walk over it that `reportage run`, a batch and a remote worker share.

A stage module (`pipeline/stages/<name>.py`) is a `StageModule`: mypy checks each one against the
protocol where the registry loads it (`_LOADERS`), so there is no name looked up at run time. It
defines:

- `VERSION`: the version of its code; part of every freshness key, so bump it when a change alters
  what the stage writes (outputs made by the old code are then made again);
- `Settings`, and `settings(programme, **options)`: the one place its settings are built from the
  manifest and the options of a command or a batch (the CLI, `run` and the batch all call it);
- `plan(programme, ws, settings) -> {target: inputs}`: what each target's freshness depends on
  (targets are clip ids for per-clip stages, deliverable names for render, `programme` otherwise);
- `make(programme, ws, settings, work) -> report`: the work. The runner hands it a `stagerun.Work`
  whose `check` keys each target (its inputs, the stage's `VERSION`, the failures upstream), and
  whose `done`/`failed` put it on record; the stage makes only the targets `check` finds stale. The
  report has `ok`, `up_to_date` and `to_dict()`;
- `proceed(programme, report) -> bool`: whether the stages after it can run on this result.

Adding a stage is one module, one entry in `stagelist.STAGE_LIST` and its line in `_LOADERS`
(README: "Adding a stage"). Modules are imported when a stage is used, not when the list is read,
so `reportage --help` stays fast.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from . import stagerun
from .errors import ManifestError, ReportageError
from .lock import Interrupted
from .manifest import Programme
from .progress import ProgressFn, ignore
from .records.progress import ProgressWriter
from .stagelist import STAGE_LIST, StageEntry
from .stagelist import upstream as _upstream
from .workspace import Workspace

if TYPE_CHECKING:
    from .stagerun import Work


class StageReport(Protocol):
    """What every stage's make returns."""

    @property
    def ok(self) -> bool: ...

    @property
    def up_to_date(self) -> bool: ...

    def to_dict(self) -> dict[str, Any]: ...


class StageModule(Protocol):
    """What a module of `pipeline/stages/` defines (the module docstring says what each one is for)."""

    VERSION: int

    def settings(self, programme: Programme | None = None, **options: Any) -> Any: ...

    def plan(self, programme: Programme, ws: Workspace, settings: Any) -> dict[str, Any]: ...

    def make(self, programme: Programme, ws: Workspace, settings: Any, work: Work) -> Any: ...

    def proceed(self, programme: Programme, report: Any) -> bool: ...


def _ingest() -> StageModule:
    from .stages import ingest
    return ingest


def _transcribe() -> StageModule:
    from .stages import transcribe
    return transcribe


def _assemble() -> StageModule:
    from .stages import assemble
    return assemble


def _conform() -> StageModule:
    from .stages import conform
    return conform


def _subtitles() -> StageModule:
    from .stages import subtitles
    return subtitles


def _render() -> StageModule:
    from .stages import render
    return render


def _qc() -> StageModule:
    from .stages import qc
    return qc


def _publish() -> StageModule:
    from .stages import publish
    return publish


def _package() -> StageModule:
    from .stages import package
    return package


_LOADERS: dict[str, Callable[[], StageModule]] = {
    "ingest": _ingest, "transcribe": _transcribe, "assemble": _assemble, "conform": _conform,
    "subtitles": _subtitles, "render": _render, "qc": _qc, "publish": _publish, "package": _package,
}
"""The module of each stage of the stage list, loaded when the stage is first used."""


@dataclass(frozen=True)
class Stage:
    """One stage of a walk: its entry in the stage list and the module that does the work."""

    entry: StageEntry
    load: Callable[[], StageModule]
    before: tuple[str, ...] = ()
    """The stages it is made from, directly or further up, in the list the walk is made of."""

    @property
    def name(self) -> str:
        return self.entry.name

    @property
    def summary(self) -> str:
        return self.entry.summary

    @property
    def needs(self) -> tuple[str, ...]:
        return self.entry.needs

    @property
    def files(self) -> tuple[str, ...]:
        return self.entry.files

    @property
    def uses(self) -> tuple[str, ...]:
        return self.entry.uses

    @property
    def per_clip(self) -> bool:
        return self.entry.per_clip

    @property
    def clip_targets(self) -> bool:
        return self.entry.clip_targets

    @property
    def module(self) -> StageModule:
        return self.load()

    def default_settings(self) -> Any:
        return self.module.settings()

    def settings(self, programme: Programme | None = None, **options: Any) -> Any:
        """This stage's settings for `programme` with `options` (a TypeError names an option it does not
        have): the same settings whoever asks, the CLI, `run` or a batch."""
        return self.module.settings(programme, **options)

    def work(self, ws: Workspace, progress: ProgressFn = ignore, clips: Sequence[str] | None = None,
             on_clip: Callable[[Any], None] | None = None) -> Work:
        """The `stagerun.Work` this stage's make gets: its version and what it is made from."""
        return stagerun.Work(ws, self.name, self.module.VERSION, self.before, self.clip_targets, progress,
                             tuple(clips) if clips is not None else None, on_clip)

    def plan(self, programme: Programme, ws: Workspace, settings: Any = None) -> dict[str, Any]:
        """`{target: inputs}`: what the freshness of each target depends on."""
        return self.module.plan(programme, ws, settings if settings is not None else self.settings(programme))

    def run(self, programme: Programme, ws: Workspace, settings: Any = None, progress: ProgressFn = ignore,
            clips: Sequence[str] | None = None, on_clip: Callable[[Any], None] | None = None) -> StageReport:
        """Check the manifest has what this stage needs, then make what is stale (fresh targets are
        skipped); a failure of the stage as a whole stays on record until it succeeds."""
        programme.require(self.needs, self.name)
        programme.require_files(self.files, self.name)
        if clips is not None and not self.per_clip:
            raise ManifestError(f"the {self.name} stage works on the whole programme, not on single clips",
                                path=programme.manifest_path)
        module = self.module
        chosen = settings if settings is not None else module.settings(programme)
        shown = ProgressWriter(ws, self.name, progress)  # progress.json: the review room and batch status read it
        try:
            report: StageReport = module.make(programme, ws, chosen, self.work(ws, shown, clips, on_clip))
        except ManifestError:
            raise  # the command or the manifest was wrong: the stage never started its work
        except ReportageError as exc:
            # the stage failed: everything made from it is stale (and says so) until it succeeds
            stagerun.note_failure(ws, self.name, exc.one_line())
            raise
        finally:
            shown.close()
        stagerun.clear_failure(ws, self.name)
        return report

    def proceed(self, programme: Programme, report: StageReport) -> bool:
        """Whether the stages after this one can run on `report`."""
        return self.module.proceed(programme, report)


def registry(entries: Sequence[StageEntry] = STAGE_LIST,
             loaders: Mapping[str, Callable[[], StageModule]] | None = None) -> tuple[Stage, ...]:
    """The stages of `entries`, each with its module's loader (`_LOADERS`, or `loaders`: a walk with a
    stage of its own) and the stages it is made from within `entries`."""
    found = {**_LOADERS, **(loaders or {})}
    missing = [e.name for e in entries if e.name not in found]
    if missing:
        raise ManifestError(f"no module does the work of stage {', '.join(missing)}",
                            hint="add its loader to pipeline/run.py's _LOADERS")
    listed = tuple(entries)
    return tuple(Stage(e, found[e.name], _upstream(e.name, listed)) for e in listed)


STAGES: tuple[Stage, ...] = registry()


def upstream(name: str) -> tuple[str, ...]:
    """Every stage whose outputs `name` is made from, directly or further up (`StageEntry.uses`)."""
    return _upstream(name)


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
            chosen = settings.get(s.name)
            if s.name == "ingest" and "transcribe" in names:
                transcribe = next(t for t in stages if t.name == "transcribe")
                early = _EarlyTranscripts(transcribe, programme, ws, settings.get("transcribe"), progress)
                stopped = False
                try:
                    outcome.report = s.run(programme, ws, chosen, progress, on_clip=early.submit)
                except Interrupted:
                    stopped = True  # a stop: no queued clip is started
                    raise
                finally:  # however ingest ends, no transcription outlives it
                    early.finish(cancel=stopped)
            else:
                outcome.report = s.run(programme, ws, chosen, progress)
                if s.name == "transcribe" and early is not None:
                    outcome.report = early.merged(outcome.report)
        except ReportageError as exc:
            outcome.error = exc
        outcome.seconds = time.monotonic() - began
        outcome.failed_upstream = _failed_upstream(ws, s)
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
        self._settings = settings if settings is not None else transcribe.settings(programme)
        self._stopped = threading.Event()
        from .stages.transcribe import Settings as TranscribeSettings

        if isinstance(self._settings, TranscribeSettings) and self._settings.transcriber is None:
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

    def finish(self, *, cancel: bool = False) -> None:
        """Wait for the transcriptions; with `cancel` (a stop), only for the one running: the queued
        ones are dropped, so a stopped run ends within the batch's grace, its temporaries settled."""
        if cancel:
            self._stopped.set()
        self._pool.shutdown(wait=True, cancel_futures=cancel)

    def merged(self, report: StageReport) -> StageReport:
        from .stages.transcribe import with_earlier

        earlier = [f.result() for f in self._futures if f.exception() is None]
        return with_earlier(report, earlier) if earlier else report  # type: ignore[arg-type]


class _Skipped(Exception):
    """An early transcription not started because an earlier one failed."""


def _failed_upstream(ws: Workspace, s: Stage) -> list[str]:
    """The failures upstream of stage `s` that still stand, one line each (none when the catalogue
    cannot be read: the stage's own error says why)."""
    try:
        return [f.line() for f in s.work(ws).failed_upstream()]
    except ReportageError:
        return []


def _stop_reason(name: str, report: StageReport) -> str:
    reason = getattr(report, "stop_reason", None)
    if isinstance(reason, str) and reason:
        return reason
    return f"{name} did not succeed; the stages after it need its results"


def fresh(programme: Programme, ws: Workspace, s: Stage, settings: Any = None) -> Iterator[tuple[str, bool]]:
    """`(target, fresh)` for every target of stage `s`: the check its make makes, from its plan."""
    work = s.work(ws)
    for target, inputs in s.plan(programme, ws, settings).items():
        yield target, work.check(target, inputs).fresh
