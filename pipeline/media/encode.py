"""Profile → ffmpeg output options: pure functions, unit-tested against literal argument lists.

One deliverable's options are `output_args(profile)`: video encoder, audio encoder and container
flags, to be placed after that output's `-map`s and before its file name. What the encoders and
muxers accept is data in `media/codecs.py`, shared with the legality rules in `profiles.py`, which
refuse a profile before it gets here.
"""

from __future__ import annotations

from ..profiles import Profile, Video
from .codecs import ENCODERS, MPEG2_PROFILES, MUXERS, PRORES_PROFILES, mpeg2_levels


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
    args = ["-c:v", v.encoder or ENCODERS[v.codec]]
    if v.codec == "h264":
        if v.preset:
            args += ["-preset", v.preset]
        args += ["-profile:v", v.profile]
        if v.level:
            args += ["-level:v", v.level]
        args += ["-pix_fmt", v.pix_fmt]
    elif v.codec == "prores":
        args += ["-profile:v", str(PRORES_PROFILES[v.profile]), "-vendor", "apl0", "-pix_fmt", v.pix_fmt]
    else:
        args += ["-profile:v", str(MPEG2_PROFILES[v.profile])]
        if v.level:
            args += ["-level:v", str(mpeg2_levels(v.profile)[v.level])]
        args += ["-pix_fmt", v.pix_fmt]
    args += _rate_control(v)
    if v.codec != "prores":
        args += ["-g", str(v.gop), "-bf", str(v.bframes)]
    if v.codec == "h264":
        args += ["-keyint_min", str(v.gop), "-sc_threshold", "0"]
    elif v.codec == "mpeg2video":
        # Measured: the non-linear quantiser needs qmax ≤ 28; intra DC precision 10 bits as XDCAM uses.
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
    args = ["-f", MUXERS[c.format]]
    if c.faststart:
        args += ["-movflags", "+faststart"]
    tc = start_timecode if start_timecode is not None else profile.start_timecode()
    if tc is not None and c.format in ("mxf", "mov"):
        args += ["-timecode", tc]
    return args


def output_args(profile: Profile, *, start_timecode: str | None = None) -> list[str]:
    """All encoder and muxer options of one deliverable, in the order ffmpeg expects them."""
    return [*video_args(profile), *audio_args(profile), *container_args(profile, start_timecode=start_timecode)]
