"""Profile → ffmpeg output options: pure functions, unit-tested against literal argument lists.

One deliverable's options are `output_args(profile)`: video encoder, audio encoder and container
flags, to be placed after that output's `-map`s and before its file name. The same module holds the
rules (`legal_problems`) that say which profiles ffmpeg and the receivers can take, because those
rules are about exactly these encoders and muxers.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..profiles import Audio, Profile, Video

_ENCODERS = {"mpeg2video": "mpeg2video", "h264": "libx264", "prores": "prores_ks"}
# prores_aw: about 4× faster than prores_ks on these machines, with a simpler rate control.
_ALTERNATIVES = {"mpeg2video": {"mpeg2video"}, "h264": {"libx264"}, "prores": {"prores_ks", "prores_aw"}}
_PRORES_PROFILES = {"proxy": 0, "lt": 1, "standard": 2, "hq": 3, "4444": 4, "4444xq": 5}
# MPEG-2 profile and level as the encoder numbers them (profile_and_level_indication).
_MPEG2_PROFILES = {"422": 0, "high": 1, "main": 4}
_MPEG2_LEVELS_422 = {"high": 2, "main": 5}
_MPEG2_LEVELS = {"high": 4, "high1440": 6, "main": 8}
_MUXERS = {"mxf": "mxf", "mp4": "mp4", "mov": "mov", "mpegts": "mpegts"}


def rate_text(kbits: int) -> str:
    """A bit rate in ffmpeg's units: 50000 kb/s → '50M', 192 → '192k'."""
    return f"{kbits // 1000}M" if kbits % 1000 == 0 else f"{kbits}k"


def bits_text(bits: int) -> str:
    """A buffer size in bits: 16000000 → '16M'; XDCAM's 17825792 stays exact."""
    if bits % 1_000_000 == 0:
        return f"{bits // 1_000_000}M"
    if bits % 1000 == 0:
        return f"{bits // 1000}k"
    return str(bits)


def pcm_encoder(bit_depth: int) -> str:
    """Little-endian signed PCM of `bit_depth` bits, as MXF, MOV and WAV carry it."""
    return f"pcm_s{bit_depth}le"


def video_args(profile: Profile) -> list[str]:
    """Video encoder options for `profile` (codec, pixel format, rate control, GOP, scan, colour).

    Interlaced outputs get `ilme`/`ildct` (field-aware motion estimation and DCT), the field order on
    the frames (`-top 1`) and in the stream/container (`-field_order tt`); the filtergraph must also
    mark frames `setfield=tff` (see graphs.to_interlaced).
    """
    v = profile.video
    args = ["-c:v", v.encoder or _ENCODERS[v.codec]]
    if v.codec == "h264":
        if v.preset:
            args += ["-preset", v.preset]
        args += ["-profile:v", v.profile]
        if v.level:
            args += ["-level:v", v.level]
        args += ["-pix_fmt", v.pix_fmt]
    elif v.codec == "prores":
        args += ["-profile:v", str(_PRORES_PROFILES[v.profile]), "-vendor", "apl0", "-pix_fmt", v.pix_fmt]
    else:
        args += ["-profile:v", str(_MPEG2_PROFILES[v.profile])]
        if v.level:
            levels = _MPEG2_LEVELS_422 if v.profile == "422" else _MPEG2_LEVELS
            args += ["-level:v", str(levels[v.level])]
        args += ["-pix_fmt", v.pix_fmt]
    args += _rate_control(v)
    if v.codec != "prores":
        args += ["-g", str(v.gop), "-bf", str(v.bframes)]
    if v.codec == "h264":
        args += ["-keyint_min", str(v.gop), "-sc_threshold", "0"]
    elif v.codec == "mpeg2video":
        # MEASURED.md: non-linear quantiser needs qmax ≤ 28; intra DC precision 10 bits as XDCAM uses.
        # A fixed GOP (no extra I-frames at scene cuts), as XDCAM's long GOP of 12 is.
        args += ["-dc", "10", "-non_linear_quant", "1", "-qmin", "1", "-qmax", "28", "-sc_threshold", "1000000000"]
    flags = ("+cgop" if v.closed_gop and v.codec != "prores" else "") + ("+ilme+ildct" if v.interlaced else "")
    if flags:
        args += ["-flags", flags]  # one -flags only: a second one would replace the first
    if v.interlaced:
        if v.codec == "h264":
            args += ["-x264opts", "tff=1"]
        args += ["-top", "1", "-field_order", "tt"]
    c = v.colour
    args += ["-color_primaries", c.primaries, "-color_trc", c.transfer, "-colorspace", c.matrix]
    args += ["-color_range", c.range]
    return args


