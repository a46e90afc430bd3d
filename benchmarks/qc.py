"""QC measurement benchmark: today's one whole-file decode against the ranged measurement, same run.

Each file by `checks.measure_file_whole` (one ffmpeg: signalstats + blackdetect + freezedetect +
metadata=print and the sound), one after the other; then all of them by ranges (the picture in
keyframe-aligned ranges decoded in this process, N at a time; the sound in one audio-only decode
beside them), overlapped as the QC stage measures them (`ranged.Overlapped`; `--one-at-a-time`:
each file in turn). Then that every value agrees: the flat values (black, freeze, silence, loudness,
the probe's fields) equal, the per-frame legal-range series and the loudness series equal frame for
frame. A third pass measures each file again with a range cache filled by the second (what an
unchanged chunk costs). The totals are given against the programme's length (the longest file less
its leader, unless `--programme-s`), the goal being ≤ 0.3×, and so are the CPU seconds each used
(this process's threads and its ffmpeg children) divided by the cores: what the wall time would be
on an otherwise idle machine kept busy.

The leader skipped by the loudness meter comes from the profile named by the file's folder
(`renders/<deliverable>/`; a ladder rung's folder is its deliverable's). The load average is printed
before and after: the machine may be shared.

    .venv/bin/python benchmarks/qc.py [FILE ...] [--workers N] [--programme-s S] [--no-whole] [--one-at-a-time]
"""

from __future__ import annotations

import argparse
import functools
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
from pipeline.qc.ranged import Overlapped, RangeOptions, measure_file, measure_ranged, workers_for  # noqa: E402

DAUTU = Path("/work/main/workspace/dautu/renders")
RATE = Fraction(25)


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


def _ranged(files: list[Path], workers: int, tmp: Path, together: bool) -> tuple[list[FileMeasurements], float, float]:
    """Every file measured by ranges with a fresh cache each: as the QC stage does, the files
    overlapped over one pool of range workers (`Overlapped`), or (`together` False) one after the
    other. The measurements, the wall seconds and the CPU seconds of them all."""
    began, cpu = time.perf_counter(), _cpu()
    if together:
        with Overlapped(workers) as overlap:
            futures = [overlap.submit(_options(path, tmp, workers), functools.partial(
                measure_file, path, RATE, skip_s=leader_s(path))) for path in files]
            out = [f.result() for f in futures]
    else:
        out = [measure_ranged(path, RATE, skip_s=leader_s(path), options=_options(path, tmp, workers))
               for path in files]
    return out, time.perf_counter() - began, _cpu() - cpu


def _options(path: Path, tmp: Path, workers: int) -> RangeOptions:
    return RangeOptions(cache=RangeCache(tmp / path.stem, "bench", "bench"), sha256=path.name, workers=workers)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--workers", type=int, default=0, help="ranges at a time (default: the cores)")
    parser.add_argument("--programme-s", type=float, default=None)
    parser.add_argument("--no-whole", action="store_true", help="skip today's whole-file decode")
    parser.add_argument("--one-at-a-time", action="store_true",
                        help="measure the files by ranges one after the other, not overlapped as the stage does")
    args = parser.parse_args()
    files = args.files or default_files()
    workers = workers_for(RangeOptions(workers=args.workers))
    print(f"{len(files)} files, {workers} workers, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")
    print(f"{'file':<34} {'length':>7} {'whole s':>8} {'×rt':>6} {'cpu':>7} {'cached s':>9} {'ranges':>7}  values")
    cached_s = 0.0
    longest = 0.0
    agree = True
    with tempfile.TemporaryDirectory(prefix="qc-bench-") as tmp:
        old: list[tuple[FileMeasurements, float, float] | None] = []  # each whole decode, its seconds and CPU
        for path in files:
            if args.no_whole:
                old.append(None)
                continue
            began, cpu = time.perf_counter(), _cpu()
            whole = measure_file_whole(path, RATE, skip_s=leader_s(path))
            old.append((whole, time.perf_counter() - began, _cpu() - cpu))
        whole_s, cpu_whole = sum(o[1] for o in old if o), sum(o[2] for o in old if o)
        new, ranged_s, cpu_ranged = _ranged(files, workers, Path(tmp), not args.one_at_a_time)
        for path, before, measured in zip(files, old, new, strict=True):
            skip = leader_s(path)
            began = time.perf_counter()
            again = measure_ranged(path, RATE, skip_s=skip, options=_options(path, Path(tmp), workers))
            cached = time.perf_counter() - began
            cached_s += cached
            length = float(measured.values.get("duration.seconds") or measured.duration_s or 0.0)
            longest = max(longest, length - skip)
            diff = differences(before[0], measured) if before is not None else []
            diff += [f"cached: {d}" for d in differences(measured, again)]
            agree = agree and not diff
            name = path.name if len(path.name) <= 34 else "…" + path.name[-33:]
            seconds = f"{before[1]:8.2f} {before[1] / length:6.2f} {before[2]:7.2f}" if before else f"{'':>23}"
            print(f"{name:<34} {length:7.2f} {seconds} {cached:9.2f} "
                  f"{measured.range_work.get('ranges', 0):>7}  {'agree' if not diff else 'DIFFER'}", flush=True)
            for line in diff:
                print(f"    {line}")
    programme = args.programme_s or longest
    how = "one after the other" if args.one_at_a_time else "overlapped, as the QC stage measures them"
    if not args.no_whole:
        print(f"whole-file decodes: {whole_s:.2f} s = {whole_s / programme:.2f}× the programme, CPU {cpu_whole:.2f} s")
    print(f"ranged ({how}): {ranged_s:.2f} s = {ranged_s / programme:.2f}× the programme's {programme:.2f} s "
          f"(goal ≤ 0.3×), CPU {cpu_ranged:.2f} s" + (f"; {ranged_s / whole_s:.3f}× the whole-file decodes"
                                                    if whole_s else ""))
    print(f"ranged again from the cache: {cached_s:.2f} s; load {os.getloadavg()[0]:.2f}; "
          f"values {'agree' if agree else 'DIFFER'}")
    cores = os.cpu_count() or 1
    print(f"CPU seconds / {cores} cores (the wall time of an otherwise idle machine, at best): "
          + (f"whole {cpu_whole / cores / programme:.2f}× rt, " if not args.no_whole else "")
          + f"ranged {cpu_ranged / cores / programme:.2f}× rt")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
