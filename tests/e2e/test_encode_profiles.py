"""Encode two seconds of lavfi test input with every deliverable profile and probe what came out.

The graph is built with media/graphs.py and the options with media/encode.py, as the render stage
will; the checks read the files back with ffprobe (codec, profile, pixel format, size, rate, field
order, GOP, audio) and, for MP4, the box order. The social cut burns Vietnamese subtitles from a
folder whose name has spaces, quotes, a colon and diacritics, and leaves a PNG of it for a person
to look at.
"""

from __future__ import annotations

import itertools
import shutil
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.fonts import fonts_dir, vietnamese_letters
from pipeline.media import graphs as g
from pipeline.media.encode import output_args
from pipeline.media.ffmpeg import ffprobe_json, run_ffmpeg, safe_input
from pipeline.media.loudness import measure, parse_ebur128
from pipeline.profiles import Profile, load_profile
from pipeline.render.leader import LeaderSpec, ensure_leader, join_args, write_concat_list

pytestmark = pytest.mark.slow

SECONDS = 2
LOOK_DIR = Path("/tmp/reportage-render-checks")  # PNGs for a person to look at
OP1A_UL = "060e2b34.04010101.0d010201.01010900"
NASTY_DIR = "Phụ đề, [thử]; 'Trà Vinh': \"ĐẶC BIỆT\""
SRT = ("1\n00:00:00,000 --> 00:00:02,000\nẪ ậ ặ ữ ỹ ỵ Đ — Trà Vinh, Ao Bà Om\n"
       "Duyên Hải: \"thử\" 'nghiệm' [1]; 100%\n")


def mp4_boxes(path: Path) -> list[str]:
    """Top-level ISO-BMFF box types in file order (size 1 = 64-bit size follows, 0 = to the end)."""
    boxes = []
    with open(path, "rb") as handle:
        while header := handle.read(8):
            size, kind = struct.unpack(">I4s", header)
            boxes.append(kind.decode("latin-1"))
            if size == 1:
                size = struct.unpack(">Q", handle.read(8))[0] - 8
            elif size == 0:
                break
            handle.seek(size - 8, 1)
    return boxes


def encode(profile: Profile, out: Path, *, source_scan: g.Scan = "progressive", seconds: float = SECONDS,
           subtitles: Path | None = None, dim: bool = False) -> str:
    """What the render stage does for one deliverable, on synthetic input; returns ffmpeg's stderr.
    A leader is not part of this graph: the render joins it afterwards (see the XDCAM test)."""
    src = f"testsrc2=size=1920x1080:rate=25:duration={seconds}"
    inputs = ["-f", "lavfi", "-i", src, "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}"]
    pre: list[str] = ["lutyuv=y=val*0.6"] if dim else []
    chains = [g.chain("0:v", pre or ["null"], "prog")]
    vout = "v_out"
    chains += g.video_for(profile, "prog", "v_pic", source_scan=source_scan)
    if subtitles is not None:
        style = g.subtitle_style_for(profile)
        chains.append(g.chain("v_pic", [g.burn_subtitles(subtitles, fonts_dir=fonts_dir(), style=style)], vout))
    else:
        chains.append(g.chain("v_pic", ["null"], vout))
    sound = "1:a"
    audio_chains, amaps = g.audio_for(profile, sound, meter="deliverable")
    chains += audio_chains
    maps = ["-map", f"[{vout}]"] + [arg for label in amaps for arg in ("-map", f"[{label}]")]
    return run_ffmpeg([*inputs, "-filter_complex", g.graph(chains), *maps, *output_args(profile), str(out)],
                      subject=out)


def video_stream(info: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in info["streams"] if s["codec_type"] == "video")


def audio_streams(info: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in info["streams"] if s["codec_type"] == "audio"]


def keyframe_numbers(path: Path) -> list[int]:
    """Frame numbers of the keyframes, decoding only those (`-skip_frame nokey`)."""
    info = ffprobe_json(path, ["-select_streams", "v:0", "-skip_frame", "nokey", "-show_entries",
                               "frame=pts_time,best_effort_timestamp_time"])
    start = float(info["format"].get("start_time", 0))
    times = [float(f.get("pts_time", f.get("best_effort_timestamp_time"))) for f in info["frames"]]
    return [round((t - start) * 25) for t in times]