def _rate_control(v: Video) -> list[str]:
    args: list[str] = []
    if v.bitrate_kbps is not None:
        args += ["-b:v", rate_text(v.bitrate_kbps)]
    if v.minrate_kbps is not None:
        args += ["-minrate", rate_text(v.minrate_kbps)]
    if v.maxrate_kbps is not None:
        args += ["-maxrate", rate_text(v.maxrate_kbps)]
    if v.bufsize_bits is not None:
        args += ["-bufsize", bits_text(v.bufsize_bits)]
    return args


def audio_args(profile: Profile) -> list[str]:
    """Audio encoder options. With `mono_tracks` the graph delivers one mono stream per channel, so
    no `-ac` is given (it would turn each mono track back into stereo)."""
    a = profile.audio
    if a.codec == "pcm":
        args = ["-c:a", pcm_encoder(a.bit_depth or 24), "-ar", str(a.sample_rate)]
    else:
        args = ["-c:a", "aac", "-profile:a", "aac_low", "-b:a", rate_text(a.bitrate_kbps or 192)]
        args += ["-ar", str(a.sample_rate)]
    if not a.mono_tracks:
        args += ["-ac", str(a.channels)]
    return args


def container_args(profile: Profile, *, start_timecode: str | None = None) -> list[str]:
    """Muxer options: the format, faststart for MP4/MOV, and the start timecode where the container
    carries one (MXF, MOV). `start_timecode` defaults to `profile.start_timecode()`."""
    c = profile.container
    args = ["-f", _MUXERS[c.format]]
    if c.faststart:
        args += ["-movflags", "+faststart"]
    tc = start_timecode if start_timecode is not None else profile.start_timecode()
    if tc is not None and c.format in ("mxf", "mov"):
        args += ["-timecode", tc]
    return args


def output_args(profile: Profile, *, start_timecode: str | None = None) -> list[str]:
    """All encoder and muxer options of one deliverable, in the order ffmpeg expects them."""
    return [*video_args(profile), *audio_args(profile), *container_args(profile, start_timecode=start_timecode)]


# ---------------------------------------------------------------------------------------------
# Legality: combinations refused before ffmpeg runs

_CONTAINER_CODECS: dict[str, tuple[set[str], set[str], str]] = {
    # format: (video codecs, audio codecs, extensions)
    "mxf": ({"mpeg2video"}, {"pcm"}, ".mxf"),
    "mp4": ({"h264"}, {"aac"}, ".mp4 .m4v"),
    "mov": ({"prores", "h264"}, {"pcm", "aac"}, ".mov"),
    "mpegts": ({"h264", "mpeg2video"}, {"aac"}, ".ts .m2ts"),
}
_H264_PIX = {
    "baseline": {"yuv420p"},
    "main": {"yuv420p"},
    "high": {"yuv420p"},
    "high10": {"yuv420p", "yuv420p10le"},
    "high422": {"yuv420p", "yuv422p", "yuv420p10le", "yuv422p10le"},
}
# level: (max macroblocks per frame, max macroblocks per second, max kb/s for Main; High ×1.25)
_H264_LEVELS: dict[str, tuple[int, int, int]] = {
    "3.0": (1620, 40500, 10000),
    "3.1": (3600, 108000, 14000),
    "3.2": (5120, 216000, 20000),
    "4.0": (8192, 245760, 20000),
    "4.1": (8192, 245760, 50000),
    "4.2": (8704, 522240, 50000),
    "5.0": (22080, 589824, 135000),
    "5.1": (36864, 983040, 240000),
}
_H264_BR_FACTOR = {"baseline": 1.0, "main": 1.0, "high": 1.25, "high10": 3.0, "high422": 4.0}
_PRORES_PIX = {"proxy": "yuv422p10le", "lt": "yuv422p10le", "standard": "yuv422p10le", "hq": "yuv422p10le",
               "4444": "yuv444p10le", "4444xq": "yuv444p10le"}
