"""Tiny real media made on the fly with ffmpeg's lavfi sources, named after what they exercise.

Each maker documents the facts a probe must find, so tests compare against the generator's own
statement (as PySceneDetect's synthetic tests do).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from pipeline.media.ffmpeg import run_ffmpeg


def _out(path: Path) -> str:
    return f"file:{path}"


def clip_25p_mov(path: Path, seconds: float = 3, size: str = "320x180") -> Path:
    """25p H.264 MOV with stereo 48 kHz audio and a hard cut half-way (two test patterns)."""
    half = seconds / 2
    run_ffmpeg([
        "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25:duration={half}",
        "-f", "lavfi", "-i", f"smptebars=size={size}:rate=25:duration={half}",
        "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}",
        "-filter_complex", "[0:v][1:v]concat=n=2:v=1:a=0[v];[2:a]aformat=channel_layouts=stereo[a]",
        "-map", "[v]", "-map", "[a]", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-f", "mov", _out(path),
    ])
    return path


def clip_phone_vfr_rotated(path: Path, seconds: float = 3) -> Path:
    """29.97 phone clip: coded 320x180, display-matrix rotation, every 7th frame 12 ms late (VFR),
    mono AAC at 44.1 kHz. Timestamps are bent after encoding (setts) because encoders snap them."""
    cfr = path.with_name(path.stem + ".cfr.mp4")
    run_ffmpeg([
        "-f", "lavfi", "-i", f"testsrc2=size=320x180:rate=30000/1001:duration={seconds}",
        "-f", "lavfi", "-i", f"sine=frequency=300:sample_rate=44100:duration={seconds}",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-video_track_timescale", "90000",
        "-c:a", "aac", "-ac", "1", "-f", "mp4", _out(cfr),
    ])
    run_ffmpeg([
        "-i", _out(cfr), "-map", "0", "-c", "copy",
        "-bsf:v", "setts=ts=TS+if(eq(mod(N\\,7)\\,3)\\,1080\\,0)",
        "-metadata:s:v:0", "rotate=90", "-f", "mp4", _out(path),
    ])
    cfr.unlink()
    return path


def clip_interlaced_mxf(path: Path, seconds: float = 2) -> Path:
    """1080i50-style MXF at a small size: MPEG-2 4:2:2, top field first, PCM 24-bit stereo."""
    run_ffmpeg([
        "-f", "lavfi", "-i", f"testsrc2=size=352x288:rate=25:duration={seconds}",
        "-f", "lavfi", "-i", f"sine=frequency=1000:sample_rate=48000:duration={seconds}",
        "-vf", "setfield=tff", "-c:v", "mpeg2video", "-pix_fmt", "yuv422p", "-b:v", "5M",
        "-flags", "+ilme+ildct", "-top", "1", "-field_order", "tt",
        "-c:a", "pcm_s24le", "-ac", "2", "-f", "mxf", _out(path),
    ])
    return path


def clip_no_audio(path: Path, seconds: float = 2) -> Path:
    """Video only, 25p, 320x180."""
    run_ffmpeg([
        "-f", "lavfi", "-i", f"mandelbrot=size=320x180:rate=25:end_pts={seconds}", "-t", str(seconds),
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-f", "mp4", _out(path),
    ])
    return path


def webm_without_duration(path: Path, seconds: float = 2) -> Path:
    """WebM muxed to a pipe, so its header carries no duration (as screen recorders write them)."""
    argv = [
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
        f"testsrc2=size=160x90:rate=25:duration={seconds}", "-c:v", "libvpx", "-deadline", "realtime",
        "-b:v", "200k", "-f", "webm", "pipe:1",
    ]
    data = subprocess.run(argv, capture_output=True, check=True).stdout
    path.write_bytes(data)
    return path


def truncated_copy(src: Path, dst: Path, keep: float = 0.4) -> Path:
    """The first `keep` of a file's bytes, as a card pulled mid-copy leaves it."""
    data = src.read_bytes()
    dst.write_bytes(data[: int(len(data) * keep)])
    return dst
