"""A 52-minute documentary of about 1,200 cuts: render time against a bare transcode, and peak memory.

Two working copies are generated (house format as ingest's conform writes them: H.264 ultrafast
CRF 16, GOP of 1 s, AAC stereo) at `--house` size, `--size` small by default: the cut count is
what is measured. A cut list of `--cuts` events of 1–5 s (seeded) over `--minutes` is rendered by
the render stage to web-720p at `--size` (below 1280×720 the profile is patched down: bit rate
scaled by area, everything else the shipped spec; logo bug on, no drawn cards): loudness
measured, the render pass (fed through FIFOs by feeder processes, `render/plan.FEED_BATCH`
segments each), the output measured again. The baseline, in the same run,
is a bare transcode of the same minutes of the same two files to the same spec: six long segments,
no branding, no loudness work.

Peak memory is the sum of the resident sizes of every process under the phase, sampled every
0.2 s (the render, its feeder and ffmpeg run at once; `getrusage` of children would give the
largest single one); `ru_maxrss` of the largest child is printed beside it.

    .venv/bin/python benchmarks/long_programme.py [--minutes 52] [--cuts 1200] [--size 320x180]

The full-size run is house 1080p rendered to the shipped web-720p:

    .venv/bin/python benchmarks/long_programme.py --house 1920x1080 --size 1280x720

`--chunks` measures the render in chunks (`render/chunked.py`) on the same programme (with ten
lower thirds), each phase through the command line as an editor runs it, against the one-pass
render of the same run:
  cold       the first `render`: draws and caches the graphics and the loudness measurement, which
             every later phase reuses (not compared)
  onepass    `render --one-pass --force` (the baseline)
  chunked    `render --force`, the chunk store emptied first: the full chunked render (goal ≤ 1.05×)
  fix        one lower third's name corrected, `render`: only its chunks re-encoded (goal ≤ 1/10 of chunked)
  resume     the store emptied and the record deleted, a render killed (SIGKILL, its process group)
             once 80 % of its chunks are in the store, then `render` again: the second run alone
             (goal ≤ 30 % of chunked)
  1 worker   a render pinned to core 0 (`taskset`), the store emptied first
  2 workers  the same render pinned to core 0 and `render --assist` pinned to core 1 (goal ≤ 0.6×)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RATE = 25
AREA_720P = 1280 * 720


def _make_clip(path: Path, seconds: int, size: str, pattern: str, tone: int) -> None:
    from pipeline.media.ffmpeg import run_ffmpeg, safe_input

    run_ffmpeg(["-f", "lavfi", "-i", f"{pattern}=size={size}:rate={RATE}:duration={seconds}",
                "-f", "lavfi", "-i", f"sine=frequency={tone}:sample_rate=48000:duration={seconds}",
                "-af", "volume=-12dB,aformat=channel_layouts=stereo",
                "-c:v", "libx264", "-preset", "ultrafast", "-crf", "16", "-pix_fmt", "yuv420p", "-g", str(RATE),
                "-bf", "0", "-c:a", "aac", "-b:a", "192k", "-f", "mov", safe_input(path)])


def _setup(scratch: Path, minutes: float, cuts: int, size: str, house: str) -> None:
    """Clips, manifest, profile patch, and two timelines: the cut list and the baseline's."""
    from pipeline.timeline import Segment, Timeline

    width, height = (int(n) for n in size.split("x"))
    house_w, house_h = (int(n) for n in house.split("x"))
    total = round(minutes * 60 * RATE)
    clip_s = int(minutes * 60 / 6) + 2
    clips = [scratch / "a.mov", scratch / "b.mov"]
    _make_clip(clips[0], clip_s, house, "testsrc2", 440)
    _make_clip(clips[1], clip_s, house, "smptebars", 660)
    rng = random.Random(15)
    weights = [rng.uniform(1, 5) for _ in range(cuts)]
    lengths = [max(2, round(w / sum(weights) * total)) for w in weights]
    lengths[-1] += total - sum(lengths)
    segments, rec = [], 0
    for index, length in enumerate(lengths):
        src = rng.randrange(0, clip_s * RATE - length - RATE)
        segments.append(Segment(f"c{index % 2}", str(clips[index % 2]), src, src + length, rec, True))
        rec += length
    six = total // 6
    bare = [Segment(f"c{i % 2}", str(clips[i % 2]), 0, six + (total - 6 * six if i == 5 else 0), i * six, True)
            for i in range(6)]
    for name, segs in (("cuts", segments), ("bare", bare)):
        timeline = Timeline("long", Fraction(RATE), house_w, house_h, 48000, tuple(segs), ())
        (scratch / f"{name}.timeline.json").write_text(json.dumps(timeline.to_dict()), encoding="utf-8")
    kbps = max(100, round(5000 * width * height / AREA_720P))
    (scratch / "profiles").mkdir()
    if width * height < AREA_720P:
        (scratch / "profiles" / "web-720p.yaml").write_text(
        f"video: {{width: {width}, height: {height}, level: '3.0', bitrate_kbps: {kbps}, "
            f"maxrate_kbps: {round(kbps * 1.5)}, bufsize_bits: {kbps * 2000}}}\n", encoding="utf-8")
    (scratch / "long.yaml").write_text(
        'id: long\ntitle: {vi: "Phim tài liệu", en: "Documentary"}\nsynopsis: {vi: "Thử", en: "Test"}\n'
        f'year: 2026\nhouse: {{width: {house_w}, height: {house_h}, fps: "{RATE}"}}\nfootage: [a.mov, b.mov]\n'
        'timeline: {cut: [{clip: a, in: "00:00:00:00", out: "00:00:01:00"}]}\ndeliverables: [web-720p]\n'
        + _lower_thirds(minutes, "Lê Quốc Thắng"), encoding="utf-8")


