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
  social cut decodes the social cut alone. Within a file the picture is measured range by range
  (`qc/ranged.py`: the render record's chunk spans, else keyframe-aligned ranges), each range kept
  in `qc/ranges/` by the chunk's content key, so a re-render that changed some chunks decodes those
  chunks alone; progress is reported per range; entries no record refers to are pruned. A
  streaming ladder (a folder of one MP4 per rung) is measured rung by rung, each its own target
  (`<name> <height>p`) judged against its own rung profile and reported as its own entry
  (`qc/ladder.py`);
- each subtitle language (target = `subtitles.<lang>`): its SRT and WebVTT, its draft state and
  uncertain recognised words in the subtitles record, its style, the timeline and transcripts (the
  speech it must cover), the checking code; verdicts kept in `qc/subtitles/<lang>.json`;
- the web package, once the publish stage has made one (target = `web-package`): the content of
  every file of its HLS stream and the validator's code; the stream validator's verdicts
  (`qc/webpackage.py`) kept in `qc/web-package.json`, reported as a section of their own;
- the report (target = `programme`): the keys of all those parts, the timeline, the titles, the
  judging code and the verdict on burned-in cues over lower thirds (`qc/subtitles.lower_third_checks`,
  cheap enough to work out every time). When it is fresh the previous `qc/report.json` stands
  (nothing is rewritten, so package stays up to date); otherwise the report is judged again from
  the parts (cheap: no decode) and report.json and report.html are rewritten. The report names the
  content it is of (`judged`: the SHA-256 of each deliverable file measured and of every subtitle
  file, all part of its key), so package and the review room can tell a report older than the files
  beside it, and `reportage qc` always brings it up to date with them.
`qc_file` checks any single file against a profile — what the receiving centre runs on arrival.

What failed upstream and still stands (`stagerun.upstream_failures`: a clip whose transcription
failed, English the translator never returned, a stage that stopped) is judged too, one check each in
the report's `pipeline` part: FAIL when it is in the programme (a clip the edit uses, or a stage as a
whole), WARN for a clip the edit does not use. It is part of the report's key, so the verdict changes
when a failure comes or goes; a deliverable's measurements are keyed by its file alone.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from .. import stagerun
from ..errors import ReportageError, WorkspaceError
from ..fsutil import read_json, write_json
from ..manifest import Programme
from ..media import ffmpeg
from ..profiles import Profile, programme_profile
from ..progress import Progress, ProgressFn
from ..qc.checks import poster_frames
from ..qc.ladder import duration_check, missing_rung, rung_name, rung_plan, sound_check, stray_file
from ..qc.plan import CheckResult, CheckSpec, PlanContext, Status, evaluate, plan_for
from ..qc.rangecache import RangeCache, cache_dir
from ..qc.ranged import Overlapped, RangeOptions, measure_file
from ..qc.record import (
    LOUDNESS_COLUMNS,
    LOUDNESS_STEP_S,
    DeliverableRecord,
    deliverable_record_path,
    measuring_code,
    read_record,
    write_record,
)
from ..qc.report import write_reports
from ..qc.subtitles import check_language, lower_third_checks
from ..qc.webpackage import PROFILE as WEB_PROFILE
from ..qc.webpackage import WEB_PACKAGE, WebPackage, stream_checks, web_package
from ..records.qc import (
    FileQC,
    LoudnessSeries,
    MeasuredFile,
    QCReport,
    judged_files,
    posters_dir,
    qc_report_path,
    read_qc_report,
)
from ..records.subtitles import LANGS as SUBTITLE_LANGS
from ..records.subtitles import SubtitlesRecord, read_subtitles_record
from ..render.plan import body_frames
from ..render.state import RenderedDeliverable, RenderRecord, read_render_record
from ..stagerun import Freshness, Work
from ..subs import WRITTEN_FORMATS, load_style
from ..subs.speech import speech_spans, timeline_words
from ..timecode import Excerpt
from ..timeline import Timeline, load_timeline
from ..workspace import Workspace

STAGE = "qc"
VERSION = 8
"""8: each flagged stretch says its own problem (`span_notes`), short intervals under the rule are not
flagged; 7: speech coverage reads across the gaps the style rules make; 6: ladders rung by rung, the web
package's stream; 5: keyed by the runner."""
SUBTITLES_TARGET = "subtitles.{lang}"


