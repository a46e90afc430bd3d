"""Ingest's one-pass transcode, built as data: house-format working copy, review proxy, ASR audio.

An audio-only source (a voice-over: WAV, BWF, MP3, M4A/AAC, FLAC, Ogg, Opus, AIFF) gets the audio
outputs only: a house-rate stereo PCM working copy when it needs one, and the 16 kHz ASR audio.

Decoding a source once and fanning out (`split`/`asplit`) to every ingest output keeps ingest close
to the cost of a single decode. Functions here are pure: they return argument lists, tested against
literal lists; `pipeline.media.ffmpeg` runs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

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
    conform: Path | None
    proxy: Path | None
    audio16k: Path | None


PROXY_HEIGHT = 540


def conform_reasons(info: MediaInfo, house: House) -> list[str]:
    """Why a source cannot be cut as it is; empty when it already matches the house format."""
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
        if video.codec not in ("h264", "prores", "dnxhd", "mpeg2video"):
            reasons.append(f"codec {video.codec}")
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


def picture_chain(info: MediaInfo, house: House) -> str:
    """Deinterlace, make CFR at the house rate, fit inside the house frame (letter/pillar-box).

    Rotation is applied by ffmpeg's autorotate before this chain runs, so a phone's portrait clip
    arrives upright and is pillar-boxed here.
    """
    assert info.video is not None
    steps: list[str] = []
    if info.video.interlaced:
        parity = "tff" if info.video.field_order in ("tt", "tb") else "bff"
        steps.append(f"bwdif=mode=send_frame:parity={parity}")
    steps.append(f"fps={_rate_arg(house.rate)}")
    steps.append(
        f"scale={house.width}:{house.height}:force_original_aspect_ratio=decrease"
        ":in_color_matrix=auto:out_color_matrix=bt709:out_range=tv"
    )
    steps.append(f"pad={house.width}:{house.height}:(ow-iw)/2:(oh-ih)/2:black")
    steps.append("setsar=1")
    return ",".join(steps)


def ingest_args(info: MediaInfo, source: Path, house: House, out: IngestOutputs) -> list[str]:
    """ffmpeg arguments for one decode of `source` writing every requested ingest output."""
    args: list[str] = ["-i", f"file:{source}"]
    graph: list[str] = []
    if info.video is not None and (out.conform or out.proxy):
        chain = picture_chain(info, house)
        if out.conform and out.proxy:
            graph.append(f"[0:v:0]{chain},split=2[vconf][vprox0]")
        elif out.conform:
            graph.append(f"[0:v:0]{chain}[vconf]")
        else:
            graph.append(f"[0:v:0]{chain}[vprox0]")
        if out.proxy:
            graph.append(f"[vprox0]scale=-2:{PROXY_HEIGHT}[vprox]")
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
        else:
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
        pix = "yuv422p" if info.video and info.video.pix_fmt and "422" in info.video.pix_fmt else "yuv420p"
        args += ["-map", "[vconf]"]
        if "aconf" in audio_labels:
            args += ["-map", "[aconf]"]
        args += [
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "16", "-pix_fmt", pix,
            "-g", str(round(house.rate)), "-bf", "0",
            "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709", "-color_range", "tv",
            "-c:a", "pcm_s24le", "-ar", str(house.sample_rate),
            "-map_metadata", "-1", "-f", "mov", f"file:{out.conform}",
        ]
    if out.proxy:
        args += ["-map", "[vprox]"]
        if "aprox" in audio_labels:
            args += ["-map", "[aprox]", "-c:a", "aac", "-b:a", "128k"]
        args += [
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "26", "-pix_fmt", "yuv420p",
            "-g", str(round(house.rate) * 2), "-movflags", "+faststart",
            "-map_metadata", "-1", "-f", "mp4", f"file:{out.proxy}",
        ]
    if out.audio16k and "aasr" in audio_labels:
        args += ["-map", "[aasr]", "-c:a", "pcm_s16le", "-f", "wav", f"file:{out.audio16k}"]
    return args


def thumbnails_args(proxy: Path, duration_ms: int, poster: Path, strip: Path, count: int = 8) -> list[str]:
    """Poster frame (at a third of the clip, past slates and black) and a strip of `count` thumbnails."""
    poster_at = max(0.0, duration_ms / 1000 / 3)
    every = max(duration_ms / 1000 / count, 0.04)
    return [
        "-ss", f"{poster_at:.3f}", "-i", f"file:{proxy}", "-i", f"file:{proxy}",
        "-map", "0:v:0", "-frames:v", "1", "-q:v", "3", "-update", "1", "-f", "image2", f"file:{poster}",
        "-map", "1:v:0", "-vf", f"fps=1/{every:.4f},scale=192:-2,tile={count}x1",
        "-frames:v", "1", "-q:v", "4", "-update", "1", "-f", "image2", f"file:{strip}",
    ]
