"""Ingest speed as a ratio to a bare decode of the same files, measured in the same run.

    .venv/bin/python -m benchmarks.ingest [--repeats N] [MANIFEST ...]   (default: both samples, 3)

Per programme, N alternating pairs of runs: a bare `ffmpeg -i SRC -f null -` decode of every source,
then our full ingest (probe, checksum, conform, proxy, ASR audio, poster, thumbnails, shots) into a
fresh temporary workspace. Prints footage minutes, the medians of both, their ratio, ingest seconds
per minute of footage, and the CPU seconds of each (ingest's spread over two clips at once, so its
wall-clock ratio can sit below its CPU ratio).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from pipeline.manifest import load_manifest
from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.media.probe import probe
from pipeline.stages.ingest import ingest_programme, programme_sources
from pipeline.workspace import Workspace


def _cpu() -> float:
    children, own = resource.getrusage(resource.RUSAGE_CHILDREN), resource.getrusage(resource.RUSAGE_SELF)
    return children.ru_utime + children.ru_stime + own.ru_utime + own.ru_stime


def bare_decode(paths: list[Path]) -> tuple[float, float]:
    """(wall, CPU) seconds of decoding every file once, nothing written."""
    wall, cpu = time.perf_counter(), _cpu()
    for path in paths:
        run_ffmpeg(["-i", f"file:{path}", "-f", "null", "-"])
    return time.perf_counter() - wall, _cpu() - cpu


def ingest_once(manifest: Path) -> tuple[float, float]:
    programme = load_manifest(manifest)
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        wall, cpu = time.perf_counter(), _cpu()
        report = ingest_programme(programme, Workspace(Path(tmp), programme.id))
        wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    for clip in report.failed:
        print(f"{programme.id}: {clip.clip_id} failed: {clip.error}", file=sys.stderr)
    return wall, cpu


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks.ingest")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("manifests", nargs="*", type=Path)
    args = parser.parse_args(argv)
    manifests = args.manifests or [Path("examples/dautu.yaml"), Path("examples/dulich.yaml")]
    print(f"{'programme':<10} {'footage min':>11} {'bare s':>7} {'ingest s':>9} {'ratio':>6} {'s/min':>6} "
          f"{'bare cpu':>8} {'ingest cpu':>10} {'cpu ratio':>9}")
    totals = [0.0] * 5
    for manifest in manifests:
        programme = load_manifest(manifest)
        paths = [s.path for s in programme_sources(programme) if s.path.exists()]
        minutes = sum((probe(p).duration_ms or 0) for p in paths) / 60000
        bare, ours = [], []
        for _ in range(args.repeats):
            bare.append(bare_decode(paths))
            ours.append(ingest_once(manifest))
        b_wall, b_cpu = statistics.median(w for w, _ in bare), statistics.median(c for _, c in bare)
        o_wall, o_cpu = statistics.median(w for w, _ in ours), statistics.median(c for _, c in ours)
        print(f"{programme.id:<10} {minutes:>11.2f} {b_wall:>7.1f} {o_wall:>9.1f} {o_wall / b_wall:>6.2f} "
              f"{o_wall / minutes:>6.1f} {b_cpu:>8.1f} {o_cpu:>10.1f} {o_cpu / b_cpu:>9.2f}")
        for i, value in enumerate((minutes, b_wall, o_wall, b_cpu, o_cpu)):
            totals[i] += value
    minutes, b_wall, o_wall, b_cpu, o_cpu = totals
    print(f"{'total':<10} {minutes:>11.2f} {b_wall:>7.1f} {o_wall:>9.1f} {o_wall / b_wall:>6.2f} "
          f"{o_wall / minutes:>6.1f} {b_cpu:>8.1f} {o_cpu:>10.1f} {o_cpu / b_cpu:>9.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
