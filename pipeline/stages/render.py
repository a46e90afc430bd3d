"""Render: one ffmpeg pass per programme, from the timeline to every deliverable in the manifest.

1. Measure the programme mix once (audio-only ebur128 pass, BS.1770-4 gating; 0.2 s per minute).
2. Draw or reuse the graphics (`pipeline/graphics`) and broadcast leaders (`render/leader.py`),
   both cached by content hash.
3. Build one argument list (`pipeline/render/plan.py`): decode the segments once, brand the picture,
   split to each stale deliverable, each normalised to its own loudness target and metered; the
   social excerpt gets its own short trunk in the same process.
4. Run it; every output goes to a temporary name in `renders/<deliverable>/`. A deliverable with a
   leader gets its programme body from the pass, joined after the cached leader by stream copy.
   Files are renamed into place only when all of them are complete; then each is probed, its
   loudness measured again (`<file>.loudness.json`), subtitle sidecars copied, and the inputs
   hash recorded in `renders/render.json`. Temporary files of a killed render are deleted by the
   next one (`fsutil.clear_leftovers`).

Illegal profiles are refused (profiles.check_legal, at load) before anything runs.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from .. import fsutil
from ..errors import ManifestError, WorkspaceError
from ..fonts import font_path, fonts_dir
from ..manifest import Programme
from ..media import ffmpeg, graphs
from ..media.loudness import LoudnessMeasurement, headroom_for, measure, normalisation_for, parse_ebur128
from ..profiles import Profile, load_profile
from ..progress import Progress, ProgressFn, ignore
from ..render import state as st
from ..render.branding import BrandingSettings, plan_branding
from ..render.leader import LeaderSpec, ensure_leader, join_args, leader_args, write_concat_list
from ..render.plan import (
    Branch,
    Branding,
    measure_args,
    meter_name,
    output_seconds,
    render_args,
)
from ..timecode import Timecode
from ..timeline import Timeline, load_timeline
from ..workspace import Workspace

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RenderSettings:
    """`only` limits the pass to some deliverables; `force` ignores render.json; `dry_run` builds
    the command (drawing no graphics, running no render) and returns it in the report."""

    only: tuple[str, ...] = ()
    force: bool = False
    dry_run: bool = False
    branding: BrandingSettings = field(default_factory=BrandingSettings)


@dataclass
class DeliverableResult:
    name: str
    file: str
    status: str  # rendered | up to date | planned
    duration_s: float | None = None
    size_bytes: int | None = None
    loudness: dict[str, Any] | None = None
    sidecars: list[str] = field(default_factory=list)


@dataclass
class RenderReport:
    programme_id: str
    deliverables: list[DeliverableResult]
    warnings: list[str] = field(default_factory=list)
    commands: list[list[str]] = field(default_factory=list)
    elapsed_s: float = 0.0
    graphics_made: int = 0
    leaders_made: int = 0

    @property
    def up_to_date(self) -> bool:
        return all(d.status == "up to date" for d in self.deliverables)

    def to_dict(self) -> dict[str, Any]:
        return {"programme": self.programme_id, "up_to_date": self.up_to_date, "warnings": self.warnings,
                "elapsed_s": round(self.elapsed_s, 2), "graphics_made": self.graphics_made,
                "leaders_made": self.leaders_made,
                "commands": [ffmpeg.command_line(c) for c in self.commands],
                "deliverables": [asdict(d) for d in self.deliverables]}


def _profiles(programme: Programme, only: tuple[str, ...]) -> dict[str, Profile]:
    names = list(programme.manifest.deliverables)
    if not names:
        raise ManifestError("lists no deliverables", path=programme.manifest_path,
                            hint="add e.g. `deliverables: [web-1080p, social-9x16]`")
    unknown = [n for n in only if n not in names]
    if unknown:
        raise ManifestError(f"--only {', '.join(unknown)}: not among the deliverables ({', '.join(names)})",
                            path=programme.manifest_path)
    overrides = programme.base_dir / "profiles"
    return {n: load_profile(n, overrides if overrides.is_dir() else None) for n in names if not only or n in only}


def _excerpt(programme: Programme, timeline: Timeline, warnings: list[str]) -> tuple[float, float] | None:
    social = programme.manifest.social
    if social is None:
        return None
    total = float(Fraction(timeline.duration_frames) / timeline.rate)
    start = float(Timecode.parse(social.start, timeline.rate).seconds)
    end = min(float(Timecode.parse(social.end, timeline.rate).seconds), total)
    if end <= start:
        raise ManifestError(f"social: in {social.start} is not before out {social.end} (programme ends at "
                            f"{total:.2f} s)", path=programme.manifest_path)
    if end < float(Timecode.parse(social.end, timeline.rate).seconds):
        warnings.append(f"social.out {social.end} is past the end of the programme: cut at the end")
    return start, end


def slate_lines(programme: Programme, profile: Profile, timeline: Timeline) -> tuple[str, ...]:
    """What the leader's slate says: titles, id and deliverable, duration, loudness, start timecode."""
    m = programme.manifest
    duration = Timecode(timeline.duration_frames, timeline.rate)
    lines = [m.title.vi, m.title.en, f"{programme.id} · {profile.suffix}", f"Duration {duration}",
             f"Loudness {profile.loudness.target_lufs:g} LUFS · TP {profile.loudness.true_peak_max_dbtp:g} dBTP"]
    if profile.programme_start_tc:
        lines.append(f"Programme start {profile.programme_start_tc}")
    return tuple(lines)


