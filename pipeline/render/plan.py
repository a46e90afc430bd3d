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

from ..errors import WorkspaceError
from ..media import graphs as g
from ..media.codecs import MUXERS
from ..media.encode import audio_args, container_args, output_args, video_args
from ..media.ffmpeg import Feed, safe_input
from ..media.loudness import Normalisation, loudness_chain
from ..profiles import DEFAULT_SAFE_AREAS, Profile
from ..timecode import Excerpt, Timecode
from ..timeline import AudioSegment, Segment, Timeline

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


def _shifted(seconds: float) -> str:
    """`setpts` moving frames `seconds` later, rounded to the stream's time base: `X/TB` in doubles
    is a hair off a whole tick (66.24 s at 1/25 is 1655.9999…), and a frame a hair early is one
    frame more out of the fps filter at the end of the stretch."""
    return f"round(PTS+{_sec(seconds)}/TB)"


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
    in_format: tuple[tuple[str, Path], ...] = ()
    """The same graphic already in a trunk's pixel format (trunk format → file,
    `render/trunk_graphics.py`): read instead of `path` by a trunk in that format."""


@dataclass(frozen=True)
class Branch:
    """One deliverable in the pass: its profile, where ffmpeg writes it, and what it adds."""

    name: str
    profile: Profile
    output: Path
    level: Normalisation | None = None
    subtitles: Path | None = None
    excerpt: Excerpt | None = None  # the stretch of the programme it carries
    fonts_dir: Path | None = None
    rungs: tuple[Profile, ...] = ()
    """A streaming ladder's rungs (`Profile.rung_profiles`): `output` is then a folder that gets one
    file per rung (`Profile.rung_file`), the first with the sound."""

    def rung_outputs(self) -> list[Path]:
        """Where each rung is written (empty for a deliverable that is one file)."""
        return [self.output / Profile.rung_file(r) for r in self.rungs]


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


def check_transitions(timeline: Timeline) -> None:
    """Refuse what the render cannot join as the edit shows it: a transition that is not a
    dissolve, one that is not at a cut of the timeline, or dissolves that run into each other."""
    segments = timeline.segments
    last_end = 0
    for t in sorted(timeline.transitions, key=lambda t: t.index):
        where = f"the transition at programme frame {t.at_frame} ({_tc(timeline, t.at_frame)})"
        if t.kind != "dissolve":
            raise WorkspaceError(f"{where} is a {t.kind!r}; only cuts and dissolves are rendered",
                                 hint="make it a cut or a cross dissolve in the edit, then assemble again")
        if not 0 < t.index < len(segments) or segments[t.index].rec_in_frame != t.at_frame:
            raise WorkspaceError(f"{where} is not at a cut between two segments of the timeline",
                                 hint="run `reportage assemble MANIFEST` again")
        outgoing, incoming = segments[t.index - 1], segments[t.index]
        if t.before < 0 or t.after < 0 or t.length == 0:
            raise WorkspaceError(f"{where} has no length ({t.before} + {t.after} frames)",
                                 hint="run `reportage assemble MANIFEST` again")
        starts_in = t.at_frame - t.before >= max(outgoing.rec_in_frame, last_end)
        if not starts_in or t.at_frame + t.after > incoming.rec_out_frame or incoming.src_in_frame < t.before:
            raise WorkspaceError(f"the {t.length}-frame dissolve at programme frame {t.at_frame} "
                                 f"({_tc(timeline, t.at_frame)}) runs over the next cut or dissolve, or before the "
                                 "start of its clip",
                                 hint="shorten the dissolve in the edit, then assemble again")
        last_end = t.at_frame + t.after


def _tc(timeline: Timeline, frame: int) -> str:
    return str(Timecode(frame, timeline.rate))


def _handles(timeline: Timeline) -> list[tuple[int, int]]:
    """Per segment, the frames it plays before its in point and after its out point: the handles of
    the dissolves on either side (`Transition`)."""
    handles = [[0, 0] for _ in timeline.segments]
    for t in timeline.transitions:
        handles[t.index][0] += t.before
        handles[t.index - 1][1] += t.after
    return [(head, tail) for head, tail in handles]


