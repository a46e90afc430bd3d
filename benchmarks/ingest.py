"""Ingest speed as a ratio to a bare decode of the same files, measured in the same run.

    .venv/bin/python -m benchmarks.ingest [MANIFEST ...]     (default: both sample programmes)

Prints, per programme and in total: footage minutes, seconds of a bare `ffmpeg -i SRC -f null -`
decode, seconds of our full ingest (probe, checksum, conform, proxy, ASR audio, thumbnails, shots)
into a fresh temporary workspace, the ratio, and ingest seconds per minute of footage.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from pipeline.manifest import load_manifest
from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.media.probe import probe
from pipeline.stages.ingest import ingest_programme, programme_sources
from pipeline.workspace import Workspace


def bare_decode_seconds(paths: list[Path]) -> float:
    started = time.perf_counter()
    for path in paths:
        run_ffmpeg(["-i", f"file:{path}", "-f", "null", "-"])
    return time.perf_counter() - started


def main(argv: list[str]) -> int:
    manifests = [Path(a) for a in argv] or [Path("examples/dautu.yaml"), Path("examples/dulich.yaml")]
    total_minutes = total_bare = total_ours = 0.0
    print(f"{'programme':<12} {'footage min':>11} {'bare decode s':>14} {'ingest s':>9} {'ratio':>6} {'s per min':>9}")
    for manifest in manifests:
        programme = load_manifest(manifest)
        paths = [s.path for s in programme_sources(programme) if s.path.exists()]
        minutes = sum((probe(p).duration_ms or 0) for p in paths) / 60000
        bare = bare_decode_seconds(paths)
        with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
            started = time.perf_counter()
            report = ingest_programme(programme, Workspace(Path(tmp), programme.id))
            ours = time.perf_counter() - started
        if report.failed:
            print(f"{programme.id}: {len(report.failed)} clip(s) failed", file=sys.stderr)
        print(f"{programme.id:<12} {minutes:>11.2f} {bare:>14.1f} {ours:>9.1f} {ours / bare:>6.2f} "
              f"{ours / minutes:>9.1f}")
        total_minutes += minutes
        total_bare += bare
        total_ours += ours
    print(f"{'total':<12} {total_minutes:>11.2f} {total_bare:>14.1f} {total_ours:>9.1f} "
          f"{total_ours / total_bare:>6.2f} {total_ours / total_minutes:>9.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
