"""Clips that ingest but will not look right are warned about by name, with the fix, through the
real CLI on real media (lavfi, a few seconds each): a file with bytes overwritten mid-stream (the
decode's errors counted from ffmpeg's log), a 1×1 video, and a 160×90 one the 1280×720 house blows
up 8.9×; a clean clip gets no warning, and a rerun that does nothing says the warnings again."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

MANIFEST = """
id: warnings
house: {width: 1280, height: 720, fps: "25"}
footage:
  - {file: clean.mp4, id: clean}
  - {file: "hỏng giữa.mp4", id: damaged}
  - {file: tiny.mp4, id: tiny}
  - {file: small.mp4, id: small}
"""


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def reportage(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("reportage")
    return subprocess.run([str(exe), *args], cwd=cwd, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def footage(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("warnings")
    sound = ["-f", "lavfi", "-i", "sine=f=440:sample_rate=48000"]
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x180:r=25", *sound, "-t", "3", "-c:v", "libx264", "-preset",
           "ultrafast", "-g", "25", "-c:a", "aac", "-shortest", str(src / "clean.mp4"))
    data = bytearray((src / "clean.mp4").read_bytes())
    rng = random.Random(1)
    for offset in range(len(data) // 3, 2 * len(data) // 3, 997):  # the middle third, 40 bytes in every KB
        data[offset:offset + 40] = bytes(rng.randrange(256) for _ in range(40))
    (src / "hỏng giữa.mp4").write_bytes(bytes(data))
    ffmpeg("-f", "lavfi", "-i", "color=c=blue:size=16x16:rate=25,scale=1:1", *sound, "-t", "2", "-c:v", "libx264",
           "-pix_fmt", "yuv444p", "-c:a", "aac", "-shortest", str(src / "tiny.mp4"))
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=144x80:r=25", "-t", "2", "-c:v", "libx264", "-preset", "ultrafast",
           str(src / "small.mp4"))
    (src / "prog.yaml").write_text(MANIFEST, encoding="utf-8")
    return src


def test_damage_and_tiny_pictures_are_warned_about_by_name(footage: Path) -> None:
    first = reportage("--workspace", str(footage / "ws"), "ingest", "prog.yaml", cwd=footage)
    assert first.returncode == 0, first.stdout + first.stderr
    warnings = [line for line in first.stderr.splitlines() if line.startswith("warning: ")]
    by_clip = {clip: [w for w in warnings if f"(clip {clip})" in w] for clip in ("clean", "damaged", "tiny", "small")}
    assert by_clip["clean"] == []
    [damaged] = by_clip["damaged"]
    assert str(footage / "hỏng giữa.mp4") in damaged and "decoding error(s)" in damaged and "copy it again" in damaged
    [tiny] = by_clip["tiny"]
    assert "1×1 pixels" in tiny and "real size" in tiny
    [small] = by_clip["small"]
    assert "144×80" in small and "8.9×" in small and "larger original" in small
    assert "Traceback" not in first.stderr

    again = reportage("--workspace", str(footage / "ws"), "--json", "ingest", "prog.yaml", cwd=footage)
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert report["up_to_date"]
    assert sorted(report["warnings"]) == sorted(w.removeprefix("warning: ") for w in warnings)
    clips = {c["clip_id"]: c for c in report["clips"]}
    assert clips["clean"]["warnings"] == [] and len(clips["damaged"]["warnings"]) == 1