_MPEG2_PIX = {"422": "yuv422p", "main": "yuv420p", "high": "yuv420p"}


def legal_problems(profile: Profile) -> list[str]:
    """Every rule `profile` breaks, as short sentences (empty when it can be encoded and delivered)."""
    v, a, c = profile.video, profile.audio, profile.container
    out: list[str] = []
    vcodecs, acodecs, exts = _CONTAINER_CODECS[c.format]
    if v.codec not in vcodecs:
        out.append(f"{c.format.upper()} cannot carry {v.codec} video (allowed: {', '.join(sorted(vcodecs))})")
    if a.codec not in acodecs:
        out.append(f"{c.format.upper()} cannot carry {a.codec.upper()} audio (allowed: {', '.join(sorted(acodecs))})")
    if c.extension not in exts.split():
        out.append(f"extension {c.extension} does not match container {c.format} (use {exts.split()[0]})")
    if c.faststart and c.format not in ("mp4", "mov"):
        out.append("faststart applies only to MP4/MOV")
    if v.width % 2 or v.height % 2:
        out.append(f"frame size {v.width}×{v.height} must be even in both directions (chroma subsampling)")
    if v.encoder is not None and v.encoder not in _ALTERNATIVES[v.codec]:
        out.append(f"{v.encoder} does not encode {v.codec} (use {', '.join(sorted(_ALTERNATIVES[v.codec]))})")
    if v.bframes and v.bframes >= v.gop:
        out.append(f"{v.bframes} B-frames do not fit in a GOP of {v.gop}")
    out += _scan_problems(profile)
    out += _codec_problems(profile)
    out += _audio_problems(a)
    if profile.vertical is not None and v.height <= v.width:
        out.append(f"vertical: {profile.vertical} needs a portrait frame, not {v.width}×{v.height}")
    if profile.subtitles.burn_in is not None and profile.subtitles.burn_in not in ("vi", "en"):
        out.append(f"subtitles.burn_in {profile.subtitles.burn_in!r} is not a subtitle language (vi or en)")
    return out


def _scan_problems(profile: Profile) -> list[str]:
    v = profile.video
    if not v.interlaced:
        return []
    out = []
    if v.rate not in (Fraction(25), Fraction(30000, 1001), Fraction(30)):
        out.append(f"interlaced video needs 25 or 29.97 frames/s (50/59.94 fields), not {v.fps}")
    if v.height not in (1080, 576, 480):
        out.append(f"{v.height} lines cannot be interlaced (1080i, 576i or 480i only)")
    if profile.vertical is not None:
        out.append("a vertical (social) frame cannot be interlaced")
    if v.codec == "h264" and v.profile == "baseline":
        out.append("H.264 Baseline is progressive-only; use Main or High for 1080i")
    if v.codec == "h264" and v.level is not None and v.level not in ("2.1", "2.2", "3.0", "3.1", "3.2", "4.0", "4.1"):
        out.append(f"H.264 level {v.level} is progressive-only (interlaced needs 2.1–4.1)")
    if v.pix_fmt.startswith("yuv420") and v.height % 4:
        out.append("interlaced 4:2:0 needs a height divisible by 4")
    return out


def _codec_problems(profile: Profile) -> list[str]:
    v = profile.video
    out: list[str] = []
    if v.codec == "h264":
        allowed = _H264_PIX.get(v.profile)
        if allowed is None:
            out.append(f"H.264 profile {v.profile!r} is not one of {', '.join(_H264_PIX)}")
        elif v.pix_fmt not in allowed:
            out.append(f"H.264 {v.profile} cannot carry {v.pix_fmt} (allowed: {', '.join(sorted(allowed))})")
        if v.bitrate_kbps is None:
            out.append("H.264 needs video.bitrate_kbps (deliverables are rate-controlled, not CRF)")
        out += _h264_level_problems(v)
    elif v.codec == "mpeg2video":
        want = _MPEG2_PIX.get(v.profile)
        if want is None:
            out.append(f"MPEG-2 profile {v.profile!r} is not one of {', '.join(_MPEG2_PIX)}")
        elif v.pix_fmt != want:
            out.append(f"MPEG-2 {v.profile} profile needs {want}, not {v.pix_fmt}")
        levels = _MPEG2_LEVELS_422 if v.profile == "422" else _MPEG2_LEVELS
        if v.level is not None and v.level not in levels:
            out.append(f"MPEG-2 level {v.level!r} is not one of {', '.join(levels)} for profile {v.profile}")
        if v.level == "high" and (v.width > 1920 or v.height > 1152):
            out.append(f"MPEG-2 High Level stops at 1920×1152, not {v.width}×{v.height}")
        if profile.container.format == "mxf":
            out += _xdcam_problems(profile)
    elif v.codec == "prores":
        want = _PRORES_PIX.get(v.profile)
        if want is None:
            out.append(f"ProRes profile {v.profile!r} is not one of {', '.join(_PRORES_PIX)}")
        elif v.pix_fmt != want:
            out.append(f"ProRes {v.profile} needs {want}, not {v.pix_fmt}")
        if v.bitrate_kbps is not None:
            out.append("ProRes has no bit rate setting (the profile fixes it); remove video.bitrate_kbps")
    return out


