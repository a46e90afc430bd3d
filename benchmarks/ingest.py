"""Ingest speed as a ratio to a bare decode of the same files, measured in the same run.

    .venv/bin/python -m benchmarks.ingest [--repeats N] [MANIFEST ...]   (default: both samples, 3)

Per programme, N alternating rounds of three runs: a bare `ffmpeg -i SRC -f null -` decode of every
source; the floor, one ffmpeg per source that decodes it once and writes only its 540p proxy at
ingest's preset, sound included, one source after another; then our full ingest (probe, checksum,
proxy, ASR audio, poster, thumbnails, shots, catalogue) into a fresh temporary workspace. After the
ingest, and timed apart from it, the same workspace is assembled and conformed: the working copies
of the clips the timeline uses, which the render cuts from.
Prints footage minutes, the medians, ingest's ratio to the bare decode and to the floor, ingest
seconds per minute of footage, conform's seconds and its ratio to the bare decode, and the CPU
seconds of each (ingest runs two clips at once, so its wall-clock ratio can sit below its CPU ratio).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.media.ingest_args import IngestOutputs, ingest_args
from pipeline.media.probe import probe
from pipeline.stages.assemble import assemble_programme
from pipeline.stages.conform import conform_programme
from pipeline.stages.ingest import ingest_programme
from pipeline.validate import load_manifest
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


def encode_floor(manifest: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of decoding each source once into just its 540p proxy, sound included, one
    source after another: what no ingest that makes a proxy can go below."""
    programme = load_manifest(manifest)
    house = programme.house
    with tempfile.TemporaryDirectory(prefix="bench-floor-") as tmp:
        wall, cpu = time.perf_counter(), _cpu()
        for src in programme.clips():
            info = probe(src.path)
            if info.video:
                run_ffmpeg(["-y", *ingest_args(info, src.path, house, IngestOutputs(None, Path(tmp) / "p.mp4", None))])
        return time.perf_counter() - wall, _cpu() - cpu


def ingest_once(manifest: Path) -> tuple[tuple[float, float], tuple[float, float]]:
    """(wall, CPU) of our ingest, then of assembling and conforming the same workspace."""
    programme = load_manifest(manifest)
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        ws = Workspace(Path(tmp), programme.id)
        wall, cpu = time.perf_counter(), _cpu()
        report = ingest_programme(programme, ws)
        ingest = time.perf_counter() - wall, _cpu() - cpu
        for clip in report.failed:
            print(f"{programme.id}: {clip.clip_id} failed: {clip.error}", file=sys.stderr)
        wall, cpu = time.perf_counter(), _cpu()
        assemble_programme(programme, ws)
        made = conform_programme(programme, ws)
        conform = time.perf_counter() - wall, _cpu() - cpu
        for failed in made.failed:
            print(f"{programme.id}: {failed.clip_id} failed to conform: {failed.error}", file=sys.stderr)
    return ingest, conform


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks.ingest")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("manifests", nargs="*", type=Path)
    args = parser.parse_args(argv)
    manifests = args.manifests or [Path("examples/dautu.yaml"), Path("examples/dulich.yaml")]
    print(f"{'programme':<10} {'min':>7} {'bare s':>7} {'floor s':>7} {'ingest s':>8} {'÷bare':>7} "
          f"{'÷floor':>8} {'s/min':>6} {'conform s':>9} {'÷bare':>7} "
          f"{'cpu:bare':>8} {'floor':>7} {'ingest':>7} {'÷bare':>7} {'÷floor':>8} {'conform':>7}")
    totals = [0.0] * 9
    for manifest in manifests:
        programme = load_manifest(manifest)
        paths = [s.path for s in programme.clips() if s.path.exists()]
        minutes = sum((probe(p).duration_ms or 0) for p in paths) / 60000
        bare, floor, ours, conform = [], [], [], []
        for _ in range(args.repeats):
            bare.append(bare_decode(paths))
            floor.append(encode_floor(manifest))
            ingest, made = ingest_once(manifest)
            ours.append(ingest)
            conform.append(made)
        row = (minutes, *_medians(bare), *_medians(floor), *_medians(ours), *_medians(conform))
        _print_row(programme.id, row)
        totals = [t + v for t, v in zip(totals, row, strict=True)]
    _print_row("total", tuple(totals))
    return 0


def _medians(runs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)


def _print_row(name: str, row: tuple[float, ...]) -> None:
    minutes, b_wall, b_cpu, f_wall, f_cpu, o_wall, o_cpu, c_wall, c_cpu = row
    print(f"{name:<10} {minutes:>7.2f} {b_wall:>7.1f} {f_wall:>7.1f} {o_wall:>8.1f} {o_wall / b_wall:>7.2f} "
          f"{o_wall / f_wall:>8.2f} {o_wall / minutes:>6.1f} {c_wall:>9.1f} {c_wall / b_wall:>7.2f} "
          f"{b_cpu:>8.1f} {f_cpu:>7.1f} {o_cpu:>7.1f} {o_cpu / b_cpu:>7.2f} {o_cpu / f_cpu:>8.2f} {c_cpu:>7.1f}")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
