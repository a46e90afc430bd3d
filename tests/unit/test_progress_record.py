"""`progress.json` (`records/progress.py`): what the runner writes while a stage runs, the time left
at the pace so far, and nothing left behind once the stage ends or its process died."""

from __future__ import annotations

import json
import time
from pathlib import Path

from pipeline.progress import Progress
from pipeline.records.progress import ProgressWriter, progress_path, read_progress
from pipeline.review.views import programme_summary
from pipeline.workspace import Workspace


def test_the_running_stage_is_on_record_with_its_time_left_until_it_ends(tmp_path: Path) -> None:
    ws = Workspace(tmp_path, "dautu")
    ws.dir.mkdir(parents=True)
    seen: list[Progress] = []
    writer = ProgressWriter(ws, "render", seen.append)
    writer(Progress("render dautu · 52 chunks", 0.0, 3120.0))
    time.sleep(1.1)
    writer(Progress("render dautu · 52 chunks", 780.0, 3120.0))
    record = read_progress(ws)
    assert record is not None and record.stage == "render" and len(seen) == 2
    (task,) = record.tasks
    assert task.fraction == 0.25 and task.eta_s is not None and 2.5 < task.eta_s < 4.5  # 3 times the 1.1 s so far
    summary = programme_summary(ws)
    assert summary["running"]["stage"] == "render"
    writer.close()
    assert read_progress(ws) is None and not progress_path(ws).exists()


def test_a_record_left_by_a_process_that_died_reads_as_nothing_running(tmp_path: Path) -> None:
    ws = Workspace(tmp_path, "dulich")
    ws.dir.mkdir(parents=True)
    old = time.time() - 600
    progress_path(ws).write_text(json.dumps({"version": 1, "stage": "qc", "host": "h", "pid": 1, "started": old,
                                             "updated": old, "tasks": []}), encoding="utf-8")
    assert read_progress(ws) is None
    progress_path(ws).write_text("{", encoding="utf-8")  # half-written
    assert read_progress(ws) is None