def segment_chains(timeline: Timeline, inputs: _Inputs, *, video: bool = True, audio: bool = True,
                   prefix: str = "s", pix_fmt: str = "yuv420p") -> tuple[list[g.Chain], list[tuple[str, str]]]:
    """One input per timeline segment (seeked with -ss/-t), conformed and ready to be joined; the
    labels (picture, sound) of each ("" for what is not made).

    Video is reset to start at zero, brought to the house size, rate and `pix_fmt`; sound is made 48 kHz stereo
    and padded/trimmed to the segment's exact length (a silent segment gets generated silence), so
    the joins never drift and the programme is exactly `duration_frames` long. A segment on either
    side of a dissolve plays its handle too (`_handles`), which the dissolve overlaps.
    """
    chains: list[g.Chain] = []
    pads: list[tuple[str, str]] = []
    rate = timeline.rate
    fps = f"{rate.numerator}/{rate.denominator}"
    for index, (seg, (head, tail)) in enumerate(zip(timeline.segments, _handles(timeline), strict=True)):
        frames = seg.length + head + tail
        start = Fraction(seg.src_in_frame - head) / rate
        length = Fraction(frames) / rate
        n = inputs.add("-ss", _sec(start), "-t", _sec(length), "-i", safe_input(Path(seg.working_copy)))
        v_label, a_label = (f"{prefix}{index}v" if video else ""), (f"{prefix}{index}a" if audio else "")
        if video:
            chains.append(g.chain(f"{n}:v", [
                g.filter_("fps", fps), g.filter_("trim", end_frame=frames), g.filter_("setpts", "PTS-STARTPTS"),
                g.filter_("scale", w=timeline.width, h=timeline.height), g.pixel_format(pix_fmt),
                g.filter_("setsar", "1"),
            ], v_label))
        if audio:
            chains.append(_sound(timeline, f"{n}:a" if seg.has_audio else None, length, a_label))
        pads.append((v_label, a_label))
    return chains, pads


def _sound(timeline: Timeline, src: str | None, length: Fraction, dst: str) -> g.Chain:
    """`src` (None: generated silence) at the house rate and layout, exactly `length` seconds long."""
    fit = [g.filter_("apad", whole_dur=_sec(length)), g.filter_("atrim", duration=_sec(length)),
           g.filter_("asetpts", "PTS-STARTPTS")]
    if src is None:
        silence = g.filter_("anullsrc", channel_layout="stereo", sample_rate=timeline.sample_rate)
        return g.Chain((silence, *fit), (), (dst,))
    return g.chain(src, [*g.audio_conform(timeline.sample_rate), *fit], dst)


def _joined(timeline: Timeline, pads: Sequence[tuple[str, str]], out_v: str, out_a: str,
            prefix: str) -> list[g.Chain]:
    """The segments end to end: `concat` across cuts, a dissolve (`graphs.dissolve`, and
    `graphs.crossfade` for the sound) across each transition. `out_v`/`out_a` "" for what is not made."""
    video, audio = bool(out_v), bool(out_a)
    starts = sorted(t.index for t in timeline.transitions)
    groups = [list(range(lo, hi)) for lo, hi in zip([0, *starts], [*starts, len(pads)], strict=True)]
    chains: list[g.Chain] = []
    joined: list[tuple[str, str]] = []
    for number, members in enumerate(groups):
        v, a = pads[members[0]]
        if len(members) > 1 or not timeline.transitions:
            v = out_v if not timeline.transitions else (f"{prefix}g{number}v" if video else "")
            a = out_a if not timeline.transitions else (f"{prefix}g{number}a" if audio else "")
            labels = tuple(label for i in members for label in pads[i] if label)
            concat = g.filter_("concat", n=len(members), v=int(video), a=int(audio))
            chains.append(g.Chain((concat,), labels, tuple(label for label in (v, a) if label)))
        joined.append((v, a))
    if not timeline.transitions:
        return chains
    by_index = {t.index: t for t in timeline.transitions}
    rate, acc_v, acc_a = timeline.rate, *joined[0]
    for number, (members, (v, a)) in enumerate(zip(groups[1:], joined[1:], strict=True), start=1):
        t = by_index[members[0]]
        last = number == len(groups) - 1
        if video:
            out = out_v if last else f"{prefix}x{number}v"
            chains += g.dissolve(acc_v, v, out, offset_s=_sec(Fraction(t.at_frame - t.before) / rate),
                                 duration_s=_sec(Fraction(t.length) / rate), prefix=f"{prefix}x{number}")
            acc_v = out
        if audio:
            out = out_a if last else f"{prefix}x{number}a"
            chains.append(g.crossfade(acc_a, a, out, samples=_samples(timeline, t.length)))
            acc_a = out
    return chains


def _samples(timeline: Timeline, frames: int) -> int:
    return round(Fraction(frames) / timeline.rate * timeline.sample_rate)


