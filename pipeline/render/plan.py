"""The whole render as one ffmpeg argument list, built as data (no ffmpeg runs here).

Shape of the process (one per programme; `benchmarks/render.py` times it against one process per
output):

    segments (-ss/-t inputs) ─ concat ─ logo ─ graphics overlays ─ split=N ─┬─ branch 1 ─ out 1
                                                                          └─ branch N ─ out N
    excerpt segments (-ss/-t inputs) ─ concat ─ logo ─ graphics ─ split ─── excerpt branches

Every full-length deliverable comes from the one programme decode. A deliverable of the social
excerpt gets a second, short trunk in the same process that decodes only the excerpt's stretch: a
`trim` on the shared decode would make ffmpeg 5.1 hold every frame before the excerpt starts (9 GiB
measured for the sample's 40 s). Each trunk is its own `-filter_complex`, so neither waits on the
other. A broadcast leader is not in the graph at all (see `render/leader.py`): the branch encodes
the programme body, which is joined after the cached leader by stream copy.

A branch fits/verticalises/interlaces with `graphs.video_for`, burns subtitles, applies the
deliverable's loudness correction (numbers, `loudness.Normalisation`, turned into filters here by
`loudness.loudness_chain`) and ends its sound in an `ebur128@<name>` meter, so the render's own
stderr reports the loudness of what it encoded. The same segment inputs feed `measure_args`, the
quick audio-only pass that measures the programme (and the social excerpt) before the render, and
meters the settling trials of limited corrections.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path

from ..media import graphs as g
from ..media.encode import output_args
from ..media.ffmpeg import Feed, safe_input
from ..media.loudness import Normalisation, loudness_chain
from ..profiles import DEFAULT_SAFE_AREAS, Profile
from ..timeline import Timeline

PLAN_VERSION = 3

FEED_BATCH = 32
"""Segments one process decodes. A timeline of up to this many is decoded by the render itself (one
seeked input each); a longer one by feeder processes of this many segments each, one after another,
writing the conformed picture and sound into FIFOs the render reads as two raw inputs (`Feed`). So
no process opens more than this many inputs at once (1,200 inputs would mean 1,200 open decoders and
an argument list the system refuses), and no argument grows with the cut count."""

# The raw inputs from feeders carry their format in the options: nothing to probe, and probing would
# wait for seconds of one FIFO while its feeder blocks on the other.
_RAW_INPUT = ("-probesize", "32", "-analyzeduration", "0", "-fpsprobesize", "0")
_VIDEO_QUEUE = "64"  # frames read ahead from the picture FIFO
_AUDIO_QUEUE = "8192"  # 1,024-sample packets (~3 min at 48 kHz): the sound never holds the picture back


def _sec(value: Fraction | float) -> str:
    """Seconds for argv: exact to the microsecond, no float noise."""
    return f"{float(value):.6f}".rstrip("0").rstrip(".") or "0"


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def meter_name(deliverable: str) -> str:
    """The ebur128 instance name of a deliverable (`web-720p` → `out_web_720p`)."""
    return "out_" + _safe(deliverable)


def trial_meter(name: str) -> str:
    """The ebur128 instance name of a settling trial in `measure_args` (`web-720p` → `trial_web_720p`)."""
    return "trial_" + _safe(name)


@dataclass(frozen=True)
class Overlay:
    """A cached graphic (with alpha) shown from `start_s` of programme time, its top-left corner at
    (x, y) of the programme frame (0,0 for a full-frame graphic)."""

    path: Path
    start_s: float
    duration_s: float = 0.0
    x: int = 0
    y: int = 0


@dataclass(frozen=True)
class Branch:
    """One deliverable in the pass: its profile, where ffmpeg writes it, and what it adds."""

    name: str
    profile: Profile
    output: Path
    level: Normalisation | None = None
    subtitles: Path | None = None
    excerpt: tuple[float, float] | None = None  # programme seconds (in, out)
    fonts_dir: Path | None = None


@dataclass(frozen=True)
class Branding:
    """What the shared trunk composes over the programme before it splits."""

    logo: Path | None = None
    corner: g.Corner = "top-right"
    opacity: float = 0.85
    logo_height_pct: float = 8.0
    overlays: tuple[Overlay, ...] = ()


@dataclass(frozen=True)
class Pass:
    """One ffmpeg command and the feeds (`Feed`) it reads; `feeds` is empty for a short timeline."""

    args: list[str]
    feeds: tuple[Feed, ...] = ()


@dataclass
class _Inputs:
    args: list[str] = field(default_factory=list)
    count: int = 0

    def add(self, *args: str) -> int:
        self.args += args
        self.count += 1
        return self.count - 1


def trunk_format(branches: Sequence[Branch]) -> str:
    """The pixel format of the shared picture: 4:2:2 when a deliverable in the pass keeps 4:2:2
    (XDCAM, ProRes), else 4:2:0. Pinned, so one conversion per segment is all there is; left to
    negotiation, an RGBA logo would pull the whole trunk into RGBA."""
    return "yuv422p" if any(not b.profile.video.pix_fmt.startswith("yuv420") for b in branches) else "yuv420p"


def segment_chains(timeline: Timeline, inputs: _Inputs, *, video: bool = True,
                   prefix: str = "s", pix_fmt: str = "yuv420p") -> tuple[list[g.Chain], list[str]]:
    """One input per timeline segment (seeked with -ss/-t), conformed and ready for concat.

    Video is reset to start at zero, brought to the house size, rate and `pix_fmt`; sound is made 48 kHz stereo
    and padded/trimmed to the segment's exact length (a silent segment gets generated silence), so
    concat never drifts and the programme is exactly `duration_frames` long.
    """
    chains: list[g.Chain] = []
    pads: list[str] = []
    rate = timeline.rate
    fps = f"{rate.numerator}/{rate.denominator}"
    for index, seg in enumerate(timeline.segments):
        start = Fraction(seg.src_in_frame) / rate
        length = Fraction(seg.length) / rate
        n = inputs.add("-ss", _sec(start), "-t", _sec(length), "-i", safe_input(Path(seg.working_copy)))
        v_label, a_label = f"{prefix}{index}v", f"{prefix}{index}a"
        if video:
            chains.append(g.chain(f"{n}:v", [
                g.filter_("fps", fps), g.filter_("trim", end_frame=seg.length), g.filter_("setpts", "PTS-STARTPTS"),
                g.filter_("scale", w=timeline.width, h=timeline.height), g.pixel_format(pix_fmt),
                g.filter_("setsar", "1"),
            ], v_label))
            pads.append(v_label)
        audio = [*g.audio_conform(timeline.sample_rate), g.filter_("apad", whole_dur=_sec(length)),
                 g.filter_("atrim", duration=_sec(length)), g.filter_("asetpts", "PTS-STARTPTS")]
        if seg.has_audio:
            chains.append(g.chain(f"{n}:a", audio, a_label))
        else:
            silence = g.filter_("anullsrc", channel_layout="stereo", sample_rate=timeline.sample_rate)
            chains.append(g.Chain((silence, *audio[2:]), (), (a_label,)))
        pads.append(a_label)
    return chains, pads


def programme_sources(timeline: Timeline, inputs: _Inputs, *, video: bool = True, prefix: str = "",
                      pix_fmt: str = "yuv420p", feed_dir: Path | None = None
                      ) -> tuple[list[g.Chain], str, str, list[Feed]]:
    """The timeline's conformed, joined picture and sound as the labels `<prefix>prog_v` and
    `<prefix>prog_a` (the picture label is unused when not `video`), and the feeds that supply them.

    Up to `FEED_BATCH` segments are inputs of this command (`segment_chains`, then `concat`); more
    are decoded by feeders writing FIFOs in `feed_dir` (`feed_for`), read here as raw inputs."""
    prog_v, prog_a = f"{prefix}prog_v", f"{prefix}prog_a"
    if len(timeline.segments) <= FEED_BATCH:
        chains, pads = segment_chains(timeline, inputs, video=video, prefix=f"{prefix}s", pix_fmt=pix_fmt)
        if video:
            chains.append(g.concat([(pads[i], pads[i + 1]) for i in range(0, len(pads), 2)], prog_v, prog_a))
        else:
            chains.append(g.Chain((g.filter_("concat", n=len(pads), v=0, a=1),), tuple(pads), (prog_a,)))
        return chains, prog_v, prog_a, []
    if feed_dir is None:
        raise ValueError(f"{len(timeline.segments)} segments are decoded by feeders: give feed_dir")
    feed = feed_for(timeline, feed_dir, prefix or "prog", video=video, pix_fmt=pix_fmt)
    chains = []
    rate = timeline.rate
    if video:
        n = inputs.add("-thread_queue_size", _VIDEO_QUEUE, *_RAW_INPUT, "-f", "rawvideo", "-pix_fmt", pix_fmt,
                       "-video_size", f"{timeline.width}x{timeline.height}",
                       "-framerate", f"{rate.numerator}/{rate.denominator}", "-i", safe_input(feed.pipes[0]))
        chains.append(g.chain(f"{n}:v", [g.filter_("setsar", "1")], prog_v))
    n = inputs.add("-thread_queue_size", _AUDIO_QUEUE, *_RAW_INPUT, "-f", "f32le",
                   "-sample_rate", str(timeline.sample_rate), "-ch_layout", "stereo", "-i", safe_input(feed.pipes[-1]))
    chains.append(g.chain(f"{n}:a", ["anull"], prog_a))
    return chains, prog_v, prog_a, [feed]


def feed_for(timeline: Timeline, feed_dir: Path, name: str, *, video: bool = True,
             pix_fmt: str = "yuv420p") -> Feed:
    """The feeder runs of a long timeline: `FEED_BATCH` segments each, conformed exactly as the
    render conforms a short one (`segment_chains`: every segment to its frame and sample), written as
    raw `pix_fmt` video and 32-bit float PCM into `<name>.video.fifo` / `<name>.audio.fifo`."""
    video_pipe, audio_pipe = feed_dir / f"{_safe(name)}.video.fifo", feed_dir / f"{_safe(name)}.audio.fifo"
    segments = timeline.segments
    runs: list[tuple[str, ...]] = []
    for start in range(0, len(segments), FEED_BATCH):
        part = replace(timeline, segments=segments[start:start + FEED_BATCH])
        inputs = _Inputs()
        chains, v, a, _ = programme_sources(part, inputs, video=video, pix_fmt=pix_fmt)
        out = ["-map", f"[{v}]", "-f", "rawvideo", "-pix_fmt", pix_fmt, safe_input(video_pipe)] if video else []
        out += ["-map", f"[{a}]", "-f", "f32le", "-ar", str(timeline.sample_rate), "-ac", "2", safe_input(audio_pipe)]
        runs.append((*inputs.args, "-filter_complex", g.graph(chains), *out))
    return Feed((video_pipe, audio_pipe) if video else (audio_pipe,), tuple(runs))


def measure_pass(timeline: Timeline, excerpt: tuple[float, float] | None = None,
                 trials: Mapping[str, tuple[Normalisation, bool]] | None = None, *,
                 feed_dir: Path | None = None) -> Pass:
    """The audio-only pass: the programme mix measured once (`ebur128@programme`), the social
    excerpt (`ebur128@excerpt`) and any `trials` — name → (correction, on the excerpt?) metered as
    `ebur128@<trial_meter(name)>`, the limiter at the programme rate — all from the same decode.
    Video is never decoded. `feed_dir`: where a long timeline's FIFOs go (`programme_sources`)."""
    inputs = _Inputs()
    chains, _, mix, feeds = programme_sources(timeline, inputs, video=False, feed_dir=feed_dir)
    meters: list[tuple[str, bool, Sequence[str]]] = [("programme", False, ())]
    if excerpt is not None:
        meters.append(("excerpt", True, ()))
    for name, (correction, on_excerpt) in (trials or {}).items():
        chain = loudness_chain(correction.gain_db, correction.limiter_ceiling_dbtp, timeline.sample_rate,
                               oversample=False)
        meters.append((trial_meter(name), on_excerpt and excerpt is not None, chain))
    chains += g.fanout(mix, [f"mix_{i}" for i in range(len(meters))], audio=True)
    args_out: list[str] = []
    for index, (meter, on_excerpt, filters) in enumerate(meters):
        cut = [g.filter_("atrim", start=_sec(excerpt[0]), end=_sec(excerpt[1]))] if on_excerpt and excerpt else []
        chains.append(g.chain(f"mix_{index}", [*cut, *filters, g.loudness_meter(meter)], f"m_{meter}"))
        args_out += ["-map", f"[m_{meter}]", "-f", "null", "-"]
    return Pass([*inputs.args, "-filter_complex", g.graph(chains), *args_out], tuple(feeds))


