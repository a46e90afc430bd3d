"""QC stage: judge every rendered deliverable against its profile, and the programme's subtitles.

Works from the files on disk (renders/<deliverable>/*, subtitles/, transcripts/, timeline.json) and
the profiles, never from another stage's code, so it also runs on a workspace someone copied in.
`qc_file` checks any single file against a profile — what the receiving centre runs on arrival.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..errors import ReportageError
from ..fsutil import read_json
from ..manifest import Programme
from ..profiles import Profile, load_profile, profiles_dir
from ..qc.checks import FileMeasurements, measure_file, poster_frames
from ..qc.plan import CheckResult, PlanContext, Status, evaluate, plan_for, worst
from ..qc.subtitles import check_language, draft_status, speech_spans
from ..stagerun import files_fingerprint, inputs_hash
from ..timecode import Timecode
from ..timeline import Timeline, load_timeline
from ..workspace import Workspace

MEDIA_EXTS = {".mxf", ".mp4", ".mov", ".ts", ".m2ts", ".mkv"}


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


def find_renders(ws: Workspace) -> dict[str, Path]:
    """deliverable folder name → its media file (the newest when a folder holds several)."""
    found: dict[str, Path] = {}
    root = ws.dir / "renders"
    if not root.is_dir():
        return found
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        media = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in MEDIA_EXTS
                 and not p.name.startswith(".") and ".part" not in p.name]
        if media:
            found[folder.name] = max(media, key=lambda p: p.stat().st_mtime)
    return found


def expected_frames(profile: Profile, programme: Programme, timeline: Timeline | None) -> int | None:
    """The frame count a deliverable must have: the timeline (or the social excerpt) plus the leader."""
    rate = profile.video.rate
    if profile.excerpt and programme.manifest.social is not None:
        social = programme.manifest.social
        frames = (Timecode.parse(social.end, programme.rate).frames
                  - Timecode.parse(social.start, programme.rate).frames)
        body = round(Fraction(frames) / programme.rate * rate)
    elif timeline is not None:
        body = round(Fraction(timeline.duration_frames) / timeline.rate * rate)
    else:
        return None
    return body + round(Fraction(str(profile.leader.total_s)) * rate)


def mute_windows(profile: Profile, programme: Programme, timeline: Timeline | None) -> tuple[tuple[float, float], ...]:
    """File-time spans where the timeline cuts a clip that has no audio (leader and excerpt applied)."""
    if timeline is None:
        return ()
    offset = 0.0
    if profile.excerpt and programme.manifest.social is not None:
        offset = float(Timecode.parse(programme.manifest.social.start, programme.rate).seconds)
    lead = profile.leader.total_s
    spans = []
    for seg in timeline.segments:
        if not seg.has_audio:
            start = float(Fraction(seg.rec_in_frame) / timeline.rate) - offset + lead
            end = float(Fraction(seg.rec_out_frame) / timeline.rate) - offset + lead
            if end > lead:
                spans.append((max(start, lead), end))
    return tuple(spans)


QC_VERSION = 2


def qc_inputs_key(programme: Programme, ws: Workspace) -> str:
    """What a QC verdict depends on: the renders, subtitles, transcripts, timeline, manifest and
    profiles. Unchanged, a rerun of `reportage run` need not decode every deliverable again."""
    watched = [*find_renders(ws).values(), ws.timeline_json, programme.manifest_path,
               *profiles_dir().glob("*.yaml"), *(programme.base_dir / "profiles").glob("*.yaml")]
    for folder in (ws.subtitles_dir, ws.transcripts_dir):
        if folder.is_dir():
            watched += [p for p in folder.iterdir() if p.suffix in (".srt", ".vtt", ".json")]
    return inputs_hash({"version": QC_VERSION, "files": files_fingerprint(watched)})


def qc_state_path(ws: Workspace) -> Path:
    return ws.qc_dir / ".inputs.json"


def qc_programme(programme: Programme, ws: Workspace) -> QCReport:
    """QC every render and the subtitles of `programme`; posters go to qc/posters/."""
    overrides = programme.base_dir / "profiles"
    timeline = load_timeline(ws.timeline_json) if ws.timeline_json.exists() else None
    renders = find_renders(ws)
    wanted = list(dict.fromkeys([*programme.manifest.deliverables, *renders]))
    files: list[FileQC] = []
    languages: list[str] = []
    for name in wanted:
        try:
            profile = load_profile(name, overrides if overrides.is_dir() else None)
        except ReportageError as exc:
            files.append(FileQC(name, "?", "", [CheckResult("profile", "Profile", Status.FAIL, "unknown",
                                                            "a known profile", exc.problem)]))
            continue
        languages += [*profile.subtitles.sidecar, *([profile.subtitles.burn_in] if profile.subtitles.burn_in else [])]
        if name not in renders:
            files.append(FileQC(name, profile.name, "", [CheckResult(
                "render", "Rendered file", Status.FAIL, "missing", "present",
                f"nothing in renders/{name}/; run `reportage render`")]))
            continue
        frames = expected_frames(profile, programme, timeline)
        body_s = None if frames is None else float(Fraction(frames) / profile.video.rate) - profile.leader.total_s
        files.append(qc_file(renders[name], profile, deliverable=name, expected_frames=frames,
                             programme_s=body_s, posters_dir=ws.qc_dir / "posters",
                             mute_windows=mute_windows(profile, programme, timeline)))
    subtitle_checks = qc_subtitles(programme, ws, timeline, list(dict.fromkeys(languages or ["vi", "en"])))
    return QCReport(programme.id, files, subtitle_checks, title=programme.manifest.title.vi)


def qc_subtitles(programme: Programme, ws: Workspace, timeline: Timeline | None,
                 languages: list[str]) -> list[CheckResult]:
    """Subtitle checks of every language the deliverables need."""
    speech = None
    if timeline is not None and ws.transcripts_dir.is_dir():
        transcripts: dict[str, Any] = {}
        for path in ws.transcripts_dir.glob("*.json"):
            try:
                data = read_json(path)
            except (OSError, ValueError):
                continue
            if isinstance(data, dict):
                transcripts[str(data.get("clip_id", path.stem))] = data
        if transcripts:
            speech = speech_spans(timeline, transcripts)
    drafts = draft_status(ws.subtitles_dir / f"{programme.id}.subtitles.json")
    results: list[CheckResult] = []
    for lang in languages:
        paths = {ext: ws.subtitle(lang, ext) for ext in ("srt", "vtt")}
        results += check_language(paths, lang, timeline, speech, drafts.get(lang))
    return results