def _lanes(audio: Sequence[AudioSegment]) -> list[list[AudioSegment]]:
    """The edit's audio clips as lanes that each play one clip at a time: one per track, and another
    for a clip that overlaps its track's previous one (which an NLE's track never holds, but a
    merged interchange file can)."""
    lanes: list[tuple[int, list[AudioSegment]]] = []
    for clip in sorted(audio, key=lambda a: (a.track, a.rec_in_frame)):
        lane = next((clips for track, clips in lanes
                     if track == clip.track and clips[-1].rec_out_frame <= clip.rec_in_frame), None)
        if lane is None:
            lanes.append((clip.track, [clip]))
        else:
            lane.append(clip)
    return [clips for _, clips in lanes]


def own_audio_chains(timeline: Timeline, inputs: _Inputs, dst: str, prefix: str = "ea") -> list[g.Chain]:
    """The programme's sound from the edit's own audio tracks (`timeline.audio`): each lane's clips
    (seeked inputs, each to its exact length) joined with silence in the gaps, the lanes summed
    (`graphs.mix`), the whole made exactly the programme's length."""
    rate, chains, lanes_out = timeline.rate, [], []
    for number, lane in enumerate(_lanes(timeline.audio)):
        pieces: list[str] = []
        cursor = 0
        for k, clip in enumerate(lane):
            if clip.rec_in_frame > cursor:
                pieces.append(f"{prefix}{number}_gap{k}")
                chains.append(_sound(timeline, None, Fraction(clip.rec_in_frame - cursor) / rate, pieces[-1]))
            length = Fraction(clip.length) / rate
            n = inputs.add("-ss", _sec(Fraction(clip.src_in_frame) / rate), "-t", _sec(length), "-vn",
                           "-i", safe_input(Path(clip.working_copy)))
            pieces.append(f"{prefix}{number}_{k}")
            chains.append(_sound(timeline, f"{n}:a", length, pieces[-1]))
            cursor = clip.rec_out_frame
        lanes_out.append(f"{prefix}{number}")
        chains.append(g.Chain((g.filter_("concat", n=len(pieces), v=0, a=1),), tuple(pieces), (lanes_out[-1],)))
    total = Fraction(timeline.duration_frames) / rate
    if not lanes_out:  # no clip of the edit's sound falls in this stretch
        return [_sound(timeline, None, total, dst)]
    chains.append(g.mix(lanes_out, f"{prefix}_mix"))
    chains.append(_sound(timeline, f"{prefix}_mix", total, dst))
    return chains


def _cut(timeline: Timeline, first: int, last: int) -> Timeline:
    """Frames [first, last) of the timeline as a programme of its own from frame 0: its segments,
    the dissolves that lie wholly inside, and the edit's sound clipped to it. A dissolve the stretch
    cuts through is left out (callers widen the stretch over it: `_widened`)."""
    kept: list[Segment] = []
    index_of: dict[int, int] = {}
    for number, seg in enumerate(timeline.segments):
        lo, hi = max(seg.rec_in_frame, first), min(seg.rec_out_frame, last)
        if hi <= lo:
            continue
        src_in = seg.src_in_frame + lo - seg.rec_in_frame
        index_of[number] = len(kept)
        kept.append(replace(seg, src_in_frame=src_in, src_out_frame=src_in + hi - lo, rec_in_frame=lo - first))
    transitions = tuple(replace(t, index=index_of[t.index], at_frame=t.at_frame - first)
                        for t in timeline.transitions if first <= t.at_frame - t.before and t.at_frame + t.after <= last
                        and t.index in index_of and t.index - 1 in index_of)
    audio = []
    for clip in timeline.audio:
        lo, hi = max(clip.rec_in_frame, first), min(clip.rec_out_frame, last)
        if hi > lo:
            src_in = clip.src_in_frame + lo - clip.rec_in_frame
            audio.append(replace(clip, src_in_frame=src_in, src_out_frame=src_in + hi - lo, rec_in_frame=lo - first))
    return replace(timeline, segments=tuple(kept), transitions=transitions, audio=tuple(audio))


def _widened(timeline: Timeline, first: int, last: int) -> tuple[int, int]:
    """[first, last) grown to take in whole every dissolve it touches (with a frame of each side), so
    a stretch cut from the programme dissolves exactly as the programme does."""
    while True:
        grown = (first, last)
        for t in timeline.transitions:
            lo, hi = min(t.at_frame - t.before, t.at_frame - 1), max(t.at_frame + t.after, t.at_frame + 1)
            if lo < last and hi > first:
                first, last = min(first, lo), max(last, hi)
        if (first, last) == grown:
            return first, last


