"""Ingest's one-pass transcode, built as data: every ingest output from one decode of the source.

The working copy (when the source is not in house format), the review proxy, the 16 kHz ASR audio,
the poster frame, the thumbnail strip and the shot changes all come from one ffmpeg process that
decodes the source once and fans out (`split`/`asplit`). The small outputs are taken from a
downscaled picture, shots are found there by `scdet`, and a source whose picture already matches
(only its sound does not: a mono lavalier, 44.1 kHz) keeps its picture stream as it is.

An audio-only source (a voice-over: WAV, BWF, MP3, M4A/AAC, FLAC, Ogg, Opus, AIFF) gets the audio
outputs only: a house-rate stereo PCM working copy when it needs one, and the 16 kHz ASR audio.
Functions here are pure: they return argument lists, tested against literal lists;
`pipeline.media.ffmpeg` runs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from .graphs import escape_filter_path
from .probe import MediaInfo


@dataclass(frozen=True)
class House:
    """The programme's working format."""

    width: int
    height: int
    rate: Fraction
    sample_rate: int


@dataclass(frozen=True)
class IngestOutputs:
    """Where each output goes; None leaves it out. `shots` receives scdet's log of cut times."""

    conform: Path | None
    proxy: Path | None
    audio16k: Path | None
    poster: Path | None = None
    strip: Path | None = None
    shots: Path | None = None
    thumbnails: int = 8
    shot_threshold: float = 20.0


PROXY_HEIGHT = 540
STRIP_WIDTH = 192
SMALL_SCALER = "fast_bilinear"
"""The proxy and the thumbnails are for looking at, not for cutting: the cheapest scaler keeps up."""
CONFORM_PRESET = "ultrafast"
SHOT_BLOCKS = 16
PROXY_PRESET = "ultrafast"
CONFORM_CODECS = ("h264", "prores", "dnxhd", "mpeg2video")


def conform_reasons(info: MediaInfo, house: House) -> list[str]:
    """Why a source cannot be cut as it is; empty when it already matches the house format."""
    return picture_reasons(info, house) + sound_reasons(info, house)


def picture_reasons(info: MediaInfo, house: House) -> list[str]:
    """Why the picture needs encoding again; empty when its stream can be copied as it is."""
    reasons: list[str] = []
    video = info.video
    if video is not None:
        if (video.width, video.height) != (house.width, house.height):
            reasons.append(f"size {video.width}×{video.height}")
        if video.rotation:
            reasons.append(f"rotated {video.rotation}°")
        if video.interlaced:
            reasons.append(f"interlaced ({video.field_order})")
        if info.rate != house.rate:
            reasons.append(f"{float(info.rate):.3f} fps")
        if info.vfr:
            reasons.append("variable frame rate")
        if video.sar not in ("1:1", "0:1", "N/A", ""):
            reasons.append(f"non-square pixels {video.sar}")
        if video.codec not in CONFORM_CODECS:
            reasons.append(f"codec {video.codec}")
    return reasons


def sound_reasons(info: MediaInfo, house: House) -> list[str]:
    """Why the sound needs converting (sample rate, channels, a compressed voice-over, none at all)."""
    reasons: list[str] = []
    video = info.video
    if info.audio:
        audio = info.audio[0]
        if audio.sample_rate != house.sample_rate:
            reasons.append(f"audio {audio.sample_rate} Hz")
        if audio.channels != 2:
            tracks = f" in {len(info.audio)} tracks" if len(info.audio) > 1 else ""
            reasons.append(f"audio {audio.channels} channel(s){tracks}")
        if video is None and not audio.codec.startswith("pcm_"):
            # A voice-over is cut to the sample: compressed audio seeks only to its packets and
            # carries encoder delay (raw AAC: ~23 ms nobody records), so it is cut from PCM.
            reasons.append(f"{audio.codec} audio, not PCM")
    elif video is not None:
        reasons.append("no audio track")
    return reasons


