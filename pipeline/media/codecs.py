"""What the encoders and muxers the pipeline uses can do: names, numbers and limits, as data.

Shared by `media/encode.py` (which turns a profile into ffmpeg options) and `profiles.py` (which
refuses a profile those encoders or the receivers cannot take) so the two cannot disagree. Nothing
here imports the rest of the pipeline.
"""

from __future__ import annotations

ENCODERS = {"mpeg2video": "mpeg2video", "h264": "libx264", "prores": "prores_ks"}
# prores_aw: about 4× faster than prores_ks on these machines, with a simpler rate control.
ALTERNATIVES = {"mpeg2video": {"mpeg2video"}, "h264": {"libx264"}, "prores": {"prores_ks", "prores_aw"}}
PRORES_PROFILES = {"proxy": 0, "lt": 1, "standard": 2, "hq": 3, "4444": 4, "4444xq": 5}
# MPEG-2 profile and level as ISO/IEC 13818-2 numbers them (profile_and_level_indication), which is
# how ffmpeg's encoder takes them (-profile:v, -level:v) and ffprobe reports them. The 4:2:2 profile
# uses the escape numbering: 4:2:2@High (XDCAM HD422) is 0x82, level 2; 4:2:2@Main 0x85, level 5.
# Main and High profile: High 4, High-1440 6, Main 8 (Low, 10, is for 352×288 pictures: not offered).
MPEG2_PROFILES = {"422": 0, "high": 1, "main": 4}
MPEG2_LEVELS_422 = {"high": 2, "main": 5}
MPEG2_LEVELS = {"high": 4, "high1440": 6, "main": 8}
MUXERS = {"mxf": "mxf", "mp4": "mp4", "mov": "mov", "mpegts": "mpegts"}

CONTAINER_CODECS: dict[str, tuple[set[str], set[str], str]] = {
    # format: (video codecs, audio codecs, extensions)
    "mxf": ({"mpeg2video"}, {"pcm"}, ".mxf"),
    "mp4": ({"h264"}, {"aac"}, ".mp4 .m4v"),
    "mov": ({"prores", "h264"}, {"pcm", "aac"}, ".mov"),
    "mpegts": ({"h264", "mpeg2video"}, {"aac"}, ".ts .m2ts"),
}
H264_PIX = {
    "baseline": {"yuv420p"},
    "main": {"yuv420p"},
    "high": {"yuv420p"},
    "high10": {"yuv420p", "yuv420p10le"},
    "high422": {"yuv420p", "yuv422p", "yuv420p10le", "yuv422p10le"},
}
# level: (max macroblocks per frame, max macroblocks per second, max kb/s for Main; High ×1.25)
H264_LEVELS: dict[str, tuple[int, int, int]] = {
    "3.0": (1620, 40500, 10000),
    "3.1": (3600, 108000, 14000),
    "3.2": (5120, 216000, 20000),
    "4.0": (8192, 245760, 20000),
    "4.1": (8192, 245760, 50000),
    "4.2": (8704, 522240, 50000),
    "5.0": (22080, 589824, 135000),
    "5.1": (36864, 983040, 240000),
}
H264_BR_FACTOR = {"baseline": 1.0, "main": 1.0, "high": 1.25, "high10": 3.0, "high422": 4.0}
PRORES_PIX = {"proxy": "yuv422p10le", "lt": "yuv422p10le", "standard": "yuv422p10le", "hq": "yuv422p10le",
               "4444": "yuv444p10le", "4444xq": "yuv444p10le"}
MPEG2_PIX = {"422": "yuv422p", "main": "yuv420p", "high": "yuv420p"}


def mpeg2_levels(profile: str) -> dict[str, int]:
    """The MPEG-2 level names and numbers `profile` can carry (4:2:2 numbers its levels apart)."""
    return MPEG2_LEVELS_422 if profile == "422" else MPEG2_LEVELS


def level_number(codec: str, profile: str, level: str) -> int | None:
    """The number ffprobe reports for a profile's level ('4.0' → 40, MPEG-2 4:2:2 'high' → 2), or
    None when the codec has no such level: QC compares what it reads against this."""
    if codec == "mpeg2video":
        return mpeg2_levels(profile).get(level)
    try:
        return round(float(level) * 10)
    except ValueError:
        return None
