"""QC problems as NLE markers worth importing: one per problem, merged across the deliverables that
show it, in programme time, with the fix; the gaps between cues the style rules make are no problem at
all (QC's coverage check reads across them, so nothing is there to mark). The report is written through
its own record type, as the QC stage writes it."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from pipeline.nle.programme import qc_markers
from pipeline.qc.plan import CheckResult, Status
from pipeline.records.qc import FileQC, QCReport, qc_report_path, write_qc_report
from pipeline.timeline import Segment, Timeline
from pipeline.workspace import Workspace


def _freeze(start: float, end: float, status: Status = Status.WARN) -> CheckResult:
    return CheckResult("picture.freeze", "Freeze frames", status, "1 span, 2.2 s", "none ≥ 2 s",
                       f"{start:.2f}–{end:.2f} s", spans_s=((start, end),))


def test_one_marker_per_problem_across_deliverables(tmp_path: Path) -> None:
    ws = Workspace(tmp_path, "dautu")
    timeline = Timeline("dautu", Fraction(25), 1920, 1080, 48000, (Segment("a", "a.mov", 0, 2500, 0, True),), ())
    files = [FileQC(name, name, f"renders/{name}/x", checks=[_freeze(30.0, 32.2)]) for name in
             ("broadcast-xdcam", "web-1080p", "web-720p")]
    files.append(FileQC("web-stream 540p", "web-stream", "renders/web-stream/x/540p.mp4",
                        checks=[_freeze(30.04, 32.24, Status.FAIL)], part_of="web-stream"))
    files.append(FileQC("social-9x16", "social-9x16", "renders/social-9x16/x", checks=[_freeze(70.0, 72.0)]))
    coverage = CheckResult("subtitles.vi.coverage", "Subtitles vi cover the speech", Status.WARN,
                           "1 uncovered, longest 900 ms", "none ≥ 2000 ms", "41.0–41.9 s", spans_s=((41.0, 41.9),))
    write_qc_report(qc_report_path(ws), QCReport("dautu", files, [coverage]))
    markers = qc_markers(ws, timeline)
    assert len(markers) == 3, [m.name for m in markers]
    freeze = next(m for m in markers if m.frame == 750)
    assert freeze.name.startswith("QC FAIL broadcast-xdcam, web-1080p, web-720p, web-stream 540p: Freeze frames")
    assert (freeze.frame, freeze.frame + freeze.duration) == (750, 806) and freeze.color == "RED"
    assert "Fix: check the edit here" in freeze.name
    social = next(m for m in markers if m.frame == 1750)
    assert social.name.startswith("QC WARN social-9x16:") and social.color == "YELLOW"
    speech = next(m for m in markers if "coverage" in m.name or "cover the speech" in m.name)
    assert "Fix: add or extend a cue" in speech.name and speech.frame == 1025


def test_each_marker_says_its_own_problem(tmp_path: Path) -> None:
    """A lint verdict over 3 cues is 3 markers, each naming its cue's issue (not the check's first
    three), and a read-back report keeps the notes."""
    ws = Workspace(tmp_path, "dautu")
    timeline = Timeline("dautu", Fraction(25), 1920, 1080, 48000, (Segment("a", "a.mov", 0, 2500, 0, True),), ())
    lint = CheckResult("subtitles.en.lint", "Subtitles en lint (en)", Status.WARN, "0 errors, 3 warnings",
                       "no errors", "cue 1 …", spans_s=((1.0, 3.0), (5.0, 7.0), (9.0, 11.0)),
                       span_notes=("cue 1 reading-speed: 18 characters/second > 17",
                                   "cue 3 shot-change: ends 3 frames after a cut", "cue 5 speech-sync: starts late"))
    write_qc_report(qc_report_path(ws), QCReport("dautu", [], [lint]))
    texts = [m.name for m in qc_markers(ws, timeline)]
    assert len(texts) == 3
    assert texts[1].startswith("QC WARN subtitles: Subtitles en lint (en) — cue 3 shot-change: ends 3 frames")
    assert "cue 1 reading" not in texts[1] and texts[1].endswith(
        "Fix: fix the cue in the review room (the lint rule is named in the report)")


def test_short_intervals_under_the_rule_are_not_flagged() -> None:
    """A 0.64 s still under the 2 s freeze rule was a marker on the sample dautu; only the stretch the
    rule flags is one now, with its own length."""
    from pipeline.qc.plan import CheckSpec, evaluate

    spec = CheckSpec("picture.freeze", "Frozen picture", "picture.freeze", "intervals", warn=2.0, limit=30.0)
    result = evaluate(spec, {"picture.freeze": [(1.0, 1.64), (74.76, 77.0)]})
    assert result.status is Status.WARN and result.measured == "2.24 s at 00:01:14.76"
    assert result.spans_s == ((74.76, 77.0),) and result.span_notes == ("frozen picture for 2.24 s",)
    assert CheckResult.from_dict(result.to_dict()) == result
