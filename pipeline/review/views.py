"""What the page shows, read from the typed records: the programme list with stage states, the
player's file and tracks, the rushes and their transcripts, QC verdicts and timeline marks."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import stagerun
from ..asr.transcript import WORD_LOW_PROBABILITY, Transcript
from ..errors import ReportageError
from ..fsutil import read_json
from ..manifest import Programme
from ..profiles import load_profile
from ..qc.plan import LEGAL_AREA, Status
from ..qc.subtitles import rule_gap_ms, uncovered
from ..records.progress import read_progress
from ..records.qc import QCReport, read_qc_report
from ..render.state import RenderedDeliverable, read_render_record
from ..stagelist import STAGE_NAMES
from ..subs import load_style, read_subtitles
from ..subs.speech import speech_spans, timeline_words
from ..timeline import Timeline
from ..workspace import Workspace
from .qcview import VERDICT_VI, label_vi
from .state import approval_state


def rel(ws: Workspace, path: Path) -> str | None:
    """`path` relative to the programme folder (what `/files/<id>/…` serves), None when outside."""
    try:
        return path.resolve().relative_to(ws.dir.resolve()).as_posix()
    except (ValueError, OSError):
        return None


def stage_states(ws: Workspace) -> dict[str, dict[str, Any]]:
    """Per stage, from the catalogue's `stage_runs`: the latest run's state on each target, summed."""
    if not ws.catalogue_path.is_file():
        return {}
    try:
        conn = sqlite3.connect(f"file:{ws.catalogue_path}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return {}
    try:
        rows = conn.execute(
            "SELECT stage, target, status, started_at, seconds FROM stage_runs WHERE id IN "
            "(SELECT MAX(id) FROM stage_runs GROUP BY stage, target)").fetchall()
    except sqlite3.Error:
        rows = []
    finally:
        conn.close()
    out: dict[str, dict[str, Any]] = {}
    for stage, _target, status, started, seconds in rows:
        entry = out.setdefault(stage, {"done": 0, "failed": 0, "last": 0.0, "seconds": 0.0})
        entry["done" if status == "done" else "failed"] += 1
        entry["last"] = max(entry["last"], float(started or 0))
        entry["seconds"] += float(seconds or 0)
    for entry in out.values():
        entry["state"] = "failed" if entry["failed"] else "done"
    return {s: out[s] for s in (*STAGE_NAMES, *sorted(set(out) - set(STAGE_NAMES))) if s in out}


def qc_report(ws: Workspace) -> QCReport | None:
    """The QC report, None before QC has run or when it cannot be read (the page says there is none)."""
    try:
        return read_qc_report(ws)
    except ReportageError:
        return None


def programme_summary(ws: Workspace, deliverables: Sequence[str] | None = None) -> dict[str, Any]:
    report = qc_report(ws)
    try:
        approval = approval_state(ws, deliverables).to_dict()
    except ReportageError as exc:
        approval = {"state": "unreadable", "reason": exc.problem}
    running = read_progress(ws)
    return {"id": ws.programme_id, "stages": stage_states(ws),
            "qc": report.verdict.value if report else None, "approval": approval,
            "running": running.to_json() if running is not None else None}


def _player_candidates(ws: Workspace) -> list[tuple[int, RenderedDeliverable]]:
    try:
        record = read_render_record(ws)
    except ReportageError:
        return []
    found: list[tuple[int, RenderedDeliverable]] = []
    for entry in record.deliverables.values():
        main = entry.main  # a deliverable that is a folder plays its first file
        if not entry.present() or main.suffix.lower() not in (".mp4", ".m4v") or rel(ws, main) is None:
            continue
        try:
            burned = load_profile(entry.profile).subtitles.burn_in is not None
        except ReportageError:
            burned = True
        # Whole programme, no leader, no burned-in words first; then the smallest file.
        rank = (1 if entry.excerpt_s else 0) * 4 + (1 if entry.leader_s else 0) * 2 + (1 if burned else 0)
        found.append((rank * 10**12 + entry.size_bytes, entry))
    return sorted(found, key=lambda x: x[0])


def player(ws: Workspace, timeline: Timeline | None) -> dict[str, Any] | None:
    """The file the page plays and `offset_s`: file time = programme time + offset_s. A web render
    of the whole programme without burned-in subtitles when there is one, else the proxy of a
    single-clip programme."""
    candidates = _player_candidates(ws)
    if candidates:
        entry = candidates[0][1]
        start = entry.excerpt_s[0] if entry.excerpt_s else 0.0
        return {"kind": "render", "name": entry.name, "url": rel(ws, entry.main),
                "offset_s": entry.leader_s - start, "duration_s": entry.duration_s}
    if timeline is not None and len(timeline.segments) == 1:
        seg = timeline.segments[0]
        proxy = ws.proxy(seg.clip_id)
        if proxy.is_file():
            return {"kind": "proxy", "name": seg.clip_id, "url": rel(ws, proxy),
                    "offset_s": (timeline.frames_to_ms(seg.src_in_frame) - timeline.frames_to_ms(seg.rec_in_frame))
                    / 1000, "duration_s": timeline.duration_ms / 1000}
    return None


def clip_ids(ws: Workspace, programme: Programme | None) -> list[str]:
    """The programme's clips: the manifest's, else every clip folder ingest made."""
    if programme is not None:
        with contextlib.suppress(ReportageError):
            return [s.clip_id for s in programme.clips()]
    folder = ws.dir / "ingest"
    return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def rushes(ws: Workspace, programme: Programme | None) -> list[dict[str, Any]]:
    """Every clip with its proxy and its transcript's words (clip time), the ones the recogniser
    flagged `low_probability` marked."""
    out = []
    for clip in clip_ids(ws, programme):
        words: list[dict[str, Any]] = []
        path = ws.transcript_json(clip)
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            if path.is_file():
                transcript = Transcript.from_json(read_json(path), source=str(path))
                for seg in transcript.segments:
                    for w in seg.words:
                        word: dict[str, Any] = {"t": w.text, "s": w.start_ms, "e": w.end_ms,
                                                "p": round(w.probability, 2)}
                        if WORD_LOW_PROBABILITY in w.flags:
                            word["u"] = 1  # the recogniser was unsure of it
                        words.append(word)
                    if words:
                        words[-1]["br"] = True  # a segment ends here
        proxy = ws.proxy(clip)
        out.append({"clip": clip, "proxy": rel(ws, proxy) if proxy.is_file() else None,
                    "poster": rel(ws, ws.poster(clip)) if ws.poster(clip).is_file() else None,
                    "transcribed": path.is_file(), "words": words})
    return out


def speech_marks(ws: Workspace, timeline: Timeline | None) -> list[dict[str, Any]]:
    """Speech with no cue, per language, in programme ms (QC's own rule, `qc.subtitles.uncovered`)."""
    if timeline is None:
        return []
    try:
        words, _ = timeline_words(timeline, ws, stagerun.failed_targets(ws, "transcribe"))
    except ReportageError:
        return []
    speech = speech_spans(words)
    marks = []
    for lang in ("vi", "en"):
        path = ws.subtitle(lang, "srt")
        if not path.is_file():
            continue
        with contextlib.suppress(ReportageError):
            bridge = rule_gap_ms(load_style(lang), timeline.rate)
            for a, b in uncovered(speech, read_subtitles(path).cues, bridge):
                marks.append({"kind": "uncovered", "lang": lang, "start_ms": a, "end_ms": b,
                              "label": f"Lời nói chưa có phụ đề ({lang})"})
    return marks


def measured_marks(measure: dict[str, Any]) -> list[dict[str, Any]]:
    """Black, freeze, silence and out-of-range picture from the measurement of the player's file."""
    labels = {"black": "Hình đen", "freeze": "Hình đứng", "silence": "Im lặng",
              "legal": "Ngoài dải hợp lệ (EBU R103, đo trên bản xem)"}
    marks = []
    for kind, label in labels.items():
        for a, b in measure.get(kind) or []:
            marks.append({"kind": kind, "start_ms": int(a * 1000), "end_ms": int(b * 1000), "label": label})
    return marks


_QC_MARK_KINDS = {"picture.black": "black", "picture.freeze": "freeze", "audio.silence": "silence",
                  "picture.legal_range": "legal"}


def qc_marks(report: QCReport | None, exclude: str | None = None) -> list[dict[str, Any]]:
    """What QC flagged (WARN/FAIL) on each deliverable, from the `spans_s` of report.json (programme
    seconds): black, freeze, silence and legal range of every deliverable, not only the one the
    page plays (a broadcast master's out-of-range picture shows even though the player has the web
    cut). `exclude`: the deliverable whose measured marks the page already draws."""
    marks: list[dict[str, Any]] = []
    for deliverable in report.files if report is not None else ():
        if exclude is not None and deliverable.deliverable == exclude:
            continue
        for check in deliverable.checks:
            kind = _QC_MARK_KINDS.get(check.id)
            if kind is None or check.status not in (Status.WARN, Status.FAIL):
                continue
            for a, b in check.spans_s:
                label = (f"Kiểm tra kỹ thuật — {VERDICT_VI[check.status]} ({deliverable.deliverable}): "
                         f"{label_vi(check.id, check.label)} [{check.id}]")
                marks.append({"kind": kind, "start_ms": round(a * 1000), "end_ms": round(b * 1000),
                              "status": check.status.value, "label": label})
    return marks


def legal_spans(luma: Sequence[Sequence[float]], frame_s: float) -> list[tuple[float, float]]:
    """Stretches of frames with more than LEGAL_AREA of their pixels out of range (EBU R103)."""
    spans: list[tuple[float, float]] = []
    for row in luma:
        if len(row) < 8 or row[7] <= LEGAL_AREA:
            continue
        t = float(row[0])
        if spans and t - spans[-1][1] <= frame_s * 1.5:
            spans[-1] = (spans[-1][0], t + frame_s)
        else:
            spans.append((t, t + frame_s))
    return spans