def _rate_arg(rate: Fraction) -> str:
    return f"{rate.numerator}/{rate.denominator}"


def picture_chain(info: MediaInfo, house: House, *, height: int | None = None, scaler: str = "") -> str:
    """Deinterlace, make CFR at the house rate, fit inside the house frame (letter/pillar-box).

    With `height`, the frame is the house shape at that height (the proxy), scaled with `scaler`.
    A proxy of half the source's lines or fewer is taken from one field of an interlaced source:
    that field already holds every line it shows, so nothing is lost and no deinterlacer runs (at
    1080i bwdif costs more than the decode). Rotation is applied by ffmpeg's autorotate before this
    chain runs, so a phone's portrait clip arrives upright and is pillar-boxed here.
    """
    assert info.video is not None
    width, tall = house.width, house.height
    if height is not None:
        width, tall = _even(house.width * height / house.height), height
    steps: list[str] = []
    one_field = (height is not None and info.video.interlaced and not info.video.rotation
                 and 2 * height <= info.video.height)
    if one_field:
        steps.append(f"field=type={'top' if info.video.field_order in ('tt', 'tb') else 'bottom'}")
    elif info.video.interlaced:
        parity = "tff" if info.video.field_order in ("tt", "tb") else "bff"
        steps.append(f"bwdif=mode=send_frame:parity={parity}")
    steps.append(f"fps={_rate_arg(house.rate)}")
    if not _already_fits(info, width, tall):
        flags = f":flags={scaler}" if scaler else ""
        # A field is half the frame's height: its size is given, not kept from its own shape.
        size = "{}:{}".format(*_fitted(info.video.display_size, width, tall)) if one_field \
            else f"{width}:{tall}:force_original_aspect_ratio=decrease"
        steps.append(
            f"scale={size}{flags}"
            ":in_color_matrix=auto:out_color_matrix=bt709:out_range=tv"
        )
        steps.append(f"pad={width}:{tall}:(ow-iw)/2:(oh-ih)/2:black")
    steps.append("setsar=1")
    return ",".join(steps)


def _fitted(shown: tuple[int, int], width: int, height: int) -> tuple[int, int]:
    """The even size of a `shown`-shaped picture fitted inside `width`×`height`."""
    shown_w, shown_h = shown
    if not shown_w or not shown_h:
        return width, height
    scale = min(width / shown_w, height / shown_h)
    return min(width, _even(shown_w * scale)), min(height, _even(shown_h * scale))


def _already_fits(info: MediaInfo, width: int, height: int) -> bool:
    """A picture already the frame's size, square-pixelled, BT.709 and video range needs no scaler
    pass (at 1080 that pass is a tenth of an interlaced clip's ingest)."""
    video = info.video
    assert video is not None
    return (
        (video.width, video.height) == (width, height) and not video.rotation
        and video.sar in ("1:1", "0:1", "N/A", "")
        and (video.color_space or "bt709") in ("bt709", "unknown")
        and (video.color_range or "tv") in ("tv", "unknown")
    )


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def proxy_width(house: House) -> int:
    return _even(house.width * PROXY_HEIGHT / house.height)


def active_area(info: MediaInfo, width: int, height: int) -> tuple[int, int]:
    """The size of the picture inside a `width`×`height` frame it was fitted into (no bars), a
    pixel in from each edge so no border is measured."""
    assert info.video is not None
    shown_w, shown_h = info.video.display_size
    if not shown_w or not shown_h:
        return width, height
    scale = min(width / shown_w, height / shown_h)
    return max(2, min(width, int(shown_w * scale)) - 2), max(2, min(height, int(shown_h * scale)) - 2)


def _split(src: str, dsts: list[str]) -> str:
    """`src` to each of `dsts` (a plain rename when there is one)."""
    if len(dsts) == 1:
        return f"{src}null{dsts[0]}"
    return f"{src}split={len(dsts)}" + "".join(dsts)