def _lower_thirds(minutes: float, first_name: str) -> str:
    """Ten lower thirds spread over the programme, the first naming `first_name`."""
    lines = ["lower_thirds:"]
    for k in range(10):
        at = (k + 0.5) * minutes * 60 / 10
        name = first_name if k == 0 else f"Người thứ {k + 1}"
        stamp = f"{int(at // 3600):02d}:{int(at % 3600 // 60):02d}:{int(at % 60):02d}:00"
        lines += [f'  - name: "{name}"', '    title: {vi: "Giám đốc", en: "Director"}', f'    at: "{stamp}"',
                  "    duration_s: 5"]
    return "\n".join(lines) + "\n"


def _tree_rss(root: int) -> int:
    """Resident bytes of every descendant of `root` (not `root` itself)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            fields = stat.rsplit(")", 1)[1].split()
            parents[int(entry)], rss[int(entry)] = int(fields[1]), int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total = 0
    for pid in rss:
        up = parents.get(pid)
        while up is not None and up != root and up in parents:
            up = parents[up]
        if up == root:
            total += rss[pid]
    return total


def _phase(scratch: Path, phase: str) -> None:
    """One timed phase, in its own process; prints JSON {seconds, peak_mib, max_child_mib}."""
    from pipeline.media.ffmpeg import run_ffmpeg
    from pipeline.profiles import load_profile
    from pipeline.render.branding import BrandingSettings
    from pipeline.render.plan import Branch, Branding, render_pass
    from pipeline.stages.render import Settings, render_programme
    from pipeline.timeline import load_timeline
    from pipeline.validate import load_manifest
    from pipeline.workspace import Workspace

    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.2):
            peak[0] = max(peak[0], _tree_rss(os.getpid()))

    threading.Thread(target=sample, daemon=True).start()
    began = time.monotonic()
    if phase == "bare":
        timeline = load_timeline(scratch / "bare.timeline.json")
        profile = load_profile("web-720p", scratch / "profiles")
        with tempfile.TemporaryDirectory() as out:
            one = render_pass(timeline, Branding(), [Branch("web-720p", profile, Path(out) / "bare.mp4")])
            run_ffmpeg(one.args, feeds=one.feeds)
    else:
        programme = load_manifest(scratch / "long.yaml")
        ws = Workspace(scratch / "workspace", "long")
        ws.timeline_json.parent.mkdir(parents=True, exist_ok=True)
        ws.timeline_json.write_text((scratch / "cuts.timeline.json").read_text(encoding="utf-8"), encoding="utf-8")
        render_programme(programme, ws, Settings(force=True, branding=BrandingSettings(0, 0, 0)))
    elapsed = time.monotonic() - began
    done.set()
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"seconds": elapsed, "peak_mib": peak[0] / 2**20, "max_child_mib": child}))


def _run_phase(scratch: Path, phase: str) -> dict[str, float]:
    proc = subprocess.run([sys.executable, __file__, "--phase", phase, "--scratch", str(scratch)],
                          capture_output=True, text=True, check=False, cwd=ROOT)
    if proc.returncode != 0:
        sys.exit(f"phase {phase} failed:\n{proc.stderr[-3000:]}")
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"  {phase:6s} {result['seconds']:7.1f} s   peak {result['peak_mib']:6.0f} MiB (all processes at once; "
          f"largest single child {result['max_child_mib']:.0f} MiB)", flush=True)
    return result


REPORTAGE = str(Path(sys.executable).parent / "reportage")


def _cli(scratch: Path, *args: str, core: int | None = None) -> list[str]:
    argv = [REPORTAGE, "--workspace", str(scratch / "workspace"), "-q", "render", str(scratch / "long.yaml"), *args]
    return ["taskset", "-c", str(core), *argv] if core is not None else argv


def _store(scratch: Path) -> Path:
    from pipeline.render.chunkstore import store_dir

    return store_dir(scratch / "workspace" / "long")


def _empty_store(scratch: Path, *, record: bool = False) -> None:
    shutil.rmtree(_store(scratch), ignore_errors=True)
    if record:  # the render is then stale without --force, as after an edit
        (scratch / "workspace" / "long" / "renders" / "render.json").unlink(missing_ok=True)


def _timed(argv: list[str]) -> float:
    began = time.monotonic()
    subprocess.run(argv, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.monotonic() - began


def _chunk_files(scratch: Path) -> int:
    store = _store(scratch)
    return sum(1 for p in store.glob("*.mp4")) if store.is_dir() else 0


def _chunk_phases(scratch: Path, minutes: float) -> dict[str, float]:
    """The chunked render's phases (see the module docstring); seconds of each."""
    out: dict[str, float] = {}
    out["cold"] = _timed(_cli(scratch))  # draws and caches the graphics, measures the sound once
    print(f"  cold          {out['cold']:7.1f} s   the first render: graphics drawn, loudness measured", flush=True)
    out["onepass"] = _timed(_cli(scratch, "--one-pass", "--force"))
    print(f"  one pass      {out['onepass']:7.1f} s", flush=True)
    _empty_store(scratch)
    out["chunked"] = _timed(_cli(scratch, "--force"))
    chunks = _chunk_files(scratch)
    print(f"  chunked       {out['chunked']:7.1f} s   {chunks} chunks  ({out['chunked'] / out['onepass']:.3f}× the one "
          "pass; goal ≤ 1.05×)", flush=True)
    manifest = scratch / "long.yaml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace("Lê Quốc Thắng", "Lê Quốc Thành"), encoding="utf-8")
    out["fix"] = _timed(_cli(scratch))
    print(f"  fix           {out['fix']:7.1f} s   one lower third corrected ({out['fix'] / out['chunked']:.3f}× the "
          "full render; goal ≤ 0.1×)", flush=True)
    _empty_store(scratch, record=True)
    proc = subprocess.Popen(_cli(scratch), cwd=ROOT, stdout=subprocess.DEVNULL, start_new_session=True)
    while proc.poll() is None and _chunk_files(scratch) < 0.8 * chunks:
        time.sleep(0.2)
    killed_at = _chunk_files(scratch)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    out["resume"] = _timed(_cli(scratch))
    print(f"  resume        {out['resume']:7.1f} s   killed with {killed_at}/{chunks} chunks done "
          f"({out['resume'] / out['chunked']:.3f}× the full render; goal ≤ 0.3×)", flush=True)
    _empty_store(scratch, record=True)
    out["one_worker"] = _timed(_cli(scratch, "--workers", "1", core=0))
    print(f"  1 worker      {out['one_worker']:7.1f} s   pinned to core 0", flush=True)
    _empty_store(scratch, record=True)
    began = time.monotonic()
    helper = subprocess.Popen(_cli(scratch, "--assist", "--workers", "1", core=1), cwd=ROOT,
                              stdout=subprocess.DEVNULL)
    subprocess.run(_cli(scratch, "--workers", "1", core=0), check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    out["two_workers"] = time.monotonic() - began
    helper.wait()
    print(f"  2 workers     {out['two_workers']:7.1f} s   pinned to cores 0 and 1 "
          f"({out['two_workers'] / out['one_worker']:.3f}× one worker; goal ≤ 0.6×)", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=52.0)
    parser.add_argument("--chunks", action="store_true", help="measure the chunked render (see above)")
    parser.add_argument("--only-chunks", action="store_true", help="the chunked render's phases alone")
    parser.add_argument("--cuts", type=int, default=1200)
    parser.add_argument("--size", default="320x180", help="output frame size (web-720p's own at 1280x720)")
    parser.add_argument("--house", default=None, help="house (working copy) frame size; --size when not given")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--scratch", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        _phase(args.scratch, args.phase)
        return
    with tempfile.TemporaryDirectory(prefix="reportage-long-") as folder:
        scratch = Path(folder)
        began = time.monotonic()
        house = args.house or args.size
        _setup(scratch, args.minutes, args.cuts, args.size, house)
        print(f"long programme: {args.minutes:g} min, {args.cuts} cuts, house {house} to {args.size} "
              f"(sources made in {time.monotonic() - began:.0f} s)", flush=True)
        if not args.only_chunks:
            bare = _run_phase(scratch, "bare")
            ours = _run_phase(scratch, "render")
            print(f"render of {args.cuts} cuts / bare transcode: {ours['seconds'] / bare['seconds']:.2f}×  "
                  f"(goal ≤ 1.15×); peak memory {ours['peak_mib']:.0f} MiB (goal < 2048)", flush=True)
        if args.chunks or args.only_chunks:
            ws = scratch / "workspace" / "long"
            ws.mkdir(parents=True, exist_ok=True)
            (ws / "timeline.json").write_text((scratch / "cuts.timeline.json").read_text(encoding="utf-8"),
                                              encoding="utf-8")
            _chunk_phases(scratch, args.minutes)


if __name__ == "__main__":
    main()
