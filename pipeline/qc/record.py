"""The QC record of one deliverable, `qc/deliverables/<name>.json` (owner: qc): what measuring the
file found, kept so an unchanged file is never decoded again.

Measuring a deliverable is the expensive part of QC (a full decode: picture statistics, black,
freeze, silence, loudness); judging the numbers against the plan is cheap. So the QC stage keeps the
measurements, keyed by the file's content, its profile and the measuring code and tools
(`pipeline.stagerun`, target = deliverable), and judges them afresh each time the report is built.
Everything is in the file's own seconds, as measured; `programme_offset_s` (the excerpt's start
less the leader) turns them into programme seconds for anyone who draws them on the programme's
timeline (the report's loudness series, the review room's marks).

The loudness series is the ebur128 frame log of the same decode (every 0.1 s), kept whole for the
plots; the report carries it thinned to one value per `LOUDNESS_STEP_S` (`thin_loudness`: the
loudest momentary value of each step, so a shout is not skipped, and the short-term value at its
end). The picture series keeps every frame (the legal-range rule counts runs of frames).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import math
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..fsutil import read_json, write_text
from ..workspace import Workspace
from .checks import FileMeasurements

QC_RECORD_VERSION = 1
LOUDNESS_STEP_S = 0.5
LOUDNESS_COLUMNS = ("t_s", "momentary_lufs", "short_term_lufs")


@functools.cache
def measuring_code() -> str:
    """SHA-256 of the code that measures (qc/checks.py, media/loudness.py, the ranged measurement's
    modules, this one) and of the decoding libraries' versions in this process (PyAV's FFmpeg): a
    change to how a file is measured measures every file again, without anyone remembering to bump
    a version."""
    import av

    from ..media import loudness
    from . import checks, decoded, frames, rangecache, ranged, ranges, stitch

    digest = hashlib.sha256()
    for module in (checks, loudness, frames, decoded, ranges, stitch, ranged, rangecache):
        digest.update(Path(str(module.__file__)).read_bytes())
    digest.update(f"av {av.__version__} {sorted(av.library_versions.items())}".encode())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()


def records_dir(ws: Workspace) -> Path:
    return ws.qc_dir / "deliverables"


def deliverable_record_path(ws: Workspace, deliverable: str) -> Path:
    """Where the QC record of the deliverable named `deliverable` is kept."""
    return records_dir(ws) / f"{deliverable}.json"


def thin_loudness(series: Sequence[tuple[float, float, float]],
                  step_s: float = LOUDNESS_STEP_S) -> list[tuple[float, float, float]]:
    """One (t, momentary, short-term) per `step_s` bucket: t the bucket's last sample time, the
    loudest momentary of the bucket and the short-term at that last sample. Buckets end on the
    step ((0, 0.5], (0.5, 1.0], …): a meter's value at t describes the time up to t."""
    out: list[tuple[float, float, float]] = []
    bucket: int | None = None
    for t, m, s in series:
        here = math.ceil(t / step_s - 1e-9)
        if bucket == here and out:
            out[-1] = (t, max(out[-1][1], m), s)
        else:
            out.append((t, m, s))
            bucket = here
    return out