def _picture_graph(info: MediaInfo, house: House, out: IngestOutputs, encode_conform: bool) -> list[str]:
    """The picture branches: the house-size working copy, then everything small from one downscale."""
    small = [label for label, path in (("[vprox]", out.proxy), ("[vposter0]", out.poster),
                                       ("[vtiny0]", out.strip or out.shots)) if path]
    graph: list[str] = []
    if encode_conform:
        chain = picture_chain(info, house)
        if small:
            graph.append(f"[0:v:0]{chain},split=2[vconf][vsmall0]")
            graph.append(f"[vsmall0]scale={proxy_width(house)}:{PROXY_HEIGHT}:flags={SMALL_SCALER}[vsmall]")
        else:
            graph.append(f"[0:v:0]{chain}[vconf]")
    elif small:
        graph.append(f"[0:v:0]{picture_chain(info, house, height=PROXY_HEIGHT, scaler=SMALL_SCALER)}[vsmall]")
    if not small:
        return graph
    graph.append(_split("[vsmall]", small))
    rate = house.rate
    seconds = (info.duration_ms or 0) / 1000
    if out.poster:
        # A third of the way in: past slates and black. The first frame there, then nothing more.
        frame = int(seconds / 3 * rate)
        graph.append(f"[vposter0]select=gte(n\\,{frame})*isnan(prev_selected_t)[vposter]")
    if out.strip or out.shots:
        tiny = [label for label, path in (("[vstrip0]", out.strip), ("[vshots0]", out.shots)) if path]
        tiny_h = _even(STRIP_WIDTH * house.height / house.width)
        crop_w, crop_h = active_area(info, STRIP_WIDTH, tiny_h)
        # Cuts are judged on 16-block-wide averages of the picture inside any pillar- or letter-box:
        # a scrolling or noisy picture barely changes them, a new shot changes them a lot (measured
        # on the samples: cuts score 31–65, every other frame 12 or less).
        blocks_h = max(2, round(SHOT_BLOCKS * crop_h / crop_w))
        graph.append(f"[vtiny0]scale={STRIP_WIDTH}:{tiny_h}:flags={SMALL_SCALER},{_split('', tiny)}")
    if out.strip:
        every = max(seconds / out.thumbnails, 0.04)
        graph.append(f"[vstrip0]fps=1/{every:.4f},tile={out.thumbnails}x1[vstrip]")
    if out.shots:
        graph.append(
            f"[vshots0]crop={crop_w}:{crop_h},scale={SHOT_BLOCKS}:{blocks_h}:flags=area,"
            f"scdet=threshold={out.shot_threshold:g},"
            f"metadata=mode=print:key=lavfi.scd.time:file={escape_filter_path(out.shots)},nullsink"
        )
    return graph


