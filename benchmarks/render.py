"""Render benchmark on a sample programme; every ratio is against a baseline measured in this run.

(a) our render of one web deliverable (branding + burned/sidecar subtitles + loudness measure,
    normalise, re-measure) vs a bare ffmpeg transcode of the same timeline to the same spec
    → ratio (goal ≤ 1.1×);
(b) all deliverables in one pass vs one process per deliverable → ratio (goal ≤ 0.8×);
and the peak memory of each (resource.getrusage children maxrss). Each phase runs in its own Python
subprocess so its children's peak is its own. Graphics and broadcast leaders are made once before
timing (both are cached by content hash, so a real render reuses them too).
Work happens in a scratch workspace; the real one is only read.

    .venv/bin/python benchmarks/render.py examples/dautu.yaml [--seconds 20] [--web web-720p] [--repeat 3]
        [--only a|b]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _scratch(manifest: Path, workspace: Path, scratch: Path, seconds: float | None) -> Path:
    """Copy timeline (cut to `seconds`), subtitles and graphics into a scratch workspace; return the
    manifest to use (a copy whose social excerpt fits the cut timeline)."""
    import yaml

    from pipeline.manifest import load_manifest
    from pipeline.timeline import load_timeline
    from pipeline.workspace import Workspace

    programme = load_manifest(manifest)
    src, dst = Workspace(workspace, programme.id), Workspace(scratch, programme.id)
    timeline = load_timeline(src.timeline_json)
    if seconds:
        limit = round(Fraction(str(seconds)) * timeline.rate)
        kept = []
        for seg in timeline.segments:
            if seg.rec_in_frame >= limit:
                break
            cut = min(seg.length, limit - seg.rec_in_frame)
            kept.append(replace(seg, src_out_frame=seg.src_in_frame + cut))
        timeline = replace(timeline, segments=tuple(kept))
    dst.dir.mkdir(parents=True, exist_ok=True)
    dst.timeline_json.write_text(json.dumps(timeline.to_dict()), encoding="utf-8")
    for folder in ("subtitles", "graphics"):
        if (src.dir / folder).is_dir():
            shutil.copytree(src.dir / folder, dst.dir / folder, dirs_exist_ok=True)
    if not seconds:
        return manifest
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    if data.get("social"):
        end = min(seconds, 20.0)
        data["social"] = {"in": "00:00:00:00", "out": f"00:00:{int(end):02d}:{round((end % 1) * 25):02d}"}
    copy = scratch / manifest.name
    copy.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return copy


def _phase(args: argparse.Namespace) -> None:
    """One timed phase (in its own process); prints JSON {seconds, maxrss_mib}."""
    from pipeline.manifest import load_manifest
    from pipeline.media.ffmpeg import run_ffmpeg
    from pipeline.profiles import load_profile
    from pipeline.render.plan import Branch, Branding, render_args
    from pipeline.stages.render import Settings, render_programme
    from pipeline.timeline import load_timeline
    from pipeline.workspace import Workspace

    programme = load_manifest(args.manifest)
    ws = Workspace(args.scratch, programme.id)
    began = time.monotonic()
    if args.phase == "bare":
        timeline = load_timeline(ws.timeline_json)
        out = Path(tempfile.mkdtemp()) / "bare.mp4"
        run_ffmpeg(render_args(timeline, Branding(), [Branch(args.web, load_profile(args.web), out)]))
        shutil.rmtree(out.parent)
    elif args.phase == "ours-web":
        render_programme(programme, ws, Settings(only=(args.web,), force=True))
    elif args.phase == "one-pass":
        render_programme(programme, ws, Settings(force=True))
    elif args.phase == "per-deliverable":
        for name in programme.manifest.deliverables:
            render_programme(programme, ws, Settings(only=(name,), force=True))
    elif args.phase == "graphics":
        render_programme(programme, ws, Settings(dry_run=True))
        from pipeline.fonts import font_path
        from pipeline.render.branding import BrandingSettings, plan_branding
        from pipeline.render.leader import LeaderSpec, ensure_leader
        from pipeline.stages.render import slate_lines

        timeline = load_timeline(ws.timeline_json)
        plan_branding(programme, timeline, ws.graphics_dir, BrandingSettings())
        for name in programme.manifest.deliverables:  # leaders are cached like graphics
            profile = load_profile(name)
            if profile.leader.enabled:
                spec = LeaderSpec(profile, slate_lines(programme, profile, timeline), font_path("be-vietnam-pro-bold"))
                ensure_leader(ws.graphics_dir, spec)
    elapsed = time.monotonic() - began
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"seconds": elapsed, "maxrss_mib": rss}))


def _run_phase(args: argparse.Namespace, phase: str) -> dict[str, float]:
    cmd = [sys.executable, __file__, str(args.manifest), "--phase", phase, "--scratch", str(args.scratch),
           "--web", args.web]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT)
    if proc.returncode != 0:
        sys.exit(f"phase {phase} failed:\n{proc.stderr[-2000:]}")
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"  {phase:16s} {result['seconds']:7.1f} s   peak child RSS {result['maxrss_mib']:6.0f} MiB", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("manifest", type=Path)
    parser.add_argument("--workspace", type=Path, default=ROOT / "workspace")
    parser.add_argument("--seconds", type=float, default=None, help="only the first N seconds of the timeline")
    parser.add_argument("--web", default="web-720p", help="the web deliverable of comparison (a)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each phase (the median is reported)")
    parser.add_argument("--only", choices=["a", "b", "ab"], default="ab", help="which comparison to run")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--scratch", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        _phase(args)
        return
    with tempfile.TemporaryDirectory(prefix="reportage-bench-") as scratch:
        args.scratch = Path(scratch)
        args.manifest = _scratch(args.manifest, args.workspace, args.scratch, args.seconds)
        print(f"render benchmark: {args.manifest} ({args.seconds or 'whole'} s of timeline, "
              f"{args.repeat} run(s) of each, alternating; medians)")
        _run_phase(args, "graphics")
        runs: dict[str, list[dict[str, float]]] = {}
        pairs = [("bare", "ours-web"), ("one-pass", "per-deliverable")]
        for baseline, ours in pairs if args.only == "ab" else [pairs["ab".index(args.only)]]:
            for _ in range(args.repeat):  # alternating, so a slow spell of a shared machine hits both
                runs.setdefault(baseline, []).append(_run_phase(args, baseline))
                runs.setdefault(ours, []).append(_run_phase(args, ours))
    med = {name: {k: statistics.median(r[k] for r in results) for k in ("seconds", "maxrss_mib")}
           for name, results in runs.items()}
    if "bare" in med:
        print(f"(a) {args.web} with branding+subtitles+loudness / bare transcode: "
              f"{med['ours-web']['seconds'] / med['bare']['seconds']:.2f}×  (goal ≤ 1.1×)")
    if "one-pass" in med:
        one, many = med["one-pass"], med["per-deliverable"]
        print(f"(b) all deliverables in one pass / one process each: {one['seconds'] / many['seconds']:.2f}×  "
              f"(goal ≤ 0.8×); peak memory {one['maxrss_mib']:.0f} vs {many['maxrss_mib']:.0f} MiB")


if __name__ == "__main__":
    main()
