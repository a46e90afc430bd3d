"""Filtergraphs as data: pure functions that return filter strings and labelled chains.

Nothing here runs ffmpeg. A filter is a string such as `scale=w=1920:h=1080`; a `Chain` is a run of
filters with input and output labels (`[v0]scale=…,setsar=1[v1]`); `graph()` joins chains into one
`-filter_complex` value. Every option value goes through two levels of escaping (ffmpeg's "Quoting
and escaping": once for the option parser, once for the graph parser), so file names with spaces,
quotes, colons, brackets or Vietnamese letters reach libass and FreeType intact.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Literal

from ..profiles import Leader, Profile

Corner = Literal["top-left", "top-right", "bottom-left", "bottom-right"]

_WS = " \t\r\n"
_LEVEL1 = "\\':"  # option values: `:` separates options
_LEVEL2 = "\\'[],;"  # graph: labels, filter and chain separators
_LABEL_RE = re.compile(r"^[A-Za-z0-9_]+$")
# libass turns SRT into ASS with this script resolution; style sizes are in these units.
ASS_PLAY_RES = (384, 288)


def _escape(text: str, specials: str) -> str:
    """Backslash-escape `specials`, and whitespace at either end (ffmpeg would trim it)."""
    lead = len(text) - len(text.lstrip(_WS))
    trail = len(text.rstrip(_WS))
    out = []
    for index, ch in enumerate(text):
        if ch in specials or (ch in _WS and (index < lead or index >= trail)):
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def escape_value(text: str) -> str:
    """First level: one option value as the filter's option parser reads it."""
    return _escape(text, _LEVEL1)


def escape_graph(text: str) -> str:
    """Second level: a filter's whole argument string as the filtergraph parser reads it."""
    return _escape(text, _LEVEL2)


def escape_filter_path(path: PurePath | str) -> str:
    """A file path ready to stand as an option value inside a `-filter_complex` string.

    Both escaping levels are applied, so `/tmp/Phụ đề: 'a', [b].srt` arrives byte for byte. Pass
    absolute paths: a relative one whose first part holds a colon would be read as a protocol.
    """
    return escape_graph(escape_value(str(path)))


def _num(value: float) -> str:
    """A number as ffmpeg reads it, without float noise: 0.85 not 0.8500000000000001."""
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return f"{value:.6f}".rstrip("0").rstrip(".")


def filter_(name: str, *positional: str | float, **options: str | float | bool) -> str:
    """One filter with escaped arguments: `filter_("scale", w=1920, h=1080)` → `scale=w=1920:h=1080`.

    Booleans become 1/0, numbers lose trailing zeros, strings are escaped at both levels, so a
    value can never break out into the next option or filter. Positional values come first.
    """
    parts = [escape_value(_arg(v)) for v in positional]
    parts += [f"{key}={escape_value(_arg(v))}" for key, v in options.items()]
    return f"{name}={escape_graph(':'.join(parts))}" if parts else name


def _arg(value: str | float | bool) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return _num(value)
    return value


@dataclass(frozen=True)
class Chain:
    """A linear run of filters with labelled pads: `[in…]f1,f2[out…]`."""

    filters: tuple[str, ...]
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for label in (*self.inputs, *self.outputs):
            if not _LABEL_RE.match(label) and not re.match(r"^\d+:[av](:\d+)?$", label):
                raise ValueError(f"{label!r} is not a usable filtergraph label")
        if not self.filters:
            raise ValueError("a chain needs at least one filter")

    def __str__(self) -> str:
        ins = "".join(f"[{label}]" for label in self.inputs)
        outs = "".join(f"[{label}]" for label in self.outputs)
        return f"{ins}{','.join(self.filters)}{outs}"


def chain(src: str | Sequence[str], filters: Iterable[str], dst: str | Sequence[str]) -> Chain:
    """A Chain from one label (or several) through `filters` to one label (or several)."""
    ins = (src,) if isinstance(src, str) else tuple(src)
    outs = (dst,) if isinstance(dst, str) else tuple(dst)
    return Chain(tuple(filters) or ("null",), ins, outs)


def graph(chains: Iterable[Chain]) -> str:
    """The `-filter_complex` value: chains joined by `;`."""
    return ";".join(str(c) for c in chains)


# ---------------------------------------------------------------------------------------------
# Picture geometry and scan