def _direct_sources(timeline: Timeline, inputs: _Inputs, *, video: bool, prefix: str, pix_fmt: str,
                    prog_v: str, prog_a: str, audio: bool = True) -> list[g.Chain]:
    """The programme decoded by this command itself: one input per segment (and per clip of the
    edit's own sound), joined (`_joined`). Not `audio`: the picture alone (a chunk of it)."""
    own = bool(timeline.audio)
    segment_sound = audio and not own
    chains: list[g.Chain] = []
    if video or segment_sound:  # the segments are not opened to measure the edit's own sound
        chains, pads = segment_chains(timeline, inputs, video=video, audio=segment_sound, prefix=f"{prefix}s",
                                      pix_fmt=pix_fmt)
        chains += _joined(timeline, pads, prog_v if video else "", prog_a if segment_sound else "", prefix)
    if own and audio:
        chains += own_audio_chains(timeline, inputs, prog_a, prefix=f"{prefix}ea")
    return chains


def _input_count(timeline: Timeline, video: bool, audio: bool = True) -> int:
    return (len(timeline.segments) if video or not timeline.audio else 0) + (len(timeline.audio) if audio else 0)


def programme_sources(timeline: Timeline, inputs: _Inputs, *, video: bool = True, prefix: str = "",
                      pix_fmt: str = "yuv420p", feed_dir: Path | None = None, audio: bool = True
                      ) -> tuple[list[g.Chain], str, str, list[Feed]]:
    """The timeline's conformed, joined picture and sound as the labels `<prefix>prog_v` and
    `<prefix>prog_a` (the picture label is unused when not `video`, the sound's when not `audio`),
    and the feeds that supply them.

    A timeline of up to `FEED_BATCH` inputs is decoded by this command (`_direct_sources`); a longer
    one by feeders writing FIFOs in `feed_dir` (`feed_for`), read here as raw inputs."""
    check_transitions(timeline)
    prog_v, prog_a = f"{prefix}prog_v", f"{prefix}prog_a"
    if _input_count(timeline, video, audio) <= FEED_BATCH:
        chains = _direct_sources(timeline, inputs, video=video, prefix=prefix, pix_fmt=pix_fmt,
                                 prog_v=prog_v, prog_a=prog_a, audio=audio)
        return chains, prog_v, prog_a, []
    if feed_dir is None:
        raise ValueError(f"{len(timeline.segments)} segments are decoded by feeders: give feed_dir")
    feed = feed_for(timeline, feed_dir, prefix or "prog", video=video, pix_fmt=pix_fmt, audio=audio)
    chains = []
    rate = timeline.rate
    if video:
        n = inputs.add("-thread_queue_size", _VIDEO_QUEUE, *_RAW_INPUT, "-f", "rawvideo", "-pix_fmt", pix_fmt,
                       "-video_size", f"{timeline.width}x{timeline.height}",
                       "-framerate", f"{rate.numerator}/{rate.denominator}", "-i", safe_input(feed.pipes[0]))
        chains.append(g.chain(f"{n}:v", [g.filter_("setsar", "1")], prog_v))
    if not audio:
        return chains, prog_v, prog_a, [feed]
    n = inputs.add("-thread_queue_size", _AUDIO_QUEUE, *_RAW_INPUT, "-f", "f32le",
                   "-sample_rate", str(timeline.sample_rate), "-ch_layout", "stereo", "-i", safe_input(feed.pipes[-1]))
    chains.append(g.chain(f"{n}:a", ["anull"], prog_a))
    return chains, prog_v, prog_a, [feed]


def feed_batches(timeline: Timeline, video: bool = True, audio: bool = True) -> list[tuple[int, int]]:
    """The programme frames [first, last) each feeder run decodes: whole segments, cut only where the
    edit cuts (never inside a run of dissolves), each run at most `FEED_BATCH` inputs (segments,
    and clips of the edit's own sound) where the dissolves allow it. A run of more than
    `FEED_BATCH` segments joined by dissolves is refused: no process opens that many inputs."""
    segments = timeline.segments
    dissolved = {t.index for t in timeline.transitions}
    runs: list[tuple[int, int]] = []  # segment index ranges joined by dissolves
    for index in range(len(segments)):
        if index in dissolved:
            runs[-1] = (runs[-1][0], index + 1)
        else:
            runs.append((index, index + 1))
    def inputs_in(first: int, last: int, count: int) -> int:
        own = sum(1 for a in timeline.audio if a.rec_in_frame < last and a.rec_out_frame > first) if audio else 0
        return (count if video or not timeline.audio else 0) + own

    batches: list[tuple[int, int]] = []
    counts: list[int] = []
    for lo, hi in runs:
        if hi - lo > FEED_BATCH:
            raise WorkspaceError(
                f"{hi - lo} segments in a row are joined by dissolves, from "
                f"{_tc(timeline, segments[lo].rec_in_frame)}; "
                f"the render decodes at most {FEED_BATCH} at once in a programme of this many cuts",
                hint=f"put a cut among them in the edit (at most {FEED_BATCH} clips between cuts)")
        span = (segments[lo].rec_in_frame, segments[hi - 1].rec_out_frame)
        if batches and inputs_in(batches[-1][0], span[1], counts[-1] + hi - lo) <= FEED_BATCH:
            batches[-1], counts[-1] = (batches[-1][0], span[1]), counts[-1] + hi - lo
            continue
        batches.append(span)
        counts.append(hi - lo)
    return batches


