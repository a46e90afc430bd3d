"""`export_programme`: the stage function behind `reportage export` (a Python user calls it directly).

It reads the workspace's typed records only — timeline.json, the ingest records (for the original
source files and their timecode), the subtitle files, qc/report.json and review/notes.json — and
writes one edit file plus an SRT per language beside it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import fsutil
from ..errors import ManifestError, WorkspaceError
from ..manifest import Programme
from ..profiles import programme_profile
from ..qc.fixes import fix_for
from ..qc.plan import Status
from ..records.qc import read_qc_report
from ..records.review import read_notes
from ..subs.cues import frame_at
from ..subs.srt import parse_srt
from ..timecode import Timecode
from ..timeline import Marker, Timeline, load_timeline
from ..workspace import Workspace
from .export import write_export
from .formats import EXTENSIONS, FORMATS, Format
from .match import footage_from_workspace
from .plan import ExportPlan, SubtitleCue

log = logging.getLogger(__name__)

DEFAULT_START_TC = "10:00:00:00"
"""The house convention for a programme's first frame (the XDCAM and ProRes profiles' programme_start_tc)."""
LANGUAGES = ("vi", "en")


@dataclass(frozen=True)
class ExportReport:
    programme: str
    format: str
    files: tuple[Path, ...]
    markers: int
    subtitles: tuple[str, ...]
    start_tc: str

    @property
    def ok(self) -> bool:
        return True

    @property
    def up_to_date(self) -> bool:
        return False

    def to_dict(self) -> dict[str, Any]:
        return {"programme": self.programme, "ok": True, "format": self.format,
                "files": [str(p) for p in self.files], "markers": self.markers,
                "subtitles": list(self.subtitles), "start_tc": self.start_tc}


def export_dir(ws: Workspace) -> Path:
    return ws.dir / "export"


def start_timecode(programme: Programme) -> str:
    """The programme's start timecode: the first deliverable profile that sets one, else 10:00:00:00."""
    for name in programme.deliverables:
        try:
            profile = programme_profile(programme.base_dir, programme.deliverable_profile(name))
        except Exception:  # an unknown profile is render's error to report, not export's
            continue
        if profile.programme_start_tc:
            return profile.programme_start_tc
    return DEFAULT_START_TC


def qc_markers(ws: Workspace, timeline: Timeline) -> list[Marker]:
    """WARN/FAIL checks of qc/report.json as markers, one per problem: the same check flagging the
    same stretch in several deliverables (a freeze in the master, the web files and the stream's
    rungs) is one marker naming them all, over the union of their spans; each marker is in programme
    timecode and says what to do (`qc/fixes.py`). A check without spans (a container or codec
    problem) is placed at the start."""
    try:
        report = read_qc_report(ws)
    except WorkspaceError as exc:
        log.warning("%s; QC markers left out", exc.one_line())
        return []
    if report is None:
        return []
    problems: list[_Problem] = []
    groups = [(f.deliverable, f.checks) for f in report.files] + [("subtitles", report.subtitles)]
    for where, checks in groups:
        for check in checks:
            if check.status not in (Status.WARN, Status.FAIL):
                continue
            for index, (start, end) in enumerate(check.spans_s or ((0.0, 0.0),)):
                first = min(timeline.ms_to_frames(round(start * 1000)), timeline.duration_frames)
                last = max(first, min(timeline.ms_to_frames(round(end * 1000)), timeline.duration_frames))
                note = check.note_at(index) if check.spans_s else ""
                _merge(problems, _Problem(check.id, check.status, check.label or check.id, note or check.measured,
                                          "" if note else check.detail, first, last, [where], note))
    return [p.marker() for p in problems]


@dataclass
class _Problem:
    """One QC problem on the timeline while markers are gathered: a check, its stretch (frames), and
    every deliverable that shows it."""

    check: str
    status: Status
    label: str
    measured: str
    detail: str
    first: int
    last: int
    where: list[str]
    note: str = ""
    """This span's own problem (`CheckResult.span_notes`), shown instead of the check's summary."""

    def marker(self) -> Marker:
        text = f"QC {self.status.value} {', '.join(self.where)}: {self.label} — {self.measured}"
        if self.detail and len(self.where) == 1:  # a detail names one file's figures
            text += f" ({self.detail})"
        text += f". Fix: {fix_for(self.check)}"
        return Marker(self.first, text, self.last - self.first, "RED" if self.status is Status.FAIL else "YELLOW",
                      "qc")


