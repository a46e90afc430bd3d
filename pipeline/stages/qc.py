"""QC stage: judge every deliverable of the manifest against its profile, and the programme's subtitles.

What is judged comes from the records the earlier stages wrote, never from their code or from
guessing at folders: the manifest's `deliverables:` list, the render record (`renders/render.json`:
each deliverable's file, its excerpt of the programme and its leader), the timeline, the transcripts
(speech placed on the timeline by `subs/speech.py`, the rule the subtitles stage uses) and the
subtitles record (machine drafts). The files themselves are measured (`qc/checks.py`), so a render
that went wrong is caught, not trusted.

The work is proportional to the change. Freshness is `pipeline.stagerun`'s, on three kinds of target:
- each deliverable (target = its name): the file's content, its profile, the measuring code and
  ffmpeg. Measured once per content; the measurements are kept in `qc/deliverables/<name>.json`
  (`qc/record.py`) and reused while the file is unchanged, so a fixed subtitle that re-rendered the
  social cut decodes the social cut alone;
- each subtitle language (target = `subtitles.<lang>`): its SRT and WebVTT, its draft state and
  uncertain recognised words in the subtitles record, its style, the timeline and transcripts (the
  speech it must cover), the checking code; verdicts kept in `qc/subtitles/<lang>.json`;
- the report (target = `programme`): the keys of all those parts, the timeline, the titles, the
  judging code and the verdict on burned-in cues over lower thirds (`qc/subtitles.lower_third_checks`,
  cheap enough to work out every time). When it is fresh the previous `qc/report.json` stands
  (nothing is rewritten, so package stays up to date); otherwise the report is judged again from
  the parts (cheap: no decode) and report.json and report.html are rewritten.
`qc_file` checks any single file against a profile — what the receiving centre runs on arrival.

What failed upstream and still stands (`stagerun.upstream_failures`: a clip whose transcription
failed, English the translator never returned, a stage that stopped) is judged too, one check each in
the report's `pipeline` part: FAIL when it is in the programme (a clip the edit uses, or a stage as a
whole), WARN for a clip the edit does not use. It is part of the report's key, so the verdict changes
when a failure comes or goes; a deliverable's measurements are keyed by its file alone.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from .. import stagerun
from ..errors import ReportageError, WorkspaceError
from ..fsutil import read_json, write_json
from ..manifest import Programme
from ..media import ffmpeg
from ..profiles import Profile, load_profile
from ..progress import Progress, ProgressFn, ignore
from ..qc.checks import FileMeasurements, measure_file, poster_frames
from ..qc.plan import CheckResult, PlanContext, Status, evaluate, plan_for, worst
from ..qc.record import (
    LOUDNESS_COLUMNS,
    LOUDNESS_STEP_S,
    DeliverableRecord,
    measuring_code,
    read_record,
    record_path,
    write_record,
)
from ..qc.report import write_reports
from ..qc.subtitles import check_language, lower_third_checks
from ..records.subtitles import SubtitlesRecord, read_subtitles_record
from ..render.plan import body_frames
from ..render.state import RenderedDeliverable, RenderRecord, read_render_record
from ..subs import WRITTEN_FORMATS, load_style
from ..subs.speech import speech_spans, timeline_words
from ..timeline import Timeline, load_timeline
from ..workspace import Workspace

STAGE = "qc"
QC_VERSION = 4
SUBTITLES_TARGET = "subtitles.{lang}"


@dataclass(frozen=True)
class Settings:
    """`posters`: draw three stills of each deliverable for the HTML report."""

    posters: bool = True


@dataclass
class FileQC:
    """The verdicts of one file, with what the HTML report draws."""

    deliverable: str
    profile: str
    path: str
    checks: list[CheckResult]
    measurements: FileMeasurements | None = None
    posters: list[Path] = field(default_factory=list)
    leader_s: float = 0.0
    target_lufs: float | None = None
    record: DeliverableRecord | None = None
    """The measurements behind the verdicts (None for a file that could not be measured)."""

    @property
    def verdict(self) -> Status:
        return worst([c.status for c in self.checks])

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "deliverable": self.deliverable, "profile": self.profile, "file": self.path,
            "verdict": self.verdict.value, "posters": [p.name for p in self.posters],
            "checks": [c.to_dict() for c in self.checks]}
        if self.record is not None:
            if self.record.sha256:
                data["sha256"] = self.record.sha256
            data["measured_at"] = self.record.measured_at
            data["measure_s"] = self.record.measure_s
            data["programme_offset_s"] = round(self.record.programme_offset_s, 6)
            data["loudness_series"] = {"step_s": LOUDNESS_STEP_S, "columns": list(LOUDNESS_COLUMNS),
                                       "time": "programme seconds",
                                       "rows": self.record.loudness_in_programme(LOUDNESS_STEP_S)}
        return data


@dataclass
class QCReport:
    """Every deliverable's verdicts and the subtitles', as `qc/report.json` holds them."""

    programme: str
    files: list[FileQC]
    subtitles: list[CheckResult]
    title: str = ""
    generated: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"))
    pipeline: list[CheckResult] = field(default_factory=list)
    """What failed upstream and still stands (`failure_checks`): the outputs were made without it."""

    @property
    def verdict(self) -> Status:
        return worst([f.verdict for f in self.files] + [c.status for c in self.subtitles + self.pipeline])

    @property
    def failed(self) -> list[str]:
        """`deliverable: check` for every FAIL."""
        out = [f"pipeline: {c.measured}" for c in self.pipeline if c.status is Status.FAIL]
        out += [f"{f.deliverable}: {c.label}" for f in self.files for c in f.checks if c.status is Status.FAIL]
        return out + [f"subtitles: {c.label}" for c in self.subtitles if c.status is Status.FAIL]

    def to_dict(self) -> dict[str, Any]:
        data = {"programme": self.programme, "title": self.title, "generated": self.generated,
                "verdict": self.verdict.value, "failed": self.failed,
                "deliverables": [f.to_dict() for f in self.files],
                "subtitles": {"verdict": worst([c.status for c in self.subtitles]).value,
                              "checks": [c.to_dict() for c in self.subtitles]}}
        if self.pipeline:
            data["pipeline"] = {"verdict": worst([c.status for c in self.pipeline]).value,
                                "checks": [c.to_dict() for c in self.pipeline]}
        return data


@dataclass
class QCWork:
    """What this run did: which deliverables were measured and which measurements were reused,
    which subtitle languages were checked and which verdicts were reused."""

    measured: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    subtitles_checked: list[str] = field(default_factory=list)
    subtitles_reused: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, list[str]]:
        return {"measured": self.measured, "reused": self.reused,
                "subtitles_checked": self.subtitles_checked, "subtitles_reused": self.subtitles_reused}


@dataclass
class QCRun:
    """What the stage's run returns: the report as `qc/report.json` holds it (read back when up to
    date, so `report` is None then), where the HTML is, and what was done to make it."""

    programme: str
    data: dict[str, Any]
    up_to_date: bool
    html: Path
    report: QCReport | None = None
    work: QCWork = field(default_factory=QCWork)

    @property
    def failed(self) -> list[str]:
        return [str(x) for x in self.data.get("failed", [])]

    @property
    def ok(self) -> bool:
        """No FAIL (WARN and INFO are for a person to look at, not a stop)."""
        return not self.failed

    @property
    def verdict(self) -> str:
        return str(self.data.get("verdict", "unknown"))

    def to_dict(self) -> dict[str, Any]:
        return {**self.data, "ok": self.ok, "up_to_date": self.up_to_date, "html": str(self.html),
                "work": self.work.to_dict()}


def judge(record: DeliverableRecord, profile: Profile, *, expected_frames: int | None = None,
          programme_s: float | None = None, mute_windows: tuple[tuple[float, float], ...] = (),
          posters_dir: Path | None = None) -> FileQC:
    """The verdicts of a measured file against `profile` (cheap: no decode), flagged spans in
    programme seconds."""
    measured = record.measurements()
    lead = profile.leader.total_s
    if programme_s is None and measured.duration_s is not None:
        programme_s = max(0.0, measured.duration_s - lead)
    plan = plan_for(profile, PlanContext(expected_frames=expected_frames, programme_s=programme_s,
                                         mute_windows=mute_windows))
    checks = [evaluate(spec, measured.values, record.programme_offset_s) for spec in plan]
    posters = [p for name in record.posters if (p := posters_dir / name).is_file()] if posters_dir else []
    return FileQC(record.deliverable, profile.name, record.file, checks, measured, posters, lead,
                  profile.loudness.target_lufs, record)


def measure_deliverable(path: Path, profile: Profile, *, deliverable: str, sha256: str = "",
                        excerpt_start_s: float = 0.0, posters_dir: Path | None = None) -> DeliverableRecord:
    """Measure `path` once (the decode, ffprobe, the posters) into a record of its measurements."""
    began = time.monotonic()
    lead = profile.leader.total_s
    measured = measure_file(path, profile.video.rate, skip_s=lead)
    posters = (poster_frames(path, posters_dir, measured.duration_s, deliverable, start_s=lead)
               if posters_dir is not None else [])
    return DeliverableRecord.from_measurements(
        deliverable, profile.name, path, sha256, measured, leader_s=lead, excerpt_start_s=excerpt_start_s,
        posters=posters, measure_s=time.monotonic() - began, tools={"ffmpeg": _ffmpeg_version()})


def qc_file(path: Path, profile: Profile, *, deliverable: str | None = None, expected_frames: int | None = None,
            programme_s: float | None = None, posters_dir: Path | None = None,
            mute_windows: tuple[tuple[float, float], ...] = ()) -> FileQC:
    """Measure `path` and judge it against `profile` (expected duration when known)."""
    name = deliverable or path.stem
    record = measure_deliverable(path, profile, deliverable=name, posters_dir=posters_dir)
    result = judge(record, profile, expected_frames=expected_frames, programme_s=programme_s,
                   mute_windows=mute_windows, posters_dir=posters_dir)
    result.deliverable = deliverable or profile.name
    return result


def expected_frames(profile: Profile, timeline: Timeline, excerpt: tuple[float, float] | None) -> int:
    """The frame count a deliverable must have, at its own rate: the programme body the render
    recorded (the timeline, or its excerpt as the render cut it) plus the leader."""
    rate = profile.video.rate
    body = round(Fraction(body_frames(timeline, excerpt)) / timeline.rate * rate)
    return body + round(Fraction(str(profile.leader.total_s)) * rate)


def mute_windows(profile: Profile, timeline: Timeline,
                 excerpt: tuple[float, float] | None) -> tuple[tuple[float, float], ...]:
    """File-time spans where the timeline cuts a clip that has no audio (leader and excerpt applied)."""
    offset = excerpt[0] if excerpt is not None else 0.0
    lead = profile.leader.total_s
    spans = []
    for seg in timeline.segments:
        if not seg.has_audio:
            start = float(Fraction(seg.rec_in_frame) / timeline.rate) - offset + lead
            end = float(Fraction(seg.rec_out_frame) / timeline.rate) - offset + lead
            if excerpt is not None:
                end = min(end, excerpt[1] - offset + lead)
            if end > max(start, lead):
                spans.append((max(start, lead), end))
    return tuple(spans)


def _profile(programme: Programme, name: str) -> Profile:
    overrides = programme.base_dir / "profiles"
    return load_profile(name, overrides if overrides.is_dir() else None)


def _timeline(ws: Workspace) -> Timeline | None:
    try:
        return load_timeline(ws.timeline_json)
    except (ReportageError, OSError, ValueError, KeyError, TypeError):
        return None


def delivered_languages(programme: Programme) -> list[str]:
    """The subtitle languages QC checks (and fails on lint errors): `_languages`. `subtitles make`
    judges its lint errors by the same list."""
    return _languages(programme)


def lint_errors_by_delivery(programme: Programme,
                            record: Mapping[str, Any]) -> tuple[dict[str, int], dict[str, int]]:
    """Lint errors by language from a subtitles record (`subtitles/<id>.subtitles.json`, as the
    subtitles stage made it now or as its up-to-date files are): `(delivered, not_delivered)`, split
    by whether a deliverable carries the language. QC fails the delivered ones' lint check and never
    checks the others; `subtitles make` exits by the same rule."""
    delivered = set(delivered_languages(programme))
    languages = record.get("languages") or {}
    errors = {str(lang): int((entry.get("lint") or {}).get("errors") or 0)
              for lang, entry in languages.items() if isinstance(entry, Mapping)}
    return ({lang: n for lang, n in errors.items() if n and lang in delivered},
            {lang: n for lang, n in errors.items() if n and lang not in delivered})


def _languages(programme: Programme) -> list[str]:
    """Every subtitle language a deliverable burns in or carries (vi and en when none says)."""
    languages: list[str] = []
    for name in programme.manifest.deliverables:
        try:
            subs = _profile(programme, name).subtitles
        except ReportageError:
            continue
        languages += [*subs.sidecar, *([subs.burn_in] if subs.burn_in else [])]
    return list(dict.fromkeys(languages or ["vi", "en"]))


# -- what each target depends on ---------------------------------------------------------------------

@functools.cache
def _ffmpeg_version() -> str:
    return ffmpeg.version()


@functools.cache
def _code(*modules: str) -> str:
    """SHA-256 of the named modules' source: the verdicts change when the code judging them does."""
    import importlib

    digest = hashlib.sha256()
    for name in modules:
        digest.update(Path(str(importlib.import_module(name).__file__)).read_bytes())
    return digest.hexdigest()