def feed_for(timeline: Timeline, feed_dir: Path, name: str, *, video: bool = True,
             pix_fmt: str = "yuv420p", audio: bool = True) -> Feed:
    """The feeder runs of a long timeline (`feed_batches`), each stretch conformed and joined exactly
    as the render joins a short one (`_direct_sources`: every segment to its frame and sample, its
    dissolves and its own sound), written as raw `pix_fmt` video and 32-bit float PCM into
    `<name>.video.fifo` / `<name>.audio.fifo`."""
    video_pipe, audio_pipe = feed_dir / f"{_safe(name)}.video.fifo", feed_dir / f"{_safe(name)}.audio.fifo"
    runs: list[tuple[str, ...]] = []
    for first, last in feed_batches(timeline, video, audio):
        part = _cut(timeline, first, last)
        inputs = _Inputs()
        chains = _direct_sources(part, inputs, video=video, prefix="", pix_fmt=pix_fmt, prog_v="prog_v",
                                 prog_a="prog_a", audio=audio)
        out = ["-map", "[prog_v]", "-f", "rawvideo", "-pix_fmt", pix_fmt, safe_input(video_pipe)] if video else []
        if audio:
            out += ["-map", "[prog_a]", "-f", "f32le", "-ar", str(timeline.sample_rate), "-ac", "2",
                    safe_input(audio_pipe)]
        runs.append((*inputs.args, "-filter_complex", g.graph(chains), *out))
    pipes = ((video_pipe,) if video else ()) + ((audio_pipe,) if audio else ())
    return Feed(pipes, tuple(runs))


def measure_pass(timeline: Timeline, excerpt: Excerpt | None = None,
                 trials: Mapping[str, tuple[Normalisation, bool]] | None = None, *,
                 feed_dir: Path | None = None) -> Pass:
    """The audio-only pass: the programme mix measured once (`ebur128@programme`) and the social
    excerpt (`ebur128@excerpt`) from the same decode; or, given `trials` — name → (correction, on
    the excerpt?) — only those, each metered as `ebur128@<trial_meter(name)>` with the limiter at the
    programme rate and no true peak (a settling round reads the integrated loudness alone, and the
    programme was measured before it). Video is never decoded. `feed_dir`: where a long timeline's
    FIFOs go (`programme_sources`)."""
    inputs = _Inputs()
    chains, _, mix, feeds = programme_sources(timeline, inputs, video=False, feed_dir=feed_dir)
    meters: list[tuple[str, bool, Sequence[str]]] = [] if trials else [("programme", False, ())]
    if excerpt is not None and not trials:
        meters.append(("excerpt", True, ()))
    for name, (correction, on_excerpt) in (trials or {}).items():
        chain = loudness_chain(correction.gain_db, correction.limiter_ceiling_dbtp, timeline.sample_rate,
                               oversample=False)
        meters.append((trial_meter(name), on_excerpt and excerpt is not None, chain))
    chains += g.fanout(mix, [f"mix_{i}" for i in range(len(meters))], audio=True)
    args_out: list[str] = []
    peak = not trials  # a trial is read for its integrated loudness only (`settle`)
    for index, (meter, on_excerpt, filters) in enumerate(meters):
        cut = ([g.filter_("atrim", start=_sec(excerpt.start_s), end=_sec(excerpt.end_s))]
               if on_excerpt and excerpt else [])
        chains.append(g.chain(f"mix_{index}", [*cut, *filters, g.loudness_meter(meter, true_peak=peak)], f"m_{meter}"))
        args_out += ["-map", f"[m_{meter}]", "-f", "null", "-"]
    return Pass([*inputs.args, "-filter_complex", g.graph(chains), *args_out], tuple(feeds))


def measure_args(timeline: Timeline, excerpt: Excerpt | None = None,
                 trials: Mapping[str, tuple[Normalisation, bool]] | None = None) -> list[str]:
    """`measure_pass` of a timeline short enough to need no feeders: its arguments."""
    return measure_pass(timeline, excerpt, trials).args