def measure_args(timeline: Timeline, excerpt: tuple[float, float] | None = None,
                 trials: Mapping[str, tuple[Normalisation, bool]] | None = None) -> list[str]:
    """`measure_pass` of a timeline short enough to need no feeders: its arguments."""
    return measure_pass(timeline, excerpt, trials).args


def trunk_chains(timeline: Timeline, branding: Branding, inputs: _Inputs, prefix: str = "",
                 pix_fmt: str = "yuv420p", feed_dir: Path | None = None
                 ) -> tuple[list[g.Chain], str, str, list[Feed]]:
    """Decode and join the segments (`programme_sources`), then compose logo and graphics: the shared
    programme picture, in `pix_fmt` throughout. `prefix` keeps the labels of a second trunk (the
    excerpt's) apart."""
    chains, prog_v, prog_a, feeds = programme_sources(timeline, inputs, prefix=prefix, pix_fmt=pix_fmt,
                                                      feed_dir=feed_dir)
    blend = g.overlay_format(pix_fmt)
    current = prog_v
    if branding.logo is not None:
        n = inputs.add("-i", safe_input(branding.logo))
        safe = DEFAULT_SAFE_AREAS.title.pixels(timeline.width, timeline.height)  # one logo for every deliverable
        chains += g.logo_overlay(current, f"{n}:v", f"{prefix}logo_v", frame_h=timeline.height, title_safe=safe,
                                 corner=branding.corner, opacity=branding.opacity,
                                 height_pct=branding.logo_height_pct, prefix=f"{prefix}logo", blend=blend)
        current = f"{prefix}logo_v"
    for index, overlay in enumerate(branding.overlays):
        n = inputs.add("-i", safe_input(overlay.path))
        shifted, out = f"{prefix}gfx{index}", f"{prefix}brand{index}"
        chains.append(g.chain(f"{n}:v", [g.filter_("setpts", f"PTS+{_sec(overlay.start_s)}/TB")], shifted))
        chains.append(g.chain((current, shifted), [g.filter_("overlay", x=overlay.x, y=overlay.y,
                                                             eof_action="pass", format=blend)], out))
        current = out
    return chains, current, prog_a, feeds


