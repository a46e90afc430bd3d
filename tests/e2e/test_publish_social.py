"""The social package on real files: lavfi vertical clips measured against Reels and TikTok, and
thumbnails made from a lavfi clip, checked by ffprobe and by their pixels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from pipeline.media.ffmpeg import ffprobe_json, run_ffmpeg
from pipeline.publish.social.platforms import Finding, check_video, measure
from pipeline.publish.social.thumbs import make_thumbnails


def _vertical(path: Path, seconds: float, size: str, *, gop: int, extra: list[str] | None = None) -> Path:
    """H.264 + AAC 48 kHz 192 kb/s MP4 at 25 fps, `gop` frames a GOP, closed (x264's default)."""
    run_ffmpeg(["-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25:duration={seconds}",
                "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", str(gop),
                "-keyint_min", str(gop), "-sc_threshold", "0", *(extra or []),
                "-c:a", "aac", "-b:a", "192k", "-ar", "48000", "-ac", "2", "-shortest", f"file:{path}"])
    return path


def _by_check(findings: list[Finding]) -> dict[str, Finding]:
    return {f.check: f for f in findings}


def test_short_vertical_clip_passes_reels_and_tiktok(tmp_path: Path) -> None:
    clip = _vertical(tmp_path / "short.mp4", 6, "540x960", gop=50)
    reels = check_video(clip, "facebook-reels")
    assert [f.message for f in reels if not f.ok] == []
    found = _by_check(reels)
    assert found["GOP length"].measured.startswith("2.00–2.00 s") and found["closed GOP"].measured == "closed"
    assert found["audio codec"].measured == "aac" and found["audio sample rate"].measured == "48000 Hz"
    assert [f.message for f in check_video(clip, "tiktok") if not f.ok] == []
    assert [f.message for f in check_video(clip, "zalo-oa") if not f.ok] == []


def test_95_second_clip_is_refused_by_reels_and_taken_by_tiktok(tmp_path: Path) -> None:
    clip = _vertical(tmp_path / "long.mp4", 95, "90x160", gop=75)
    reels = _by_check(check_video(clip, "facebook-reels"))
    assert reels["duration"].level == "fail" and "over Facebook Reels' 90 s limit" in reels["duration"].message
    assert reels["resolution"].level == "fail" and "540×960" in reels["resolution"].message
    tiktok = _by_check(check_video(clip, "tiktok"))
    assert tiktok["duration"].ok and tiktok["resolution"].level == "fail"  # 90 px is under TikTok's 360


def test_short_gops_and_open_gops_are_found(tmp_path: Path) -> None:
    clip = _vertical(tmp_path / "open.mp4", 8, "540x960", gop=50,
                     extra=["-bf", "3", "-x264-params", "open-gop=1:keyint=50:min-keyint=50:scenecut=0"])
    assert measure(clip).open_gops > 0
    reels = _by_check(check_video(clip, "facebook-reels"))
    assert reels["closed GOP"].level == "fail"
    short = _vertical(tmp_path / "short-gop.mp4", 4, "540x960", gop=12)  # the social-9x16 profile's GOP
    assert _by_check(check_video(short, "facebook-reels"))["GOP length"].level == "fail"


def test_thumbnails_from_a_lavfi_clip(tmp_path: Path) -> None:
    clip = tmp_path / "programme.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "color=black:size=640x360:rate=25:duration=2",
                "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=3",
                "-filter_complex", "[0:v][1:v]concat=n=2:v=1[v]", "-map", "[v]", "-c:v", "libx264",
                "-preset", "ultrafast", "-pix_fmt", "yuv420p", f"file:{clip}"])
    made, scored = make_thumbnails(clip, [0.5, 1.0, 3.0, 4.0], tmp_path / "social", "dautu",
                                   "Trà Vinh – Điểm hẹn của nhà đầu tư", "Trà Vinh – Where Investors Meet")
    assert [c.refused is not None for c in scored] == [True, True, False, False]  # the black frames
    assert all(t.time_s >= 2.0 for t in made)
    for thumb, (w, h) in zip(made, [(1280, 720), (1080, 1920)], strict=True):
        stream = ffprobe_json(thumb.path)["streams"][0]
        assert (stream["codec_name"], stream["width"], stream["height"]) == ("mjpeg", w, h)
        assert 0 < thumb.path.stat().st_size < 2_000_000
        pixels = np.asarray(Image.open(thumb.path).convert("L"), dtype=np.float64)
        assert pixels.mean() > 40 and pixels.std() > 20  # a lit, detailed picture, not black
        assert all(f.ok for f in thumb.findings), [f.message for f in thumb.findings if not f.ok]
        x, y, bw, bh = thumb.text_boxes[0]
        inked = pixels[y:y + bh, x:x + bw]
        assert (inked > 235).mean() > 0.05  # the white title is there
