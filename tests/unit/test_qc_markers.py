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