def fit(width: int, height: int, *, mode: Literal["pad", "crop"] = "pad", interlaced: bool = False,
        matrix: str = "bt709", range_: str = "tv") -> list[str]:
    """Scale any source into `width`×`height` with square pixels, letterboxed (`pad`) or filled (`crop`).

    Pixels are first made square (`iw*sar`) so anamorphic sources (HDV 1440×1080, DV 720×576) keep
    their shape; the output SAR is 1:1. For interlaced outputs the scaler works per field and offsets
    stay even, so the field order survives. The scale also converts to the output colour matrix.
    """
    div = 4 if interlaced else 2
    scale_opts: dict[str, str | float | bool] = {
        "w": width, "h": height,
        "force_original_aspect_ratio": "decrease" if mode == "pad" else "increase",
        "force_divisible_by": div, "out_color_matrix": matrix, "out_range": range_,
    }
    if interlaced:
        scale_opts["interl"] = True
    steps = [filter_("scale", w="trunc(iw*sar/2)*2", h="ih"), filter_("setsar", "1"), filter_("scale", **scale_opts)]
    y_pad = "trunc((oh-ih)/4)*2" if interlaced else "(oh-ih)/2"
    y_crop = "trunc((ih-oh)/4)*2" if interlaced else "(ih-oh)/2"
    if mode == "pad":
        steps.append(filter_("pad", w=width, h=height, x="(ow-iw)/2", y=y_pad, color="black"))
    else:
        steps.append(filter_("crop", w=width, h=height, x="(iw-ow)/2", y=y_crop))
    steps.append(filter_("setsar", "1"))
    return steps


def deinterlace(parity: Literal["tff", "bff", "auto"] = "auto") -> str:
    """`bwdif` at one frame per frame (25i → 25p), for progressive outputs from interlaced sources.

    bwdif (w3fdif + yadif's spatial check) is sharper than yadif on text and fine detail; sending one
    frame per frame keeps 25 fps rather than doubling to 50p.
    """
    return filter_("bwdif", mode="send_frame", parity=parity, deint="all")


def to_interlaced(source: Literal["progressive", "tff", "bff", "50p"]) -> list[str]:
    """Filters that make the frames 1080i50 top-field-first for an interlaced deliverable.

    - progressive 25p (our usual footage): shown as 1080i50 "PsF" — both fields come from the same
      frame, no motion between them, so nothing is resampled; the frames are only marked TFF
      (`setfield=tff`) and the encoder codes them as interlaced. `tinterlace`/`interlace` would
      instead weave two *different* frames into one, halving a 50p source's rate — wrong for 25p.
    - 50p: weave frame pairs into fields (`interlace`, with the vertical low-pass against twitter).
    - tff: already right; re-mark it in case a filter lost the flag.
    - bff: shift by one line (`fieldorder=tff`) so the order is top first.
    """
    if source == "50p":
        return [filter_("interlace", scan="tff", lowpass="complex")]
    if source == "bff":
        return [filter_("fieldorder", order="tff"), filter_("setfield", mode="tff")]
    return [filter_("setfield", mode="tff")]


def pixel_format(pix_fmt: str) -> str:
    """Pin the pixel format at the end of a branch so conversion happens once, inside the graph."""
    return filter_("format", pix_fmts=pix_fmt)


def legalise() -> str:
    """Clip to broadcast legal range (Y 16–235, Cb/Cr 16–240) after the last pixel-format change."""
    return filter_("lutyuv", y="clip(val,16,235)", u="clip(val,16,240)", v="clip(val,16,240)")


def colour_tags(primaries: str = "bt709", transfer: str = "bt709", matrix: str = "bt709", range_: str = "tv") -> str:
    """Stamp the colour description on every frame. Encoders that write it per frame (ProRes) read
    the frames, not `-color_primaries`, so the graph must say it too."""
    return filter_("setparams", range=range_, color_primaries=primaries, color_trc=transfer, colorspace=matrix)


