"""Render benchmark on a sample programme; every ratio is against a baseline measured in this run.

(a) our render of one web deliverable (branding + burned/sidecar subtitles + loudness measure,
    normalise, re-measure) vs a bare ffmpeg transcode of the same timeline to the same spec
    → ratio (goal ≤ 1.1×), twice: "cold", the render's remembered loudness passes deleted first
    (the first render of this sound), and "warm", as every later render of the same sound runs
    them (`render/meter_cache.py`: a picture or subtitle fix changes no figure; the rendered file
    is measured again either way);
(b) all deliverables in one pass vs one process per deliverable → ratio (goal ≤ 0.8×), and the
    encoder floor: the one pass run once more with ffmpeg's `-benchmark_all`, which times every call
    into an encoder, so the benchmark prints each encoder's own time in the pass and their sum
    against the pass's wall time (the part of the pass no sharing of decode and filters can save);
(c) the streaming ladder (`web-stream`, added to the manifest's deliverables when it lacks it) as more
    outputs of the one pass: the pass with it against the pass without it, what it adds against
    encoding the rungs alone in a pass of their own, and the inputs each pass opens (no extra decode);
(d) the render in chunks (`render/chunked.py`, the default) against the one pass of the same
    deliverables (goal ≤ 1.05×), run by run; the one pass renders in a twin of the scratch workspace
    (its inputs linked, not copied), so the two can run in either order without one pruning the
    other's chunks, and with `--repeat` they alternate which runs first (this machine slows under
    sustained load: whichever runs second in a pair pays for it); then an editor's fixes, each as
    the next render after the full chunked one: one lower third's name corrected (every deliverable
    that shows it; against the full chunked render, goal ≤ 1/10 on a long programme), and one
    burned-in Vietnamese cue of the social cut corrected (against the full chunked render, and
    against rendering the social cut alone);
and the peak memory of each (resource.getrusage children maxrss). Each phase runs in its own Python
subprocess so its children's peak is its own. Graphics and broadcast leaders are made once before
timing (both are cached by content hash, so a real render reuses them too). The load average is
printed before and after: the machine may be shared.
Work happens in a scratch workspace (the timeline, subtitles, graphics and ingest records copied
there); the real one is only read.

    .venv/bin/python benchmarks/render.py examples/dautu.yaml [--seconds 20] [--web web-720p] [--repeat 3]
        [--only a|b|c|d|abcd] [--workspace DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import re
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
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
LADDER = "web-stream"


def _scratch(manifest: Path, workspace: Path, scratch: Path, seconds: float | None) -> Path:
    """Copy timeline (cut to `seconds`), subtitles and graphics into a scratch workspace; return the
    manifest to use (a copy whose social excerpt fits the cut timeline)."""
    import yaml

    from pipeline.timeline import load_timeline
    from pipeline.validate import load_manifest
    from pipeline.workspace import Workspace

    programme = load_manifest(manifest)
    src, dst = Workspace(workspace, programme.id), Workspace(scratch, programme.id)
    timeline = load_timeline(src.timeline_json).located(src)  # the real workspace's working copies
    if seconds:
        limit = round(Fraction(str(seconds)) * timeline.rate)
        timeline = _cut(timeline, limit)
    dst.dir.mkdir(parents=True, exist_ok=True)
    dst.timeline_json.write_text(json.dumps(timeline.to_dict()), encoding="utf-8")
    for folder in ("subtitles", "graphics"):
        if (src.dir / folder).is_dir():
            shutil.copytree(src.dir / folder, dst.dir / folder, dirs_exist_ok=True)
    for record in src.dir.glob("ingest/*/*.json"):  # content keys, as a real render reads them
        (dst.dir / record.relative_to(src.dir)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(record, dst.dir / record.relative_to(src.dir))
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))  # always a copy: (d) edits it
    for key in ("glossary", "script"):  # files beside the real manifest that rendering never reads
        data.pop(key, None)
    if LADDER not in data.get("deliverables", []):  # (c) compares the pass with and without the ladder
        data["deliverables"] = [*data.get("deliverables", []), LADDER]
    if seconds and data.get("social"):
        end = min(seconds, 20.0)
        data["social"] = {"in": "00:00:00:00", "out": f"00:00:{int(end):02d}:{round((end % 1) * 25):02d}"}
    copy = scratch / manifest.name
    copy.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return copy


def _cut(timeline: Any, limit: int) -> Any:
    """The first `limit` frames of the timeline: its segments, its dissolves wholly inside, the
    edit's own sound and markers cut to it."""
    kept = []
    for seg in timeline.segments:
        if seg.rec_in_frame >= limit:
            break
        kept.append(replace(seg, src_out_frame=seg.src_in_frame + min(seg.length, limit - seg.rec_in_frame)))
    audio = [replace(a, src_out_frame=a.src_in_frame + min(a.length, limit - a.rec_in_frame))
             for a in timeline.audio if a.rec_in_frame < limit]
    transitions = [t for t in timeline.transitions if t.index < len(kept) and t.at_frame + t.after <= limit]
    return replace(timeline, segments=tuple(kept), transitions=tuple(transitions), audio=tuple(audio),
                   markers=tuple(m for m in timeline.markers if m.frame < limit),
                   shot_changes_ms=tuple(ms for ms in timeline.shot_changes_ms if ms < timeline.frames_to_ms(limit)))