def branch_chains(branch: Branch, v_src: str, a_src: str, prefix: str) -> tuple[list[g.Chain], list[str]]:
    """The filters of one deliverable, from the shared picture and sound to its `-map` labels."""
    p = branch.profile
    chains: list[g.Chain] = []
    if branch.excerpt is not None:
        # the timeline was cut to the excerpt (`excerpt_timeline`); subtitles cues are in programme
        # time, so the picture carries programme timestamps through the subtitles filter
        chains.append(g.chain(v_src, [g.filter_("setpts", f"PTS+{_sec(branch.excerpt[0])}/TB")], f"{prefix}_tv"))
        v_src = f"{prefix}_tv"
    chains += g.video_for(p, v_src, f"{prefix}_pic", prefix=prefix)
    picture = f"{prefix}_pic"
    post: list[str] = []
    if branch.subtitles is not None:
        post.append(g.burn_subtitles(branch.subtitles, fonts_dir=branch.fonts_dir or branch.subtitles.parent,
                                     style=g.subtitle_style_for(p)))
    if branch.excerpt is not None:
        post.append(g.filter_("setpts", "PTS-STARTPTS"))
    if post:
        chains.append(g.chain(picture, post, f"{prefix}_post"))
        picture = f"{prefix}_post"
    chains.append(g.chain(picture, ["null"], f"{prefix}_vout"))
    level = branch.level.filters(p.audio.sample_rate) if branch.level is not None else ()
    audio, maps = g.audio_for(p, a_src, level=level, meter=meter_name(branch.name), prefix=prefix)
    return chains + audio, [f"{prefix}_vout", *maps]


