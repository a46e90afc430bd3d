"""Ingest on real, deliberately awkward media: probe facts, proxies, bad files, reruns; then the
conform stage's working copies of the clips the cut uses."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import pytest

from pipeline.catalogue import Catalogue
from pipeline.media.ffmpeg import ffprobe_json
from pipeline.media.probe import probe
from tests import mediagen

MANIFEST = """
id: ingest-test
title: {vi: "Thử nghiệm nhập liệu", en: "Ingest test"}
synopsis: {vi: "Thử", en: "Test"}
house: {width: 640, height: 360, fps: "25"}
footage:
  - "Phỏng vấn 'Giám đốc' Sở.mov"
  - {file: phone.mp4, id: phone}
  - "*.mxf"
  - "-no audio.mp4"
  - screen.webm
  - zero.mov
  - truncated.mov
  - notes.mov
  - still.mp4
  - missing.mov
timeline:
  cut:
    - {clip: phone, in: "00:00:00:00", out: "00:00:02:00"}
    - {clip: "field 1080i", in: "00:00:00:00", out: "00:00:01:00"}
    - {clip: "-no audio", in: "00:00:00:00", out: "00:00:01:00"}
    - {clip: screen, in: "00:00:00:00", out: "00:00:01:00"}
"""


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def reportage(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("reportage")
    return subprocess.run([str(exe), *args], cwd=cwd, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("ingest")
    src = root / "footage"
    src.mkdir()
    mov = mediagen.clip_25p_mov(src / "Phỏng vấn 'Giám đốc' Sở.mov")
    mediagen.clip_phone_vfr_rotated(src / "phone.mp4")
    mediagen.clip_interlaced_mxf(src / "field 1080i.mxf")
    mediagen.clip_no_audio(src / "-no audio.mp4")
    mediagen.webm_without_duration(src / "screen.webm")
    (src / "zero.mov").write_bytes(b"")
    mediagen.truncated_copy(mov, src / "truncated.mov")
    (src / "notes.mov").write_text("không phải video\n", encoding="utf-8")
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=red:s=64x36", "-frames:v", "1",
                    "-f", "image2", "-c:v", "png", str(src / "still.mp4")], check=True)  # a PNG under a clip's name
    (src / "prog.yaml").write_text(MANIFEST, encoding="utf-8")
    before = {p.name: sha(p) for p in src.iterdir()}
    started = time.monotonic()
    first = reportage("--workspace", str(root / "ws"), "ingest", "prog.yaml", cwd=src)
    first_s = time.monotonic() - started
    ws = root / "ws" / "ingest-test"
    made_by_ingest = sorted(ws.rglob("conform.mov"))
    assembled = reportage("--workspace", str(root / "ws"), "assemble", "prog.yaml", cwd=src)
    assert assembled.returncode == 0, assembled.stderr
    conformed = reportage("--workspace", str(root / "ws"), "conform", "prog.yaml", cwd=src)
    return {"root": root, "src": src, "ws": ws, "before": before, "first": first,
            "first_s": first_s, "made_by_ingest": made_by_ingest, "conformed": conformed}


def test_bad_files_fail_alone_with_clear_lines(ingested: dict[str, object]) -> None:
    first = ingested["first"]
    assert isinstance(first, subprocess.CompletedProcess)
    assert first.returncode == 1
    err = first.stderr
    assert "Traceback" not in err
    assert "zero.mov: file is empty (0 bytes)" in err
    assert "missing.mov: file not found" in err
    assert "truncated.mov: cannot read media" in err
    assert "notes.mov: is text, not video (it begins “không phải video”)" in err
    assert "still.mp4: is a PNG image, not video" in err
    assert "still recording" not in err, "only the truncated clip may be blamed on the camera"
    for ok in ("Phỏng vấn 'Giám đốc' Sở", "phone", "field 1080i", "-no audio", "screen"):
        assert f"│ {ok}" in first.stdout and "ingested" in first.stdout


def test_sources_are_byte_identical(ingested: dict[str, object]) -> None:
    src = ingested["src"]
    assert isinstance(src, Path)
    assert {p.name: sha(p) for p in src.iterdir()} == ingested["before"]


def test_probe_facts(ingested: dict[str, object]) -> None:
    src = ingested["src"]
    assert isinstance(src, Path)
    phone = probe(src / "phone.mp4")
    assert phone.video is not None
    assert phone.vfr and phone.video.rotation in (90, 270)
    assert phone.video.rate == Fraction(30000, 1001)
    assert phone.video.display_size == (180, 320)
    assert phone.audio[0].channels == 1
    mxf = probe(src / "field 1080i.mxf")
    assert mxf.video is not None and mxf.video.field_order == "tt" and mxf.video.pix_fmt == "yuv422p"
    webm = probe(src / "screen.webm")
    assert webm.duration_ms is not None and 1800 <= webm.duration_ms <= 2200
    assert not probe(src / "-no audio.mp4").has_audio


def _stream(path: Path, kind: str) -> dict[str, object]:
    return next(s for s in ffprobe_json(path)["streams"] if s["codec_type"] == kind)


def test_working_copies_are_house_format(ingested: dict[str, object]) -> None:
    ws, conformed = ingested["ws"], ingested["conformed"]
    assert isinstance(ws, Path) and isinstance(conformed, subprocess.CompletedProcess)
    assert ingested["made_by_ingest"] == [], "ingest makes no working copy: conform does, after the edit"
    assert conformed.returncode == 0, conformed.stderr
    assert "4 working copies made" in conformed.stdout
    assert not (ws / "ingest" / "Phỏng vấn 'Giám đốc' Sở" / "conform.mov").exists(), "not in the cut: no copy"
    for clip in ("phone", "field 1080i", "-no audio", "screen"):
        conform = ws / "ingest" / clip / "conform.mov"
        video = _stream(conform, "video")
        assert (video["width"], video["height"]) == (640, 360), clip
        assert video["avg_frame_rate"] == "25/1" and video["r_frame_rate"] == "25/1", clip
        assert video.get("field_order", "progressive") == "progressive", clip
        assert not video.get("side_data_list"), f"{clip}: rotation must be applied, not flagged"
        audio = _stream(conform, "audio")
        assert (audio["sample_rate"], audio["channels"]) == ("48000", 2), clip
    proxy = _stream(ws / "ingest" / "phone" / "proxy.mp4", "video")
    assert proxy["height"] == 540 and not proxy.get("side_data_list")


def test_rotation_is_applied_in_the_picture(ingested: dict[str, object]) -> None:
    """A portrait phone clip is pillar-boxed: the left and right edges of the working copy are black."""
    ws = ingested["ws"]
    assert isinstance(ws, Path)
    conform = ws / "ingest" / "phone" / "conform.mov"
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(conform), "-frames:v", "1", "-vf", "format=gray", "-f", "rawvideo", "-"],
        capture_output=True, check=True,
    ).stdout
    width, height = 640, 360
    assert len(raw) == width * height
    row = raw[(height // 2) * width:(height // 2 + 1) * width]
    assert max(row[:150]) < 30 and max(row[-150:]) < 30  # pillar-box bars
    assert max(row[250:390]) > 60  # picture in the middle


def test_asr_audio_and_no_audio(ingested: dict[str, object]) -> None:
    ws = ingested["ws"]
    assert isinstance(ws, Path)
    wav = _stream(ws / "ingest" / "phone" / "audio16k.wav", "audio")
    assert (wav["sample_rate"], wav["channels"], wav["codec_name"]) == ("16000", 1, "pcm_s16le")
    assert not (ws / "ingest" / "-no audio" / "audio16k.wav").exists()
    meta = json.loads((ws / "ingest" / "-no audio" / "ingest.json").read_text(encoding="utf-8"))
    assert meta["has_audio"] is False


def test_shots_posters_and_catalogue(ingested: dict[str, object]) -> None:
    ws = ingested["ws"]
    assert isinstance(ws, Path)
    clip = ws / "ingest" / "Phỏng vấn 'Giám đốc' Sở"
    shots = json.loads((clip / "shots.json").read_text(encoding="utf-8"))
    assert len(shots["cuts_ms"]) == 1 and abs(shots["cuts_ms"][0] - 1520) <= 80  # the generator cuts at 1.5 s
    assert (clip / "poster.jpg").stat().st_size > 0 and (clip / "thumbs.jpg").stat().st_size > 0
    with Catalogue(ws / "catalogue.sqlite") as cat:
        rows = {r.clip_id: r for r in cat.clips()}
    assert rows["phone"].vfr and rows["phone"].status == "ok" and rows["phone"].sha256
    assert rows["zero"].status == "failed" and "empty" in (rows["zero"].error or "")
    assert rows["field 1080i"].scan == "tt"


def test_timeline_checked_against_clips(ingested: dict[str, object]) -> None:
    first = ingested["first"]
    assert isinstance(first, subprocess.CompletedProcess)
    assert "cut[0]" not in first.stderr  # 2 s of a 3 s clip is fine


def test_rerun_changes_nothing_and_decodes_nothing(ingested: dict[str, object]) -> None:
    ws, src = ingested["ws"], ingested["src"]
    assert isinstance(ws, Path) and isinstance(src, Path)
    (src / "zero.mov").unlink()
    (src / "truncated.mov").unlink()
    (src / "notes.mov").unlink()
    (src / "still.mp4").unlink()
    manifest = (src / "prog.yaml").read_text(encoding="utf-8")
    for gone in ("zero.mov", "truncated.mov", "notes.mov", "still.mp4", "missing.mov"):
        manifest = manifest.replace(f"  - {gone}\n", "")
    (src / "prog.yaml").write_text(manifest, encoding="utf-8")
    second = reportage("--workspace", str(ws.parent), "ingest", "prog.yaml", cwd=src)
    assert second.returncode == 0, second.stderr
    def artefacts() -> dict[Path, int]:  # the lock file names its holder: not an artefact
        return {p: p.stat().st_mtime_ns for p in ws.rglob("*")
                if p.is_file() and "-wal" not in p.name and p.name != ".lock"}

    stamps = artefacts()
    third = reportage("-vv", "--workspace", str(ws.parent), "ingest", "prog.yaml", cwd=src)
    assert third.returncode == 0 and "up to date" in third.stderr
    # nothing decoded or probed again (-vv logs every ffmpeg and ffprobe command): what makes it fast,
    # measured without a clock (speed itself is benchmarks/ingest.py's)
    assert "ffmpeg -" not in third.stderr and "ffprobe " not in third.stderr, third.stderr[-2000:]
    after = artefacts()
    assert after == stamps


def test_json_output(ingested: dict[str, object]) -> None:
    ws, src = ingested["ws"], ingested["src"]
    assert isinstance(ws, Path) and isinstance(src, Path)
    result = reportage("--workspace", str(ws.parent), "--json", "ingest", "prog.yaml", cwd=src)
    data = json.loads(result.stdout)
    assert data["programme"] == "ingest-test" and all("status" in c for c in data["clips"])


def test_debug_env_shows_traceback(tmp_path: Path) -> None:
    env = dict(os.environ, PIPELINE_DEBUG="1")
    exe = Path(sys.executable).with_name("reportage")
    result = subprocess.run([str(exe), "ingest", str(tmp_path / "none.yaml")], capture_output=True, text=True,
                            env=env, check=False)
    assert "Traceback" in result.stderr
    plain = reportage("ingest", str(tmp_path / "none.yaml"), cwd=tmp_path)
    assert plain.returncode == 2 and plain.stderr.strip().endswith("give the path of a programme .yaml file")
    assert "Traceback" not in plain.stderr


def test_a_cut_list_the_probes_prove_wrong_stops_before_any_encode(tmp_path: Path) -> None:
    src = tmp_path / "Thẻ nhớ"
    src.mkdir()
    mediagen.clip_25p_mov(src / "a.mov", seconds=2, size="160x90")
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=d=2", str(src / "lời bình.mp3")], check=True)
    (src / "p.yaml").write_text(
        "id: early\nhouse: {width: 160, height: 90}\nfootage: [a.mov, {file: lời bình.mp3, id: vo}]\n"
        "timeline:\n  cut:\n"
        "    - {clip: a, in: '00:00:00:00', out: '00:00:05:00'}\n"
        "    - {clip: vo, in: '00:00:00:00', out: '00:00:01:00'}\n", encoding="utf-8")
    result = reportage("--workspace", str(tmp_path / "ws"), "ingest", "p.yaml", cwd=src)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert any("timeline.cut[0].out" in line and "past the end of clip a" in line for line in lines), lines
    assert any("timeline.cut[1].clip" in line and "no picture" in line for line in lines), lines
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "ws" / "early" / "ingest").exists()  # nothing was encoded


def _rgb(path: Path, width: int, height: int) -> list[bytes]:
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-frames:v", "1", "-f", "rawvideo",
                          "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    assert len(raw) == width * height * 3
    return [raw[row * width * 3:(row + 1) * width * 3] for row in range(height)]


def test_the_proxy_of_1080i_is_one_field_filling_the_frame(tmp_path: Path) -> None:
    """A 1080i clip's 540p proxy comes from one field: whole frame, right colours, progressive, 25 fps."""
    src = tmp_path / "Thẻ 1080i"
    src.mkdir()
    subprocess.run([
        "ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=red:s=1920x540:r=25:d=1", "-f", "lavfi",
        "-i", "color=c=blue:s=1920x540:r=25:d=1", "-f", "lavfi", "-i", "sine=frequency=500:sample_rate=48000:d=1",
        "-filter_complex", "[0:v][1:v]vstack,setfield=tff[v]", "-map", "[v]", "-map", "2:a",
        "-c:v", "mpeg2video", "-pix_fmt", "yuv422p", "-b:v", "20M", "-flags", "+ilme+ildct", "-top", "1",
        "-field_order", "tt", "-c:a", "pcm_s24le", str(src / "C0001.MXF")], check=True)
    (src / "p.yaml").write_text('id: i1080\nhouse: {width: 1920, height: 1080, fps: "25"}\nfootage: [C0001.MXF]\n',
                                encoding="utf-8")
    result = reportage("--workspace", str(tmp_path / "ws"), "ingest", "p.yaml", cwd=src)
    assert result.returncode == 0, result.stderr
    proxy = tmp_path / "ws" / "i1080" / "ingest" / "C0001" / "proxy.mp4"
    video = _stream(proxy, "video")
    assert (video["width"], video["height"], video["r_frame_rate"]) == (960, 540, "25/1")
    assert video.get("field_order", "progressive") == "progressive"
    rows = _rgb(proxy, 960, 540)
    for row, (r, g, b) in ((4, (255, 0, 0)), (535, (0, 0, 255))):  # the top and bottom, no letterbox
        for x in (4, 480, 955):  # the left and right edges too, no pillar-box
            got = rows[row][x * 3:x * 3 + 3]
            assert all(abs(got[i] - (r, g, b)[i]) < 40 for i in range(3)), (row, x, tuple(got))