def check_common(profile: Profile, info: dict[str, Any], seconds: float = SECONDS) -> dict[str, Any]:
    v = video_stream(info)
    assert (v["width"], v["height"]) == (profile.video.width, profile.video.height)
    assert v["r_frame_rate"] == "25/1"
    assert v["pix_fmt"] == profile.video.pix_fmt
    assert v.get("color_space") == "bt709" and v.get("color_range") == "tv"
    assert v.get("sample_aspect_ratio", "1:1") in ("1:1", "0:1")
    assert abs(float(info["format"]["duration"]) - seconds) < 0.1
    for a in audio_streams(info):
        assert int(a["sample_rate"]) == 48000
    return v


@pytest.fixture(scope="module")
def outdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("profiles")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_broadcast_xdcam_with_leader(outdir: Path, tmp_path: Path) -> None:
    overrides = tmp_path / "profiles"
    overrides.mkdir()
    (overrides / "broadcast-xdcam.yaml").write_text("leader: {bars_tone_s: 1, slate_s: 1, black_s: 0.4}\n",
                                                    encoding="utf-8")
    profile = load_profile("broadcast-xdcam", overrides_dir=overrides)
    nasty_fonts = tmp_path / NASTY_DIR
    nasty_fonts.mkdir()
    font = nasty_fonts / "Be Vietnam: 'Bold'.ttf"
    shutil.copy(fonts_dir() / "BeVietnamPro-Bold.ttf", font)
    out = outdir / profile.output_name("travinh-ep01")
    body = tmp_path / "body.mxf"
    stderr = encode(profile, body)
    spec = LeaderSpec(profile, ("Trà Vinh: 'Ao Bà Om' — ĐẶC BIỆT", "10:00:00:00"), font)
    leader, made = ensure_leader(tmp_path / "cache", spec)
    assert made and ensure_leader(tmp_path / "cache", spec) == (leader, False)  # cached by content
    other, _ = ensure_leader(tmp_path / "cache", LeaderSpec(profile, ("Trà Vinh", "Duration 00:00:02:00"), font))
    assert other != leader and not leader.exists()  # a new slate replaces the old leader
    leader, _ = ensure_leader(tmp_path / "cache", spec)
    listing = tmp_path / "join.ffconcat"
    write_concat_list(listing, leader, profile.leader.total_s, body)
    run_ffmpeg(join_args(listing, profile, out), subject=out)
    run_ffmpeg(["-v", "error", "-xerror", "-i", safe_input(out), "-f", "null", "-"])  # decodes across the join
    info = ffprobe_json(out)
    assert info["format"]["format_name"] == "mxf"
    assert info["format"]["tags"]["operational_pattern_ul"] == OP1A_UL
    assert info["format"]["tags"]["timecode"] == "09:59:57:15"
    assert abs(float(info["format"]["duration"]) - (SECONDS + 2.4)) < 0.1
    v = video_stream(info)
    assert (v["codec_name"], v["profile"], v["level"], v["pix_fmt"]) == ("mpeg2video", "4:2:2", 2, "yuv422p")
    assert (v["width"], v["height"], v["r_frame_rate"], v["field_order"]) == (1920, 1080, "25/1", "tt")
    assert v["color_space"] == "bt709" and v["color_range"] == "tv"
    tracks = audio_streams(info)
    assert [(a["codec_name"], a["channels"], a["bits_per_sample"], a["sample_rate"]) for a in tracks] == [
        ("pcm_s24le", 1, 24, "48000")] * 2
    bitrate = 8 * out.stat().st_size / float(info["format"]["duration"])
    assert 45e6 < bitrate < 56e6
    frames = keyframe_numbers(out)
    # GOPs of 12 in the leader (frames 0–59) and in the body, which starts on a keyframe at frame 60;
    # mpeg2video codes a stream's last frame as I when it falls on the last two places of a GOP
    leader_n = 60
    assert [n for n in frames if n < leader_n and n % 12] in ([], [leader_n - 1])
    assert [n for n in frames if n >= leader_n] == list(range(leader_n, leader_n + SECONDS * 25, 12))
    assert max(b - a for a, b in itertools.pairwise(frames)) <= 12
    assert parse_ebur128(stderr)["deliverable"].true_peak_dbtp > -30  # the render's own meter reported
    tone = measure(out, filters=["atrim=start=0.2:end=0.8"])
    assert abs(tone.true_peak_dbtp - -18.0) < 0.2  # 1 kHz line-up tone at −18 dBFS on track 1
    LOOK_DIR.mkdir(exist_ok=True)
    slate_png = LOOK_DIR / "leader-slate.png"
    run_ffmpeg(["-ss", "1.5", "-i", safe_input(out), "-frames:v", "1", "-update", "1", str(slate_png)])
    assert slate_png.stat().st_size > 1000


