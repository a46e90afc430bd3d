"""Render: one ffmpeg pass per programme, from the timeline to every deliverable in the manifest.

1. Decide what is stale: each deliverable is a target of `pipeline.stagerun` (its inputs are the
   timeline, the working copies' content keys from ingest, the graphics, the logo, the titles, its
   profile, its burned-in subtitles and its excerpt; `render/state.deliverable_inputs`).
2. Measure the programme mix once (audio-only ebur128 pass, BS.1770-4 gating), and the social
   excerpt in the same pass when an excerpt deliverable is stale; with several social cuts, each
   further excerpt among the stale deliverables gets a pass of its own (`_by_excerpt`).
3. Decide each stale deliverable's correction (`media/loudness.normalisation_for`) and settle the
   limited ones (`media/loudness.settle`: one audio-only pass per round for all of them).
4. Draw or reuse the graphics (`pipeline/graphics`) and broadcast leaders (`render/leader.py`),
   both cached by content hash.
5. Build one argument list (`pipeline/render/plan.py`) and run it; every output goes to a
   temporary name in `renders/<deliverable>/`. A deliverable with a leader gets its programme body
   from the pass, joined after the cached leader by stream copy. Files are renamed into place only
   when all of them are complete; then each is probed and its loudness measured again, and the
   render record `renders/render.json` (`render/state.RenderRecord`) is written. Subtitle sidecars
   are copied beside every deliverable that carries them. Temporary files of a killed render are
   deleted by the next one (`fsutil.clear_leftovers`).

Illegal profiles are refused (profiles.check_legal, at load) before anything runs.

A programme without speech has no subtitle files (the subtitles record says `speech: false`): its
deliverables are rendered with nothing burned in and carry no sidecars (copies left beside them by an
earlier render are removed), and nothing warns. A programme without sound (no clip in the edit has an
audio track) or whose sound is silence is rendered all the same: no gain makes silence −23 LUFS, so
such a deliverable is reported silent with the fix (a music bed or a voice-over in the edit), the walk
goes on, and QC fails its loudness saying the same. Any other deliverable out of loudness tolerance
stops the walk, with the figures and what to do.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from fractions import Fraction
from functools import partial
from pathlib import Path
from typing import Any

from .. import fsutil, stagerun
from ..errors import ManifestError, ReportageError, WorkspaceError
from ..fonts import font_path, fonts_dir
from ..manifest import Programme, SocialCut
from ..media import ffmpeg
from ..media.loudness import (
    PROBE_SUFFIX,
    SILENCE_LUFS,
    LoudnessMeasurement,
    Normalisation,
    TrialMeter,
    headroom_for,
    measure,
    normalisation_for,
    parse_ebur128,
    settle,
)
from ..profiles import Profile, programme_profile
from ..progress import Progress, ProgressFn, ignore
from ..records.ingest import ingest_record_path
from ..records.subtitles import SubtitlesRecord, read_subtitles_record
from ..render import chunkstore
from ..render.ass import write_burn_ass
from ..render.branding import BrandingPlan, BrandingSettings, in_trunk_formats, overlap_warnings, plan_branding
from ..render.chunked import (
    ChunkContext,
    ChunkTally,
    PictureRun,
    chunk_context,
    default_workers,
    feed_dir,
    file_spans,
    job_pass,
    join,
    make_chunks,
    make_sound,
    members,
    plan_jobs,
    sound_key,
    sound_path,
)
from ..render.chunks import TARGET_S, ChunkJob
from ..render.join import join_chunks_args
from ..render.leader import LeaderSpec, ensure_leader, join_args, leader_args, write_concat_list
from ..render.meter_cache import MeterCache, Trials
from ..render.plan import (
    Branch,
    Branding,
    Pass,
    check_transitions,
    measure_pass,
    meter_name,
    output_seconds,
    render_pass,
    sound_pass,
    trial_meter,
    trunk_format,
)
from ..render.state import (
    ChunkSpan,
    RenderedDeliverable,
    RenderedLoudness,
    RenderRecord,
    copy_sidecars,
    deliverable_files,
    deliverable_inputs,
    read_render_record,
    render_record_path,
    write_render_record,
)
from ..stagerun import Work
from ..timecode import Excerpt, Timecode
from ..timeline import AudioSegment, Segment, Timeline, load_timeline
from ..workspace import Workspace

log = logging.getLogger(__name__)

STAGE = "render"
VERSION = 1


@dataclass(frozen=True)
class Settings:
    """`only` limits the pass to some deliverables; `force` renders even what is up to date;
    `dry_run` builds the commands (drawing no graphics, rendering nothing) and returns them in the
    report: the programme's loudness is measured once, in one audio-only pass, since the commands
    carry its correction, but a limited correction is not settled (a settling round is another
    decode of the whole programme's sound): its gain is the prediction, and a warning says so;
    `branding` sets how long the cards run."""

    only: tuple[str, ...] = ()
    force: bool = False
    dry_run: bool = False
    branding: BrandingSettings = field(default_factory=BrandingSettings)
    one_pass: bool = False
    """Render the picture in one pass from frame 0 instead of in chunks (`render/chunked.py`)."""
    workers: int | None = None
    """Chunks encoded at once on this machine (None: half the cores)."""
    chunk_s: float = TARGET_S
    """About how long each chunk of picture is."""


@dataclass
class DeliverableResult:
    """One deliverable in the report: its file, what happened to it, and what it came out as."""

    name: str
    file: str
    status: str  # rendered | up to date | planned
    duration_s: float | None = None
    size_bytes: int | None = None
    loudness: RenderedLoudness | None = None
    sidecars: list[str] = field(default_factory=list)

    @property
    def within_tolerance(self) -> bool:
        """False only when the loudness was measured and missed the profile's target or ceiling."""
        return self.loudness is None or self.loudness.within_tolerance

    @property
    def silent(self) -> bool:
        """Measured, and nothing passed the −70 LUFS gate (−inf): no gain can bring it to a target."""
        return self.loudness is not None and (self.loudness.integrated_lufs is None
                                              or self.loudness.integrated_lufs <= SILENCE_LUFS)


@dataclass
class RenderReport:
    programme_id: str
    deliverables: list[DeliverableResult]
    warnings: list[str] = field(default_factory=list)
    commands: list[list[str]] = field(default_factory=list)
    elapsed_s: float = 0.0
    graphics_made: int = 0
    leaders_made: int = 0
    loudness_passes: int = 0  # audio-only passes run before the render pass
    loudness_reused: int = 0  # the same passes answered from `render/meter_cache.py`
    chunks_made: int = 0  # chunk files encoded by this render
    chunks_reused: int = 0  # chunk files found in the store (unchanged since a render before, or resumed)
    chunks_by_others: int = 0  # chunk files made meanwhile by other workers on the shared workspace

    @property
    def ok(self) -> bool:
        """Every deliverable within its loudness tolerance (the files are kept either way), or silent:
        a programme without sound is rendered, warned about with the fix, and failed by QC."""
        return all(d.within_tolerance or d.silent for d in self.deliverables)

    @property
    def up_to_date(self) -> bool:
        return all(d.status == "up to date" for d in self.deliverables)

    @property
    def stop_reason(self) -> str:
        missed = [d for d in self.deliverables if not d.within_tolerance and not d.silent]
        if not missed:
            return ""
        return ("out of loudness tolerance: " + "; ".join(_missed(d) for d in missed)
                + " — the mix is too uneven for the correction (a tone, clipping, a sudden loud stretch): "
                  "level it in the edit and run again (`reportage render MANIFEST --force` to retry as it is)")

    def to_dict(self) -> dict[str, Any]:
        return {"programme": self.programme_id, "ok": self.ok, "up_to_date": self.up_to_date,
                "warnings": self.warnings, "elapsed_s": round(self.elapsed_s, 2),
                "graphics_made": self.graphics_made, "leaders_made": self.leaders_made,
                "loudness_passes": self.loudness_passes, "loudness_reused": self.loudness_reused,
                "chunks_made": self.chunks_made, "chunks_reused": self.chunks_reused,
                "chunks_by_others": self.chunks_by_others,
                "commands": [ffmpeg.command_line(c) for c in self.commands],
                "deliverables": [asdict(d) for d in self.deliverables]}


def _missed(d: DeliverableResult) -> str:
    """`web-720p −18.3 LUFS (target −23 ± 1), true peak −0.2 dBTP (≤ −1)`."""
    loud = d.loudness
    if loud is None:
        return d.name
    lufs = "—" if loud.integrated_lufs is None else f"{loud.integrated_lufs:.1f}"
    peak = "—" if loud.true_peak_dbtp is None else f"{loud.true_peak_dbtp:.1f}"
    return (f"{d.name} {lufs} LUFS (target {loud.target_lufs:g} ± {loud.tolerance_lu:g}), true peak {peak} dBTP "
            f"(≤ {loud.true_peak_max_dbtp:g})")


def silence_warning(name: str, loud: RenderedLoudness, timeline: Timeline) -> str:
    """What a silent deliverable gets: why (no sound in the edit, or silence), and what to do."""
    soundless = not any(seg.has_audio for seg in timeline.segments) and not timeline.audio
    why = ("the programme has no sound: no clip in the edit has an audio track" if soundless else
           "the programme's sound is silence: nothing above the −70 LUFS gate (−inf LUFS)")
    return (f"{name}: {why}; its profile needs programme sound at {loud.target_lufs:g} LUFS, and no gain makes "
            "silence that loud — add a music bed or a voice-over to the edit (a clip with sound in the cut, or an "
            "audio track in the NLE edit), then run again; QC fails the loudness until then")


def _subtitles_record(ws: Workspace) -> SubtitlesRecord | None:
    try:
        return read_subtitles_record(ws)
    except (ReportageError, OSError, ValueError):
        return None


def _no_file(record: SubtitlesRecord | None, lang: str) -> str | None:
    """Why `lang` has no subtitle file when that is as it should be (a programme without speech);
    None when it should have one (then it is a warning)."""
    if record is not None and record.no_speech and (lang not in record.languages
                                                    or record.languages[lang].cues == 0):
        return "no speech"
    return None


def _profiles(programme: Programme, only: tuple[str, ...]) -> dict[str, Profile]:
    names = list(programme.deliverables)
    if not names:
        raise ManifestError("lists no deliverables", path=programme.manifest_path,
                            hint="add e.g. `deliverables: [web-1080p, social-9x16]`")
    unknown = [n for n in only if n not in names]
    if unknown:
        raise ManifestError(f"--only {', '.join(unknown)}: not among the deliverables ({', '.join(names)})",
                            path=programme.manifest_path)
    return {n: programme_profile(programme.base_dir, programme.deliverable_profile(n))
            for n in names if not only or n in only}


def _excerpts(programme: Programme, timeline: Timeline, warnings: list[str]) -> tuple[Excerpt, ...]:
    """Each of the manifest's social cuts (`social: {in, out}`, or a list of them) in programme
    frames, cut at the programme's end; messages name `social[k]` when there are several."""
    cuts = programme.social_cuts
    fields = ["social"] if len(cuts) == 1 else [f"social[{k}]" for k in range(len(cuts))]
    return tuple(_excerpt(programme, timeline, cut, field, warnings) for cut, field in zip(cuts, fields, strict=True))


def _excerpt(programme: Programme, timeline: Timeline, social: SocialCut, field: str,
             warnings: list[str]) -> Excerpt:
    """One social cut in programme frames, cut at the programme's end."""
    start = Timecode.parse(social.start, timeline.rate).frames
    asked = Timecode.parse(social.end, timeline.rate).frames
    end = min(asked, timeline.duration_frames)
    if end <= start:
        total = float(Fraction(timeline.duration_frames) / timeline.rate)
        raise ManifestError(f"{field}: in {social.start} is not before out {social.end} (programme ends at "
                            f"{total:.2f} s)", path=programme.manifest_path)
    if end < asked:
        warnings.append(f"{field}.out {social.end} is past the end of the programme: cut at the end")
    return Excerpt(start, end, timeline.rate)


def slate_lines(programme: Programme, profile: Profile, timeline: Timeline) -> tuple[str, ...]:
    """What the leader's slate says: titles, id and deliverable, duration, loudness, start timecode."""
    title = programme.title
    duration = Timecode(timeline.duration_frames, timeline.rate)
    lines = [title.vi, title.en, f"{programme.id} · {profile.suffix}", f"Duration {duration}",
             f"Loudness {profile.loudness.target_lufs:g} LUFS · TP {profile.loudness.true_peak_max_dbtp:g} dBTP"]
    if profile.programme_start_tc:
        lines.append(f"Programme start {profile.programme_start_tc}")
    return tuple(lines)


def check_sources(ws: Workspace, timeline: Timeline) -> None:
    """Every file the timeline cuts from is there: a missing working copy names the conform stage,
    a missing source the footage. The timeline may be as recorded or `located`: each path is taken
    as a file on this machine (`Workspace.resolve`)."""
    if not timeline.segments:
        raise WorkspaceError("the timeline is empty", hint="run `reportage assemble MANIFEST` first")
    for seg in timeline.decoded():
        here = ws.resolve(seg.working_copy)
        if here.is_file():
            continue
        if here.name == ws.conform(seg.clip_id).name:
            raise WorkspaceError(f"clip {seg.clip_id} has no working copy yet", path=here,
                                 hint="run `reportage conform MANIFEST` (or `reportage run`)")
        raise WorkspaceError(f"the source of clip {seg.clip_id} is missing", path=here,
                             hint="put the footage back where the manifest says, then run `reportage ingest "
                                  "MANIFEST` again")
    check_transitions(timeline)


def _content_key(ws: Workspace, seg: Segment | AudioSegment) -> str:
    """What identifies a segment's working copy: the `content_key` ingest recorded (the source's
    SHA-256 and the conform settings), else the working copy's own SHA-256."""
    path = ingest_record_path(ws, seg.clip_id)
    key: Any = None
    if path.is_file():
        with contextlib.suppress(OSError, ValueError, AttributeError):
            key = fsutil.read_json(path).get("content_key")
    return str(key) if key else stagerun.content_hash(ws, ws.resolve(seg.working_copy))


@dataclass
class _Plan:
    """What `inputs` and `run` share: the deliverables to consider, their branches and inputs."""

    timeline: Timeline
    excerpts: tuple[Excerpt, ...]  # one per social cut (none when no excerpt deliverable is considered)
    brand: BrandingPlan
    branches: dict[str, Branch]
    inputs: dict[str, dict[str, Any]]
    warnings: list[str]
    meters: MeterCache
    sound: dict[str, Any]
    """What every deliverable's sound is made of (the timeline, the working copies, ffmpeg)."""
    content_keys: dict[str, str]
    """Each clip's working copy by content (`_content_key`)."""


def _plan(programme: Programme, ws: Workspace, settings: Settings, *, draw: bool) -> _Plan:
    recorded = load_timeline(ws.timeline_json)  # keyed as recorded: a moved workspace keeps its renders
    timeline = recorded.located(ws)  # the files on this machine, for ffmpeg
    check_sources(ws, timeline)
    profiles = _profiles(programme, settings.only)
    warnings: list[str] = []
    wants_excerpt = any(p.excerpt for p in profiles.values())
    excerpts = _excerpts(programme, timeline, warnings) if wants_excerpt else ()
    if not excerpts and wants_excerpt:
        warnings.append("no `social: {in, out}` in the manifest: excerpt profiles get the whole programme")
    brand = plan_branding(programme, timeline, ws.graphics_dir, settings.branding, dry_run=not draw)
    warnings += brand.warnings
    brand.branding = in_trunk_formats(brand.branding, _trunk_formats(profiles.values()), dry_run=not draw)
    content_keys = {seg.clip_id: _content_key(ws, seg) for seg in timeline.decoded()}
    shared = {
        "timeline": recorded.to_dict(),
        "working_copies": content_keys,
        "graphics": brand.placements, "logo": brand.logo_sha256, "branding": programme.manifest.branding.model_dump(),
        "titles": programme.title.model_dump(), "settings": asdict(settings.branding),
        "ffmpeg": ffmpeg.version(),
    }
    branches: dict[str, Branch] = {}
    keyed: dict[str, dict[str, Any]] = {}
    subtitles = _subtitles_record(ws)
    for name, profile in profiles.items():
        index = programme.deliverable_cut(name) if profile.excerpt and excerpts else None
        output = ws.render_dir(name) / profile.output_name(programme.id, part=(index or 0) + 1)
        rungs = profile.rung_profiles(timeline.width, timeline.height) if profile.ladder else ()
        if profile.ladder:  # a folder of one file per rung
            output = output.with_suffix("")
            if not rungs:
                raise ManifestError(f"{name}: no rung of its ladder fits the programme's {timeline.height} lines",
                                    path=programme.manifest_path, hint=f"add a lower rung to the {name} profile")
        lang = profile.subtitles.burn_in
        burn = ws.subtitle(lang, "srt") if lang else None
        if lang and burn is not None and not burn.exists():
            if _no_file(subtitles, lang) is None:  # no speech: nothing to burn in, nothing to say
                entry = subtitles.languages.get(lang) if subtitles is not None else None
                why = f" ({entry.failed})" if entry is not None and entry.failed else ""
                warnings.append(f"{name}: no {lang} subtitles yet ({burn}){why}: rendered without them")
            burn = None
        cut = excerpts[index] if index is not None else None
        keyed[name] = deliverable_inputs(ws, profile=profile, shared=shared, burn_in=burn, excerpt=cut)
        branches[name] = Branch(name, profile, output, subtitles=burn, excerpt=cut, fonts_dir=fonts_dir(), rungs=rungs)
    sound = {key: shared[key] for key in ("timeline", "working_copies", "ffmpeg")}
    return _Plan(timeline, excerpts, brand, branches, keyed, warnings, MeterCache(ws.loudness_cache_dir, sound),
                 sound, content_keys)


def _trunk_formats(profiles: Iterable[Profile]) -> set[str]:
    """The pixel formats the pass's trunks may take (`render/plan.trunk_format`), for the graphics."""
    return {trunk_format([Branch(p.name, p, Path(p.name))]) for p in profiles}


# -- the stage model ------------------------------------------------------------------------------

def settings(programme: Programme | None = None, **options: Any) -> Settings:
    """The stage's settings (`only`, `force`, `dry_run`, `branding`)."""
    return Settings(**options)


def plan(programme: Programme, ws: Workspace, settings: Settings | None = None) -> dict[str, Any]:
    """`{deliverable: inputs}`; every deliverable's inputs are None before there is a timeline."""
    settings = settings or Settings()
    if not ws.timeline_json.is_file():
        return {name: None for name in programme.deliverables if not settings.only or name in settings.only}
    return dict(_plan(programme, ws, settings, draw=False).inputs)


def make(programme: Programme, ws: Workspace, settings: Settings, work: Work) -> RenderReport:
    """The registry's entry point: `render_programme`."""
    return render_programme(programme, ws, settings, work.progress, work)


def proceed(programme: Programme, report: RenderReport) -> bool:
    """QC and packaging follow only when every deliverable came out within loudness tolerance."""
    return report.ok


# -- the work ---------------------------------------------------------------------------------------

def _read_record(ws: Workspace, warnings: list[str]) -> RenderRecord:
    try:
        return read_render_record(ws)
    except WorkspaceError as exc:
        warnings.append(f"{exc.problem}: every deliverable is rendered again")
        return RenderRecord(ws.programme_id)


def _from_record(entry: RenderedDeliverable) -> DeliverableResult:
    return DeliverableResult(entry.name, entry.file, "up to date", entry.duration_s, entry.size_bytes, entry.loudness)


def render_programme(programme: Programme, ws: Workspace, settings: Settings | None = None,
                     progress: ProgressFn = ignore, work: Work | None = None) -> RenderReport:
    """Render every stale deliverable of `programme` in one ffmpeg pass; see the module docstring."""
    settings = settings or Settings()
    work = work or Work.of(ws, STAGE, VERSION)
    began, started_at = time.monotonic(), time.time()
    planned = _plan(programme, ws, settings, draw=not settings.dry_run)
    timeline = planned.timeline
    warnings = list(planned.warnings)
    # burned-in cues over a lower third: told, never moved (`render/overlap.py`)
    thirds = planned.brand.lower_thirds
    warnings += [w for b in planned.branches.values() for w in overlap_warnings(b, thirds, timeline)]
    record = _read_record(ws, warnings)
    record_path = render_record_path(ws)
    results: dict[str, DeliverableResult] = {}
    stale: list[Branch] = []
    checks: dict[str, stagerun.Freshness] = {}
    for name, branch in planned.branches.items():
        # the same inputs make the same file, whatever failed elsewhere: upstream failures re-render
        # through what they change (the subtitles), and the walk says this stage is stale
        checks[name] = work.check(name, planned.inputs[name], [branch.output, record_path], upstream=False)
        entry = record.get(name)
        if not settings.force and checks[name].fresh and entry is not None and entry.path == branch.output:
            results[name] = _from_record(entry)
            continue
        stale.append(branch)
    report = RenderReport(programme.id, [], warnings, graphics_made=sum(g.made for g in planned.brand.graphics))
    if stale:
        with _picture_started(ws, programme, planned, settings, stale, progress) as picture:
            levelled: dict[str, Branch] = {}
            sources: dict[str, LoudnessMeasurement | None] = {}
            for cut, group in _by_excerpt(stale):  # one group, as ever, for one excerpt or none
                measured = _measure_programme(timeline, cut, planned.meters, progress, f"measure {programme.id}")
                settled = _levelled(timeline, cut if cut is not None else next(iter(planned.excerpts), None), group,
                                    measured, planned.meters, progress, settle_limited=not settings.dry_run)
                levelled.update((b.name, b) for b in settled)
                sources.update((b.name, _source_of(b, measured)) for b in settled)
            stale = [levelled[b.name] for b in stale]
            if settings.dry_run:
                warnings += [f"{b.name}: dry run: the limiter's gain {b.level.gain_db:+.2f} dB is a prediction; "
                             f"the render settles it by measurement"
                             for b in stale if b.level is not None and not b.level.linear]
            meta = {"title": programme.title.vi, "comment": programme.title.en}
            leaders = {b.name: LeaderSpec(b.profile, slate_lines(programme, b.profile, timeline),
                                          font_path("be-vietnam-pro-bold")) for b in stale if b.profile.leader.enabled}
            made = {name: ensure_leader(ws.graphics_dir, spec, dry_run=settings.dry_run)
                    for name, spec in leaders.items()}
            if settings.dry_run:
                dry = _dry_commands if settings.one_pass else partial(_dry_chunked, ws, programme, planned, settings)
                report.commands = dry(timeline, planned.brand.branding, stale, meta, leaders,
                                      {n: p for n, (p, _) in made.items()})
                results.update({b.name: DeliverableResult(b.name, str(b.output), "planned") for b in stale})
            else:
                report.leaders_made = sum(1 for _, was_made in made.values() if was_made)
                leader_files = {n: p for n, (p, _) in made.items()}
                if settings.one_pass:
                    rendered = _run(ws, timeline, planned.brand.branding, stale, meta, leader_files, sources, progress,
                                    f"render {programme.id}")
                else:
                    assert picture is not None
                    rendered, tally = _run_chunked(ws, programme, planned, stale, meta, leader_files, sources,
                                                   progress, picture)
                    report.chunks_made, report.chunks_reused, report.chunks_by_others = (
                        tally.made, tally.reused, tally.by_others)
                kept = {n: d for n, d in record.deliverables.items()
                        if n in programme.deliverables and n not in rendered}
                write_render_record(ws, RenderRecord(programme.id, kept | rendered))
                _prune_chunks(ws, kept | rendered)
                for name, entry in rendered.items():
                    results[name] = replace(_from_record(entry), status="rendered")
                    work.done(checks[name], [entry.path, record_path], started_at=started_at)
    subtitles = _subtitles_record(ws)
    for name, branch in planned.branches.items():
        output = Path(results[name].file)
        if not settings.dry_run and output.exists():
            results[name].sidecars = [str(p) for p in copy_sidecars(ws, branch.profile, output)]
            missing = [lang for lang in branch.profile.subtitles.sidecar
                       if not ws.subtitle(lang, "srt").exists() and _no_file(subtitles, lang) is None]
            if missing:
                warnings.append(f"{name}: no {', '.join(missing)} subtitle sidecars yet")
    report.deliverables = [results[n] for n in planned.branches]
    warnings += [silence_warning(d.name, d.loudness, timeline) for d in report.deliverables
                 if d.silent and d.loudness is not None]
    report.loudness_passes, report.loudness_reused = planned.meters.passes_run, planned.meters.passes_reused
    report.elapsed_s = time.monotonic() - began
    return report


def _by_excerpt(stale: list[Branch]) -> list[tuple[Excerpt | None, list[Branch]]]:
    """The stale branches grouped by the excerpt they carry, each group measured and levelled on its
    own: the branches of the whole programme go with the first excerpt (its pass measures the
    programme too), so one excerpt or none is one group, measured in one pass as before."""
    cuts: list[Excerpt | None] = [*dict.fromkeys(b.excerpt for b in stale if b.excerpt is not None)] or [None]
    groups: dict[Excerpt | None, list[Branch]] = {cut: [] for cut in cuts}
    for b in stale:
        groups[b.excerpt if b.excerpt is not None else cuts[0]].append(b)
    return list(groups.items())


def _measure_programme(timeline: Timeline, excerpt: Excerpt | None, meters: MeterCache,
                       progress: ProgressFn, task: str) -> dict[str, LoudnessMeasurement]:
    """The programme mix (and the excerpt) measured: one audio-only pass, or remembered from one."""
    return meters.measured(excerpt, None, lambda: _metered(timeline, excerpt, None, progress, task))


def _metered(timeline: Timeline, excerpt: Excerpt | None, trials: Trials | None,
             progress: ProgressFn, task: str) -> dict[str, LoudnessMeasurement]:
    """One audio-only pass (`render/plan.measure_pass`) run: every meter's figures."""
    total = float(Fraction(timeline.duration_frames) / timeline.rate)
    with feed_dir() as feeds:
        run = measure_pass(timeline, excerpt, trials, feed_dir=feeds)
        stderr = ffmpeg.run_ffmpeg(run.args, duration_s=total, subject=timeline.programme_id, feeds=run.feeds,
                                   progress=lambda f: progress(Progress(task, f * total, total)))
    return parse_ebur128(stderr)


def _source_of(branch: Branch, measured: Mapping[str, LoudnessMeasurement]) -> LoudnessMeasurement | None:
    """The figures a branch is corrected from: the excerpt's for an excerpt branch, else the programme's."""
    return measured.get("excerpt" if branch.excerpt is not None else "programme") or measured.get("programme")


def _trial_meter(timeline: Timeline, excerpt: Excerpt | None, branches: Mapping[str, Branch],
                 meters: MeterCache, progress: ProgressFn) -> TrialMeter:
    """`settle`'s meter: the trials in one audio-only pass (`measure_pass`), each on its own stretch;
    a round asked before of the same sound is answered from `meters`."""

    def meter(trials: Mapping[str, Normalisation]) -> dict[str, float]:
        spec = {name: (c, branches[name.removesuffix(PROBE_SUFFIX)].excerpt is not None)
                for name, c in trials.items()}
        found = meters.measured(excerpt, spec, lambda: _metered(timeline, excerpt, spec, progress, "loudness"))
        return {name: found[trial_meter(name)].integrated_lufs for name in trials if trial_meter(name) in found}

    return meter


def _levelled(timeline: Timeline, excerpt: Excerpt | None, branches: list[Branch],
              measured: Mapping[str, LoudnessMeasurement], meters: MeterCache, progress: ProgressFn, *,
              settle_limited: bool = True) -> list[Branch]:
    """Each branch with its loudness correction, limited ones settled by measurement (unless not
    `settle_limited`: a dry run shows the predicted gain)."""
    corrections: dict[str, Normalisation] = {}
    for b in branches:
        source = _source_of(b, measured)
        if source is not None:
            loud = b.profile.loudness
            corrections[b.name] = normalisation_for(source, loud.target_lufs, loud.true_peak_max_dbtp,
                                                    headroom_db=headroom_for(b.profile.audio.codec))
    if not settle_limited:
        return [replace(b, level=corrections.get(b.name)) for b in branches]
    targets = {b.name: b.profile.loudness.target_lufs for b in branches}
    settled = settle(corrections, targets,
                     _trial_meter(timeline, excerpt, {b.name: b for b in branches}, meters, progress))
    return [replace(b, level=settled.get(b.name)) for b in branches]


def _dry_commands(timeline: Timeline, branding: Branding, branches: list[Branch], meta: dict[str, str],
                  leaders: Mapping[str, LeaderSpec], leader_files: Mapping[str, Path]) -> list[list[str]]:
    """What a render would run: leaders not yet cached, the one pass (after the feeders that run
    alongside it, writing the FIFOs it reads, for a long timeline), then each leader's join."""
    commands = [leader_args(spec, leader_files[name]) for name, spec in leaders.items()
                if not leader_files[name].exists()]
    one = render_pass(timeline, branding, branches, metadata=meta,
                      feed_dir=Path(tempfile.gettempdir()) / f"reportage-feed-{timeline.programme_id}")
    commands += [list(run) for feed in one.feeds for run in feed.runs]
    commands.append(one.args)
    for name, spec in leaders.items():
        body = next(b.output for b in branches if b.name == name)
        commands.append(join_args(body.with_name(body.name + ".ffconcat"), spec.profile, body, tuple(meta.items())))
    return commands


def _dry_chunked(ws: Workspace, programme: Programme, planned: _Plan, settings: Settings, timeline: Timeline,
                 branding: Branding, branches: list[Branch], meta: dict[str, str], leaders: Mapping[str, LeaderSpec],
                 leader_files: Mapping[str, Path]) -> list[list[str]]:
    """What a chunked render would run: leaders not yet cached; the sound pass (when a deliverable's
    sound is not in the store); each chunk job with an output not in the store (its burned-in cues
    drawn from the ASS the render writes, named here beside the subtitle file); each file's join;
    each leader's join. Feeder runs come before the command that reads them."""
    store = chunkstore.store_dir(ws.dir)
    scratch = Path(tempfile.gettempdir()) / f"reportage-feed-{timeline.programme_id}"
    commands = [leader_args(spec, leader_files[name]) for name, spec in leaders.items()
                if not leader_files[name].exists()]
    sounds = {b.name: sound_key(planned.sound, b) for b in branches}
    unsounded = [replace(b, output=sound_path(store, sounds[b.name])) for b in branches
                 if not sound_path(store, sounds[b.name]).is_file()]
    passes = [sound_pass(timeline, unsounded, feed_dir=scratch)] if unsounded else []
    jobs = plan_jobs(timeline, branding, branches, _chunk_context(ws, programme, planned, settings), store)
    for job in jobs:
        if missing := job.missing():
            burns = {o.subtitles: o.subtitles.with_suffix(".ass") for o in missing if o.subtitles is not None}
            passes.append(job_pass(timeline, branding, job, missing, {o.key: o.path for o in missing}, burns, scratch))
    for one in passes:
        commands += [list(run) for feed in one.feeds for run in feed.runs]
        commands.append(one.args)
    for b in branches:
        for index, (member, profile) in enumerate(members(b)):
            out = b.output / member if b.rungs else b.output
            listing = out.with_name(out.name + ".ffconcat")
            sound = sound_path(store, sounds[b.name]) if index == 0 else None
            commands.append(join_chunks_args(listing, sound, profile, out, tuple(meta.items())))
        if b.name in leaders:
            commands.append(join_args(b.output.with_name(b.output.name + ".ffconcat"), b.profile, b.output,
                                      tuple(meta.items())))
    return commands


def _run(ws: Workspace, timeline: Timeline, branding: Branding, branches: list[Branch], meta: dict[str, str],
         leaders: dict[str, Path], sources: Mapping[str, LoudnessMeasurement | None], progress: ProgressFn,
         task: str) -> dict[str, RenderedDeliverable]:
    """The one pass, then each leader joined before its body; every file renamed into place only
    when all of them are complete (a failure leaves the previous renders as they were). `sources`:
    the figures each branch was corrected from (`_source_of`), for its record."""
    total = max(output_seconds(timeline, b) for b in branches)
    for b in branches:
        for path in fsutil.clear_leftovers(b.output):
            log.info("deleted %s, left by an interrupted render", path)
    with contextlib.ExitStack() as stack:
        finals = {b.name: stack.enter_context(fsutil.atomic_dir(b.output) if b.rungs
                                              else fsutil.atomic_path(b.output, min_bytes=1)) for b in branches}
        bodies = {b.name: stack.enter_context(fsutil.scratch_path(b.output, ".body")) for b in branches
                  if b.name in leaders}
        temps = [replace(b, output=bodies.get(b.name, finals[b.name])) for b in branches]
        for index, b in enumerate(temps):  # burned-in text: the cues' own text, escaped for libass
            if b.subtitles is not None:
                ass = stack.enter_context(fsutil.scratch_path(branches[index].output, ".burn", suffix=".ass"))
                temps[index] = replace(b, subtitles=write_burn_ass(b.subtitles, ass))
        feeds = stack.enter_context(feed_dir())
        one: Pass = render_pass(timeline, branding, temps, metadata=meta, feed_dir=feeds)
        stderr = ffmpeg.run_ffmpeg(one.args, duration_s=total, subject=ws.dir / "renders", feeds=one.feeds,
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
    return {b.name: _finish(ws, b, meters.get(meter_name(b.name)), sources.get(b.name)) for b in branches}


def _stretches(programme: Programme, timeline: Timeline) -> dict[str, tuple[Profile, Excerpt | None]]:
    """Every deliverable of the programme (not only this pass's) with the stretch it carries."""
    profiles = _profiles(programme, ())
    excerpts = _excerpts(programme, timeline, []) if any(p.excerpt for p in profiles.values()) else ()
    out: dict[str, tuple[Profile, Excerpt | None]] = {}
    for name, profile in profiles.items():
        index = programme.deliverable_cut(name) if profile.excerpt and excerpts else None
        out[name] = (profile, excerpts[index] if index is not None else None)
    return out


def _chunk_context(ws: Workspace, programme: Programme, planned: _Plan, settings: Settings) -> ChunkContext:
    """The keys' shared part, from every deliverable of the programme: the grid and each stretch's
    trunk do not depend on which deliverables are stale."""
    timeline = planned.timeline
    every = _stretches(programme, timeline)
    profiles: list[Profile] = []
    groups: dict[Excerpt | None, list[Profile]] = {}
    for profile, cut in every.values():
        rungs = profile.rung_profiles(timeline.width, timeline.height) if profile.ladder else ()
        profiles += [profile, *rungs]
        groups.setdefault(cut, []).append(profile)
    return chunk_context(ws, timeline, planned.brand.branding, profiles, groups, planned.content_keys,
                         target_s=settings.chunk_s)


@contextlib.contextmanager
def _picture_started(ws: Workspace, programme: Programme, planned: _Plan, settings: Settings, stale: list[Branch],
                     progress: ProgressFn) -> Iterator[PictureRun | None]:
    """The chunks of the stale deliverables' picture being encoded (and published for helpers,
    `_published`) while the block measures and renders the sound; None for a dry run or one pass.
    The block's failure stops the taking of new chunks."""
    if settings.dry_run or settings.one_pass:
        yield None
        return
    store = chunkstore.store_dir(ws.dir)
    jobs = plan_jobs(planned.timeline, planned.brand.branding, stale,
                     _chunk_context(ws, programme, planned, settings), store)
    with _published(store, stale, jobs, settings):  # other workers on the shared workspace may help
        picture = PictureRun(planned.timeline, planned.brand.branding, jobs, store,
                             workers=settings.workers or default_workers(), progress=progress,
                             task=f"render {programme.id}").start()
        try:
            yield picture
            picture.wait()
        except BaseException:
            picture.cancel()
            raise


def _run_chunked(ws: Workspace, programme: Programme, planned: _Plan, branches: list[Branch],
                 meta: dict[str, str], leaders: dict[str, Path], sources: Mapping[str, LoudnessMeasurement | None],
                 progress: ProgressFn, picture: PictureRun) -> tuple[dict[str, RenderedDeliverable], ChunkTally]:
    """The sound whole (while the picture's chunks are encoded: `_picture_started`), then each file
    joined from its chunks and its sound (`render/chunked.py`), then each leader joined before its
    body as in the one pass. Every final name appears only when all of the pass's files are
    complete; chunks and sound stay in the store for the next render."""
    timeline = planned.timeline
    store = chunkstore.store_dir(ws.dir)
    jobs = picture.jobs
    sounds = {b.name: sound_key(planned.sound, b) for b in branches}
    figures = make_sound(timeline, branches, sounds, store, progress, f"sound {programme.id}")
    tally = picture.wait()
    for b in branches:
        for path in fsutil.clear_leftovers(b.output):
            log.info("deleted %s, left by an interrupted render", path)
    spans: dict[str, list[ChunkSpan]] = {b.name: [] for b in branches}
    with contextlib.ExitStack() as stack:
        finals = {b.name: stack.enter_context(fsutil.atomic_dir(b.output) if b.rungs
                                              else fsutil.atomic_path(b.output, min_bytes=1)) for b in branches}
        bodies = {b.name: stack.enter_context(fsutil.scratch_path(b.output, ".body")) for b in branches
                  if b.name in leaders}
        for b in branches:
            progress(Progress(f"join {b.name}", 0, 1))
            base = bodies.get(b.name, finals[b.name])
            for index, (member, profile) in enumerate(members(b)):
                fps = Fraction(str(profile.video.fps))
                lead = round(Fraction(str(profile.leader.total_s)) * fps) if profile.leader.enabled else 0
                chunks = file_spans(jobs, b, member, lead, fps, timeline.rate)
                if b.name in leaders:  # the cached leader is a span of its own: the spans tile the file
                    spans[b.name].append(ChunkSpan(member, 0, lead, leaders[b.name].stem))
                sound = sound_path(store, sounds[b.name]) if index == 0 else None
                join(chunks, sound, profile, base / member if b.rungs else base, tuple(meta.items()),
                     final=None if b.rungs else b.output)
                spans[b.name] += [span for _, span in chunks]
            if b.name in leaders:
                listing = stack.enter_context(fsutil.scratch_path(b.output, ".ffconcat", suffix=".ffconcat"))
                write_concat_list(listing, leaders[b.name], b.profile.leader.total_s, bodies[b.name])
                ffmpeg.run_ffmpeg(join_args(listing, b.profile, finals[b.name], tuple(meta.items())), subject=b.output)
            progress(Progress(f"join {b.name}", 1, 1))
    chunkstore.clear_dead(store)  # what a killed render left, now nobody encodes
    return {b.name: replace(_finish(ws, b, figures[b.name].meter, sources.get(b.name), encoded=figures[b.name].encoded),
                            chunks=tuple(spans[b.name]), sound=sounds[b.name]) for b in branches}, tally


PLAN_FILE = "plan.json"
"""The chunk jobs of the render running now, in the store: what a worker helping it may encode."""


@contextlib.contextmanager
def _published(store: Path, branches: list[Branch], jobs: list[ChunkJob], settings: Settings) -> Iterator[None]:
    """`cache/chunks/plan.json` while the chunks are made: the deliverables, the chunk length and
    the jobs' names, so a helper (`assist_render`) plans the same jobs and takes only these."""
    path = store / PLAN_FILE
    fsutil.write_json(path, {"deliverables": [b.name for b in branches], "chunk_s": settings.chunk_s,
                             "jobs": [j.name for j in jobs if j.missing()], "written": time.time()})
    try:
        yield
    finally:
        path.unlink(missing_ok=True)


@dataclass
class AssistReport:
    """What a helping worker did for a render running elsewhere (`assist_render`)."""

    programme_id: str
    chunks_made: int = 0
    jobs_taken: int = 0
    waited_s: float = 0.0
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def assist_render(programme: Programme, ws: Workspace, *, busy: Callable[[], bool], progress: ProgressFn = ignore,
                  workers: int | None = None, grace_s: float = 30.0) -> AssistReport:
    """Encode chunks of the render another process is running on this programme (a Dramatiq worker
    on the shared workspace): wait for its published jobs (`_published`) while it runs (`busy`: the
    programme's lock is held), plan them as it does, take the ones nobody holds, stop when none is
    left. Nothing is joined or recorded here, and no lock is taken: the render owns those."""
    store = chunkstore.store_dir(ws.dir)
    began = time.monotonic()
    report = AssistReport(programme.id)
    while True:
        published = _read_plan(store / PLAN_FILE)
        if published is not None and busy():
            break
        if time.monotonic() - began > grace_s and not busy():
            report.note = "no render of this programme is running: nothing to help with"
            report.waited_s = time.monotonic() - began
            return report
        time.sleep(1.0)
    report.waited_s = time.monotonic() - began
    names, wanted = published
    settings = Settings(only=tuple(names["deliverables"]), chunk_s=float(names["chunk_s"]))
    planned = _plan(programme, ws, settings, draw=True)
    branches = list(planned.branches.values())
    jobs = [j for j in plan_jobs(planned.timeline, planned.brand.branding, branches,
                                 _chunk_context(ws, programme, planned, settings), store) if j.name in wanted]
    if len(jobs) < len(wanted):
        report.note = f"{len(wanted) - len(jobs)} of the render's chunks are planned differently here: left to it"
    tally = make_chunks(planned.timeline, planned.brand.branding, jobs, store, workers=workers or default_workers(),
                        progress=progress, task=f"help render {programme.id}", wait=False)
    report.chunks_made = tally.made
    report.jobs_taken = tally.taken
    return report


def _read_plan(path: Path) -> tuple[dict[str, Any], set[str]] | None:
    """The published plan (`_published`), or None when there is none (or it is being replaced)."""
    try:
        data = fsutil.read_json(path)
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("jobs"), list):
        return None
    return data, {str(j) for j in data["jobs"]}


def _prune_chunks(ws: Workspace, deliverables: Mapping[str, RenderedDeliverable]) -> None:
    """Delete the chunks and sounds no recorded deliverable uses any more."""
    keep = {c.key for d in deliverables.values() for c in d.chunks}
    keep |= {d.sound for d in deliverables.values() if d.sound}
    for path in chunkstore.prune(chunkstore.store_dir(ws.dir), keep):
        log.info("deleted chunk %s: no deliverable uses it", path.name)


def _finish(ws: Workspace, branch: Branch, meter: LoudnessMeasurement | None,
            source: LoudnessMeasurement | None, *, encoded: LoudnessMeasurement | None = None) -> RenderedDeliverable:
    """Probe the finished file and measure its loudness again: its entry in the render record.
    `encoded`: the figures of the encoded sound the file carries by stream copy, measured when it
    was rendered (`render/chunked.SoundFigures`): the same packets are not decoded twice."""
    p, out = branch.profile, branch.output
    main = branch.rung_outputs()[0] if branch.rungs else out  # the first rung carries the sound
    info = ffmpeg.ffprobe_json(main)
    duration = float(info.get("format", {}).get("duration", 0.0))
    figures, how = meter, "ebur128 in the render pass, before encoding (mono tracks)"
    if not p.audio.mono_tracks and encoded is not None:
        figures, how = encoded, "ebur128 of the encoded sound the file carries (BS.1770-4)"
    elif not p.audio.mono_tracks:
        skip = [f"atrim=start={p.leader.total_s:g}"] if p.leader.enabled else []
        figures, how = measure(main, filters=skip), "ebur128 of the output file (BS.1770-4)"
    loudness = None
    if figures is not None:
        loud, level = p.loudness, branch.level
        numbers = figures.as_dict()
        loudness = RenderedLoudness(
            integrated_lufs=numbers["integrated_lufs"], true_peak_dbtp=numbers["true_peak_dbtp"],
            lra_lu=numbers["lra_lu"], target_lufs=loud.target_lufs, tolerance_lu=loud.tolerance_lu,
            true_peak_max_dbtp=loud.true_peak_max_dbtp,
            within_tolerance=figures.meets(loud.target_lufs, loud.tolerance_lu, loud.true_peak_max_dbtp),
            gain_db=level.gain_db if level else 0.0, limiter_ceiling_dbtp=level.limiter_ceiling_dbtp if level else None,
            before_lufs=source.integrated_lufs if source else None, measured_by=how)
    if loudness is not None:  # the loudness log beside the file, for whoever receives the folder
        fsutil.write_json(out.with_name(out.name + ".loudness.json"),
                          {"deliverable": branch.name, "file": out.name, **loudness.to_json()})
    size = sum(f.stat().st_size for f in branch.rung_outputs()) if branch.rungs else out.stat().st_size
    return RenderedDeliverable(branch.name, str(out), p.name, round(duration, 3), size, loudness,
                               excerpt_s=branch.excerpt.seconds if branch.excerpt else None, leader_s=p.leader.total_s,
                               rendered_at=time.time(), files=deliverable_files(ws, out, first=main.name),
                               folder=out.is_dir())
