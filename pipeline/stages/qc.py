"""QC stage: judge every deliverable of the manifest against its profile, and the programme's subtitles.

What is judged comes from the records the earlier stages wrote, never from their code or from
guessing at folders: the manifest's `deliverables:` list, the render record (`renders/render.json`:
each deliverable's file, its excerpt of the programme and its leader), the timeline, the transcripts
(speech placed on the timeline by `subs/speech.py`, the rule the subtitles stage uses) and the
subtitles record (machine drafts). The files themselves are measured afresh (`qc/checks.py`), so a
render that went wrong is caught, not trusted.

Freshness is `pipeline.stagerun`'s, on the whole programme: the content of every render, the
timeline, the subtitle files and records, the transcripts, the profiles and titles. Unchanged, a
rerun reads the previous `qc/report.json` instead of decoding every deliverable again.
`qc_file` checks any single file against a profile — what the receiving centre runs on arrival.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from .. import stagerun
from ..errors import ReportageError, WorkspaceError
from ..fsutil import read_json
from ..manifest import Programme
from ..profiles import Profile, load_profile
from ..progress import Progress, ProgressFn, ignore
from ..qc.checks import FileMeasurements, measure_file, poster_frames
from ..qc.plan import CheckResult, PlanContext, Status, evaluate, plan_for, worst
from ..qc.report import write_reports
from ..qc.subtitles import check_language
from ..records import read_subtitles_record, subtitles_record_path
from ..render.plan import body_frames
from ..render.state import RenderRecord, read_render_record
from ..subs import WRITTEN_FORMATS
from ..subs.speech import speech_spans, timeline_words
from ..timeline import Timeline, load_timeline
from ..workspace import Workspace

STAGE = "qc"
QC_VERSION = 3


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

    @property
    def verdict(self) -> Status:
        return worst([c.status for c in self.checks])

    def to_dict(self) -> dict[str, Any]:
        return {"deliverable": self.deliverable, "profile": self.profile, "file": self.path,
                "verdict": self.verdict.value, "posters": [p.name for p in self.posters],
                "checks": [c.to_dict() for c in self.checks]}


@dataclass
class QCReport:
    """Every deliverable's verdicts and the subtitles', as `qc/report.json` holds them."""

    programme: str
    files: list[FileQC]
    subtitles: list[CheckResult]
    title: str = ""
    generated: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"))

    @property
    def verdict(self) -> Status:
        return worst([f.verdict for f in self.files] + [c.status for c in self.subtitles])

    @property
    def failed(self) -> list[str]:
        """`deliverable: check` for every FAIL."""
        out = [f"{f.deliverable}: {c.label}" for f in self.files for c in f.checks if c.status is Status.FAIL]
        return out + [f"subtitles: {c.label}" for c in self.subtitles if c.status is Status.FAIL]

    def to_dict(self) -> dict[str, Any]:
        return {"programme": self.programme, "title": self.title, "generated": self.generated,
                "verdict": self.verdict.value, "failed": self.failed,
                "deliverables": [f.to_dict() for f in self.files],
                "subtitles": {"verdict": worst([c.status for c in self.subtitles]).value,
                              "checks": [c.to_dict() for c in self.subtitles]}}


@dataclass
class QCRun:
    """What the stage's run returns: the report as `qc/report.json` holds it (read back when up to
    date, so `report` is None then) and where the HTML is."""

    programme: str
    data: dict[str, Any]
    up_to_date: bool
    html: Path
    report: QCReport | None = None

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
        return {**self.data, "ok": self.ok, "up_to_date": self.up_to_date, "html": str(self.html)}


def qc_file(path: Path, profile: Profile, *, deliverable: str | None = None, expected_frames: int | None = None,
            programme_s: float | None = None, posters_dir: Path | None = None,
            mute_windows: tuple[tuple[float, float], ...] = ()) -> FileQC:
    """Measure `path` and judge it against `profile` (expected duration when known)."""
    lead = profile.leader.total_s
    measured = measure_file(path, profile.video.rate, skip_s=lead)
    if programme_s is None and measured.duration_s is not None:
        programme_s = max(0.0, measured.duration_s - lead)
    plan = plan_for(profile, PlanContext(expected_frames=expected_frames, programme_s=programme_s,
                                         mute_windows=mute_windows))
    checks = [evaluate(spec, measured.values) for spec in plan]
    posters: list[Path] = []
    if posters_dir is not None:
        stem = deliverable or path.stem
        posters = poster_frames(path, posters_dir, measured.duration_s, stem, start_s=lead)
    return FileQC(deliverable or profile.name, profile.name, str(path), checks, measured, posters, lead,
                  profile.loudness.target_lufs)


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


# -- the stage model ------------------------------------------------------------------------------

def inputs(programme: Programme, ws: Workspace, settings: Settings | None = None) -> dict[str, Any]:
    """What the verdicts depend on, by content: every render, the timeline, subtitles, transcripts,
    the subtitles record, the profiles and the titles."""
    settings = settings or Settings()
    try:
        record: RenderRecord | None = read_render_record(ws)
    except WorkspaceError:
        record = None
    renders: dict[str, Any] = {}
    profiles: dict[str, Any] = {}
    for name in programme.manifest.deliverables:
        entry = record.get(name) if record is not None else None
        renders[name] = None if entry is None or not entry.path.is_file() else {
            "file": entry.file, "sha256": stagerun.content_hash(ws, entry.path),
            "excerpt_s": list(entry.excerpt_s) if entry.excerpt_s else None, "leader_s": entry.leader_s}
        try:
            profiles[name] = _profile(programme, name).model_dump(mode="json", exclude={"source"})
        except ReportageError as exc:
            profiles[name] = exc.problem
    timeline = _timeline(ws)
    clips = sorted({s.clip_id for s in timeline.segments}) if timeline is not None else []
    subtitle_files = [ws.subtitle(lang, ext) for lang in _languages(programme) for ext in WRITTEN_FORMATS]
    title = programme.manifest.title
    return {stagerun.PROGRAMME: {
        "version": QC_VERSION, "settings": {"posters": settings.posters},
        "deliverables": list(programme.manifest.deliverables), "renders": renders, "profiles": profiles,
        "timeline": stagerun.content_hash(ws, ws.timeline_json) if ws.timeline_json.is_file() else None,
        "subtitles": stagerun.content_hashes(ws, [*subtitle_files, subtitles_record_path(ws)]),
        "transcripts": stagerun.content_hashes(ws, [ws.transcript_json(c) for c in clips]),
        "title": title.model_dump() if title else None,
    }}


def outputs(programme: Programme, ws: Workspace) -> list[Path]:
    return [ws.qc_dir / "report.json", ws.qc_dir / "report.html"]


def run(programme: Programme, ws: Workspace, settings: Settings, progress: ProgressFn = ignore,
        clips: tuple[str, ...] | None = None) -> QCRun:
    """QC the programme unless the last report is from the same inputs; write report.json + .html."""
    began = time.time()
    json_path, html_path = outputs(programme, ws)
    fresh = stagerun.check(ws, STAGE, stagerun.PROGRAMME, inputs(programme, ws, settings)[stagerun.PROGRAMME],
                           [json_path, html_path])
    if fresh.fresh:
        try:
            data = read_json(json_path)
        except (OSError, ValueError):
            data = None
        if isinstance(data, dict):
            return QCRun(programme.id, data, True, html_path)
    report = qc_programme(programme, ws, settings, progress)
    json_path, html_path = write_reports(report, ws.qc_dir)
    stagerun.record(ws, fresh, [json_path, html_path], started_at=began)
    return QCRun(programme.id, report.to_dict(), False, html_path, report)


def proceed(programme: Programme, report: QCRun) -> bool:
    """Packaging always gets its turn: it refuses a QC FAIL itself unless told to allow it."""
    return True


# -- the work ---------------------------------------------------------------------------------------

def _missing(name: str, profile: str, why: str) -> FileQC:
    return FileQC(name, profile, "", [CheckResult("render", "Rendered file", Status.FAIL, "missing", "present", why)])


def qc_programme(programme: Programme, ws: Workspace, settings: Settings | None = None,
                 progress: ProgressFn = ignore) -> QCReport:
    """QC every deliverable the manifest lists (the file the render recorded) and the subtitles;
    posters go to qc/posters/."""
    settings = settings or Settings()
    timeline = _timeline(ws)
    record = read_render_record(ws)
    names = list(programme.manifest.deliverables)
    task = f"qc {programme.id}"
    files: list[FileQC] = []
    for index, name in enumerate(names):
        progress(Progress(task, index, len(names), "deliverables"))
        try:
            profile = _profile(programme, name)
        except ReportageError as exc:
            files.append(FileQC(name, "?", "", [CheckResult("profile", "Profile", Status.FAIL, "unknown",
                                                            "a known profile", exc.problem)]))
            continue
        entry = record.get(name)
        if entry is None or not entry.path.is_file():
            files.append(_missing(name, profile.name, f"no render of {name} recorded in renders/render.json; "
                                                      "run `reportage render`"))
            continue
        frames = expected_frames(profile, timeline, entry.excerpt_s) if timeline is not None else None
        body_s = None if frames is None else float(Fraction(frames) / profile.video.rate) - profile.leader.total_s
        files.append(qc_file(entry.path, profile, deliverable=name, expected_frames=frames, programme_s=body_s,
                             posters_dir=ws.qc_dir / "posters" if settings.posters else None,
                             mute_windows=mute_windows(profile, timeline, entry.excerpt_s) if timeline else ()))
    progress(Progress(task, len(names), len(names), "deliverables"))
    subtitle_checks = qc_subtitles(ws, timeline, _languages(programme))
    title = programme.manifest.title
    return QCReport(programme.id, files, subtitle_checks, title=title.vi if title else "")


def qc_subtitles(ws: Workspace, timeline: Timeline | None, languages: list[str]) -> list[CheckResult]:
    """Subtitle checks of every language the deliverables need. Speech is where the transcripts put
    it on the timeline; without a timeline or a transcript the coverage checks say "not measured"."""
    speech = None
    if timeline is not None:
        try:
            words, _ = timeline_words(timeline, ws)
            speech = speech_spans(words)
        except WorkspaceError:
            speech = None
    record = read_subtitles_record(ws)
    results: list[CheckResult] = []
    for lang in languages:
        paths = {ext: ws.subtitle(lang, ext) for ext in WRITTEN_FORMATS}
        draft = record.languages.get(lang) if record is not None else None
        results += check_language(paths, lang, timeline, speech, draft)
    return results