def _judging_code() -> str:
    return _code("pipeline.qc.plan", "pipeline.qc.report", __name__)


def _subtitle_code() -> str:
    return _code("pipeline.qc.subtitles", "pipeline.subs.lint", "pipeline.subs.speech", "pipeline.qc.plan",
                 "pipeline.qc.checks", "pipeline.records")


@dataclass
class _Deliverable:
    """One deliverable of the manifest as QC sees it: measurable (profile and render known, with the
    inputs of its measurement), or a verdict saying why not."""

    name: str
    profile: Profile | None = None
    entry: RenderedDeliverable | None = None
    inputs: dict[str, Any] | None = None
    problem: FileQC | None = None


@dataclass
class _Plan:
    """Every QC target of the programme and its inputs."""

    deliverables: list[_Deliverable]
    languages: list[str]
    subtitles: dict[str, dict[str, Any]]
    report: dict[str, Any]
    timeline: Timeline | None
    render_error: WorkspaceError | None = None
    lower_thirds: dict[str, CheckResult] = field(default_factory=dict)
    """Per deliverable that burns subtitles in: are its cues clear of the lower thirds (no decode)."""

    def targets(self) -> dict[str, Any]:
        out: dict[str, Any] = {d.name: d.inputs for d in self.deliverables if d.inputs is not None}
        out.update({SUBTITLES_TARGET.format(lang=lang): inputs for lang, inputs in self.subtitles.items()})
        out[stagerun.PROGRAMME] = self.report
        return out