def render_args(timeline: Timeline, branding: Branding, branches: Sequence[Branch],
                *, metadata: dict[str, str] | None = None) -> list[str]:
    """`render_pass` of a timeline short enough to need no feeders: its arguments."""
    return render_pass(timeline, branding, branches, metadata=metadata).args


def render_pass(timeline: Timeline, branding: Branding, branches: Sequence[Branch],
                *, metadata: dict[str, str] | None = None, feed_dir: Path | None = None) -> Pass:
    """Every argument of the one-pass render (without the leading `ffmpeg`), and its feeds.

    Full-length branches share the programme trunk; branches of an excerpt share that excerpt's
    own trunk (`excerpt_timeline`). A branch with a leader writes the programme body only. A trunk
    of more than `FEED_BATCH` segments is fed through FIFOs in `feed_dir`.
    """
    if not branches:
        raise ValueError("nothing to render")
    inputs = _Inputs()
    feeds: list[Feed] = []
    graphs: list[str] = []
    maps: list[list[str]] = [[] for _ in branches]
    groups: dict[tuple[float, float] | None, list[int]] = {}
    for index, branch in enumerate(branches):
        groups.setdefault(branch.excerpt, []).append(index)
    for number, (cut, members) in enumerate(groups.items()):
        tl, brand = (timeline, branding) if cut is None else (excerpt_timeline(timeline, *cut),
                                                                excerpt_branding(branding, *cut))
        chains, v, a, fed = trunk_chains(tl, brand, inputs, prefix="" if number == 0 else f"t{number}",
                                         pix_fmt=trunk_format([branches[i] for i in members]), feed_dir=feed_dir)
        feeds += fed
        chains += g.fanout(v, [f"d{i}_in_v" for i in members])
        chains += g.fanout(a, [f"d{i}_in_a" for i in members], audio=True)
        for i in members:
            more, maps[i] = branch_chains(branches[i], f"d{i}_in_v", f"d{i}_in_a", f"d{i}")
            chains += more
        graphs += ["-filter_complex", g.graph(chains)]
    outputs: list[str] = []
    for branch, labels in zip(branches, maps, strict=True):  # outputs in the caller's order
        for label in labels:
            outputs += ["-map", f"[{label}]"]
        for key, value in (metadata or {}).items():
            outputs += ["-metadata", f"{key}={value}"]
        outputs += [*output_args(branch.profile), safe_input(branch.output)]
    return Pass([*inputs.args, *graphs, *outputs], tuple(feeds))