def _encoder_floor(programme: Any, ws: Any) -> dict[str, Any]:
    """The one pass (as a dry run plans it; graphics and leaders are cached by then) run with
    `-benchmark_all`: the wall time inside each output's encoder calls, and inside the decoders."""
    from pipeline.media.ffmpeg import run_ffmpeg
    from pipeline.stages.render import Settings, render_programme

    report = render_programme(programme, ws, Settings(force=True, dry_run=True))
    passes = [c for c in report.commands if "-filter_complex" in c]
    if len(passes) != 1:
        raise SystemExit("the encoder floor is measured on a programme short enough to need no feeders")
    one = passes[0]
    names = [Path(a[5:]).parent.name for i, a in enumerate(one) if a.startswith("file:") and one[i - 1] != "-i"]
    began = time.monotonic()
    stderr = run_ffmpeg(["-benchmark_all", *one])
    wall = time.monotonic() - began
    spent = dict.fromkeys(names, 0.0)
    decode = 0.0
    for match in re.finditer(r"^bench: +\d+ user +\d+ sys +(\d+) real (\w+) (\d+)\.\d+", stderr, re.M):
        real, task, index = int(match[1]) / 1e6, match[2], int(match[3])
        if task.startswith(("encode", "flush")):
            spent[names[index]] += real
        elif task.startswith("decode"):
            decode += real
    return {"pass_s": wall, "encoders": spent, "decode": decode}