def _missing(name: str, profile: str, why: str) -> FileQC:
    return FileQC(name, profile, "", [CheckResult("render", "Rendered file", Status.FAIL, "missing", "present", why)])


def _deliverable(programme: Programme, ws: Workspace, name: str, record: RenderRecord | None,
                 settings: Settings) -> _Deliverable:
    try:
        profile = _profile(programme, name)
    except ReportageError as exc:
        return _Deliverable(name, problem=FileQC(name, "?", "", [CheckResult(
            "profile", "Profile", Status.FAIL, "unknown", "a known profile", exc.problem)]))
    entry = record.get(name) if record is not None else None
    if entry is None or not entry.path.is_file():
        return _Deliverable(name, profile, problem=_missing(
            name, profile.name, f"no render of {name} recorded in renders/render.json; run `reportage render`"))
    inputs = {"version": QC_VERSION, "code": measuring_code(), "ffmpeg": _ffmpeg_version(),
              "file": entry.path.name, "sha256": stagerun.content_hash(ws, entry.path),
              "profile": profile.model_dump(mode="json", exclude={"source"}),
              "excerpt_s": list(entry.excerpt_s) if entry.excerpt_s else None, "posters": settings.posters}
    return _Deliverable(name, profile, entry, inputs)


def _subtitle_inputs(ws: Workspace, lang: str, timeline_key: str | None, transcripts: dict[str, str | None],
                     record: SubtitlesRecord | None) -> dict[str, Any]:
    try:
        style: Any = load_style(lang)
    except ReportageError:
        style = load_style("vi")
    drafts = record.languages if record is not None else {}
    draft = drafts.get(lang)
    return {"version": QC_VERSION, "code": _subtitle_code(), "lang": lang,
            "files": stagerun.content_hashes(ws, [ws.subtitle(lang, ext) for ext in WRITTEN_FORMATS]),
            "draft": None if draft is None else {"source": draft.source, "backend": draft.backend,
                                                 "machine_draft": draft.machine_draft, "reviewed": draft.reviewed,
                                                 "uncertain_words": None if draft.uncertain_words is None
                                                 else [u.to_json() for u in draft.uncertain_words],
                                                 "shortened": draft.shortened, "untranslated": draft.untranslated,
                                                 "failed": draft.failed},
            "speech": record.speech if record is not None else None,
            "cues": {other: entry.cues for other, entry in drafts.items()},
            "style": _plain({f.name: getattr(style, f.name) for f in dataclasses.fields(style) if f.name != "source"}),
            "timeline": timeline_key, "transcripts": transcripts}