def _h264_level_problems(v: Video) -> list[str]:
    if v.level is None:
        return []
    limits = _H264_LEVELS.get(v.level)
    if limits is None:
        return [f"H.264 level {v.level} is not one of {', '.join(_H264_LEVELS)}"]
    max_fs, max_mbps, max_br = limits
    mb_w = math.ceil(v.width / 16)
    mb_h = math.ceil(v.height / 32) * 2 if v.interlaced else math.ceil(v.height / 16)
    out = []
    if mb_w * mb_h > max_fs or mb_w * mb_h * v.rate > max_mbps:
        out.append(f"H.264 level {v.level} is too low for {v.width}×{v.height} at {v.fps} frames/s")
    peak = v.maxrate_kbps or v.bitrate_kbps or 0
    ceiling = max_br * _H264_BR_FACTOR.get(v.profile, 1.0)
    if peak > ceiling:
        out.append(f"H.264 {v.profile}@{v.level} allows at most {ceiling:g} kb/s, not {peak}")
    return out


def _xdcam_problems(profile: Profile) -> list[str]:
    """XDCAM HD422 (MPEG-2 in MXF): 50 Mb/s CBR 4:2:2, 1920×1080 or 1280×720, PCM 48 kHz."""
    v, a = profile.video, profile.audio
    out = []
    if not (v.bitrate_kbps == v.maxrate_kbps == 50000 and v.minrate_kbps in (None, 50000)):
        out.append(
            f"XDCAM HD422 is 50 Mb/s CBR: bitrate_kbps and maxrate_kbps must be 50000 "
            f"(got {v.bitrate_kbps}/{v.maxrate_kbps})"
        )
    if (v.width, v.height) not in ((1920, 1080), (1280, 720)):
        out.append(f"XDCAM HD422 is 1920×1080 or 1280×720, not {v.width}×{v.height}")
    if v.pix_fmt != "yuv422p":
        out.append(f"XDCAM HD422 needs yuv422p, not {v.pix_fmt}")
    if v.gop > 15:
        out.append(f"XDCAM long GOP is at most 15 frames, not {v.gop}")
    if a.sample_rate != 48000 or a.bit_depth not in (16, 24):
        out.append("XDCAM audio is PCM 48 kHz, 16 or 24 bit")
    return out


def _audio_problems(a: Audio) -> list[str]:
    out = []
    if a.codec == "pcm":
        if a.bit_depth not in (16, 24, 32):
            out.append(f"PCM needs audio.bit_depth 16, 24 or 32 (got {a.bit_depth})")
        if a.bitrate_kbps is not None:
            out.append("PCM has no bit rate setting; remove audio.bitrate_kbps")
    else:
        if a.bit_depth is not None:
            out.append("AAC has no bit depth; remove audio.bit_depth")
        if a.bitrate_kbps is None or not 32 <= a.bitrate_kbps <= 512:
            out.append(f"AAC needs audio.bitrate_kbps between 32 and 512 (got {a.bitrate_kbps})")
        if a.sample_rate not in (44100, 48000):
            out.append(f"AAC deliverables use 44.1 or 48 kHz, not {a.sample_rate}")
        if a.mono_tracks:
            out.append("mono_tracks is for PCM masters; AAC deliverables carry one stereo track")
    if a.mono_tracks and a.channels < 2:
        out.append("mono_tracks needs at least 2 channels")
    return out
