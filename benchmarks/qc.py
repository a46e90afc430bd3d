"""QC measurement benchmark: today's one whole-file decode against the ranged measurement, same run.

For each file: `checks.measure_file_whole` (one ffmpeg: signalstats + blackdetect + freezedetect +
metadata=print and the sound) and `ranged.measure_ranged` (the picture in keyframe-aligned ranges,
N ffmpeg at a time, read raw into numpy; the sound in one audio-only decode beside them), each
timed, as seconds, × the file's real time, and new/old. Then that every value agrees: the flat
values (black, freeze, silence, loudness, the probe's fields) equal, the per-frame legal-range series
and the loudness series equal frame for frame. A third pass measures again with a range cache
filled by the second (what an unchanged chunk costs). The total is given against the programme's
length (the longest file less its leader, unless `--programme-s`), the goal being ≤ 0.3×, and so
are the CPU seconds each used (this process's threads and its ffmpeg children) divided by the cores:
what the wall time would be on an otherwise idle machine kept busy.

The leader skipped by the loudness meter comes from the profile named by the file's folder
(`renders/<deliverable>/`; a ladder rung's folder is its deliverable's). The load average is printed
before and after: the machine may be shared.

    .venv/bin/python benchmarks/qc.py [FILE ...] [--workers N] [--programme-s S] [--no-whole]
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.qc.checks import FileMeasurements, measure_file_whole  # noqa: E402
from pipeline.qc.rangecache import RangeCache  # noqa: E402
from pipeline.qc.ranged import RangeOptions, measure_ranged, workers_for  # noqa: E402

DAUTU = Path("/work/main/workspace/dautu/renders")


def default_files() -> list[Path]:
    """The dautu renders: each deliverable's file, and every rung of the streaming ladder."""
    files = [p for p in sorted(DAUTU.glob("*/*")) if p.suffix in (".mxf", ".mp4", ".mov")]
    return files + sorted(DAUTU.glob("*/*/*.mp4"))


def leader_s(path: Path) -> float:
    """The leader of the deliverable whose folder holds `path` (0 when its profile is unknown)."""
    from pipeline.profiles import load_profile

    for folder in (path.parent.name, path.parent.parent.name):
        try:
            return float(load_profile(folder).leader.total_s)
        except Exception:  # not a profile's name: try the folder above
            continue
    return 0.0


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b)) or abs(a - b) <= 1e-6 * max(1.0, abs(a))
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    return bool(a == b)


def differences(old: FileMeasurements, new: FileMeasurements) -> list[str]:
    """What the two measurements disagree on (empty: the same values, within 1e-6)."""
    out = [f"{key}: {old.values.get(key)!r} ≠ {new.values.get(key)!r}"
           for key in sorted(set(old.values) | set(new.values))
           if key != "picture.legal" and not _close(old.values.get(key), new.values.get(key))]
    frames = sum(1 for a, b in zip(old.luma_series, new.luma_series, strict=False) if not _close(a, b))
    if len(old.luma_series) != len(new.luma_series) or frames:
        out.append(f"legal-range series: {frames} of {len(old.luma_series)} frames differ "
                   f"({len(old.luma_series)} vs {len(new.luma_series)} frames)")
    if not _close(old.loudness_series, new.loudness_series):
        out.append("loudness series differs")
    return out


def _cpu() -> float:
    """CPU seconds used so far by this process (all its threads) and its waited-for children: the
    work done, which a shared machine's load does not inflate as it inflates wall time."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--workers", type=int, default=0, help="ranges at a time (default: the cores)")
    parser.add_argument("--programme-s", type=float, default=None)
    parser.add_argument("--no-whole", action="store_true", help="skip today's whole-file decode")
    args = parser.parse_args()
    files = args.files or default_files()
    workers = workers_for(RangeOptions(workers=args.workers))
    print(f"{len(files)} files, {workers} workers, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")
    print(f"{'file':<34} {'length':>7} {'whole s':>8} {'×rt':>6} {'ranged s':>9} {'×rt':>6} {'new/old':>8}"
          f" {'cached s':>9} {'ranges':>7} {'cpu old':>8} {'cpu new':>8}  values")
    totals = {"whole": 0.0, "ranged": 0.0, "cached": 0.0, "cpu_whole": 0.0, "cpu_ranged": 0.0}
    longest = 0.0
    agree = True
    with tempfile.TemporaryDirectory(prefix="qc-bench-") as tmp:
        for path in files:
            skip = leader_s(path)
            rate = Fraction(25)
            old: FileMeasurements | None = None
            whole_s = math.nan
            cpu_whole = math.nan
            if not args.no_whole:
                began, cpu = time.perf_counter(), _cpu()
                old = measure_file_whole(path, rate, skip_s=skip)
                whole_s, cpu_whole = time.perf_counter() - began, _cpu() - cpu
            cache = RangeCache(Path(tmp) / path.stem, "bench", "bench")
            options = RangeOptions(cache=cache, sha256=path.name, workers=workers)
            began, cpu = time.perf_counter(), _cpu()
            new = measure_ranged(path, rate, skip_s=skip, options=options)
            ranged_s, cpu_ranged = time.perf_counter() - began, _cpu() - cpu
            began = time.perf_counter()
            again = measure_ranged(path, rate, skip_s=skip, options=options)
            cached_s = time.perf_counter() - began
            length = float(new.values.get("duration.seconds") or new.duration_s or 0.0)
            longest = max(longest, length - skip)
            diff = differences(old, new) if old is not None else []
            diff += [f"cached: {d}" for d in differences(new, again)]
            agree = agree and not diff
            totals["whole"] += whole_s if old is not None else 0.0
            totals["ranged"] += ranged_s
            totals["cached"] += cached_s
            totals["cpu_whole"] += cpu_whole if old is not None else 0.0
            totals["cpu_ranged"] += cpu_ranged
            name = path.name if len(path.name) <= 34 else "…" + path.name[-33:]
            print(f"{name:<34} {length:7.2f} {whole_s:8.2f} {whole_s / length:6.2f} {ranged_s:9.2f} "
                  f"{ranged_s / length:6.2f} {ranged_s / whole_s:8.3f} {cached_s:9.2f} "
                  f"{new.range_work.get('ranges', 0):>7} {cpu_whole:8.2f} {cpu_ranged:8.2f}  "
                  f"{'agree' if not diff else 'DIFFER'}", flush=True)
            for line in diff:
                print(f"    {line}")
    programme = args.programme_s or longest
    print(f"{'total':<34} {programme:7.2f} {totals['whole']:8.2f} {totals['whole'] / programme:6.2f} "
          f"{totals['ranged']:9.2f} {totals['ranged'] / programme:6.2f} "
          f"{totals['ranged'] / totals['whole'] if totals['whole'] else math.nan:8.3f} {totals['cached']:9.2f} "
          f"{'':>7} {totals['cpu_whole']:8.2f} {totals['cpu_ranged']:8.2f}")
    cores = os.cpu_count() or 1
    print(f"(× rt of the total: against the programme's {programme:.2f} s; goal ≤ 0.3×) "
          f"load {os.getloadavg()[0]:.2f}; values {'agree' if agree else 'DIFFER'}")
    whole_rt, ranged_rt = (totals[k] / cores / programme for k in ("cpu_whole", "cpu_ranged"))
    print(f"CPU seconds / {cores} cores (the wall time of an otherwise idle machine, at best): "
          f"whole {whole_rt:.2f}× rt, ranged {ranged_rt:.2f}× rt")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