def _plain(value: Any) -> Any:
    """A value as stable JSON-able data: sets sorted (their order changes from one process to the
    next), fractions as text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted(str(v) for v in value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Fraction):
        return str(value)
    return value


def _plan(programme: Programme, ws: Workspace, settings: Settings) -> _Plan:
    render_error: WorkspaceError | None = None
    try:
        record: RenderRecord | None = read_render_record(ws)
    except WorkspaceError as exc:
        record, render_error = None, exc
    deliverables = [_deliverable(programme, ws, name, record, settings) for name in programme.manifest.deliverables]
    timeline = _timeline(ws)
    timeline_key = stagerun.content_hash(ws, ws.timeline_json) if ws.timeline_json.is_file() else None
    clips = sorted({s.clip_id for s in timeline.segments if s.has_audio}) if timeline is not None else []
    transcripts = stagerun.content_hashes(ws, [ws.transcript_json(c) for c in clips])
    try:
        subtitles_record = read_subtitles_record(ws)
    except ReportageError:
        subtitles_record = None
    languages = _languages(programme)
    subtitles = {lang: _subtitle_inputs(ws, lang, timeline_key, transcripts, subtitles_record) for lang in languages}
    burning = {d.name: (d.profile, d.entry.excerpt_s) for d in deliverables if d.profile and d.entry}
    lower_thirds = lower_third_checks(programme, ws, timeline, burning)
    title = programme.manifest.title
    report = {
        "version": QC_VERSION, "code": _judging_code(), "settings": {"posters": settings.posters},
        "deliverables": {d.name: stagerun.inputs_hash(d.inputs) if d.inputs is not None
                         else d.problem.to_dict() if d.problem is not None else None for d in deliverables},
        "leaders": {d.name: d.entry.leader_s for d in deliverables if d.entry is not None},
        "subtitles": {lang: stagerun.inputs_hash(inputs) for lang, inputs in subtitles.items()},
        "timeline": timeline_key, "title": title.model_dump() if title else None,
        "render_record": render_error.problem if render_error is not None else None,
        "lower_thirds": {name: check.to_dict() for name, check in lower_thirds.items()},
    }
    return _Plan(deliverables, languages, subtitles, report, timeline, render_error, lower_thirds)


# -- the stage model ------------------------------------------------------------------------------

def inputs(programme: Programme, ws: Workspace, settings: Settings | None = None) -> dict[str, Any]:
    """`{target: inputs}`: each rendered deliverable (its file's content, profile, the measuring code
    and ffmpeg), each subtitle language (`subtitles.<lang>`) and the report (`programme`: the keys of
    all the parts, the timeline, the titles, the judging code)."""
    return _plan(programme, ws, settings or Settings()).targets()


def outputs(programme: Programme, ws: Workspace) -> list[Path]:
    return [ws.qc_dir / "report.json", ws.qc_dir / "report.html"]


def run(programme: Programme, ws: Workspace, settings: Settings, progress: ProgressFn = ignore,
        clips: tuple[str, ...] | None = None) -> QCRun:
    """QC the programme unless the last report is from the same inputs; measure only the
    deliverables whose files changed, check only the subtitle languages that changed, then judge
    and write report.json + .html from the parts."""
    began = time.time()
    json_path, html_path = outputs(programme, ws)
    plan = _plan(programme, ws, settings)
    # the parts must still be there too: a lost record is measured again (the review room reads them)
    parts = [record_path(ws, d.name) for d in plan.deliverables if d.inputs is not None]
    parts += [_checks_path(ws, lang) for lang in plan.languages]
    fresh = stagerun.check(ws, STAGE, stagerun.PROGRAMME, plan.report, [json_path, html_path, *parts])
    if fresh.fresh:
        try:
            data = read_json(json_path)
        except (OSError, ValueError):
            data = None
        if isinstance(data, dict):
            work = QCWork(reused=[d.name for d in plan.deliverables if d.inputs is not None],
                          subtitles_reused=list(plan.languages))
            return QCRun(programme.id, data, True, html_path, work=work)
    work = QCWork()
    report = _qc_from_plan(programme, ws, settings, plan, progress, work)
    json_path, html_path = write_reports(report, ws.qc_dir)
    stagerun.record(ws, fresh, [json_path, html_path], started_at=began)
    return QCRun(programme.id, report.to_dict(), False, html_path, report, work)


def proceed(programme: Programme, report: QCRun) -> bool:
    """Packaging always gets its turn: it refuses a QC FAIL itself unless told to allow it."""
    return True


# -- the work ---------------------------------------------------------------------------------------

def qc_programme(programme: Programme, ws: Workspace, settings: Settings | None = None,
                 progress: ProgressFn = ignore) -> QCReport:
    """QC every deliverable the manifest lists (the file the render recorded) and the subtitles,
    measuring only what changed since the stored measurements; posters go to qc/posters/."""
    settings = settings or Settings()
    return _qc_from_plan(programme, ws, settings, _plan(programme, ws, settings), progress, QCWork())


def _qc_from_plan(programme: Programme, ws: Workspace, settings: Settings, plan: _Plan, progress: ProgressFn,
                  work: QCWork) -> QCReport:
    if plan.render_error is not None:
        raise plan.render_error
    timeline = plan.timeline
    task = f"qc {programme.id}"
    files: list[FileQC] = []
    total = len(plan.deliverables)
    for index, part in enumerate(plan.deliverables):
        progress(Progress(task, index, total, "deliverables"))
        if part.problem is not None or part.profile is None or part.entry is None or part.inputs is None:
            files.append(part.problem or _missing(part.name, "?", "not measurable"))
            continue
        record = _measurement(ws, part, settings, work)
        entry, profile = part.entry, part.profile
        frames = expected_frames(profile, timeline, entry.excerpt_s) if timeline is not None else None
        body_s = None if frames is None else float(Fraction(frames) / profile.video.rate) - profile.leader.total_s
        judged = judge(record, profile, expected_frames=frames, programme_s=body_s,
                       mute_windows=mute_windows(profile, timeline, entry.excerpt_s) if timeline else (),
                       posters_dir=_posters_dir(ws) if settings.posters else None)
        judged.path = entry.file  # where the render record says it is now (the record may be from elsewhere)
        judged.checks += [plan.lower_thirds[part.name]] if part.name in plan.lower_thirds else []
        files.append(judged)
    progress(Progress(task, total, total, "deliverables"))
    subtitle_checks = _subtitle_checks(ws, plan, work)
    _prune(ws, plan)
    title = programme.manifest.title
    return QCReport(programme.id, files, subtitle_checks, title=title.vi if title else "",
                    pipeline=failure_checks(ws, timeline))


def failure_checks(ws: Workspace, timeline: Timeline | None) -> list[CheckResult]:
    """One check per failure upstream of QC that still stands: FAIL when the programme is made
    without it (a clip the edit uses, a stage as a whole), WARN for a clip the edit leaves out."""
    used = ({s.clip_id for s in timeline.segments} | {a.clip_id for a in timeline.audio}) if timeline else None
    out: list[CheckResult] = []
    for failure in stagerun.upstream_failures(ws, STAGE):
        in_edit = failure.target == stagerun.PROGRAMME or used is None or failure.target in used
        what = failure.stage if failure.target == stagerun.PROGRAMME else f"{failure.stage} {failure.target}"
        effect = ("the outputs were made without it" if in_edit else "the clip is not in the edit")
        out.append(CheckResult(
            f"pipeline.{failure.stage}.{failure.target}", f"Earlier stage: {failure.stage}",
            Status.FAIL if in_edit else Status.WARN, f"{what} failed", "no failure upstream",
            f"{failure.line()} — {effect}; fix it and run `reportage run MANIFEST` again"))
    return out


def _prune(ws: Workspace, plan: _Plan) -> None:
    """Drop the stored parts of deliverables and languages the manifest no longer has."""
    keep = {record_path(ws, d.name) for d in plan.deliverables} | {_checks_path(ws, lang) for lang in plan.languages}
    for folder in (record_path(ws, "x").parent, _checks_path(ws, "x").parent):
        for stale in (folder.glob("*.json") if folder.is_dir() else ()):
            if stale not in keep:
                stale.unlink(missing_ok=True)


def _posters_dir(ws: Workspace) -> Path:
    return ws.qc_dir / "posters"


def _measurement(ws: Workspace, part: _Deliverable, settings: Settings, work: QCWork) -> DeliverableRecord:
    """The stored measurements of a deliverable when its file is unchanged, else a new measurement."""
    assert part.entry is not None and part.profile is not None and part.inputs is not None
    path = record_path(ws, part.name)
    fresh = stagerun.check(ws, STAGE, part.name, part.inputs, [path], upstream=False)  # the file's alone
    if fresh.fresh:
        stored = read_record(path)
        if stored is not None and stored.sha256 == part.inputs["sha256"]:
            work.reused.append(part.name)
            return stored
    started = time.time()
    excerpt = part.entry.excerpt_s
    record = measure_deliverable(part.entry.path, part.profile, deliverable=part.name,
                                 sha256=str(part.inputs["sha256"]), excerpt_start_s=excerpt[0] if excerpt else 0.0,
                                 posters_dir=_posters_dir(ws) if settings.posters else None)
    write_record(path, record)
    stagerun.record(ws, fresh, [path, *(_posters_dir(ws) / p for p in record.posters)], started_at=started)
    work.measured.append(part.name)
    return record


def _subtitle_checks(ws: Workspace, plan: _Plan, work: QCWork) -> list[CheckResult]:
    """Every language's subtitle checks: stored verdicts where nothing they depend on changed."""
    results: list[CheckResult] = []
    speech: list[tuple[int, int]] | None = None
    speech_known = False
    drafts = None
    record: SubtitlesRecord | None = None
    for lang in plan.languages:
        target = SUBTITLES_TARGET.format(lang=lang)
        path = _checks_path(ws, lang)
        fresh = stagerun.check(ws, STAGE, target, plan.subtitles[lang], [path])
        stored = _read_checks(path) if fresh.fresh else None
        if stored is not None:
            results += stored
            work.subtitles_reused.append(lang)
            continue
        started = time.time()
        if not speech_known:
            speech, speech_known = _speech(ws, plan.timeline), True
            record = read_subtitles_record(ws)
            drafts = record.languages if record is not None else {}
        checks = _check_language(ws, lang, plan.timeline, speech, drafts or {}, record)
        write_json(path, {"version": QC_VERSION, "lang": lang, "checks": [c.to_dict() for c in checks]})
        stagerun.record(ws, fresh, [path], started_at=started)
        work.subtitles_checked.append(lang)
        results += checks
    return results