def _phase(args: argparse.Namespace) -> None:
    """One timed phase (in its own process); prints JSON {seconds, cpu_s, maxrss_mib}: wall time, the
    CPU seconds of this process and its children (on a shared machine the wall time swings with what
    else runs; the CPU seconds show whether the work itself did), and the children's peak memory."""
    from pipeline.media.ffmpeg import run_ffmpeg
    from pipeline.profiles import load_profile
    from pipeline.render.chunkstore import store_dir
    from pipeline.render.plan import Branch, Branding, render_pass
    from pipeline.stages.render import Settings, render_programme
    from pipeline.timeline import load_timeline
    from pipeline.validate import load_manifest
    from pipeline.workspace import Workspace

    programme = load_manifest(args.manifest)
    ws = Workspace(_twin(args.scratch) if args.phase == "one-pass-twin" else args.scratch, programme.id)
    began, cpu = time.monotonic(), _cpu()
    note = ""
    if args.phase == "bare":  # the same trunk (feeders and all for a long cut list), nothing added
        timeline = load_timeline(ws.timeline_json)
        with tempfile.TemporaryDirectory(prefix="reportage-bare-") as folder:
            out = Path(folder) / "bare.mp4"
            one = render_pass(timeline, Branding(), [Branch(args.web, load_profile(args.web), out)],
                              feed_dir=Path(folder))
            run_ffmpeg(one.args, feeds=one.feeds)
    elif args.phase == "encoders":
        found = _encoder_floor(programme, ws)
        print(json.dumps({"seconds": time.monotonic() - began, "cpu_s": _cpu() - cpu, "maxrss_mib": 0.0, **found}))
        return
    elif args.phase in ("ours-web", "ours-web-cold"):
        if args.phase == "ours-web-cold":
            shutil.rmtree(ws.loudness_cache_dir, ignore_errors=True)
            began, cpu = time.monotonic(), _cpu()
        render_programme(programme, ws, Settings(only=(args.web,), force=True))
    elif args.phase in ("one-pass", "one-pass-twin"):
        render_programme(programme, ws, Settings(force=True, one_pass=True))
    elif args.phase in ("without-ladder", "ladder-alone"):
        others = tuple(n for n in programme.manifest.deliverables if n != LADDER)
        render_programme(programme, ws, Settings(only=others if args.phase == "without-ladder" else (LADDER,),
                                                 force=True, one_pass=True))
    elif args.phase in ("chunked", "social-alone"):
        shutil.rmtree(store_dir(ws.dir), ignore_errors=True)
        began, cpu = time.monotonic(), _cpu()
        social = tuple(n for n in programme.deliverables if n.startswith("social"))[:1]
        render_programme(programme, ws, Settings(force=True, only=social if args.phase == "social-alone" else ()))
    elif args.phase == "lower-third-fix":
        _toggle_lower_third(args.manifest)
        programme = load_manifest(args.manifest)
        began, cpu = time.monotonic(), _cpu()
        fixed = render_programme(programme, ws, Settings())
        note = f"{fixed.chunks_made} chunks encoded, {fixed.chunks_reused} unchanged"
    elif args.phase == "cue-fix":
        _toggle_social_cue(programme, ws)
        began, cpu = time.monotonic(), _cpu()
        fixed = render_programme(programme, ws, Settings())
        note = f"{fixed.chunks_made} chunks encoded, {fixed.chunks_reused} unchanged"
    elif args.phase == "inputs":  # how many inputs each pass opens (every input is a decode)
        report = {}
        for name, only in (("with", ()), ("without", tuple(n for n in programme.manifest.deliverables
                                                              if n != LADDER))):
            planned = render_programme(programme, ws, Settings(only=only, force=True, dry_run=True))
            command = next(c for c in planned.commands if "-filter_complex" in c)
            report[name] = command.count("-i")
        print(json.dumps({"seconds": 0.0, "cpu_s": 0.0, "maxrss_mib": 0.0, **report}))
        return
    elif args.phase == "per-deliverable":
        for name in programme.manifest.deliverables:
            render_programme(programme, ws, Settings(only=(name,), force=True))
    elif args.phase == "graphics":
        render_programme(programme, ws, Settings(dry_run=True))
        from pipeline.fonts import font_path
        from pipeline.render.leader import LeaderSpec, ensure_leader
        from pipeline.stages.render import _plan, slate_lines

        timeline = load_timeline(ws.timeline_json)
        _plan(programme, ws, Settings(), draw=True)  # graphics drawn, and in the trunks' pixel formats
        for name in programme.manifest.deliverables:  # leaders are cached like graphics
            profile = load_profile(name)
            if profile.leader.enabled:
                spec = LeaderSpec(profile, slate_lines(programme, profile, timeline), font_path("be-vietnam-pro-bold"))
                ensure_leader(ws.graphics_dir, spec)
    elapsed = time.monotonic() - began
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"seconds": elapsed, "cpu_s": _cpu() - cpu, "maxrss_mib": rss, "note": note}))