def _measure_programme(timeline: Timeline, excerpt: tuple[float, float] | None,
                       progress: ProgressFn, task: str) -> dict[str, LoudnessMeasurement]:
    total = float(Fraction(timeline.duration_frames) / timeline.rate)
    stderr = ffmpeg.run_ffmpeg(measure_args(timeline, excerpt), duration_s=total, subject=timeline.programme_id,
                               progress=lambda f: progress(Progress(task, f * total, total)))
    return parse_ebur128(stderr)


def _check_sources(timeline: Timeline) -> None:
    if not timeline.segments:
        raise WorkspaceError("the timeline is empty", hint="run `reportage assemble MANIFEST` first")
    for seg in timeline.segments:
        if not Path(seg.working_copy).is_file():
            raise WorkspaceError(f"working copy of clip {seg.clip_id} is missing", path=seg.working_copy,
                                 hint="run `reportage ingest MANIFEST` again")


def render_programme(programme: Programme, ws: Workspace, settings: RenderSettings | None = None,
                     progress: ProgressFn = ignore) -> RenderReport:
    """Render every (stale) deliverable of `programme` in one ffmpeg pass; see the module docstring."""
    settings = settings or RenderSettings()
    began = time.monotonic()
    timeline = load_timeline(ws.timeline_json)
    _check_sources(timeline)
    profiles = _profiles(programme, settings.only)
    warnings: list[str] = []
    excerpt = _excerpt(programme, timeline, warnings) if any(p.excerpt for p in profiles.values()) else None
    if excerpt is None and any(p.excerpt for p in profiles.values()):
        warnings.append("no `social: {in, out}` in the manifest: excerpt profiles get the whole programme")
    brand = plan_branding(programme, timeline, ws.graphics_dir, settings.branding, dry_run=settings.dry_run)
    warnings += brand.warnings
    shared = {
        "timeline": timeline.to_dict(),
        "working_copies": st.working_copies([s.working_copy for s in timeline.segments]),
        "graphics": brand.placements, "logo": brand.logo_sha256, "branding": programme.manifest.branding.model_dump(),
        "titles": programme.manifest.title.model_dump(), "settings": asdict(settings.branding),
        "ffmpeg": ffmpeg.version(),
    }
    state = st.load_state(ws)
    results: dict[str, DeliverableResult] = {}
    stale: list[Branch] = []
    keys: dict[str, str] = {}
    for name, profile in profiles.items():
        output = ws.render_dir(name) / profile.output_name(programme.id)
        burn = ws.subtitle(profile.subtitles.burn_in, "srt") if profile.subtitles.burn_in else None
        if burn is not None and not burn.exists():
            warnings.append(f"{name}: no {profile.subtitles.burn_in} subtitles yet ({burn}): rendered without them")
            burn = None
        cut = excerpt if profile.excerpt else None
        keys[name] = st.inputs_hash(st.deliverable_inputs(profile=profile, shared=shared, burn_in=burn, excerpt=cut))
        if not settings.force and st.is_fresh(state, name, keys[name], output):
            results[name] = DeliverableResult(name, str(output), "up to date",
                                              **state["deliverables"][name].get("summary", {}))
            continue
        stale.append(Branch(name, profile, output, subtitles=burn, excerpt=cut, fonts_dir=fonts_dir()))
    report = RenderReport(programme.id, [], warnings, graphics_made=sum(g.made for g in brand.graphics))
    if stale:
        task = f"render {programme.id}"
        measured = _measure_programme(timeline, excerpt if any(b.excerpt for b in stale) else None, progress,
                                      f"measure {programme.id}")
        stale = _settle(timeline, excerpt, [_levelled(b, measured) for b in stale], progress)
        meta = {"title": programme.manifest.title.vi, "comment": programme.manifest.title.en}
        leaders = {b.name: LeaderSpec(b.profile, slate_lines(programme, b.profile, timeline),
                                      font_path("be-vietnam-pro-bold")) for b in stale if b.profile.leader.enabled}
        made = {name: ensure_leader(ws.graphics_dir, spec, dry_run=settings.dry_run)
                for name, spec in leaders.items()}
        if settings.dry_run:
            report.commands = [leader_args(spec, made[name][0]) for name, spec in leaders.items()
                               if not made[name][0].exists()]
            report.commands.append(render_args(timeline, brand.branding, stale, metadata=meta))
            for name, spec in leaders.items():
                body = next(b.output for b in stale if b.name == name)
                report.commands.append(join_args(body.with_name(body.name + ".ffconcat"), spec.profile, body,
                                                 tuple(meta.items())))
            results.update({b.name: DeliverableResult(b.name, str(b.output), "planned") for b in stale})
        else:
            report.leaders_made = sum(1 for _, was_made in made.values() if was_made)
            _run(ws, timeline, brand.branding, stale, meta, {n: p for n, (p, _) in made.items()}, measured,
                 progress, task, results)
            for b in stale:
                summary = {k: v for k, v in asdict(results[b.name]).items()
                           if k in ("duration_s", "size_bytes", "loudness")}
                state["deliverables"][b.name] = {"inputs_hash": keys[b.name], "file": str(b.output),
                                                 "summary": summary, "rendered_at": time.time()}
            st.save_state(ws, state)
    for name, profile in profiles.items():
        output = Path(results[name].file)
        if not settings.dry_run and output.exists():
            results[name].sidecars = [str(p) for p in st.copy_sidecars(ws, profile, output)]
            missing = [lang for lang in profile.subtitles.sidecar if not ws.subtitle(lang, "srt").exists()]
            if missing:
                warnings.append(f"{name}: no {', '.join(missing)} subtitle sidecars yet")
    report.deliverables = [results[n] for n in profiles]
    report.elapsed_s = time.monotonic() - began
    return report


