"""Automated QC: a test plan derived from a deliverable profile (data), measurements of a file (one
ffmpeg decode plus ffprobe), verdicts (PASS / WARN / FAIL with measured value and limit), reports.

`plan.py` says what is checked and against which limits, `checks.py` measures, `subtitles.py` checks
the sidecar subtitles against their style and the speech, `report.py` writes JSON and HTML.
"""

from __future__ import annotations

from .plan import CheckResult, CheckSpec, PlanContext, Status, evaluate, plan_for, worst

__all__ = ["CheckResult", "CheckSpec", "PlanContext", "Status", "evaluate", "plan_for", "worst"]
