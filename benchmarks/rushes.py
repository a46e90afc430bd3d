"""Ingest and transcription of an hour of rushes: seconds per minute of footage and peak memory,
checked quarter by quarter to show that neither grows as the hour does.

    .venv/bin/python -m benchmarks.rushes [--minutes 60] [--clip-minutes 2] [--size 640x360] [--keep DIR]

The rushes are generated: `--minutes` of footage as clips of `--clip-minutes` (the last one shorter
when they do not divide), each a 25p H.264 MOV (x264 ultrafast) with stereo 48 kHz PCM. The picture
is three lavfi test patterns with two hard cuts between them; the sound is the Vietnamese sentences
of examples/scripts/*.json spoken by espeak-ng (tests/asr_fixtures.speech_wav), one after another
with pauses, looped to fill the clip, over quiet pink noise. The clips are alike on purpose: the
same three patterns in the same order and the same speech from the same first sentence; only the
cut points and the noise move from clip to clip. What a minute costs then depends on the footage
only as much as a real card's clips differ, not on which pattern or sentence a quarter happened to
draw, so quarter against quarter shows what the run itself does as the hour grows.
Clips are cached in `--keep DIR` (default: a temporary folder, deleted afterwards), one sub-folder per
size / clip length / total, with a stamp recording what shaped each file; a second run with the same
options reuses them. Bump GENERATOR when the way clips are made changes.

The manifest is written beside the clips (manifests may only name files below their own folder):
`id` and a `footage` glob, and a house format of the rushes' own size, 25 fps, 48 kHz, so ingest has
nothing to conform: what is measured is probe, checksum, proxy, ASR audio, poster, thumbnails and
shots, then Whisper. Both stages run through the Python API (pipeline.run.stage) into a fresh
temporary workspace, on the clips of each quarter in turn (`clips=`), so the checkpoints are real.
Quarters are made of whole pairs of clips where there are enough (ingest works on
`clips_at_once()` clips side by side; a quarter with an odd clip out would idle a core at its end and
look slower per minute for that reason alone), so they may differ in length: every figure is per
minute of the quarter's own footage. One transcriber is kept for the whole run, as one
`reportage transcribe` over the hour keeps it; its model load (in the first quarter) is shown
apart and left out of the per-minute figure.

Memory after each quarter: ru_maxrss of this process (getrusage: a high-water mark since the
start), its resident size now (/proc/self/status VmRSS), and the largest resident sizes sampled every
0.25 s during the quarter: this process, its largest child, all its children at once. ru_maxrss of
the largest child is printed too but not trusted: Linux starts a child's at its parent's resident
size, so it shows this process's size, not ffmpeg's. CPU seconds per minute are printed beside the
wall seconds (steadier on a shared machine). The last line says whether the wall seconds per minute
stayed within 15 % of the first quarter's (either way), and the memory figures (this process's
ru_maxrss and sampled peak, the largest child's sampled peak) did not grow by more than 15 % over
its.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
import wave
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

if not __package__:  # run as a script: make `tests.asr_fixtures` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.asr.engine import FasterWhisperTranscriber
from pipeline.errors import ReportageError
from pipeline.fsutil import atomic_path
from pipeline.media.clipwork import clips_at_once
from pipeline.media.ffmpeg import run_ffmpeg, safe_input
from pipeline.run import stage
from pipeline.validate import load_manifest
from pipeline.workspace import Workspace
from tests.asr_fixtures import speech_wav

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "examples" / "scripts"
GENERATOR = 2
"""Part of every clip's cache key: bump it when the way clips are made changes."""
RATE = 25
AUDIO_RATE = 48_000
SPEECH_RATE = 16_000  # what speech_wav writes
LEAD_MS = 500
PAUSES_MS = (700, 1200, 900, 1500, 600, 1100)
SHOTS = (
    "testsrc2=size={size}:rate=25:duration={seconds}",
    "smptehdbars=size={size}:rate=25:duration={seconds}",
    "rgbtestsrc=size={size}:rate=25:duration={seconds}",
)
NOISE = "anoisesrc=color=pink:amplitude=0.003:seed={seed}:sample_rate=48000"
LIMIT = 0.15
STAMP = ".generated.json"