def _levelled(branch: Branch, measured: dict[str, LoudnessMeasurement]) -> Branch:
    """The branch with its loudness correction (excerpt branches from the excerpt's own figures)."""
    source = measured.get("excerpt" if branch.excerpt is not None else "programme") or measured.get("programme")
    if source is None:
        return branch
    loud = branch.profile.loudness
    norm = normalisation_for(source, loud.target_lufs, loud.true_peak_max_dbtp,
                             headroom_db=headroom_for(branch.profile.audio.codec))
    return replace(branch, level=tuple(norm.filters(branch.profile.audio.sample_rate)))


def _settle(timeline: Timeline, excerpt: tuple[float, float] | None, branches: list[Branch],
            progress: ProgressFn, passes_left: int = 3) -> list[Branch]:
    """Where a limiter is needed, measure what the chain really gives and move the gain until it
    lands within 0.1 LU of the target, all deliverables in one audio-only pass each round.

    Limiting takes energy off the peaks, so a linear prediction lands low (0.9 LU on the sample's
    web cut) and each dB of gain buys only about half a LU. The first round therefore also meters
    each chain 1 dB hotter (a probe), and every step follows the secant through the last two trials
    (slope kept within 0.2–1): the second round lands, where "add the shortfall" took three or more.
    Trials run the limiter at the programme rate, not oversampled 4× as the render does: on the
    samples the integrated loudness came out the same to 0.1 LU, at a fraction of the cost (what
    oversampling changes is the true peak, which the render's own meter reports).
    """
    total = float(Fraction(timeline.duration_frames) / timeline.rate)
    tried: dict[str, list[tuple[float, float]]] = {}  # name → [(gain dB, measured LUFS)]
    for _ in range(passes_left):
        limited = {b.name: b for b in branches if any(f.startswith("alimiter") for f in b.level)}
        if not limited:
            break
        trials = {name: (_at_rate(b.level), b.excerpt is not None) for name, b in limited.items()}
        if not tried:
            trials |= {f"{name}__probe": (_at_rate([graphs.gain(_gain_of(b) + 1.0), *b.level[1:]]),
                                          b.excerpt is not None) for name, b in limited.items()}
        stderr = ffmpeg.run_ffmpeg(measure_args(timeline, excerpt, trials), duration_s=total,
                                   subject=timeline.programme_id,
                                   progress=lambda f: progress(Progress("loudness", f * total, total)))
        found = parse_ebur128(stderr)
        moved = False
        for index, b in enumerate(branches):
            result = found.get("trial_" + meter_name(b.name)[4:]) if b.name in limited else None
            miss = b.profile.loudness.target_lufs - result.integrated_lufs if result else 0.0
            if result is None or abs(miss) <= 0.1:
                continue
            level = list(b.level)
            gain = _gain_of(b)
            history = tried.setdefault(b.name, [])
            probe = found.get("trial_" + meter_name(b.name)[4:] + "__probe")
            if not history and probe is not None:
                history.append((gain + 1.0, probe.integrated_lufs))
            history.append((gain, result.integrated_lufs))
            slope = 1.0
            if len(history) >= 2 and history[-1][0] != history[-2][0]:
                (g0, l0), (g1, l1) = history[-2:]
                slope = min(1.0, max(0.2, (l1 - l0) / (g1 - g0)))
            level[0] = graphs.gain(gain + miss / slope)
            branches[index] = replace(b, level=tuple(level))
            moved = True
        if not moved:
            break
    return branches