def trunk_chains(timeline: Timeline, branding: Branding, inputs: _Inputs, prefix: str = "",
                 pix_fmt: str = "yuv420p", feed_dir: Path | None = None, window: tuple[int, int] | None = None,
                 audio: bool = True) -> tuple[list[g.Chain], str, str, list[Feed]]:
    """Decode and join the segments (`programme_sources`), then compose logo and graphics: the shared
    programme picture, in `pix_fmt` throughout. `prefix` keeps the labels of a second trunk (the
    excerpt's) apart. `window` (frames to drop, frames to keep; `excerpt_window`) cuts an excerpt
    that was decoded wider, over a dissolve, to the excerpt itself before anything is composed."""
    chains, prog_v, prog_a, feeds = programme_sources(timeline, inputs, prefix=prefix, pix_fmt=pix_fmt,
                                                      feed_dir=feed_dir, audio=audio)
    if window is not None:
        drop, keep = window
        chains.append(g.chain(prog_v, [g.filter_("trim", start_frame=drop, end_frame=drop + keep),
                                       g.filter_("setpts", "PTS-STARTPTS")], f"{prefix}win_v"))
        prog_v = f"{prefix}win_v"
        if audio:
            chains.append(_sound_window(timeline, prog_a, window, f"{prefix}win_a"))
            prog_a = f"{prefix}win_a"
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
        n = inputs.add("-i", safe_input(dict(overlay.in_format).get(pix_fmt, overlay.path)))
        shifted, out = f"{prefix}gfx{index}", f"{prefix}brand{index}"
        chains.append(g.chain(f"{n}:v", [g.filter_("setpts", _shifted(overlay.start_s))], shifted))
        chains.append(g.chain((current, shifted), [g.filter_("overlay", x=overlay.x, y=overlay.y,
                                                             eof_action="pass", format=blend)], out))
        current = out
    return chains, current, prog_a, feeds


def _sound_window(timeline: Timeline, src: str, window: tuple[int, int], dst: str) -> g.Chain:
    """The sound of a stretch decoded wider (over a dissolve) cut to the stretch (`excerpt_window`)."""
    drop, keep = window
    return g.chain(src, [
        g.filter_("atrim", start_sample=_samples(timeline, drop), end_sample=_samples(timeline, drop + keep)),
        g.filter_("asetpts", "PTS-STARTPTS")], dst)


def branch_chains(branch: Branch, v_src: str, a_src: str, prefix: str) -> tuple[list[g.Chain], list[str]]:
    """The filters of one deliverable, from the shared picture and sound to its `-map` labels."""
    p = branch.profile
    if branch.rungs:
        chains: list[g.Chain] = []
        if branch.excerpt is not None:
            chains.append(g.chain(v_src, [g.filter_("setpts", _shifted(branch.excerpt.start_s))],
                                  f"{prefix}_tv"))
            v_src = f"{prefix}_tv"
        ladder, maps = _ladder_chains(branch, v_src, a_src, prefix)
        return chains + ladder, maps
    chains, picture = picture_chains(branch, v_src, prefix)
    level = branch.level.filters(p.audio.sample_rate) if branch.level is not None else ()
    audio, maps = g.audio_for(p, a_src, level=level, meter=meter_name(branch.name), prefix=prefix)
    return chains + audio, [picture, *maps]


def picture_chains(branch: Branch, v_src: str, prefix: str) -> tuple[list[g.Chain], str]:
    """The picture filters of one deliverable (not a ladder), from the shared picture to its `-map`
    label: fitted to the profile, subtitles burned in. A branch with an excerpt (a social cut, or a
    chunk of the programme) carries programme timestamps through the subtitles filter, whose cues
    are in programme time, and starts from zero again after it."""
    p = branch.profile
    chains: list[g.Chain] = []
    if branch.excerpt is not None:
        chains.append(g.chain(v_src, [g.filter_("setpts", _shifted(branch.excerpt.start_s))], f"{prefix}_tv"))
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
    return chains, f"{prefix}_vout"


def _ladder_chains(branch: Branch, v_src: str, a_src: str, prefix: str) -> tuple[list[g.Chain], list[str]]:
    """A streaming ladder: the shared picture split once per rung and each fitted to its size from the
    full picture (no rung is scaled from a smaller one), the sound levelled once; the labels are the
    rungs' pictures in order, then the sound (`_ladder_outputs` maps them)."""
    chains = g.fanout(v_src, [f"{prefix}_r{i}_in" for i in range(len(branch.rungs))])
    pictures: list[str] = []
    for i, rung in enumerate(branch.rungs):
        chains += g.video_for(rung, f"{prefix}_r{i}_in", f"{prefix}_r{i}_vout", prefix=f"{prefix}_r{i}")
        pictures.append(f"{prefix}_r{i}_vout")
    level = branch.level.filters(branch.profile.audio.sample_rate) if branch.level is not None else ()
    audio, maps = g.audio_for(branch.profile, a_src, level=level, meter=meter_name(branch.name), prefix=prefix)
    return chains + audio, [*pictures, *maps]