def ingest_args(info: MediaInfo, source: Path, house: House, out: IngestOutputs) -> list[str]:
    """ffmpeg arguments for one decode of `source` writing every requested ingest output."""
    args: list[str] = ["-i", f"file:{source}"]
    encode_conform = bool(out.conform and info.video is not None and picture_reasons(info, house))
    copy_picture = bool(out.conform and info.video is not None and not encode_conform)
    graph = _picture_graph(info, house, out, encode_conform) if info.video is not None else []
    audio_labels: dict[str, str] = {}
    has_audio = bool(info.audio)
    if has_audio:
        wanted = [name for name, path in (("aconf", out.conform), ("aprox", out.proxy), ("aasr", out.audio16k)) if path]
        first = info.audio[0]
        if first.channels == 1 and len(info.audio) >= 2 and info.audio[1].channels == 1:
            # XDCAM cameras record each channel as its own mono track: take channels 1 and 2 together.
            base = f"[0:{first.index}][0:{info.audio[1].index}]amerge=inputs=2,aresample={house.sample_rate}"
        else:
            base = f"[0:{first.index}]aresample={house.sample_rate}"
        if len(wanted) > 1:
            graph.append(f"{base},asplit={len(wanted)}" + "".join(f"[{w}0]" for w in wanted))
        elif wanted:
            graph.append(f"{base}[{wanted[0]}0]")
        for name in wanted:
            if name == "aasr":
                graph.append("[aasr0]aformat=channel_layouts=mono,aresample=16000[aasr]")
            else:
                graph.append(f"[{name}0]aformat=channel_layouts=stereo[{name}]")
            audio_labels[name] = name
    elif info.video is not None and out.conform:
        # A silent bed keeps every working copy cuttable with the same audio layout.
        seconds = (info.duration_ms or 0) / 1000
        graph.append(
            f"anullsrc=channel_layout=stereo:sample_rate={house.sample_rate},atrim=end={seconds:.3f}[aconf]"
        )
        audio_labels["aconf"] = "aconf"
    args += ["-filter_complex", ";".join(graph)]
    if out.conform and info.video is None:
        # An audio-only source (a voice-over): its working copy is house-rate stereo PCM, nothing else.
        args += ["-map", "[aconf]", "-c:a", "pcm_s24le", "-ar", str(house.sample_rate),
                 "-map_metadata", "-1", "-f", "mov", f"file:{out.conform}"]
    elif out.conform:
        args += ["-map", "0:v:0" if copy_picture else "[vconf]"]
        if "aconf" in audio_labels:
            args += ["-map", "[aconf]"]
        if copy_picture:
            args += ["-c:v", "copy"]
        else:
            pix = "yuv422p" if info.video and info.video.pix_fmt and "422" in info.video.pix_fmt else "yuv420p"
            args += [
                "-c:v", "libx264", "-preset", CONFORM_PRESET, "-crf", "16", "-pix_fmt", pix,
                "-g", str(round(house.rate)), "-bf", "0",
                "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709", "-color_range", "tv",
            ]
        args += [
            "-c:a", "pcm_s24le", "-ar", str(house.sample_rate),
            "-map_metadata", "-1", "-f", "mov", f"file:{out.conform}",
        ]
    if out.proxy:
        args += ["-map", "[vprox]"]
        if "aprox" in audio_labels:
            # The fast coder halves the AAC encoder's cost (which was 40 % of a 1080p decode's); at
            # 128 kb/s the difference is not heard on a review proxy's sound.
            args += ["-map", "[aprox]", "-c:a", "aac", "-aac_coder", "fast", "-b:a", "128k"]
        args += [
            "-c:v", "libx264", "-preset", PROXY_PRESET, "-crf", "27", "-pix_fmt", "yuv420p",
            "-g", str(round(house.rate) * 2), "-movflags", "+faststart",
            "-map_metadata", "-1", "-f", "mp4", f"file:{out.proxy}",
        ]
    if out.poster and info.video is not None:
        args += ["-map", "[vposter]", "-frames:v", "1", "-q:v", "3", "-update", "1", "-f", "image2",
                 f"file:{out.poster}"]
    if out.strip and info.video is not None:
        args += ["-map", "[vstrip]", "-frames:v", "1", "-q:v", "4", "-update", "1", "-f", "image2",
                 f"file:{out.strip}"]
    if out.audio16k and "aasr" in audio_labels:
        args += ["-map", "[aasr]", "-c:a", "pcm_s16le", "-f", "wav", f"file:{out.audio16k}"]
    return args


def read_shot_log(path: Path, duration_ms: int) -> list[int]:
    """Cut times (ms) from scdet's log: one per new shot, none in the first or last half second of
    a shot (a flash or a two-frame cut is not a shot an editor would cut on)."""
    min_ms = 500
    cuts: list[int] = []
    last = 0
    if not path.is_file():
        return cuts
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.startswith("lavfi.scd.time="):
            continue
        try:
            at = round(float(line.split("=", 1)[1]) * 1000)
        except ValueError:
            continue
        if at - last >= min_ms and duration_ms - at >= min_ms // 2:
            cuts.append(at)
            last = at
    return cuts