def _at_rate(level: Sequence[str]) -> list[str]:
    """A loudness chain without its oversampling (`aresample` steps): for settling trials only."""
    return [f for f in level if not f.startswith("aresample")]


def _gain_of(branch: Branch) -> float:
    """The dB of the `volume` filter that opens a branch's loudness chain."""
    return float(branch.level[0].split("volume=volume=", 1)[1].split("dB", 1)[0])


def _run(ws: Workspace, timeline: Timeline, branding: Branding, branches: list[Branch], meta: dict[str, str],
         leaders: dict[str, Path], measured: dict[str, LoudnessMeasurement], progress: ProgressFn, task: str,
         results: dict[str, DeliverableResult]) -> None:
    """The one pass, then each leader joined before its body; every file renamed into place only
    when all of them are complete (a failure leaves the previous renders as they were)."""
    total = max(output_seconds(timeline, b) for b in branches)
    for b in branches:
        for path in fsutil.clear_leftovers(b.output):
            log.info("deleted %s, left by an interrupted render", path)
    with contextlib.ExitStack() as stack:
        finals = {b.name: stack.enter_context(fsutil.atomic_path(b.output)) for b in branches}
        bodies = {b.name: stack.enter_context(fsutil.scratch_path(b.output, ".body")) for b in branches
                  if b.name in leaders}
        temps = [replace(b, output=bodies.get(b.name, finals[b.name])) for b in branches]
        args = render_args(timeline, branding, temps, metadata=meta)
        stderr = ffmpeg.run_ffmpeg(args, duration_s=total, subject=ws.dir / "renders",
                                   progress=lambda f: progress(Progress(task, f * total, total)))
        for b in branches:
            if b.name not in leaders:
                continue
            progress(Progress(f"join leader {b.name}", 0, 1))
            listing = stack.enter_context(fsutil.scratch_path(b.output, ".ffconcat", suffix=".ffconcat"))
            write_concat_list(listing, leaders[b.name], b.profile.leader.total_s, bodies[b.name])
            ffmpeg.run_ffmpeg(join_args(listing, b.profile, finals[b.name], tuple(meta.items())), subject=b.output)
            progress(Progress(f"join leader {b.name}", 1, 1))
    meters = parse_ebur128(stderr)
    for b in branches:
        results[b.name] = _finish(b, meters.get(meter_name(b.name)), measured)


def _finish(branch: Branch, meter: LoudnessMeasurement | None,
            measured: dict[str, LoudnessMeasurement]) -> DeliverableResult:
    """Probe the finished file, measure its loudness again, write `<file>.loudness.json`."""
    p, out = branch.profile, branch.output
    info = ffmpeg.ffprobe_json(out)
    duration = float(info.get("format", {}).get("duration", 0.0))
    figures, how = meter, "ebur128 in the render pass, before encoding (mono tracks)"
    if not p.audio.mono_tracks:
        skip = [f"atrim=start={p.leader.total_s:g}"] if p.leader.enabled else []
        figures, how = measure(out, filters=skip), "ebur128 of the output file (BS.1770-4)"
    loud = p.loudness
    source = measured.get("excerpt" if branch.excerpt else "programme")
    data: dict[str, Any] = {"deliverable": branch.name, "file": out.name, "measured_by": how,
                            "target_lufs": loud.target_lufs, "tolerance_lu": loud.tolerance_lu,
                            "true_peak_max_dbtp": loud.true_peak_max_dbtp,
                            "before": source.as_dict() if source else None, "correction": list(branch.level)}
    if figures is not None:
        data |= figures.as_dict()
        data["within_tolerance"] = figures.meets(loud.target_lufs, loud.tolerance_lu, loud.true_peak_max_dbtp)
    fsutil.write_json(out.with_name(out.name + ".loudness.json"), data)
    summary = {k: data.get(k) for k in ("integrated_lufs", "true_peak_dbtp", "lra_lu", "target_lufs",
                                         "within_tolerance")}
    return DeliverableResult(branch.name, str(out), "rendered", round(duration, 3), out.stat().st_size, summary)