def _toggle_lower_third(manifest: Path) -> None:
    """Correct (or un-correct) the first lower third's name: one letter of it."""
    import yaml

    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    thirds = data.get("lower_thirds") or []
    if not thirds:
        raise SystemExit(f"{manifest}: (d) needs a lower third to fix")
    name = thirds[0]["name"]
    thirds[0]["name"] = name[:-1] + ("h" if name[-1] != "h" else "a")
    manifest.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def _toggle_social_cue(programme: Any, ws: Any) -> None:
    """Correct (or un-correct) one Vietnamese cue inside the social cut: its last word doubled."""
    from pipeline.subs.formats import read_subtitles
    from pipeline.timecode import Timecode

    srt = ws.subtitle("vi", "srt")
    cut = programme.social_cuts[0]
    start_ms = Timecode.parse(cut.start, Fraction(25)).frames * 40
    cue = next(c for c in read_subtitles(srt).cues if c.start_ms >= start_ms + 2000)
    text = srt.read_text(encoding="utf-8")
    line = cue.lines[-1]
    word = line.split()[-1]
    fixed = line[: -len(word)] + word + " " + word if not line.endswith(f"{word} {word}") else line.rsplit(" ", 1)[0]
    srt.write_text(text.replace(line, fixed, 1), encoding="utf-8")


def _twin(scratch: Path) -> Path:
    """The twin of the scratch workspace where (d)'s one pass renders."""
    return scratch / "twin"


def _make_twin(scratch: Path, programme_id: str) -> None:
    """The scratch programme's inputs and caches (timeline, subtitles, graphics and leaders, ingest
    records, remembered loudness) hard-linked into the twin, before anything is rendered: cached files
    are replaced whole, never written in place, so the link is as good as a copy."""
    shutil.copytree(scratch / programme_id, _twin(scratch) / programme_id, copy_function=os.link)