def _checks_path(ws: Workspace, lang: str) -> Path:
    return ws.qc_dir / "subtitles" / f"{lang}.json"


def _read_checks(path: Path) -> list[CheckResult] | None:
    try:
        data = read_json(path)
        if not isinstance(data, dict) or data.get("version") != QC_VERSION:
            return None
        return [CheckResult.from_dict(c) for c in data["checks"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _speech(ws: Workspace, timeline: Timeline | None) -> list[tuple[int, int]] | None:
    """Speech on the programme's clock; None without a timeline or a transcript."""
    if timeline is None:
        return None
    try:
        words, _ = timeline_words(timeline, ws, stagerun.failed_targets(ws, "transcribe"))
    except WorkspaceError:
        return None
    return speech_spans(words)


def _check_language(ws: Workspace, lang: str, timeline: Timeline | None, speech: list[tuple[int, int]] | None,
                    drafts: Any, record: SubtitlesRecord | None) -> list[CheckResult]:
    paths = {ext: ws.subtitle(lang, ext) for ext in WRITTEN_FORMATS}
    others = {other: entry.cues for other, entry in record.languages.items()} if record is not None else {}
    return check_language(paths, lang, timeline, speech, drafts.get(lang),
                          no_speech=record is not None and record.no_speech, others=others)


def qc_subtitles(ws: Workspace, timeline: Timeline | None, languages: list[str]) -> list[CheckResult]:
    """Subtitle checks of every language the deliverables need, all checked now. Speech is where the
    transcripts put it on the timeline; without a timeline or a transcript the coverage checks say
    "not measured"."""
    speech = _speech(ws, timeline)
    record = read_subtitles_record(ws)
    drafts = record.languages if record is not None else {}
    results: list[CheckResult] = []
    for lang in languages:
        results += _check_language(ws, lang, timeline, speech, drafts, record)
    return results
