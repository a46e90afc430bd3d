"""The measurement of the file the page plays, for the loudness plot and the timeline marks (black,
freeze, silence, out-of-range picture), all in programme seconds.

When the player's file is a deliverable QC has measured (its record in `qc/deliverables/` has the
file's SHA-256), QC's own measurements are used as they are: nothing is decoded. Otherwise (a file
QC has not seen yet) the reviewer can ask for QC's measurement (`qc.ranged.measure_file`: one
decode), which runs in a background thread and is kept in `review/measure.json` keyed by the file's
SHA-256 so it is made once per render; the page polls `state`.
"""

from __future__ import annotations

import threading
from fractions import Fraction
from pathlib import Path
from typing import Any

from .. import stagerun
from ..errors import ReportageError
from ..fsutil import read_json, write_json
from ..qc.ranged import measure_file
from ..qc.record import DeliverableRecord, records
from ..workspace import Workspace
from .state import review_dir
from .views import legal_spans

_running: dict[str, str] = {}  # programme folder -> "running" | error text
_guard = threading.Lock()


def measure_path(ws: Workspace) -> Path:
    return review_dir(ws) / "measure.json"


def from_qc(ws: Workspace, file: Path) -> dict[str, Any] | None:
    """QC's measurement of `file` (a deliverable it measured, same content), in the page's shape."""
    if not file.is_file():
        return None
    digest = stagerun.content_hash(ws, file)
    record = next((r for r in records(ws) if r.sha256 == digest), None)
    return None if record is None else qc_view(record, file)


def qc_view(record: DeliverableRecord, file: Path) -> dict[str, Any]:
    """A QC record as the page draws it: series and ranges in programme seconds."""
    shift = record.programme_offset_s
    return {
        "sha256": record.sha256, "file": file.name, "source": "qc", "deliverable": record.deliverable,
        "loudness": record.loudness_in_programme(),
        "black": record.ranges_in_programme("picture.black"), "freeze": record.ranges_in_programme("picture.freeze"),
        "silence": record.ranges_in_programme("audio.silence"),
        "legal": [[round(a + shift, 3), round(b + shift, 3)] for a, b in legal_spans(record.luma, record.frame_s)],
        "integrated": record.values.get("loudness.integrated"),
    }


def cached(ws: Workspace, file: Path) -> dict[str, Any] | None:
    """The measurement of `file` when one of its current content is stored: QC's, else the page's own."""
    found = from_qc(ws, file)
    if found is not None:
        return found
    path = measure_path(ws)
    if not path.is_file() or not file.is_file():
        return None
    try:
        data = read_json(path)
    except (OSError, ValueError):
        return None
    if isinstance(data, dict) and data.get("sha256") == stagerun.content_hash(ws, file):
        return {"source": "review", **data}
    return None


def state(ws: Workspace, file: Path | None) -> dict[str, Any]:
    key = str(ws.dir)
    with _guard:
        running = _running.get(key)
    if running == "running":
        return {"state": "running"}
    done = cached(ws, file) if file is not None else None
    if done is not None:
        return {"state": "done", **done}
    return {"state": "failed", "error": running} if running else {"state": "none"}


def measure(ws: Workspace, file: Path, rate: Fraction, offset_s: float, leader_s: float = 0.0) -> dict[str, Any]:
    """Measure `file` and store the series and spans in programme seconds."""
    digest = stagerun.content_hash(ws, file)
    got = measure_file(file, rate, skip_s=leader_s)
    shift = -offset_s
    values = got.values

    def spans(key: str) -> list[list[float]]:
        return [[round(a + shift, 3), round(b + shift, 3)] for a, b in (values.get(key) or [])]

    data = {
        "sha256": digest, "file": file.name,
        # the series is in file seconds already (the leader skipped by the meter is added back)
        "loudness": [[round(t + shift, 2), round(m, 1), round(s, 1)] for t, m, s in got.loudness_series],
        "black": spans("picture.black"), "freeze": spans("picture.freeze"), "silence": spans("audio.silence"),
        "legal": [[round(a + shift, 3), round(b + shift, 3)] for a, b in legal_spans(got.luma_series, float(1 / rate))],
        "integrated": values.get("loudness.integrated"),
    }
    write_json(measure_path(ws), data)
    return data


def start(ws: Workspace, file: Path, rate: Fraction, offset_s: float, leader_s: float = 0.0) -> bool:
    """Start measuring in the background; False when a measurement is already running, or when QC
    has measured this very file (its measurements are used, nothing is decoded)."""
    if from_qc(ws, file) is not None:
        return False
    key = str(ws.dir)
    with _guard:
        if _running.get(key) == "running":
            return False
        _running[key] = "running"

    def work() -> None:
        outcome = ""
        try:
            measure(ws, file, rate, offset_s, leader_s)
        except ReportageError as exc:
            outcome = exc.one_line()
        except Exception as exc:  # the page must hear of any failure, not a hung "running"
            outcome = f"{type(exc).__name__}: {exc}"
        with _guard:
            if outcome:
                _running[key] = outcome
            else:
                _running.pop(key, None)

    threading.Thread(target=work, name=f"review-measure-{ws.programme_id}", daemon=True).start()
    return True