def excerpt_timeline(timeline: Timeline, start_s: float, end_s: float) -> Timeline:
    """The timeline cut to [start_s, end_s) of programme time, as its own programme from zero.

    An excerpt is rendered from its own decode, seeked at the inputs: trimming a shared decode would
    make ffmpeg 5.1 hold every frame before the excerpt's start (9 GiB for the sample's 40 s).
    """
    first = round(Fraction(str(start_s)) * timeline.rate)
    last = round(Fraction(str(end_s)) * timeline.rate)
    kept = []
    for seg in timeline.segments:
        lo, hi = max(seg.rec_in_frame, first), min(seg.rec_out_frame, last)
        if hi <= lo:
            continue
        src_in = seg.src_in_frame + lo - seg.rec_in_frame
        kept.append(replace(seg, src_in_frame=src_in, src_out_frame=src_in + hi - lo, rec_in_frame=lo - first))
    return replace(timeline, segments=tuple(kept))


def excerpt_branding(branding: Branding, start_s: float, end_s: float) -> Branding:
    """The branding of an excerpt: graphics that overlap it, moved to excerpt time."""
    overlays = tuple(replace(o, start_s=round(o.start_s - start_s, 6)) for o in branding.overlays
                     if o.start_s < end_s and o.start_s + o.duration_s > start_s)
    return replace(branding, overlays=overlays)


def output_seconds(timeline: Timeline, branch: Branch) -> float:
    """How long the pass writes for the branch: the excerpt or the programme (a leader is joined after)."""
    if branch.excerpt is not None:
        return branch.excerpt[1] - branch.excerpt[0]
    return float(Fraction(timeline.duration_frames) / timeline.rate)


def body_frames(timeline: Timeline, excerpt: tuple[float, float] | None) -> int:
    """Frames (at the timeline's rate) of the programme body a deliverable carries: the whole
    timeline, or the excerpt as `excerpt_timeline` cuts it."""
    if excerpt is None:
        return timeline.duration_frames
    return sum(seg.length for seg in excerpt_timeline(timeline, *excerpt).segments)