@dataclass(frozen=True)
class Settings:
    """`posters`: draw three stills of each deliverable for the HTML report."""

    posters: bool = True


@dataclass
class QCWork:
    """What this run did: which deliverables were measured and which measurements were reused,
    which subtitle languages were checked and which verdicts were reused."""

    measured: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    subtitles_checked: list[str] = field(default_factory=list)
    subtitles_reused: list[str] = field(default_factory=list)
    web_package: str | None = None
    """`checked` or `reused` once the publish stage has made a web package; None without one."""
    ranges: set[str] = field(default_factory=set)
    """The range cache entries the files' records stand on (the rest are pruned)."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"measured": self.measured, "reused": self.reused,
                               "subtitles_checked": self.subtitles_checked, "subtitles_reused": self.subtitles_reused}
        return out if self.web_package is None else {**out, "web_package": self.web_package}


@dataclass
class QCRun:
    """What the stage's run returns: the report (read back from `qc/report.json` when up to date, so
    without the measurements only the HTML draws), where the HTML is, and what was done to make it."""

    programme: str
    report: QCReport
    up_to_date: bool
    html: Path
    work: QCWork = field(default_factory=QCWork)

    @property
    def data(self) -> dict[str, Any]:
        """The report as `qc/report.json` holds it."""
        return self.report.to_json()

    @property
    def failed(self) -> list[str]:
        return self.report.failed

    @property
    def ok(self) -> bool:
        """No FAIL (WARN and INFO are for a person to look at, not a stop)."""
        return not self.failed

    @property
    def verdict(self) -> str:
        return self.report.verdict.value

    def to_dict(self) -> dict[str, Any]:
        return {**self.data, "ok": self.ok, "up_to_date": self.up_to_date, "html": str(self.html),
                "work": self.work.to_dict()}


Planner = Callable[[Profile, PlanContext], list[CheckSpec]]


def judge(record: DeliverableRecord, profile: Profile, *, expected_frames: int | None = None,
          programme_s: float | None = None, mute_windows: tuple[tuple[float, float], ...] = (),
          posters_dir: Path | None = None, planner: Planner = plan_for) -> FileQC:
    """The verdicts of a measured file against `profile` (cheap: no decode), flagged spans in
    programme seconds; `planner` says which checks (a ladder's rung: `qc.ladder.rung_plan`)."""
    measured = record.measurements()
    lead = profile.leader.total_s
    if programme_s is None and measured.duration_s is not None:
        programme_s = max(0.0, measured.duration_s - lead)
    plan = planner(profile, PlanContext(expected_frames=expected_frames, programme_s=programme_s,
                                        mute_windows=mute_windows))
    checks = [evaluate(spec, measured.values, record.programme_offset_s) for spec in plan]
    posters = [p for name in record.posters if (p := posters_dir / name).is_file()] if posters_dir else []
    return FileQC(record.deliverable, profile.name, record.file, checks, measured, posters, lead,
                  profile.loudness.target_lufs, measured_file(record))


def measured_file(record: DeliverableRecord) -> MeasuredFile:
    """What the report says of a deliverable's measurement: the content, when, and its loudness over
    the programme thinned to one row per `LOUDNESS_STEP_S`."""
    loudness = LoudnessSeries(LOUDNESS_STEP_S, LOUDNESS_COLUMNS,
                              tuple(tuple(row) for row in record.loudness_in_programme(LOUDNESS_STEP_S)))
    return MeasuredFile(record.sha256, record.measured_at, record.measure_s, record.programme_offset_s, loudness)


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


def expected_frames(profile: Profile, timeline: Timeline, excerpt: Excerpt | None) -> int:
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
    return programme_profile(programme.base_dir, programme.deliverable_profile(name))


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
    for name in programme.deliverables:
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
    return _code("pipeline.qc.plan", "pipeline.qc.report", "pipeline.records.qc", __name__)


def _subtitle_code() -> str:
    return _code("pipeline.qc.subtitles", "pipeline.subs.lint", "pipeline.subs.speech", "pipeline.qc.plan",
                 "pipeline.qc.checks", "pipeline.records")


@dataclass
class _File:
    """One file QC measures, a target of its own: a deliverable's file (named as the deliverable), or
    one rung of a streaming ladder (`<deliverable> <height>p`, with its rung profile)."""

    name: str
    path: Path
    profile: Profile
    inputs: dict[str, Any]
    excerpt_s: tuple[float, float] | None = None
    sounding: bool = True
    """A ladder's rung: whether it is the one that carries the sound (the first)."""
    chunks: tuple[tuple[int, int, str], ...] = ()
    """The render's chunk spans of this file (start frame, end frame, content key): QC's ranges."""


@dataclass
class _Deliverable:
    """One deliverable of the manifest as QC sees it: its files to measure (profile and render known,
    with the inputs of each measurement; one per rung for a ladder), and verdicts saying why it, or
    part of a ladder, cannot be measured."""

    name: str
    profile: Profile | None = None
    entry: RenderedDeliverable | None = None
    files: list[_File] = field(default_factory=list)
    problems: list[FileQC] = field(default_factory=list)
    first_rung: str = ""
    """A ladder: the name of the rung that carries the sound (`qc.ladder.rung_name`)."""

    @property
    def ladder(self) -> bool:
        return self.profile is not None and bool(self.profile.ladder) and self.entry is not None

    def key(self) -> Any:
        """What the report's key holds of it: the inputs of its measurements, else why not."""
        if self.ladder:
            return {"rungs": {f.name: stagerun.inputs_hash(f.inputs) for f in self.files},
                    "problems": [p.to_json() for p in self.problems]}
        if self.files:
            return stagerun.inputs_hash(self.files[0].inputs)
        return self.problems[0].to_json() if self.problems else None


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
    web: WebPackage | None = None
    """The web package's stream, once the publish stage has made one."""
    web_inputs: dict[str, Any] | None = None
    """What the validator's verdicts on it depend on (None when it cannot be found to be judged)."""

    def targets(self) -> dict[str, Any]:
        out: dict[str, Any] = {f.name: f.inputs for d in self.deliverables for f in d.files}
        out.update({SUBTITLES_TARGET.format(lang=lang): inputs for lang, inputs in self.subtitles.items()})
        if self.web_inputs is not None:
            out[WEB_PACKAGE] = self.web_inputs
        out[stagerun.PROGRAMME] = self.report
        return out


def _missing(name: str, profile: str, why: str) -> FileQC:
    return FileQC(name, profile, "", [CheckResult("render", "Rendered file", Status.FAIL, "missing", "present", why)])


def _deliverable(programme: Programme, ws: Workspace, name: str, record: RenderRecord | None,
                 settings: Settings, house: tuple[int, int]) -> _Deliverable:
    try:
        profile = _profile(programme, name)
    except ReportageError as exc:
        return _Deliverable(name, problems=[FileQC(name, "?", "", [CheckResult(
            "profile", "Profile", Status.FAIL, "unknown", "a known profile", exc.problem)])])
    entry = record.get(name) if record is not None else None
    if entry is None or not entry.present():
        return _Deliverable(name, profile, problems=[_missing(name, profile.name, _absent(name, entry))])
    if profile.ladder:
        return _ladder(ws, name, profile, entry, settings, house)
    inputs = {"version": VERSION, "code": measuring_code(), "ffmpeg": _ffmpeg_version(),
              "file": entry.main.name, "sha256": stagerun.content_hash(ws, entry.main),
              **({"files": {f.name: stagerun.content_hash(ws, entry.path / f.name) for f in entry.files}}
                 if entry.folder else {}),
              "profile": profile.model_dump(mode="json", exclude={"source"}),
              "excerpt_s": list(entry.excerpt_s) if entry.excerpt_s else None, "posters": settings.posters}
    return _Deliverable(name, profile, entry, [_File(name, entry.main, profile, inputs, entry.excerpt_s,
                                                     chunks=_chunks(entry, entry.main.name))])


def _chunks(entry: RenderedDeliverable, file: str) -> tuple[tuple[int, int, str], ...]:
    """The render's chunk spans of one file of the deliverable."""
    return tuple((c.start_frame, c.end_frame, c.key) for c in entry.chunks if c.file == file)


def _absent(name: str, entry: RenderedDeliverable | None) -> str:
    """Why a deliverable's render is not there to measure: none recorded, or (a folder: a ladder)
    files of it gone or changed in size since the render recorded them."""
    if entry is not None and entry.folder:
        changed = [f.name for f in entry.files
                   if not (p := entry.path / f.name).is_file() or p.stat().st_size != f.size_bytes]
        if changed:
            return (f"{', '.join(changed)} in {entry.path.name}/ gone or changed since the render recorded "
                    "it in renders/render.json; run `reportage render MANIFEST --force`")
    return f"no render of {name} recorded in renders/render.json; run `reportage render`"


def _ladder(ws: Workspace, name: str, profile: Profile, entry: RenderedDeliverable, settings: Settings,
            house: tuple[int, int]) -> _Deliverable:
    """A streaming ladder: every rung its profile asks for at the programme's size (as the render
    decides them: `Profile.rung_profiles` of the house size) measured as a file of its own against
    its rung profile, the first with the sound and the posters; a rung the render did not record,
    or a file of the folder that is no rung, a verdict of its own."""
    rungs = profile.rung_profiles(*house)
    part = _Deliverable(name, profile, entry, first_rung=rung_name(name, rungs[0]) if rungs else "")
    recorded = {f.name for f in entry.files}
    for index, rung in enumerate(rungs):
        file, label = Profile.rung_file(rung), rung_name(name, rung)
        path = entry.path / file
        if file not in recorded:
            part.problems.append(FileQC(label, profile.name, ws.stored(path), missing_rung(label, rung, path),
                                        part_of=name))
            continue
        sounding = index == 0
        inputs = {"version": VERSION, "code": measuring_code(), "ffmpeg": _ffmpeg_version(), "file": file,
                  "sha256": stagerun.content_hash(ws, path), "sounding": sounding,
                  "profile": rung.model_dump(mode="json", exclude={"source"}), "posters": settings.posters and sounding}
        part.files.append(_File(label, path, rung, inputs, sounding=sounding, chunks=_chunks(entry, file)))
    expected = [Profile.rung_file(r) for r in rungs]
    part.problems += [FileQC(f"{name} {f.name}", profile.name, ws.stored(entry.path / f.name),
                             stray_file(f.name, expected), part_of=name) for f in entry.files if f.name not in expected]
    if not rungs:
        part.problems.append(_missing(name, profile.name, f"no rung of the {name} ladder fits the programme's "
                                                          f"{house[1]} lines; add a lower rung to the profile"))
    return part


def _subtitle_inputs(ws: Workspace, lang: str, timeline_key: str | None, transcripts: dict[str, str | None],
                     record: SubtitlesRecord | None) -> dict[str, Any]:
    try:
        style: Any = load_style(lang)
    except ReportageError:
        style = load_style("vi")
    drafts = record.languages if record is not None else {}
    draft = drafts.get(lang)
    return {"version": VERSION, "code": _subtitle_code(), "lang": lang,
            "files": stagerun.content_hashes(ws, [ws.subtitle(lang, ext) for ext in WRITTEN_FORMATS]),
            "draft": None if draft is None else {"source": draft.source, "backend": draft.backend,
                                                 "machine_draft": draft.machine_draft, "reviewed": draft.reviewed,
                                                 "uncertain_words": None if draft.uncertain_words is None
                                                 else [u.to_json() for u in draft.uncertain_words],
                                                 "shortened": draft.shortened, "untranslated": draft.untranslated,
                                                 "failed": draft.failed, "cue_map": draft.cue_map is not None,
                                                 "machine_cues": draft.machine_cues()},
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
    timeline = _timeline(ws)
    house = ((timeline.width, timeline.height) if timeline is not None
             else (programme.house.width, programme.house.height))
    deliverables = [_deliverable(programme, ws, name, record, settings, house)
                    for name in programme.deliverables]
    timeline_key = stagerun.content_hash(ws, ws.timeline_json) if ws.timeline_json.is_file() else None
    clips = sorted({s.clip_id for s in timeline.segments if s.has_audio}) if timeline is not None else []
    transcripts = stagerun.content_hashes(ws, [ws.transcript_json(c) for c in clips])
    try:
        subtitles_record = read_subtitles_record(ws)
    except ReportageError:
        subtitles_record = None
    languages = _languages(programme)
    subtitles = {lang: _subtitle_inputs(ws, lang, timeline_key, transcripts, subtitles_record) for lang in languages}
    burning = {d.name: (d.profile, d.entry.excerpt_at(timeline.rate) if timeline is not None else None)
               for d in deliverables if d.profile and d.entry}
    lower_thirds = lower_third_checks(programme, ws, timeline, burning)
    web = web_package(ws)
    web_inputs = _web_inputs(ws, web) if web is not None and web.problem is None else None
    title = programme.manifest.title
    report = {
        "version": VERSION, "code": _judging_code(), "settings": {"posters": settings.posters},
        "deliverables": {d.name: d.key() for d in deliverables},
        "leaders": {d.name: d.entry.leader_s for d in deliverables if d.entry is not None},
        "subtitles": {lang: stagerun.inputs_hash(inputs) for lang, inputs in subtitles.items()},
        "timeline": timeline_key, "title": title.model_dump() if title else None,
        "render_record": render_error.problem if render_error is not None else None,
        "lower_thirds": {name: check.to_dict() for name, check in lower_thirds.items()},
        "judged": _judged(ws, deliverables),
        "web_package": (None if web is None else stagerun.inputs_hash(web_inputs) if web_inputs is not None
                        else web.problem.to_dict() if web.problem is not None else None),
    }
    return _Plan(deliverables, languages, subtitles, report, timeline, render_error, lower_thirds, web, web_inputs)


def _web_inputs(ws: Workspace, web: WebPackage) -> dict[str, Any]:
    """What the validator's verdicts on the web package depend on: every file of its stream, by
    content, the validator's code and ffprobe (it probes segments for their IDR)."""
    return {"version": VERSION, "code": _code("pipeline.publish.streamcheck", "pipeline.qc.webpackage"),
            "ffmpeg": _ffmpeg_version(), "master": web.shown, "files": stagerun.folder_hashes(ws, web.folder)}


# -- the stage model ------------------------------------------------------------------------------

def settings(programme: Programme | None = None, **options: Any) -> Settings:
    """The stage's settings (`posters`)."""
    return Settings(**options)


def plan(programme: Programme, ws: Workspace, settings: Settings | None = None) -> dict[str, Any]:
    """`{target: inputs}`: each rendered deliverable (its file's content, profile, the measuring code
    and ffmpeg; each rung of a ladder, `<name> <height>p`), each subtitle language
    (`subtitles.<lang>`), the web package once published (`web-package`: its stream's files) and
    the report (`programme`: the keys of all the parts, the timeline, the titles, the judging code)."""
    return _plan(programme, ws, settings or Settings()).targets()


def make(programme: Programme, ws: Workspace, settings: Settings, work: Work) -> QCRun:
    """QC the programme unless the last report is from the same inputs; measure only the
    deliverables whose files changed (a ladder's rungs one by one), check only the subtitle languages
    and the web package that changed, then judge and write report.json + .html from the parts."""
    began = time.time()
    json_path, html_path = qc_report_path(ws), ws.qc_dir / "report.html"
    planned = _plan(programme, ws, settings)
    # the parts must still be there too: a lost record is measured again (the review room reads them)
    parts = [deliverable_record_path(ws, f.name) for d in planned.deliverables for f in d.files]
    parts += [_checks_path(ws, lang) for lang in planned.languages]
    parts += [_web_path(ws)] if planned.web_inputs is not None else []
    fresh = work.check(stagerun.PROGRAMME, planned.report, [json_path, html_path, *parts])
    if fresh.fresh:
        try:
            stored = read_qc_report(ws)
        except WorkspaceError:  # unreadable: judged again from the parts below
            stored = None
        if stored is not None:
            tally = QCWork(reused=[f.name for d in planned.deliverables for f in d.files],
                           subtitles_reused=list(planned.languages),
                           web_package="reused" if planned.web is not None else None)
            return QCRun(programme.id, stored, True, html_path, work=tally)
    tally = QCWork()
    report = _qc_from_plan(programme, ws, settings, planned, work.progress, tally, work)
    json_path, html_path = write_reports(report, ws.qc_dir)
    work.done(fresh, [json_path, html_path], started_at=began)
    return QCRun(programme.id, report, False, html_path, tally)


def proceed(programme: Programme, report: QCRun) -> bool:
    """Packaging always gets its turn: it refuses a QC FAIL itself unless told to allow it."""
    return True


# -- the work ---------------------------------------------------------------------------------------

def _qc_from_plan(programme: Programme, ws: Workspace, settings: Settings, plan: _Plan, progress: ProgressFn,
                  tally: QCWork, work: Work) -> QCReport:
    if plan.render_error is not None:
        raise plan.render_error
    task = f"qc {programme.id}"
    files: list[FileQC] = []
    total = len(plan.deliverables)
    with Overlapped() as overlap:
        measurements = _Measurements(ws, settings, tally, work, overlap)
        measurements.start(f for part in plan.deliverables for f in part.files)  # a rung each, else one
        for index, part in enumerate(plan.deliverables):
            progress(Progress(task, index, total, "deliverables"))
            files += _judge_deliverable(ws, part, plan, settings, measurements)
    progress(Progress(task, total, total, "deliverables"))
    files += [_web_section(ws, plan, tally, work)] if plan.web is not None else []
    subtitle_checks = _subtitle_checks(ws, plan, tally, work)
    _prune(ws, plan)
    _range_cache(ws).prune(tally.ranges)
    title = programme.manifest.title
    return QCReport(programme.id, files, subtitle_checks, title=title.vi if title else "",
                    pipeline=failure_checks(work, plan.timeline), judged=dict(plan.report["judged"]))


def _judge_deliverable(ws: Workspace, part: _Deliverable, plan: _Plan, settings: Settings,
                       measurements: _Measurements) -> list[FileQC]:
    """The verdicts on one deliverable of the manifest: its file's (every rung's for a ladder), or
    why it cannot be measured."""
    timeline = plan.timeline
    if not part.files or part.entry is None:
        return part.problems or [_missing(part.name, "?", "not measurable")]
    if part.ladder:
        return _judge_ladder(ws, part, settings, timeline, measurements)
    record = measurements.take(part.files[0])
    entry, profile = part.entry, part.files[0].profile
    frames, body_s = _expected(profile, timeline, entry)
    judged = judge(record, profile, expected_frames=frames, programme_s=body_s,
                   mute_windows=mute_windows(profile, timeline, entry.excerpt_s) if timeline else (),
                   posters_dir=_posters_dir(ws) if settings.posters else None)
    judged.path = ws.stored(entry.path)  # as the render record names it: relative, wherever the workspace is
    judged.checks += [plan.lower_thirds[part.name]] if part.name in plan.lower_thirds else []
    return [judged]


def _expected(profile: Profile, timeline: Timeline | None,
              entry: RenderedDeliverable | None) -> tuple[int | None, float | None]:
    """The frames a file of `profile` must have and the programme seconds it carries, as the render
    recorded its excerpt (None, None without a timeline)."""
    if timeline is None:
        return None, None
    frames = expected_frames(profile, timeline, entry.excerpt_at(timeline.rate) if entry is not None else None)
    return frames, float(Fraction(frames) / profile.video.rate) - profile.leader.total_s


def _judge_ladder(ws: Workspace, part: _Deliverable, settings: Settings, timeline: Timeline | None,
                  measurements: _Measurements) -> list[FileQC]:
    """Each rung of a ladder measured and judged against its own rung profile (`qc.ladder`), the
    sound checked where it must and must not be, every rung's length against the first's; then the
    verdicts on the rungs it lacks or does not know."""
    out: list[FileQC] = []
    reference: tuple[str, Any] | None = None  # the first rung measured: its name and frame count
    for file in part.files:
        record = measurements.take(file)
        frames, body_s = _expected(file.profile, timeline, part.entry)
        judged = judge(record, file.profile, expected_frames=frames, programme_s=body_s,
                       mute_windows=mute_windows(file.profile, timeline, None) if timeline and file.sounding else (),
                       posters_dir=_posters_dir(ws) if settings.posters else None,
                       planner=functools.partial(rung_plan, sounding=file.sounding))
        judged.path, judged.part_of = ws.stored(file.path), part.name
        judged.checks.append(sound_check(record.values, file.name, sounding=file.sounding, first=part.first_rung))
        length = record.values.get("duration.frames")
        if reference is None:
            reference = (file.name, length)
        else:
            judged.checks.append(duration_check(length, reference[1], reference[0]))
        out.append(judged)
    return out + part.problems


def _web_section(ws: Workspace, plan: _Plan, tally: QCWork, work: Work) -> FileQC:
    """The stream validator's verdicts on the web package as a section of the report: the stored
    ones while no file of its stream changed, else judged again."""
    assert plan.web is not None
    web = plan.web
    if plan.web_inputs is None:  # it cannot be found to be judged: the verdict says why
        tally.web_package = "checked"
        return FileQC(WEB_PACKAGE, WEB_PROFILE, web.shown, stream_checks(web))
    path = _web_path(ws)
    fresh = work.check(WEB_PACKAGE, plan.web_inputs, [path], upstream=False)  # the package's files alone
    checks = _read_checks(path) if fresh.fresh else None
    if checks is None:
        started = time.time()
        checks = stream_checks(web)
        write_json(path, {"version": VERSION, "master": web.shown, "checks": [c.to_dict() for c in checks]})
        work.done(fresh, [path], started_at=started)
        tally.web_package = "checked"
    else:
        tally.web_package = "reused"
    return FileQC(WEB_PACKAGE, WEB_PROFILE, web.shown, checks)


def _web_path(ws: Workspace) -> Path:
    return ws.qc_dir / f"{WEB_PACKAGE}.json"


def _judged(ws: Workspace, deliverables: list[_Deliverable]) -> dict[str, str]:
    """The content the report is of: every file of each deliverable measured and every subtitle file
    (those of a language no deliverable carries too: the bag carries them). Part of the report's key,
    so a report is judged again whenever one of them changes and always names what lies beside it;
    package refuses to bag files the report does not name as they are."""
    paths = [p for d in deliverables if d.entry is not None and d.files for p in d.entry.members]
    return judged_files(ws, paths + [ws.subtitle(lang, ext) for lang in SUBTITLE_LANGS for ext in WRITTEN_FORMATS])


def failure_checks(work: Work, timeline: Timeline | None) -> list[CheckResult]:
    """One check per failure upstream of QC that still stands: FAIL when the programme is made
    without it (a clip the edit uses, a stage as a whole), WARN for a clip the edit leaves out."""
    used = ({s.clip_id for s in timeline.segments} | {a.clip_id for a in timeline.audio}) if timeline else None
    out: list[CheckResult] = []
    for failure in work.failed_upstream():
        in_edit = failure.target == stagerun.PROGRAMME or used is None or failure.target in used
        what = failure.stage if failure.target == stagerun.PROGRAMME else f"{failure.stage} {failure.target}"
        effect = ("the outputs were made without it" if in_edit else "the clip is not in the edit")
        out.append(CheckResult(
            f"pipeline.{failure.stage}.{failure.target}", f"Earlier stage: {failure.stage}",
            Status.FAIL if in_edit else Status.WARN, f"{what} failed", "no failure upstream",
            f"{failure.line()} — {effect}; fix it and run `reportage run MANIFEST` again"))
    return out


def _prune(ws: Workspace, plan: _Plan) -> None:
    """Drop the stored parts of deliverables (and rungs) and languages the manifest no longer has,
    and the web package's verdicts once there is no package to judge."""
    keep = ({deliverable_record_path(ws, d.name) for d in plan.deliverables if not d.ladder}  # a ladder's: per rung
            | {deliverable_record_path(ws, f.name) for d in plan.deliverables for f in d.files}
            | {_checks_path(ws, lang) for lang in plan.languages})
    if plan.web_inputs is None:
        _web_path(ws).unlink(missing_ok=True)
    for folder in (deliverable_record_path(ws, "x").parent, _checks_path(ws, "x").parent):
        for stale in (folder.glob("*.json") if folder.is_dir() else ()):
            if stale not in keep:
                stale.unlink(missing_ok=True)


def _posters_dir(ws: Workspace) -> Path:
    return posters_dir(ws)


class _Measurements:
    """Each file's measurements for this run: the stored ones while the file is unchanged, else a
    new measurement. Every file to measure is handed to `qc.ranged.Overlapped` when the run starts,
    so the next file's ranges decode while one file's last ranges, boundary checks, sound and posters
    finish; each record is written, and its run recorded, by the stage's own thread as the report
    takes it, in the report's order."""

    def __init__(self, ws: Workspace, settings: Settings, tally: QCWork, work: Work, overlap: Overlapped) -> None:
        self.ws, self.settings, self.tally, self.work, self.overlap = ws, settings, tally, work, overlap
        self._stored: dict[str, DeliverableRecord] = {}
        self._measuring: dict[str, tuple[Freshness, Future[tuple[float, DeliverableRecord]]]] = {}

    def start(self, files: Iterable[_File]) -> None:
        for file in files:
            path = deliverable_record_path(self.ws, file.name)
            fresh = self.work.check(file.name, file.inputs, [path], upstream=False)  # the file's alone
            if fresh.fresh:
                stored = read_record(path)
                if stored is not None and stored.sha256 == file.inputs["sha256"]:
                    self._stored[file.name] = stored
                    continue
            sha256 = str(file.inputs["sha256"])
            options = RangeOptions(chunks=file.chunks, cache=_range_cache(self.ws), sha256=sha256,
                                   progress=self.work.progress, task=f"qc {file.name}",
                                   scope=f"{file.name} {file.path.name}")
            # the picture range by range: chunks, the cache, progress per range
            self._measuring[file.name] = (fresh, self.overlap.submit(options, functools.partial(
                self._measure, file, sha256)))

    def _measure(self, file: _File, sha256: str) -> tuple[float, DeliverableRecord]:
        """Runs in a thread of `Overlapped`'s: the measurement alone, no record written."""
        started, excerpt = time.time(), file.excerpt_s
        posters = _posters_dir(self.ws) if self.settings.posters and file.sounding else None
        return started, measure_deliverable(file.path, file.profile, deliverable=file.name, sha256=sha256,
                                            excerpt_start_s=excerpt[0] if excerpt else 0.0, posters_dir=posters)

    def take(self, file: _File) -> DeliverableRecord:
        """The file's measurements (posters of the files that carry the sound: a ladder's are all the
        same picture), once they are there; a new one is written to `qc/deliverables/`."""
        stored = self._stored.pop(file.name, None)
        if stored is not None:
            self.tally.reused.append(file.name)
            self.tally.ranges.update(stored.ranges)
            return stored
        fresh, future = self._measuring.pop(file.name)
        started, record = future.result()
        self.tally.ranges.update(record.ranges)
        record = dataclasses.replace(record, file=self.ws.stored(file.path))  # relative: holds wherever it is
        path = deliverable_record_path(self.ws, file.name)
        write_record(path, record)
        self.work.done(fresh, [path, *(_posters_dir(self.ws) / p for p in record.posters)], started_at=started)
        self.tally.measured.append(file.name)
        return record


def _range_cache(ws: Workspace) -> RangeCache:
    """The programme's range measurements (`qc/ranges/`), keyed with the measuring code and ffmpeg."""
    return RangeCache(cache_dir(ws.qc_dir), measuring_code(), _ffmpeg_version())


def _subtitle_checks(ws: Workspace, plan: _Plan, tally: QCWork, work: Work) -> list[CheckResult]:
    """Every language's subtitle checks: stored verdicts where nothing they depend on changed."""
    results: list[CheckResult] = []
    speech: list[tuple[int, int]] | None = None
    speech_known = False
    drafts = None
    record: SubtitlesRecord | None = None
    for lang in plan.languages:
        target = SUBTITLES_TARGET.format(lang=lang)
        path = _checks_path(ws, lang)
        fresh = work.check(target, plan.subtitles[lang], [path])
        stored = _read_checks(path) if fresh.fresh else None
        if stored is not None:
            results += stored
            tally.subtitles_reused.append(lang)
            continue
        started = time.time()
        if not speech_known:
            speech, speech_known = _speech(ws, plan.timeline), True
            record = read_subtitles_record(ws)
            drafts = record.languages if record is not None else {}
        checks = _check_language(ws, lang, plan.timeline, speech, drafts or {}, record)
        write_json(path, {"version": VERSION, "lang": lang, "checks": [c.to_dict() for c in checks]})
        work.done(fresh, [path], started_at=started)
        tally.subtitles_checked.append(lang)
        results += checks
    return results


def _checks_path(ws: Workspace, lang: str) -> Path:
    return ws.qc_dir / "subtitles" / f"{lang}.json"


def _read_checks(path: Path) -> list[CheckResult] | None:
    try:
        data = read_json(path)
        if not isinstance(data, dict) or data.get("version") != VERSION:
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
