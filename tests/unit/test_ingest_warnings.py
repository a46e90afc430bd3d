"""What ingest warns about in a clip that ingests all the same: decoding errors counted from
ffmpeg's log, and a picture too small to be footage or to fill the house format. (The real-media
run of the same is tests/e2e/test_ingest_warnings.py.)"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from pipeline.manifest import SourceClip
from pipeline.media import ffmpeg
from pipeline.media.ingest_args import House
from pipeline.media.probe import MediaInfo, VideoStream
from pipeline.stages.ingest import MAX_UPSCALE, MIN_PICTURE, clip_warnings

HOUSE = House(1920, 1080, Fraction(25), 48000)
SOURCE = SourceClip("cam_01", Path("/footage/Phỏng vấn.mov"), "footage[0]")

# A damaged H.264 clip decoded with `ffmpeg.COUNTED_LOG`, as ffmpeg 5.1 writes it (trimmed).
DAMAGED_LOG = """\
[info] Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'file:/footage/Phỏng vấn.mov':
[info]   Duration: 00:00:03.00, start: 0.000000, bitrate: 714 kb/s
[aac @ 0x5602bbb64140] [warning] Sample rate index in program config element does not match the sample rate index
[aac @ 0x5602bbb64140] [error] decode_pce: Input buffer exhausted before END element found
[error] Error while decoding stream #0:1: Operation not permitted
[h264 @ 0x5602bbb80500] [error] mb_type 230 in I slice too large at 2 5
[h264 @ 0x5602bbb80500] [error] error while decoding MB 2 5
[h264 @ 0x5602bbb80500] [info] concealing 187 DC, 187 AC, 187 MV errors in I frame
[warning] file:/footage/Phỏng vấn.mov: corrupt decoded frame in stream 0
[info] frame=   75 fps=0.0 q=-0.0 Lsize=N/A time=00:00:03.00 bitrate=N/A speed=  27x
"""
CLEAN_LOG = """\
[info] Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'file:/footage/a.mov':
[mp4 @ 0x55d1] [warning] Using a PTS of -1024 for the first audio sample; the output may be out of sync
[info] frame=   75 fps=0.0 q=-0.0 Lsize=N/A time=00:00:03.00 bitrate=N/A speed=  27x
"""


def video(width: int, height: int, **over: object) -> MediaInfo:
    base: dict[str, object] = dict(
        index=0, codec="h264", profile="High", width=width, height=height, sar="1:1", pix_fmt="yuv420p",
        r_frame_rate="25/1", avg_frame_rate="25/1", field_order="progressive", rotation=0, color_space="bt709",
        color_transfer="bt709", color_primaries="bt709", color_range="tv", bit_rate=None, nb_frames=None,
    )
    base.update(over)
    return MediaInfo("x.mov", "mov", 1, 3000, None, VideoStream(**base), (), 0, 0, None, None)  # type: ignore[arg-type]


def test_decoding_errors_are_counted_from_the_levelled_log() -> None:
    damage = ffmpeg.decode_errors(DAMAGED_LOG)
    assert damage.count == 5  # four errors and one frame passed on as corrupt; warnings and infos are not damage
    assert damage.first == "aac: decode_pce: Input buffer exhausted before END element found"
    assert not ffmpeg.decode_errors(CLEAN_LOG)
    assert "-loglevel" in ffmpeg.COUNTED_LOG and "repeat" in ffmpeg.COUNTED_LOG[1]  # no "repeated N times"


def test_a_failed_run_shows_its_log_without_level_tags() -> None:
    assert ffmpeg._tail("[h264 @ 0x1] [error] error while decoding MB 2 5\n[error] Conversion failed!", 1) == \
        "Conversion failed!"


def test_damage_is_a_warning_naming_the_file_the_count_and_the_fix() -> None:
    [warning] = clip_warnings(SOURCE, video(1920, 1080), HOUSE, ffmpeg.decode_errors(DAMAGED_LOG))
    assert str(SOURCE.path) in warning and "cam_01" in warning
    assert "5 decoding error(s)" in warning and "mb_type" not in warning.split("first:")[0]
    assert "copy it again" in warning
    assert clip_warnings(SOURCE, video(1920, 1080), HOUSE, ffmpeg.decode_errors(CLEAN_LOG)) == ()


def test_a_picture_too_small_or_blown_up_too_far_is_warned_about() -> None:
    clean = ffmpeg.DecodeErrors(0, "")
    [tiny] = clip_warnings(SOURCE, video(1, 1), HOUSE, clean)
    assert "1×1 pixels" in tiny and f"{MIN_PICTURE}×{MIN_PICTURE}" in tiny and "real size" in tiny
    [blown] = clip_warnings(SOURCE, video(160, 90), HOUSE, clean)
    assert "160×90" in blown and "12.0×" in blown and f"{MAX_UPSCALE:g}×" in blown and "larger original" in blown
    # a phone's 176×144 fills 1080 lines 7.5 times: soft, but what there is; a rotated 1080p clip is full size
    assert clip_warnings(SOURCE, video(176, 144), HOUSE, clean) == ()
    assert clip_warnings(SOURCE, video(1080, 1920, rotation=90), HOUSE, clean) == ()
    assert clip_warnings(SOURCE, video(64, 64), House(320, 180, Fraction(25), 48000), clean) == ()