def _ladder_outputs(branch: Branch, labels: Sequence[str], metadata: Mapping[str, str]) -> list[str]:
    """One output per rung: its picture, and for the first rung the sound too (every variant of the
    stream package shares that one audio rendition); the encoder settings are the rung's own."""
    outputs: list[str] = []
    sound = labels[len(branch.rungs):]
    for i, (rung, path) in enumerate(zip(branch.rungs, branch.rung_outputs(), strict=True)):
        outputs += ["-map", f"[{labels[i]}]"]
        for label in sound if i == 0 else ():
            outputs += ["-map", f"[{label}]"]
        for key, value in metadata.items():
            outputs += ["-metadata", f"{key}={value}"]
        outputs += video_args(rung)
        outputs += audio_args(rung) if i == 0 else ["-an"]
        outputs += [*container_args(rung), safe_input(path)]
    return outputs


def _by_stretch(branches: Sequence[Branch]) -> dict[Excerpt | None, list[int]]:
    """The branches' indexes by the stretch they carry (None: the whole programme), in order: each
    stretch is decoded once, by a trunk of its own."""
    groups: dict[Excerpt | None, list[int]] = {}
    for index, branch in enumerate(branches):
        groups.setdefault(branch.excerpt, []).append(index)
    return groups


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
    groups = _by_stretch(branches)
    for number, (cut, members) in enumerate(groups.items()):
        tl, brand = (timeline, branding) if cut is None else (excerpt_timeline(timeline, cut),
                                                                excerpt_branding(branding, cut))
        window = None if cut is None else excerpt_window(timeline, cut)
        chains, v, a, fed = trunk_chains(tl, brand, inputs, prefix="" if number == 0 else f"t{number}",
                                         pix_fmt=trunk_format([branches[i] for i in members]), feed_dir=feed_dir,
                                         window=window)
        feeds += fed
        chains += g.fanout(v, [f"d{i}_in_v" for i in members])
        chains += g.fanout(a, [f"d{i}_in_a" for i in members], audio=True)
        for i in members:
            more, maps[i] = branch_chains(branches[i], f"d{i}_in_v", f"d{i}_in_a", f"d{i}")
            chains += more
        graphs += ["-filter_complex", g.graph(chains)]
    outputs: list[str] = []
    for branch, labels in zip(branches, maps, strict=True):  # outputs in the caller's order
        if branch.rungs:
            outputs += _ladder_outputs(branch, labels, metadata or {})
            continue
        for label in labels:
            outputs += ["-map", f"[{label}]"]
        for key, value in (metadata or {}).items():
            outputs += ["-metadata", f"{key}={value}"]
        outputs += [*output_args(branch.profile), safe_input(branch.output)]
    return Pass([*inputs.args, *graphs, *outputs], tuple(feeds))


def picture_pass(timeline: Timeline, branding: Branding, branches: Sequence[Branch], *, pix_fmt: str,
                 feed_dir: Path | None = None) -> Pass:
    """One chunk of picture (`render/chunks.py`): every branch carries the same `excerpt` — the
    chunk, in programme frames — and gets its picture only, encoded with its profile's video options
    into its own file (`-an`). The chunk is decoded once, from its own seeked inputs, as an excerpt
    is (`excerpt_timeline`, widened over a dissolve it cuts); `pix_fmt` is the trunk's, fixed by the
    caller for every chunk of a deliverable so that each chunk is made as its neighbours are."""
    if not branches:
        raise ValueError("nothing to encode")
    cut = branches[0].excerpt
    if cut is None or any(b.excerpt != cut for b in branches) or any(b.rungs for b in branches):
        raise ValueError("a picture pass encodes one stretch, for branches without rungs")
    inputs = _Inputs()
    chains, v, _, feeds = trunk_chains(excerpt_timeline(timeline, cut), excerpt_branding(branding, cut), inputs,
                                       pix_fmt=pix_fmt, feed_dir=feed_dir, window=excerpt_window(timeline, cut),
                                       audio=False)
    chains += g.fanout(v, [f"d{i}_in_v" for i in range(len(branches))])
    outputs: list[str] = []
    for i, branch in enumerate(branches):
        more, label = picture_chains(branch, f"d{i}_in_v", f"d{i}")
        chains += more
        c = branch.profile.container
        outputs += ["-map", f"[{label}]", *video_args(branch.profile), "-an", "-f", MUXERS[c.format],
                    safe_input(branch.output)]
    return Pass([*inputs.args, "-filter_complex", g.graph(chains), *outputs], tuple(feeds))


SOUND_MUXER = "mov"
"""The sound rendered whole waits for its picture in a QuickTime file: exact sample timestamps for
PCM (one track per channel for XDCAM) and AAC alike, copied as they are into MXF or MP4."""