@pytest.mark.parametrize("name", ["broadcast-h264", "web-1080p", "web-720p"])
def test_h264_profiles(outdir: Path, name: str) -> None:
    profile = load_profile(name)
    out = outdir / profile.output_name("travinh-ep01")
    encode(profile, out, source_scan="tff" if name == "web-720p" else "progressive")
    info = ffprobe_json(out)
    v = check_common(profile, info)
    assert (v["codec_name"], v["profile"]) == ("h264", "High")
    assert v["level"] == int(float(profile.video.level or "0") * 10)
    assert v.get("field_order", "progressive") == ("tt" if profile.video.interlaced else "progressive")
    (a,) = audio_streams(info)
    assert (a["codec_name"], a["profile"], a["channels"]) == ("aac", "LC", 2)
    assert "mp4" in info["format"]["format_name"]
    boxes = mp4_boxes(out)
    assert boxes.index("moov") < boxes.index("mdat"), boxes  # faststart
    assert keyframe_numbers(out) == [0, 12, 24, 36, 48]
    sei = out.read_bytes()[:200_000]  # x264 writes its settings as text in the first SEI
    for setting in (b"keyint=12", b"bframes=2", b"open_gop=0", b"scenecut=0"):
        assert setting in sei
    assert (b"interlaced=tff" in sei) == profile.video.interlaced


def test_broadcast_h264_as_transport_stream(outdir: Path, tmp_path: Path) -> None:
    (tmp_path / "broadcast-h264.yaml").write_text(
        "container: {format: mpegts, extension: .ts, faststart: false}\n", encoding="utf-8")
    profile = load_profile("broadcast-h264", overrides_dir=tmp_path)
    out = outdir / profile.output_name("travinh-ep01")
    assert out.suffix == ".ts"
    encode(profile, out, seconds=1)
    info = ffprobe_json(out)
    assert info["format"]["format_name"] == "mpegts"
    assert video_stream(info)["field_order"] == "tt"
    assert audio_streams(info)[0]["codec_name"] == "aac"


def test_archive_prores(outdir: Path) -> None:
    profile = load_profile("archive-prores")
    out = outdir / profile.output_name("travinh-ep01")
    encode(profile, out, seconds=1)  # prores_ks is slow: ~3 frames/s on a shared 2-core machine
    info = ffprobe_json(out)
    v = check_common(profile, info, seconds=1)
    assert (v["codec_name"], v["profile"], v["codec_tag_string"]) == ("prores", "HQ", "apch")
    assert v.get("field_order", "progressive") == "progressive"
    (a,) = audio_streams(info)
    assert (a["codec_name"], a["channels"], a["bits_per_sample"]) == ("pcm_s24le", 2, 24)
    assert "mov" in info["format"]["format_name"]
    assert video_stream(info)["tags"]["timecode"] == "10:00:00:00"  # and a tmcd track
    assert any(s["codec_type"] == "data" and s["tags"].get("timecode") for s in info["streams"])


def test_social_vertical_with_burned_subtitles(outdir: Path, tmp_path: Path) -> None:
    profile = load_profile("social-9x16")
    folder = tmp_path / NASTY_DIR
    folder.mkdir()
    srt = folder / "cảnh 1 'vi' ữ.srt"
    srt.write_text(SRT, encoding="utf-8")
    out = outdir / profile.output_name("travinh-ep01")
    encode(profile, out, subtitles=srt, dim=True)
    info = ffprobe_json(out)
    v = check_common(profile, info)
    assert (v["codec_name"], v["profile"], v["width"], v["height"]) == ("h264", "High", 1080, 1920)
    assert mp4_boxes(out).index("moov") < mp4_boxes(out).index("mdat")
    LOOK_DIR.mkdir(exist_ok=True)
    png = LOOK_DIR / "burned-subtitles-9x16.png"
    run_ffmpeg(["-ss", "1", "-i", safe_input(out), "-frames:v", "1", "-update", "1", str(png)])
    raw = tmp_path / "frame.gray"
    run_ffmpeg(["-ss", "1", "-i", safe_input(out), "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", str(raw)])
    rows = raw.read_bytes()
    assert len(rows) == 1080 * 1920

    def bright(top: float, bottom: float) -> int:
        band = rows[int(1920 * top) * 1080:int(1920 * bottom) * 1080]
        return sum(1 for value in band if value > 200)  # the picture is dimmed: only text is this bright

    assert bright(0.45, 0.65) > 3000  # the two lines of text, just above the bottom 35%
    assert bright(0.0, 0.14) == 0 and bright(0.66, 1.0) == 0  # nothing in the platform's zones
    assert len(vietnamese_letters()) == 186