# --------------------------------------------------------------------------------------------------
# Pure helpers (tests/unit/test_benchmark_rushes.py)
# --------------------------------------------------------------------------------------------------


def parse_size(text: str) -> tuple[int, int]:
    """'640x360' → (640, 360); x264 with 4:2:0 wants even sides."""
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--size {text!r}: give WIDTHxHEIGHT, e.g. 640x360") from None
    if width < 16 or height < 16 or width % 2 or height % 2:
        raise argparse.ArgumentTypeError(f"--size {text!r}: both sides even and at least 16")
    return width, height


def clip_seconds(total_s: int, clip_s: int) -> list[int]:
    """Lengths of the clips that make `total_s` seconds of `clip_s` each, the last one shorter."""
    if total_s <= 0 or clip_s <= 0:
        raise ValueError("total and clip length must be positive")
    whole, rest = divmod(total_s, clip_s)
    return [clip_s] * whole + ([rest] if rest else [])


def quarter_sizes(count: int, jobs: int) -> list[int]:
    """How many clips each of (up to) four checkpoints covers, in order.

    With at least four groups of `jobs` clips, quarters are whole groups (spread as evenly as they
    go, the odd clips out at the end), so no quarter ends with a core idle that the others do not
    have; with fewer, the clips are spread as evenly as they go."""
    if count <= 0:
        return []
    parts = min(4, count)
    unit = jobs if count >= 4 * jobs else 1
    groups, spare = divmod(count, unit)
    sizes = [(groups // parts + (1 if i < groups % parts else 0)) * unit for i in range(parts)]
    sizes[-1] += spare
    return sizes


def split(items: Sequence[str], sizes: Sequence[int]) -> list[list[str]]:
    """`items` cut into consecutive runs of `sizes`."""
    out, at = [], 0
    for size in sizes:
        out.append(list(items[at:at + size]))
        at += size
    if at != len(items):
        raise ValueError(f"sizes {list(sizes)} do not add up to {len(items)} items")
    return out


def shot_frames(frames: int, index: int) -> tuple[int, int, int]:
    """Three shot lengths in frames for clip `index`: the two cuts move from clip to clip."""
    first = round(frames * (0.25 + 0.05 * (index % 4)))
    second = round(frames * (0.60 + 0.05 * (index % 3)))
    return first, second - first, frames - second


def speech_plan(lengths_ms: Sequence[int], start: int, total_ms: int) -> list[tuple[int, int]]:
    """(sentence index, start ms) for sentences laid end to end with PAUSES_MS between them, from
    sentence `start` on, cycling, until `total_ms` is filled (the last one may run past it)."""
    if not lengths_ms or any(n <= 0 for n in lengths_ms):
        raise ValueError("every sentence needs a positive length")
    plan, at, turn = [], LEAD_MS, 0
    while at < total_ms:
        index = (start + turn) % len(lengths_ms)
        plan.append((index, at))
        at += lengths_ms[index] + PAUSES_MS[turn % len(PAUSES_MS)]
        turn += 1
    return plan


def flat(values: Sequence[float], limit: float = LIMIT, *, both_ways: bool) -> tuple[bool, float]:
    """Whether every value stays within `limit` of the first (above it only, unless `both_ways`),
    and the worst ratio to the first."""
    if not values or values[0] <= 0:
        return False, math.nan
    ratios = [v / values[0] for v in values]
    worst = max(ratios, key=lambda r: abs(r - 1)) if both_ways else max(ratios)
    return abs(worst - 1) <= limit if both_ways else worst <= 1 + limit, worst


# --------------------------------------------------------------------------------------------------
# Making the rushes
# --------------------------------------------------------------------------------------------------


def sentences() -> list[str]:
    """Every Vietnamese sentence of the sample scripts, in file and clip order."""
    out: list[str] = []
    for path in sorted(SCRIPTS.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for clip in data["clips"].values():
            out += [u["vi"] for u in clip.get("utterances", [])]
    if not out:
        raise SystemExit(f"no sentences in {SCRIPTS}/*.json")
    return out


def spoken(texts: Sequence[str], cache: Path) -> list[bytes]:
    """Each sentence as 16 kHz mono s16 samples, synthesised once into `cache`."""
    cache.mkdir(parents=True, exist_ok=True)
    out = []
    for text in texts:
        path = cache / (hashlib.sha256(text.encode("utf-8")).hexdigest()[:16] + ".wav")
        if not path.is_file():
            with atomic_path(path, min_bytes=1) as tmp:
                speech_wav(tmp, text)
        with wave.open(str(path)) as handle:
            if (handle.getframerate(), handle.getnchannels(), handle.getsampwidth()) != (SPEECH_RATE, 1, 2):
                raise SystemExit(f"{path}: not 16 kHz mono 16-bit; delete it and run again")
            out.append(handle.readframes(handle.getnframes()))
    return out


def write_speech(path: Path, voices: Sequence[bytes], start: int, seconds: int) -> None:
    """The clip's speech track: the sentences from `start` on, with pauses, `seconds` long."""
    total = seconds * SPEECH_RATE
    track = bytearray(total * 2)
    for index, at_ms in speech_plan([len(v) * 1000 // (2 * SPEECH_RATE) for v in voices], start, seconds * 1000):
        at = at_ms * SPEECH_RATE // 1000 * 2
        piece = voices[index][: len(track) - at]
        track[at:at + len(piece)] = piece
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(SPEECH_RATE)
        handle.writeframes(bytes(track))


def make_clip(path: Path, index: int, seconds: int, size: str, speech: Path) -> None:
    """One rush: three test patterns cut hard, speech over pink noise as stereo 48 kHz PCM."""
    inputs: list[str] = []
    for shot, frames in enumerate(shot_frames(seconds * RATE, index)):
        source = SHOTS[shot].format(size=size, seconds=f"{frames / RATE:.2f}")
        inputs += ["-f", "lavfi", "-i", source]
    inputs += ["-i", safe_input(speech), "-f", "lavfi", "-i", NOISE.format(seed=index + 1)]
    graph = (
        "[0:v][1:v][2:v]concat=n=3:v=1:a=0[v];"
        f"[3:a]aresample={AUDIO_RATE}[s];[s][4:a]amix=inputs=2:duration=first:normalize=0,"
        "aformat=sample_fmts=s16:channel_layouts=stereo[a]"
    )
    with atomic_path(path, min_bytes=1) as tmp:
        run_ffmpeg([*inputs, "-filter_complex", graph, "-map", "[v]", "-map", "[a]", "-t", str(seconds),
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                    "-c:a", "pcm_s16le", "-f", "mov", safe_input(tmp)], subject=path)


def clip_key(index: int, seconds: int, size: str, texts: Sequence[str]) -> str:
    """What shapes a clip's bytes."""
    shape = {"generator": GENERATOR, "index": index, "seconds": seconds, "size": size, "sentences": list(texts)}
    return hashlib.sha256(json.dumps(shape, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def make_rushes(keep: Path, total_s: int, clip_s: int, size: str) -> tuple[Path, float, int]:
    """Bring the rushes for these options up to date under `keep`; (folder, seconds spent, clips made)."""
    folder = keep / f"rushes-{size}-{clip_s}s-{total_s}s"
    folder.mkdir(parents=True, exist_ok=True)
    stamp_path = folder / STAMP
    try:
        stamp: dict[str, Any] = json.loads(stamp_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stamp = {}
    texts = sentences()
    voices: list[bytes] | None = None
    began, made = time.monotonic(), 0
    for index, seconds in enumerate(clip_seconds(total_s, clip_s)):
        path = folder / f"rush_{index + 1:03d}.mov"
        key = clip_key(index, seconds, size, texts)
        entry = stamp.get(path.name)
        if isinstance(entry, dict) and entry.get("key") == key and path.is_file() \
                and path.stat().st_size == entry.get("size"):
            continue
        if voices is None:
            voices = spoken(texts, keep / "speech")
        with tempfile.TemporaryDirectory(prefix="rush-speech-") as tmp:
            speech = Path(tmp) / "speech.wav"
            write_speech(speech, voices, 0, seconds)
            make_clip(path, index, seconds, size, speech)
        stamp[path.name] = {"key": key, "size": path.stat().st_size}
        with atomic_path(stamp_path) as tmp_stamp:
            tmp_stamp.write_text(json.dumps(stamp, indent=1), encoding="utf-8")
        made += 1
        print(f"  made {path.name}: {seconds} s ({time.monotonic() - began:.0f} s so far)", flush=True)
    return folder, time.monotonic() - began, made


def write_manifest(folder: Path, width: int, height: int) -> Path:
    """Just what ingest and transcribe need; the house is the rushes' own format, so no conform."""
    path = folder / "rushes.yaml"
    text = (
        "# Written by benchmarks/rushes.py. House = the rushes' own format: ingest conforms nothing.\n"
        "id: rushes\nlanguage: vi\n"
        f'house: {{width: {width}, height: {height}, fps: "25", sample_rate: {AUDIO_RATE}}}\n'
        "footage:\n  - glob: rush_*.mov\n"
    )
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------------------


def status_kib(field: str) -> int:
    """A `kB` line of /proc/self/status (VmRSS, VmHWM), 0 where there is none."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def descendants_rss_kib(root: int) -> list[int]:
    """Resident KiB of every live descendant of process `root` (ffmpeg, ffprobe under ingest)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    page_kib = resource.getpagesize() // 1024
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            parents[int(entry.name)], rss[int(entry.name)] = int(fields[1]), int(fields[21]) * page_kib
        except (OSError, IndexError, ValueError):
            continue
    out = []
    for pid, kib in rss.items():
        up = parents.get(pid)
        while up is not None and up != root and up in parents:
            up = parents[up]
        if up == root:
            out.append(kib)
    return out


@dataclass
class Peaks:
    """Largest resident sizes seen while sampling, in KiB."""

    self_kib: int = 0
    child_kib: int = 0  # the largest single descendant
    children_kib: int = 0  # all descendants at one moment

    def take(self, root: int) -> None:
        kids = descendants_rss_kib(root)
        self.self_kib = max(self.self_kib, status_kib("VmRSS"))
        self.child_kib = max([self.child_kib, *kids])
        self.children_kib = max(self.children_kib, sum(kids))


@contextmanager
def sampled(every: float = 0.25) -> Iterator[Peaks]:
    """Sample this process's VmRSS and its children's RSS while the block runs.

    The children are sampled because getrusage cannot size them: Linux starts a child's
    ru_maxrss at its parent's resident size (it is charged the parent's memory map that it
    replaces at exec), so RUSAGE_CHILDREN reports this process's own size for every `ffprobe`."""
    peaks, root = Peaks(), os.getpid()
    done = threading.Event()

    def sample() -> None:
        while not done.wait(every):
            peaks.take(root)

    thread = threading.Thread(target=sample, daemon=True)
    peaks.take(root)
    thread.start()
    try:
        yield peaks
    finally:
        done.set()
        thread.join()
        peaks.take(root)


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def cpu_seconds() -> float:
    """CPU seconds of this process and its finished children: steadier than wall time on a shared machine."""
    return _cpu(resource.RUSAGE_SELF) + _cpu(resource.RUSAGE_CHILDREN)


def _maxrss_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # KiB on Linux


@dataclass
class Quarter:
    """One checkpoint: the work of its clips, and memory as it stands after them (MiB)."""

    clips: int
    minutes: float
    ingest_s: float
    ingest_cpu: float
    transcribe_s: float
    transcribe_cpu: float
    load_s: float
    self_maxrss: float
    child_maxrss: float
    rss_now: float
    self_peak: float
    child_peak: float
    children_peak: float
    shots: int = 0
    words: int = 0
    conformed: int = 0

    @property
    def ingest_per_min(self) -> float:
        return self.ingest_s / self.minutes

    @property
    def transcribe_per_min(self) -> float:
        return (self.transcribe_s - self.load_s) / self.minutes


def _model_load_s(ws: Workspace, clip_ids: Sequence[str]) -> float:
    """The model load the transcripts of these clips record (non-zero for the first one only)."""
    total = 0
    for clip_id in clip_ids:
        try:
            data = json.loads(ws.transcript_json(clip_id).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        total += int(data.get("timings_ms", {}).get("load_ms", 0) or 0)
    return total / 1000


def _timed(work: Callable[[], Any], what: str) -> tuple[Any, float, float]:
    """(report, wall s, CPU s) of one stage run; SystemExit with the report when a clip failed."""
    wall, cpu = time.perf_counter(), cpu_seconds()
    report = work()
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    if not report.ok:
        raise SystemExit(f"{what} failed: {json.dumps(report.to_dict(), ensure_ascii=False)[:2000]}")
    return report, wall, cpu


def measure(manifest: Path, ws_root: Path, sizes: Sequence[int],
            on_quarter: Callable[[int, Quarter], None]) -> list[Quarter]:
    """Ingest then transcribe the clips of each quarter in turn; one row per quarter."""
    programme = load_manifest(manifest)
    ws = Workspace(ws_root, programme.id)
    ids = [s.clip_id for s in programme.sources()]
    ingest, transcribe = stage("ingest"), stage("transcribe")
    transcribe_settings = transcribe.settings(transcriber=FasterWhisperTranscriber())
    rows: list[Quarter] = []
    for number, part in enumerate(split(ids, sizes), start=1):
        with sampled() as peaks:
            report, ingest_s, ingest_cpu = _timed(partial(ingest.run, programme, ws, clips=part), "ingest")
            result, asr_s, asr_cpu = _timed(partial(transcribe.run, programme, ws, transcribe_settings, clips=part),
                                       "transcribe")
        minutes = sum(c.duration_ms for c in report.clips) / 60_000
        row = Quarter(len(part), minutes, ingest_s, ingest_cpu, asr_s, asr_cpu, _model_load_s(ws, part),
                      _maxrss_mib(resource.RUSAGE_SELF), _maxrss_mib(resource.RUSAGE_CHILDREN),
                      status_kib("VmRSS") / 1024, peaks.self_kib / 1024, peaks.child_kib / 1024,
                      peaks.children_kib / 1024, sum(c.shot_count for c in report.clips),
                      sum(c.words for c in result.clips), sum(c.conformed for c in report.clips))
        rows.append(row)
        on_quarter(number, row)
    return rows


HEADER = (
    f"{'':>3} {'':>5} {'':>5} {'':>5} | {'ingest':<29} | {'transcribe':<35} | {'this process':<17} | {'children':<16}\n"
    f"{'qtr':>3} {'clips':>5} {'min':>5} {'cum':>5} | {'s':>6} {'cum':>7} {'s/min':>6} {'cpu/min':>7} | "
    f"{'s':>6} {'cum':>7} {'load':>5} {'s/min':>6} {'cpu/min':>7} | {'max':>5} {'now':>5} {'peak':>5} | "
    f"{'peak':>5} {'sum':>5} {'ru*':>4}"
)


def row_line(number: int, row: Quarter, before: Sequence[Quarter]) -> str:
    """One table row; the cumulative columns add the quarters `before` it."""
    cum_min = row.minutes + sum(q.minutes for q in before)
    cum_ingest = row.ingest_s + sum(q.ingest_s for q in before)
    cum_asr = row.transcribe_s + sum(q.transcribe_s for q in before)
    asr_cpu = row.transcribe_cpu / row.minutes
    return (f"{number:>3} {row.clips:>5} {row.minutes:>5.1f} {cum_min:>5.1f} | {row.ingest_s:>6.1f} {cum_ingest:>7.1f} "
            f"{row.ingest_per_min:>6.2f} {row.ingest_cpu / row.minutes:>7.2f} | {row.transcribe_s:>6.1f} "
            f"{cum_asr:>7.1f} {row.load_s:>5.1f} {row.transcribe_per_min:>6.2f} {asr_cpu:>7.2f} | "
            f"{row.self_maxrss:>5.0f} {row.rss_now:>5.0f} {row.self_peak:>5.0f} | "
            f"{row.child_peak:>5.0f} {row.children_peak:>5.0f} {row.child_maxrss:>4.0f}")


def verdict(rows: Sequence[Quarter]) -> tuple[bool, str]:
    """The last line: each check, its worst ratio to the first quarter, and the overall answer.
    Children's ru_maxrss is left out: it tracks this process's size (see `sampled`)."""
    checks = [
        ("ingest s/min", [q.ingest_per_min for q in rows], True),
        ("transcribe s/min", [q.transcribe_per_min for q in rows], True),
        ("self ru_maxrss", [q.self_maxrss for q in rows], False),
        ("self peak", [q.self_peak for q in rows], False),
        ("largest child peak", [q.child_peak for q in rows], False),
    ]
    parts, good = [], True
    for name, values, both in checks:
        ok, worst = flat(values, both_ways=both)
        good = good and ok
        parts.append(f"{name} {worst:.2f}x{'' if ok else ' (over)'}")
    answer = "YES" if good else "NO"
    return good, (f"flat within {LIMIT:.0%} of the first quarter: {answer} (worst ratio to quarter 1: "
                  + ", ".join(parts) + ")")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks.rushes", description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--minutes", type=float, default=60, help="footage in all (default 60)")
    parser.add_argument("--clip-minutes", type=float, default=2, help="length of each clip (default 2)")
    parser.add_argument("--size", type=parse_size, default=(640, 360), help="WxH (default 640x360)")
    parser.add_argument("--keep", type=Path, help="cache the generated rushes here (default: a temporary folder)")
    args = parser.parse_args(argv)
    total_s, clip_s = round(args.minutes * 60), round(args.clip_minutes * 60)
    if total_s <= 0 or clip_s <= 0:
        parser.error("--minutes and --clip-minutes must be positive")
    width, height = args.size
    size = f"{width}x{height}"
    keep = args.keep.absolute() if args.keep else Path(tempfile.mkdtemp(prefix="bench-rushes-"))
    try:
        lengths = clip_seconds(total_s, clip_s)
        print(f"rushes: {total_s / 60:g} min as {len(lengths)} clips of up to {clip_s} s, {size} 25p H.264 MOV, "
              f"PCM stereo 48 kHz, under {keep}", flush=True)
        folder, gen_s, made = make_rushes(keep, total_s, clip_s, size)
        print(f"generation: {made} clips made, {len(lengths) - made} reused, {gen_s:.1f} s", flush=True)
        manifest = write_manifest(folder, width, height)
        sizes = quarter_sizes(len(lengths), clips_at_once())
        print(f"house {size} 25 fps 48 kHz = the rushes' format (no conform); ingest {clips_at_once()} clips at once; "
              f"checkpoints after {', '.join(map(str, sizes))} clips", flush=True)
        print("times in s (transcribe s/min leaves the model load out); memory in MiB: max = ru_maxrss since "
              "the start, now = VmRSS after the quarter, peak = sampled every 0.25 s during it (children: the "
              "largest one, and all at once); ru* = children's ru_maxrss, which Linux starts at this process's "
              "own size, so it says nothing about ffmpeg", flush=True)
        print(HEADER, flush=True)
        rows: list[Quarter] = []

        def show(number: int, row: Quarter) -> None:
            print(row_line(number, row, rows), flush=True)
            rows.append(row)

        with tempfile.TemporaryDirectory(prefix="bench-rushes-ws-") as ws_root:
            measure(manifest, Path(ws_root), sizes, show)
        minutes = sum(q.minutes for q in rows)
        ingest_s, asr_s = sum(q.ingest_s for q in rows), sum(q.transcribe_s for q in rows)
        print(f"total: {minutes:.1f} min of footage, ingest {ingest_s:.1f} s ({ingest_s / minutes:.2f} s/min), "
              f"transcribe {asr_s:.1f} s ({asr_s / minutes:.2f} s/min incl. load), "
              f"generation {gen_s:.1f} s")
        print(f"sanity: {sum(q.conformed for q in rows)} clips conformed, {sum(q.shots for q in rows)} shots found "
              f"(3 made per clip), {sum(q.words for q in rows)} words recognised")
        print(f"at these rates an hour of footage takes: ingest {ingest_s / minutes:.1f} min, "
              f"transcribe {asr_s / minutes:.1f} min")
        print(verdict(rows)[1])
        return 0
    except ReportageError as exc:
        print(f"benchmarks.rushes: {exc.one_line()}", file=sys.stderr)
        return 2
    finally:
        if args.keep is None:
            shutil.rmtree(keep, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