def sound_pass(timeline: Timeline, branches: Sequence[Branch], *, feed_dir: Path | None = None) -> Pass:
    """The sound of every branch rendered whole, without the picture: decoded once per stretch (the
    programme, or an excerpt from its own seeked inputs as `render_pass` decodes it), levelled by the
    branch's correction, limited over the whole programme (a limiter must not restart where a chunk
    of picture does), metered (`ebur128@<meter_name>`, as in the one pass) and encoded with the
    profile's audio options into `branch.output`."""
    if not branches:
        raise ValueError("nothing to render")
    inputs = _Inputs()
    feeds: list[Feed] = []
    graphs: list[str] = []
    maps: list[list[str]] = [[] for _ in branches]
    groups = _by_stretch(branches)
    for number, (cut, members) in enumerate(groups.items()):
        tl = timeline if cut is None else excerpt_timeline(timeline, cut)
        prefix = "" if number == 0 else f"t{number}"
        chains, _, a, fed = programme_sources(tl, inputs, video=False, prefix=prefix, feed_dir=feed_dir)
        window = None if cut is None else excerpt_window(timeline, cut)
        if window is not None:
            chains.append(_sound_window(tl, a, window, f"{prefix}win_a"))
            a = f"{prefix}win_a"
        feeds += fed
        chains += g.fanout(a, [f"d{i}_in_a" for i in members], audio=True)
        for i in members:
            b = branches[i]
            level = b.level.filters(b.profile.audio.sample_rate) if b.level is not None else ()
            more, maps[i] = g.audio_for(b.profile, f"d{i}_in_a", level=level, meter=meter_name(b.name),
                                        prefix=f"d{i}")
            chains += more
        graphs += ["-filter_complex", g.graph(chains)]
    outputs: list[str] = []
    for branch, labels in zip(branches, maps, strict=True):
        for label in labels:
            outputs += ["-map", f"[{label}]"]
        outputs += [*audio_args(branch.profile), "-vn", "-f", SOUND_MUXER, safe_input(branch.output)]
    return Pass([*inputs.args, *graphs, *outputs], tuple(feeds))


def _excerpt_frames(timeline: Timeline, excerpt: Excerpt) -> tuple[int, int]:
    """The excerpt as frames of the timeline, within the programme."""
    if excerpt.rate != timeline.rate:
        excerpt = Excerpt.from_seconds(*excerpt.seconds, timeline.rate)
    return max(0, excerpt.start), min(excerpt.end, timeline.duration_frames)


def excerpt_timeline(timeline: Timeline, excerpt: Excerpt) -> Timeline:
    """The timeline cut to the excerpt, as its own programme from zero —
    widened over any dissolve the cut falls in (`excerpt_window` says what to keep of it).

    An excerpt is rendered from its own decode, seeked at the inputs: trimming a shared decode would
    make ffmpeg 5.1 hold every frame before the excerpt's start (9 GiB for the sample's 40 s).
    """
    return _cut(timeline, *_widened(timeline, *_excerpt_frames(timeline, excerpt)))


def excerpt_window(timeline: Timeline, excerpt: Excerpt) -> tuple[int, int] | None:
    """(frames to drop, frames to keep) of `excerpt_timeline` when it was widened over a dissolve;
    None when it is the excerpt exactly."""
    first, last = _excerpt_frames(timeline, excerpt)
    wide = _widened(timeline, first, last)
    return None if wide == (first, last) else (first - wide[0], last - first)


def excerpt_branding(branding: Branding, excerpt: Excerpt) -> Branding:
    """The branding of an excerpt: graphics that overlap it, moved to excerpt time."""
    start_s, end_s = excerpt.seconds
    overlays = tuple(replace(o, start_s=round(o.start_s - start_s, 6)) for o in branding.overlays
                     if o.start_s < end_s and o.start_s + o.duration_s > start_s)
    return replace(branding, overlays=overlays)


def output_seconds(timeline: Timeline, branch: Branch) -> float:
    """How long the pass writes for the branch: the excerpt or the programme (a leader is joined after)."""
    if branch.excerpt is not None:
        return branch.excerpt.end_s - branch.excerpt.start_s
    return float(Fraction(timeline.duration_frames) / timeline.rate)


def body_frames(timeline: Timeline, excerpt: Excerpt | None) -> int:
    """Frames (at the timeline's rate) of the programme body a deliverable carries: the whole
    timeline, or the excerpt as `excerpt_timeline` cuts it."""
    if excerpt is None:
        return timeline.duration_frames
    first, last = _excerpt_frames(timeline, excerpt)
    return max(0, last - first)