def _finite(value: Any) -> Any:
    """JSON-safe: NaN and infinities become None (strict JSON readers, the browser, refuse them)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    return value


def _row(values: Sequence[float], digits: int) -> tuple[float, ...]:
    return tuple(round(float(v), digits) for v in values)


@dataclass(frozen=True)
class DeliverableRecord:
    """What QC measured on one deliverable file, in the file's seconds."""

    deliverable: str
    profile: str
    file: str
    """The file measured: relative to the programme folder as the QC stage keeps it (`Workspace.stored`)."""
    sha256: str
    values: Mapping[str, Any]
    """Flat measurements keyed like the plan's `CheckSpec.measure` (the per-frame picture series is
    in `luma`, not repeated here)."""
    loudness: tuple[tuple[float, float, float], ...] = ()
    luma: tuple[tuple[float, ...], ...] = ()
    duration_s: float | None = None
    leader_s: float = 0.0
    excerpt_start_s: float = 0.0
    posters: tuple[str, ...] = ()
    measured_at: float = 0.0
    measure_s: float = 0.0
    """Seconds the measurement took (the decode, ffprobe and the posters)."""
    tools: Mapping[str, str] = field(default_factory=dict)
    ranges: tuple[str, ...] = ()
    """The range cache entries (`qc/ranges/<key>.json`) its picture was measured from: kept while
    this record stands, pruned after."""
    range_work: Mapping[str, int] = field(default_factory=dict)
    """How its picture was measured: ranges, measured, reused from the cache, boundary checks."""

    @property
    def programme_offset_s(self) -> float:
        """Add to a time in the file to get programme time."""
        return self.excerpt_start_s - self.leader_s

    @classmethod
    def from_measurements(cls, deliverable: str, profile: str, path: Path, sha256: str,
                          measured: FileMeasurements, *, leader_s: float, excerpt_start_s: float,
                          posters: Sequence[Path] = (), measure_s: float = 0.0,
                          tools: Mapping[str, str] | None = None) -> DeliverableRecord:
        values = {k: v for k, v in measured.values.items() if k != "picture.legal"}
        loudness = tuple((round(t, 3), round(m, 1), round(s, 1)) for t, m, s in measured.loudness_series)
        # time to the microsecond (29.97 fps frames must stay evenly spaced), codes to 0.01, BRNG to 1e-6
        luma = tuple(_row(r[:1], 6) + _row(r[1:7], 2) + _row(r[7:], 6) for r in measured.luma_series)
        return cls(deliverable, profile, str(path), sha256, _finite(values), loudness, luma,
                   measured.duration_s, leader_s, excerpt_start_s, tuple(p.name for p in posters),
                   time.time(), round(measure_s, 3), dict(tools or {}), tuple(measured.range_keys),
                   dict(measured.range_work))

    @property
    def frame_s(self) -> float:
        """The picture series' frame duration (the median step; 0.04 without frames)."""
        steps = sorted(b[0] - a[0] for a, b in itertools.pairwise(self.luma) if b[0] > a[0])
        return steps[len(steps) // 2] if steps else 0.04

    def measurements(self) -> FileMeasurements:
        """The measurements as the plan judges them (`picture.legal` is the per-frame series)."""
        values = dict(self.values)
        values["picture.legal"] = [tuple(r) for r in self.luma] or None
        return FileMeasurements(values, list(self.loudness), list(self.luma), self.duration_s)

    def loudness_in_programme(self, step_s: float | None = None) -> list[list[float]]:
        """The series as [t, momentary, short-term], t in programme seconds; thinned to one row per
        `step_s` when given."""
        shift = self.programme_offset_s
        rows = thin_loudness(self.loudness, step_s) if step_s else self.loudness
        return [[round(t + shift, 2), m, s] for t, m, s in rows]

    def ranges_in_programme(self, key: str) -> list[list[float]]:
        """A measured interval list (`picture.black`, `picture.freeze`, `audio.silence`), every
        interval found, in programme seconds."""
        shift = self.programme_offset_s
        return [[round(float(a) + shift, 3), round(float(b) + shift, 3)] for a, b in self.values.get(key) or []]

    def to_json(self) -> dict[str, Any]:
        return {"version": QC_RECORD_VERSION, "deliverable": self.deliverable, "profile": self.profile,
                "file": self.file, "sha256": self.sha256, "duration_s": _finite(self.duration_s),
                "leader_s": self.leader_s, "excerpt_start_s": self.excerpt_start_s,
                "posters": list(self.posters), "measured_at": self.measured_at, "measure_s": self.measure_s,
                "tools": dict(self.tools), "values": _finite(dict(self.values)),
                "loudness": {"columns": list(LOUDNESS_COLUMNS), "rows": _finite([list(r) for r in self.loudness])},
                "luma": [list(r) for r in self.luma], "ranges": list(self.ranges),
                "range_work": dict(self.range_work)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DeliverableRecord:
        if data.get("version") != QC_RECORD_VERSION:
            raise ValueError(f"QC record version {data.get('version')!r}, not {QC_RECORD_VERSION}")
        loud = data.get("loudness") or {}
        rows = [(float(t), float(m), float(s)) for t, m, s in loud.get("rows") or [] if None not in (t, m, s)]
        duration = data.get("duration_s")
        return cls(str(data["deliverable"]), str(data["profile"]), str(data["file"]), str(data["sha256"]),
                   dict(data.get("values") or {}), tuple(rows),
                   tuple(tuple(float(v) for v in r) for r in data.get("luma") or []),
                   float(duration) if duration is not None else None, float(data.get("leader_s") or 0.0),
                   float(data.get("excerpt_start_s") or 0.0), tuple(str(p) for p in data.get("posters") or []),
                   float(data.get("measured_at") or 0.0), float(data.get("measure_s") or 0.0),
                   {str(k): str(v) for k, v in (data.get("tools") or {}).items()},
                   tuple(str(k) for k in data.get("ranges") or ()),
                   {str(k): int(v) for k, v in (data.get("range_work") or {}).items()})


def write_record(path: Path, record: DeliverableRecord) -> None:
    """Written compact (one frame a line would make an hour's master tens of MB), atomically."""
    write_text(path, json.dumps(record.to_json(), ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n")


def read_record(path: Path) -> DeliverableRecord | None:
    """The record at `path`, None when missing, unreadable or of another version (measure again)."""
    try:
        data = read_json(path)
        return DeliverableRecord.from_json(data) if isinstance(data, Mapping) else None
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None


def records(ws: Workspace) -> Iterator[DeliverableRecord]:
    """Every readable deliverable record of the programme."""
    folder = records_dir(ws)
    if folder.is_dir():
        for path in sorted(folder.glob("*.json")):
            found = read_record(path)
            if found is not None:
                yield found