def vertical(src: str, dst: str, width: int, height: int, method: Literal["crop", "blur-pad"],
             prefix: str = "vert") -> list[Chain]:
    """A 9:16 frame from a 16:9 programme: centre crop, or the whole picture over a blurred copy.

    The blurred background is made at quarter size and scaled up: a box blur on a full 1080×1920
    frame costs far more and looks the same once blurred.
    """
    if method == "crop":
        return [chain(src, [filter_("scale", w=-2, h=height), filter_("crop", w=width, h=height),
                            filter_("setsar", "1")], dst)]
    bg, fg, bgb, fgs = (f"{prefix}_{name}" for name in ("bg", "fg", "bgb", "fgs"))
    small_w, small_h = max(2, width // 4 // 2 * 2), max(2, height // 4 // 2 * 2)
    return [
        chain(src, [filter_("split", 2)], (bg, fg)),
        chain(bg, [
            filter_("scale", w=small_w, h=small_h, force_original_aspect_ratio="increase"),
            filter_("crop", w=small_w, h=small_h),
            filter_("boxblur", luma_radius=10, luma_power=2),
            filter_("scale", w=width, h=height),
            filter_("setsar", "1"),
        ], bgb),
        chain(fg, [filter_("scale", w=width, h=-2), filter_("setsar", "1")], fgs),
        chain((bgb, fgs), [filter_("overlay", x="(W-w)/2", y="(H-h)/2")], dst),
    ]


def fanout(src: str, outputs: Sequence[str], *, audio: bool = False) -> list[Chain]:
    """One decoded programme → N labelled branches (`split=N` / `asplit=N`), one per deliverable.

    Decoding and the shared work (branding, subtitles common to all) happen once (measured: three
    deliverables from one process take 0.82× the time of three processes). With one output the source
    label is simply renamed (`null`), so callers need no special case.
    """
    if not outputs:
        raise ValueError("fanout needs at least one output label")
    if len(outputs) == 1:
        return [chain(src, ["anull" if audio else "null"], outputs[0])]
    return [chain(src, [filter_("asplit" if audio else "split", len(outputs))], tuple(outputs))]


# ---------------------------------------------------------------------------------------------
# Branding and subtitles


def overlay_format(pix_fmt: str) -> str:
    """The `overlay` filter's `format` for a picture in `pix_fmt` (yuv420p → yuv420, yuv422p → yuv422)."""
    for family in ("yuv420", "yuv422", "yuv444"):
        if pix_fmt.startswith(family):
            return family
    raise ValueError(f"no overlay format for {pix_fmt}")


def logo_overlay(base: str, logo: str, dst: str, *, frame_h: int, title_safe: tuple[int, int, int, int],
                 corner: Corner = "top-right", opacity: float = 0.85, height_pct: float = 8.0,
                 prefix: str = "logo", blend: str = "yuv420") -> list[Chain]:
    """The logo scaled to `height_pct` of the frame, at `corner` just inside title-safe, with opacity.

    `title_safe` is (top, bottom, left, right) in pixels, as `profile.safe_areas.title.pixels(w, h)`
    gives it. The logo input may be a single still image: overlay repeats its last frame for the
    whole programme. `blend` is the
    overlay's working format (`overlay_format`): never "auto", which with an RGBA logo turns the
    whole programme into RGBA and back (measured: 5 % of a web render, and a colour round trip).
    """
    logo_h = max(2, round(frame_h * height_pct / 100) // 2 * 2)
    # margins rounded up to even pixels: on 4:2:0 an odd offset would blend the logo's edge into the
    # chroma row it shares with the line above, a pixel outside title-safe
    top, bottom, left, right = (m + m % 2 for m in title_safe)
    x = str(left) if corner.endswith("left") else f"W-w-{right}"
    y = str(top) if corner.startswith("top") else f"H-h-{bottom}"
    scaled = f"{prefix}_scaled"
    return [
        chain(logo, [filter_("scale", w=-2, h=logo_h), filter_("format", pix_fmts="rgba"),
                     filter_("colorchannelmixer", aa=round(opacity, 4))], scaled),
        chain((base, scaled), [filter_("overlay", x=x, y=y, format=blend)], dst),
    ]


def subtitle_style(*, frame_w: int, frame_h: int, font: str, size_pct: float, outline_pct: float,
                   bold: bool, title_safe_pct: tuple[float, float, float, float]) -> str:
    """ASS `force_style` for SRT cues: white text, black outline, bottom centre inside title-safe.

    Sizes are percentages of the frame's shorter side, converted to libass's 384×288 script units
    (font size and vertical margin scale with frame height, side margins with frame width), so the
    same style reads alike at 720p, 1080p and 1080×1920. `title_safe_pct` is (top, bottom, left,
    right) in percent, as `profile.safe_areas.title.percentages()` gives it.
    """
    play_x, play_y = ASS_PLAY_RES
    short = min(frame_w, frame_h)
    to_units = play_y / frame_h
    _top, bottom, left, right = title_safe_pct
    fields = [
        f"FontName={font}",
        f"FontSize={_num(round(short * size_pct / 100 * to_units, 2))}",
        f"Bold={1 if bold else 0}",
        "PrimaryColour=&H00FFFFFF",
        "OutlineColour=&H00000000",
        "BackColour=&H80000000",
        "BorderStyle=1",
        f"Outline={_num(round(short * outline_pct / 100 * to_units, 2))}",
        "Shadow=0",
        "Alignment=2",
        f"MarginV={math.ceil(play_y * bottom / 100)}",
        f"MarginL={math.ceil(play_x * left / 100)}",
        f"MarginR={math.ceil(play_x * right / 100)}",
    ]
    return ",".join(fields)


def burn_subtitles(path: PurePath | str, *, fonts_dir: PurePath | str, style: str) -> str:
    """The `subtitles` filter drawing an SRT/ASS file with fonts from `fonts_dir` (libass).

    Both paths are escaped at both levels; the file name keeps its diacritics.
    """
    return filter_("subtitles", filename=_no_protocol(path), fontsdir=str(fonts_dir), charenc="UTF-8",
                   force_style=style)


def _no_protocol(path: PurePath | str) -> str:
    text = str(path)
    return text if text.startswith(("/", ".")) else "./" + text


def drawtext(text: str, *, fontfile: PurePath | str, size_px: int, x: str, y: str,
             colour: str = "white") -> str:
    """Text drawn with FreeType: the text is taken literally (`expansion=none`), never as `%{…}`."""
    return filter_("drawtext", fontfile=str(fontfile), text=text, expansion="none", fontsize=size_px,
                   fontcolor=colour, x=x, y=y)


# ---------------------------------------------------------------------------------------------
# Audio


def audio_conform(sample_rate: int = 48000, layout: str = "stereo") -> list[str]:
    """Any source audio → `sample_rate` and `layout` by swr's standard matrix (5.1 folded down; mono
    copied to both channels 3 dB down, which the loudness correction then makes up)."""
    return [filter_("aresample", sample_rate),
            filter_("aformat", sample_rates=sample_rate, channel_layouts=layout)]


def gain(db: float) -> str:
    """A linear gain in dB (`volume`), at double precision so 24-bit masters keep their depth."""
    return filter_("volume", volume=f"{_num(round(db, 4))}dB", precision="double")


def true_peak_limiter(ceiling_dbtp: float, *, sample_rate: int = 48000, attack_ms: float = 5,
                      release_ms: float = 50) -> list[str]:
    """A limiter that keeps *true* peaks under `ceiling_dbtp`.

    alimiter only sees sample peaks; run at 4× the rate (as BS.1770's true-peak meter does), the
    samples it sees are close to the reconstructed waveform, so inter-sample overs are caught too.
    Auto-level is off (it would make the level up again) and latency is compensated for A/V sync.
    """
    limit = max(0.0625, min(1.0, 10 ** (ceiling_dbtp / 20)))
    return [
        filter_("aresample", sample_rate * 4),
        filter_("alimiter", limit=round(limit, 6), attack=attack_ms, release=release_ms, level=False,
                latency=True),
        filter_("aresample", sample_rate),
    ]


def mono_tracks(src: str, outputs: Sequence[str], layout: str = "stereo") -> Chain:
    """Split a stereo mix into one mono stream per channel (tracks 1–2 of an XDCAM master)."""
    return chain(src, [filter_("channelsplit", channel_layout=layout)], tuple(outputs))


def loudness_meter(instance: str, *, true_peak: bool = True) -> str:
    """`ebur128` with true peak, named `ebur128@<instance>` so its summary can be found in stderr.

    Per-frame lines go to the verbose log level, leaving only the summary at the default level.
    Without `true_peak` (a settling trial, which reads only the integrated loudness) the meter
    skips the 4× oversampling that finding the true peak costs; its summary has no peak then.
    """
    if not _LABEL_RE.match(instance):
        raise ValueError(f"{instance!r} is not a usable filter instance name")
    return f"ebur128@{instance}=peak={'true' if true_peak else 'none'}:framelog=verbose"


# ---------------------------------------------------------------------------------------------
# Broadcast leader


def leader(spec: Leader, *, width: int, height: int, fps: str, slate_lines: Sequence[str],
           fontfile: PurePath | str, out_v: str, out_a: str, sample_rate: int = 48000,
           prefix: str = "leader") -> list[Chain]:
    """Bars and tone, a slate, then black (durations from `spec`), concatenated into `out_v`/`out_a`.

    Everything is a graph source, so the leader costs no input file. The tone is `sine` (amplitude
    1/8, −18.06 dBFS) corrected to exactly `spec.tone_dbfs` peak — EBU R68 alignment at −18 — and
    copied to both channels with `pan` (an automatic mono→stereo upmix would lower it 3 dB). Slate
    lines are centred, one drawtext each, in the given font (Vietnamese titles need a full font).
    """
    size = f"{width}x{height}"
    text_px = max(12, round(height * 0.045))
    top = (height - len(slate_lines) * text_px * 1.6) / 2
    slate = [filter_("color", color="black", size=size, rate=fps, duration=spec.slate_s)]
    for index, line in enumerate(slate_lines):
        y = str(round(top + index * text_px * 1.6))
        slate.append(drawtext(line, fontfile=fontfile, size_px=text_px, x="(w-text_w)/2", y=y))
    tone = [filter_("sine", frequency=spec.tone_hz, sample_rate=sample_rate, duration=spec.bars_tone_s),
            gain(spec.tone_dbfs - 20 * math.log10(1 / 8)), filter_("pan", "stereo|c0=c0|c1=c0")]
    segments = [
        ("bars", spec.bars_tone_s, [filter_("smptehdbars", size=size, rate=fps, duration=spec.bars_tone_s)], tone),
        ("slate", spec.slate_s, slate, _silence(spec.slate_s, sample_rate)),
        ("black", spec.black_s, [filter_("color", color="black", size=size, rate=fps, duration=spec.black_s)],
         _silence(spec.black_s, sample_rate)),
    ]
    chains: list[Chain] = []
    pads: list[str] = []
    for name, seconds, video, audio in segments:
        if seconds <= 0:
            continue
        v_label, a_label = f"{prefix}_{name}_v", f"{prefix}_{name}_a"
        chains += [Chain((*video, filter_("setsar", "1")), (), (v_label,)), Chain(tuple(audio), (), (a_label,))]
        pads += [v_label, a_label]
    if not pads:
        raise ValueError("a leader needs at least one segment longer than zero")
    chains.append(Chain((filter_("concat", n=len(pads) // 2, v=1, a=1),), tuple(pads), (out_v, out_a)))
    return chains


def _silence(seconds: float, sample_rate: int) -> list[str]:
    return [filter_("anullsrc", channel_layout="stereo", sample_rate=sample_rate), filter_("atrim", duration=seconds)]


def concat(segments: Sequence[tuple[str, str]], out_v: str, out_a: str) -> Chain:
    """Join (video, audio) label pairs end to end, e.g. the leader then the programme.

    concat negotiates one format for all its inputs: give it audio already at the output rate and
    layout (`audio_conform`), or it may settle on mono and fold a stereo line-up tone down 3 dB.
    """
    pads = tuple(label for pair in segments for label in pair)
    return Chain((filter_("concat", n=len(segments), v=1, a=1),), pads, (out_v, out_a))


def dissolve(outgoing: str, incoming: str, dst: str, *, offset_s: str, duration_s: str,
             prefix: str) -> list[Chain]:
    """A cross dissolve (`xfade=transition=fade`) from `outgoing` into `incoming`, starting at
    `offset_s` of the outgoing stream and lasting `duration_s` (both exact seconds, as argv wants
    them). The output is `offset_s` of the outgoing picture, then the blend, then the rest of the
    incoming one: as long as both together less the dissolve.

    The outgoing stream is given two cloned frames past its end first: ffmpeg 5.1's xfade ends the
    transition early (drops its last blended frame and shifts the incoming stream a frame late) when
    the outgoing stream reaches its end during the blend, which is exactly where a dissolve's
    outgoing handle ends; with two frames more it ends the blend by its own count, and drops them.
    """
    padded = f"{prefix}_pad"
    return [chain(outgoing, [filter_("tpad", stop=2, stop_mode="clone")], padded),
            chain((padded, incoming), [filter_("xfade", transition="fade", duration=duration_s,
                                               offset=offset_s)], dst)]


def crossfade(outgoing: str, incoming: str, dst: str, *, samples: int) -> Chain:
    """The sound of a dissolve: the last `samples` of `outgoing` faded into the first `samples` of
    `incoming` (`acrossfade`, constant-power curves, as an NLE's default cross fade), sample-exact."""
    return chain((outgoing, incoming), [filter_("acrossfade", ns=samples, c1="qsin", c2="qsin")], dst)


def mix(sources: Sequence[str], dst: str) -> Chain:
    """Tracks summed as they are (`amix=normalize=0`): an edit's own audio tracks, mixed the way the
    NLE plays them, with no level change when a track falls silent or ends."""
    if len(sources) == 1:
        return chain(sources[0], ["anull"], dst)
    return chain(tuple(sources), [filter_("amix", inputs=len(sources), duration="longest", normalize=False)], dst)


# ---------------------------------------------------------------------------------------------
# One deliverable's branch, from its profile

_LAYOUTS = {1: "mono", 2: "stereo", 6: "5.1", 8: "7.1"}
Scan = Literal["progressive", "tff", "bff"]


def video_for(profile: Profile, src: str, dst: str, *, source_scan: Scan = "progressive",
              prefix: str = "v") -> list[Chain]:
    """The picture branch of one deliverable: deinterlace or interlace as the profile needs, fit or
    go vertical, and pin the pixel format. Branding and subtitles go before or after, per caller."""
    v = profile.video
    pre = [deinterlace(source_scan)] if source_scan != "progressive" and (not v.interlaced or profile.vertical) else []
    post = encoder_ready(profile, source_scan)
    if profile.vertical is not None:
        mid = f"{prefix}_vin"
        first = chain(src, pre or ["null"], mid)
        body = vertical(mid, f"{prefix}_vout", v.width, v.height, profile.vertical, prefix=f"{prefix}_vert")
        return [first, *body, chain(f"{prefix}_vout", post, dst)]
    field_aware = v.interlaced and source_scan != "progressive"
    steps = fit(v.width, v.height, interlaced=field_aware, matrix=v.colour.matrix, range_=v.colour.range)
    return [chain(src, [*pre, *steps, *post], dst)]


def encoder_ready(profile: Profile, source_scan: Scan = "progressive", *, legal: bool = True) -> list[str]:
    """The last filters before a deliverable's encoder: scan marking (`to_interlaced`), pixel format,
    legalisation where the profile asks (and `legal`), colour tags. Every stream of one file goes
    through here, so pictures joined by stream copy (leader and body) are marked alike."""
    v = profile.video
    c = v.colour
    return [*(to_interlaced(source_scan) if v.interlaced else []), pixel_format(v.pix_fmt),
            *([legalise()] if c.legalise and legal else []), colour_tags(c.primaries, c.transfer, c.matrix, c.range)]


def subtitle_style_for(profile: Profile) -> str:
    """`subtitle_style` with the profile's font, sizes and title-safe area."""
    v, style = profile.video, profile.subtitles.style
    return subtitle_style(frame_w=v.width, frame_h=v.height, font=style.font, size_pct=style.size_pct,
                          outline_pct=style.outline_pct, bold=style.bold,
                          title_safe_pct=profile.safe_areas.title.percentages())


def audio_for(profile: Profile, src: str, *, level: Sequence[str] = (), meter: str | None = None,
              prefix: str = "a") -> tuple[list[Chain], list[str]]:
    """The sound branch of one deliverable and the labels to `-map` (one, or one per mono track).

    `level` is the loudness correction (loudness.Normalisation.filters()); `meter` names an ebur128
    placed last, so the render's own stderr reports the loudness of what was actually encoded.
    """
    a = profile.audio
    layout = _LAYOUTS.get(a.channels, f"{a.channels}c")
    filters = [*audio_conform(a.sample_rate, layout), *level]
    if meter is not None:
        filters.append(loudness_meter(meter))
    if not a.mono_tracks:
        return [chain(src, filters, f"{prefix}_out")], [f"{prefix}_out"]
    tracks = [f"{prefix}_c{index + 1}" for index in range(a.channels)]
    return [chain(src, filters, f"{prefix}_mix"), mono_tracks(f"{prefix}_mix", tracks, layout)], tracks