def _merge(problems: list[_Problem], new: _Problem) -> None:
    """Fold `new` into a problem of the same check whose stretch it overlaps or touches (the worse
    verdict wins; the stretch is their union), else add it."""
    for old in problems:
        if old.check == new.check and new.first <= old.last and old.first <= new.last:
            old.first, old.last = min(old.first, new.first), max(old.last, new.last)
            old.where += [w for w in new.where if w not in old.where]
            if new.status is Status.FAIL:
                old.status = Status.FAIL
            return
    problems.append(new)


def review_markers(ws: Workspace, timeline: Timeline) -> list[Marker]:
    """Review notes (`review/notes.json`, `records/review.py`) as markers over their ranges, one per
    thread: the replies folded into the note's text (an editor's marker has one text), a resolved note
    said so and coloured green, so the editor sees what is still open."""
    notes = read_notes(ws)
    replies: dict[str, list[str]] = {}
    for note in notes:
        if note.parent:
            reply = f"↳ {fsutil.nfc(note.author or 'review')}: {fsutil.nfc(note.text)}"
            replies.setdefault(note.parent, []).append(reply)
    markers = []
    for note in notes:
        if note.parent and any(n.id == note.parent for n in notes):
            continue
        start, end = timeline.ms_to_frames(note.in_ms), timeline.ms_to_frames(note.out_ms)
        text = f"{fsutil.nfc(note.author or 'review')}: {fsutil.nfc(note.text)}"
        if note.resolved:
            text = f"[đã xử lý / resolved: {fsutil.nfc(note.resolved_by)}] {text}"
        text = " ".join([text, *replies.get(note.id, [])])
        markers.append(Marker(min(start, timeline.duration_frames), text, max(0, end - start),
                              "GREEN" if note.resolved else "BLUE", "review"))
    return markers


def subtitles(ws: Workspace, timeline: Timeline) -> tuple[dict[str, tuple[SubtitleCue, ...]], dict[str, str]]:
    cues: dict[str, tuple[SubtitleCue, ...]] = {}
    texts: dict[str, str] = {}
    for lang in LANGUAGES:
        path = ws.subtitle(lang, "srt")
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8-sig")
        parsed, _ = parse_srt(text, path)
        cues[lang] = tuple(SubtitleCue(frame_at(c.start_ms, timeline.rate), frame_at(c.end_ms, timeline.rate),
                                       c.text) for c in parsed)
        texts[lang] = text
    return cues, texts


def plan_export(programme: Programme, ws: Workspace) -> ExportPlan:
    timeline = load_timeline(ws.timeline_json)
    used = sorted({s.clip_id for s in timeline.segments} | {a.clip_id for a in timeline.audio})
    footage = {c.clip_id: c for c in footage_from_workspace(ws, used)}
    missing = [c for c in used if c not in footage]
    if missing:
        raise WorkspaceError(f"clip(s) {', '.join(missing)} of the timeline have no ingest record", path=ws.dir,
                             hint="run `reportage ingest MANIFEST` and `reportage assemble MANIFEST` again")
    start = Timecode.parse(start_timecode(programme), timeline.rate).frames
    markers = sorted([*timeline.markers, *qc_markers(ws, timeline), *review_markers(ws, timeline)],
                     key=lambda m: (m.frame, m.source, m.name))
    cues, texts = subtitles(ws, timeline)
    title = programme.manifest.title.vi if programme.manifest.title else programme.id
    return ExportPlan(title, timeline, footage, start, tuple(markers), cues, texts)


def export_programme(programme: Programme, ws: Workspace, fmt: str, to: Path | None = None) -> ExportReport:
    """Write the programme as `fmt` (fcp7xml, fcpxml, otio, edl) to `to` (default
    `<workspace>/<id>/export/<id>.<ext>`), with the subtitles as SRT beside it."""
    if fmt not in FORMATS:
        raise ManifestError(f"--format {fmt!r} is not one of {', '.join(FORMATS)}")
    chosen: Format = next(f for f in FORMATS if f == fmt)
    plan = plan_export(programme, ws)
    target = to if to is not None else export_dir(ws) / f"{programme.id}{EXTENSIONS[chosen]}"
    files = write_export(plan, chosen, target.absolute())
    return ExportReport(programme.id, chosen, tuple(files), len(plan.markers), tuple(sorted(plan.subtitles)),
                        plan.start_tc())