def _cpu() -> float:
    """CPU seconds of this process and its finished children."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _run_phase(args: argparse.Namespace, phase: str) -> dict[str, Any]:
    cmd = [sys.executable, __file__, str(args.manifest), "--phase", phase, "--scratch", str(args.scratch),
           "--web", args.web]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT)
    if proc.returncode != 0:
        sys.exit(f"phase {phase} failed:\n{proc.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"  {phase:16s} {result['seconds']:7.1f} s   CPU {result['cpu_s']:6.1f} s   "
          f"peak child RSS {result['maxrss_mib']:6.0f} MiB   "
          f"load {_load()}" + (f"   {result['note']}" if result.get("note") else ""), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("manifest", type=Path)
    parser.add_argument("--workspace", type=Path, default=ROOT / "workspace")
    parser.add_argument("--seconds", type=float, default=None, help="only the first N seconds of the timeline")
    parser.add_argument("--web", default="web-720p", help="the web deliverable of comparison (a)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each phase (the median is reported)")
    parser.add_argument("--only", choices=["a", "b", "c", "d", "ab", "abc", "abcd"], default="abcd",
                        help="which comparisons to run")
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
        print(f"load average before: {_load()}")
        _run_phase(args, "graphics")
        if "d" in args.only:
            from pipeline.validate import load_manifest

            _make_twin(args.scratch, load_manifest(args.manifest).id)
        runs: dict[str, list[dict[str, Any]]] = {}
        groups = {"a": ("bare", "ours-web-cold", "ours-web"), "b": ("one-pass", "per-deliverable"),
                  "c": ("without-ladder", "one-pass", "ladder-alone"),
                  "d": ("one-pass-twin", "chunked", "lower-third-fix", "cue-fix", "social-alone")}
        for letter in args.only:
            for turn in range(args.repeat):  # alternating, so a slow spell of a shared machine hits all
                group = groups[letter]
                if letter == "d" and turn % 2:  # every other pair, the chunked render first
                    group = ("chunked", "one-pass-twin", *group[2:])
                for phase in group:
                    runs.setdefault(phase, []).append(_run_phase(args, phase))
        floor = _run_phase(args, "encoders") if "b" in args.only else None
        inputs = _run_phase(args, "inputs") if "c" in args.only else None
        print(f"load average after: {_load()}")
    med = {name: {k: statistics.median(r[k] for r in results) for k in ("seconds", "cpu_s", "maxrss_mib")}
           for name, results in runs.items()}
    if "bare" in med:
        for phase, when in (("ours-web-cold", "cold: first render of this sound"),
                            ("ours-web", "warm: loudness passes remembered")):
            print(f"(a) {args.web} with branding+subtitles+loudness / bare transcode, {when}: "
                  f"{med[phase]['seconds'] / med['bare']['seconds']:.2f}×  (goal ≤ 1.1×); "
                  f"CPU {med[phase]['cpu_s'] / med['bare']['cpu_s']:.2f}×")
    if "without-ladder" in med:
        with_, without, alone = med["one-pass"], med["without-ladder"], med["ladder-alone"]
        added = with_["seconds"] - without["seconds"]
        print(f"(c) the {LADDER} ladder as more outputs of the pass: {with_['seconds']:.1f} s with it, "
              f"{without['seconds']:.1f} s without ({with_['seconds'] / without['seconds']:.2f}×); it adds "
              f"{added:.1f} s, against {alone['seconds']:.1f} s to encode the rungs alone in a pass of their own "
              f"({added / alone['seconds']:.2f}×); CPU {with_['cpu_s'] - without['cpu_s']:.1f} s added vs "
              f"{alone['cpu_s']:.1f} s alone")
        if inputs is not None:
            print(f"    inputs opened (each a decode): {inputs['with']} with the ladder, {inputs['without']} without")
    if "chunked" in med:
        one, chunked = med["one-pass-twin"], med["chunked"]
        print(f"(d) in chunks / one pass, every deliverable: {chunked['seconds']:.1f} s / {one['seconds']:.1f} s = "
              f"{chunked['seconds'] / one['seconds']:.2f}×  (goal ≤ 1.05×); CPU {chunked['cpu_s'] / one['cpu_s']:.2f}×")
        if len(runs["chunked"]) > 1:
            # pair by pair (a machine whose speed drifts during the run moves both runs of a pair), the
            # order alternating: the mean of both orders cancels what running second costs
            pairs = [c["seconds"] / o["seconds"] for o, c in zip(runs["one-pass-twin"], runs["chunked"], strict=True)]
            cpu = [c["cpu_s"] / o["cpu_s"] for o, c in zip(runs["one-pass-twin"], runs["chunked"], strict=True)]
            order = ["one pass first" if i % 2 == 0 else "chunked first" for i in range(len(pairs))]
            print("    pair by pair: " + ", ".join(f"{r:.2f}× ({o}; CPU {c:.2f}×)"
                                                  for r, o, c in zip(pairs, order, cpu, strict=True)))
            print(f"    mean over the pairs {statistics.mean(pairs):.3f}×, CPU {statistics.mean(cpu):.3f}×")
        fix, cue, alone = med["lower-third-fix"], med["cue-fix"], med["social-alone"]
        print(f"    a lower third's name corrected: {fix['seconds']:.1f} s = "
              f"{fix['seconds'] / chunked['seconds']:.2f}× the full chunked render")
        print(f"    a burned-in cue of the social cut corrected: {cue['seconds']:.1f} s = "
              f"{cue['seconds'] / chunked['seconds']:.2f}× the full chunked render, "
              f"{cue['seconds'] / alone['seconds']:.2f}× rendering the social cut alone ({alone['seconds']:.1f} s)")
    if "per-deliverable" in med:
        one, many = med["one-pass"], med["per-deliverable"]
        print(f"(b) all deliverables in one pass / one process each: {one['seconds'] / many['seconds']:.2f}×  "
              f"(goal ≤ 0.8×); peak memory {one['maxrss_mib']:.0f} vs {many['maxrss_mib']:.0f} MiB")
    if floor is not None:
        spent = floor["encoders"]
        wall = floor["pass_s"]
        print("    encoder floor (one pass with -benchmark_all; time inside each encoder's calls):")
        for name, seconds in spent.items():
            print(f"      {name:18s} {seconds:7.1f} s")
        total = sum(spent.values())
        print(f"      {'sum of encoders':18s} {total:7.1f} s of the pass's {wall:.1f} s wall ({total / wall:.0%}); "
              f"decoding {floor['decode']:.1f} s")


if __name__ == "__main__":
    main()
