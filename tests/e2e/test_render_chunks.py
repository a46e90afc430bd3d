"""The picture in chunks through the real render stage, against the one-pass render of the same
programme: frame-exact joins, a lower-third or cue fix re-encoding only its chunks, a killed render
resuming from the chunks it finished.

Small programme (320×180 house, three cuts of moving test patterns, 8 s) rendered to the XDCAM
master (with a 3 s leader), web-720p and the social cut, in chunks of about 2 s: the social cut's
GOP is set to 12 here (a programme profile override) so the grid is 12 frames and 8 s make four
chunks; the shipped GOP of 50 gives a grid of 300 frames, tested in tests/unit/test_render_chunks.py.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from pipeline.media.ffmpeg import ffprobe_json, run_ffmpeg, safe_input
from pipeline.media.loudness import measure
from pipeline.profiles import programme_profile
from pipeline.qc.plan import Status
from pipeline.render import chunkstore
from pipeline.render.branding import BrandingSettings
from pipeline.render.state import read_render_record
from pipeline.stages.qc import qc_file
from pipeline.stages.render import Settings, render_programme
from pipeline.timeline import Segment, Timeline
from pipeline.validate import load_manifest
from pipeline.workspace import Workspace

pytestmark = pytest.mark.slow

MANIFEST = """\
id: chunks
title: {{vi: "Trà Vinh – Điểm hẹn", en: "Trà Vinh – Where Investors Meet"}}
synopsis: {{vi: "Thử", en: "Test"}}
house: {{width: 320, height: 180, fps: "25"}}
footage: [a.mov, b.mov]
timeline: {{cut: [{{clip: a, in: "00:00:00:00", out: "00:00:03:00"}}]}}
deliverables: [broadcast-xdcam, web-720p, social-9x16]
social: {{in: "00:00:03:00", out: "00:00:06:00"}}
lower_thirds:
  - name: "{name}"
    title: {{vi: "Giám đốc Sở Kế hoạch và Đầu tư", en: "Director of Planning and Investment"}}
    at: "00:00:01:00"
    duration_s: 1.5
"""
CUES = """1
00:00:03,200 --> 00:00:04,000
Trà Vinh chào đón

2
00:00:05,500 --> 00:00:05,900
{last}
"""
BRANDING = BrandingSettings(bumper_s=0, title_s=0, credits_s=0)
CHUNKED = Settings(branding=BRANDING, chunk_s=2.0, workers=1)
ONE_PASS = Settings(branding=BRANDING, one_pass=True)
LEADER_FRAMES = 75
FRAMES = 200  # 8 s of programme


def _clip(path: Path, seconds: int, pattern: str, tone: int) -> Path:
    run_ffmpeg(["-f", "lavfi", "-i", f"{pattern}=size=320x180:rate=25:duration={seconds}",
                "-f", "lavfi", "-i", f"sine=frequency={tone}:sample_rate=48000:duration={seconds}",
                "-af", "volume=-14dB,aformat=channel_layouts=stereo", "-c:v", "libx264", "-preset", "ultrafast",
                "-crf", "12", "-pix_fmt", "yuv420p", "-g", "25", "-c:a", "aac", "-b:a", "192k", "-f", "mov",
                safe_input(path)])
    return path


def _programme(base: Path, *, name: str = "Lê Quốc Thắng", last_cue: str = "Cơ hội đầu tư") -> tuple[Any, Workspace]:
    base.mkdir(parents=True, exist_ok=True)
    (base / "programme.yaml").write_text(MANIFEST.format(name=name), encoding="utf-8")
    (base / "profiles").mkdir(exist_ok=True)
    (base / "profiles" / "broadcast-xdcam.yaml").write_text(
        "leader: {bars_tone_s: 1, slate_s: 1, black_s: 1}\n", encoding="utf-8")
    (base / "profiles" / "social-9x16.yaml").write_text("video: {gop: 12}\n", encoding="utf-8")
    a = base / "a.mov" if (base / "a.mov").exists() else _clip(base / "a.mov", 10, "testsrc2", 440)
    b = base / "b.mov" if (base / "b.mov").exists() else _clip(base / "b.mov", 10, "testsrc", 660)
    ws = Workspace(base / "workspace", "chunks")
    timeline = Timeline("chunks", Fraction(25), 320, 180, 48000,
                        (Segment("a", str(a), 10, 80, 0, True), Segment("b", str(b), 30, 90, 70, True),
                         Segment("a", str(a), 120, 190, 130, True)), (2800, 5200))
    ws.timeline_json.parent.mkdir(parents=True, exist_ok=True)
    ws.timeline_json.write_text(json.dumps(timeline.to_dict()), encoding="utf-8")
    srt = ws.subtitle("vi", "srt")
    srt.parent.mkdir(parents=True, exist_ok=True)
    srt.write_text(CUES.format(last=last_cue), encoding="utf-8")
    return load_manifest(base / "programme.yaml"), ws


def _frames(path: Path) -> list[float]:
    info = ffprobe_json(path, ["-select_streams", "v:0", "-show_entries", "frame=pts_time,key_frame,pict_type"])
    return [float(f["pts_time"]) for f in info["frames"]]


def _keyframes(path: Path) -> set[int]:
    info = ffprobe_json(path, ["-select_streams", "v:0", "-skip_frame", "nokey", "-show_entries", "frame=pts_time"])
    return {round(float(f["pts_time"]) * 25) for f in info["frames"]}


def _samples(path: Path) -> list[int]:
    """Decoded samples of each audio stream."""
    info = ffprobe_json(path, ["-select_streams", "a", "-show_entries", "frame=nb_samples,stream_index"])
    totals: dict[int, int] = {}
    for f in info["frames"]:
        totals[int(f["stream_index"])] = totals.get(int(f["stream_index"]), 0) + int(f["nb_samples"])
    return [totals[k] for k in sorted(totals)]


def _psnr_per_frame(a: Path, b: Path, stats: Path) -> list[float]:
    """PSNR of each frame of `a` against `b` (99 for identical frames)."""
    run_ffmpeg(["-i", safe_input(a), "-i", safe_input(b), "-filter_complex",
                f"[0:v]setpts=PTS-STARTPTS[x];[1:v]setpts=PTS-STARTPTS[y];[x][y]psnr=stats_file={stats}",
                "-f", "null", "-"])
    text = stats.read_text(encoding="utf-8")
    return [float(v) if v != "inf" else 99.0 for v in re.findall(r"psnr_avg:(\S+)", text)]


def test_chunked_render_joins_frame_exactly_and_matches_the_one_pass(tmp_path: Path) -> None:
    programme, ws = _programme(tmp_path / "Chương trình chia đoạn")
    report = render_programme(programme, ws, CHUNKED)
    assert [d.status for d in report.deliverables] == ["rendered"] * 3
    assert report.chunks_made >= 8 and report.chunks_reused == 0
    one_programme, one_ws = _programme(tmp_path / "one pass")
    baseline = render_programme(one_programme, one_ws, ONE_PASS)
    record = read_render_record(ws)
    for chunked, single in zip(report.deliverables, baseline.deliverables, strict=True):
        path, reference = Path(chunked.file), Path(single.file)
        entry = record.deliverables[chunked.name]
        starts = [c.start_frame for c in entry.chunks]
        assert len(starts) >= 2 and starts == sorted(starts) and starts[0] == 0  # the spans tile the file
        assert entry.chunks[-1].end_frame == len(_frames(path))
        assert all(x.end_frame == y.start_frame for x, y in zip(entry.chunks, entry.chunks[1:], strict=False))
        times, expected = _frames(path), _frames(reference)
        assert len(times) == len(expected), chunked.name  # frame count to the frame
        steps = {round(b - a, 4) for a, b in itertools.pairwise(times)}
        assert steps == {0.04}, f"{chunked.name}: timestamps not continuous: {sorted(steps)}"
        assert set(starts) <= _keyframes(path), f"{chunked.name}: a chunk does not start on a keyframe"
        psnr = _psnr_per_frame(path, reference, tmp_path / f"{chunked.name}.psnr")
        assert len(psnr) == len(times)
        lead = LEADER_FRAMES if chunked.name == "broadcast-xdcam" else 0
        joins = [s - lead for s in starts[1:]]
        for j in joins:  # both sides of every join look as the one pass does: no frame repeated or lost
            assert min(psnr[lead + j - 2: lead + j + 2]) >= 40, (chunked.name, j, psnr[lead + j - 2: lead + j + 2])
        assert min(psnr) >= 35, chunked.name
        assert _samples(path) == _samples(reference), chunked.name  # audio sample count exact
        skip = [f"atrim=start={lead / 25:g}"] if lead else []
        if chunked.name != "broadcast-xdcam":
            again, before = measure(path, filters=skip), measure(reference, filters=skip)
            assert abs(again.integrated_lufs - before.integrated_lufs) <= 0.1
    master = Path(report.deliverables[0].file)
    fmt = ffprobe_json(master, ["-show_streams"])
    video = next(s for s in fmt["streams"] if s["codec_type"] == "video")
    assert (video["codec_name"], video["field_order"], fmt["format"]["tags"]["timecode"]) == (
        "mpeg2video", "tt", "09:59:57:00")
    run_ffmpeg(["-v", "error", "-xerror", "-i", safe_input(master), "-f", "null", "-"])  # decodes across every join
    profile = programme_profile(programme.base_dir, "broadcast-xdcam")
    technical = ("container", "video", "audio")  # codec, 4:2:2 @ level, 1080i50 TFF, 50 Mb/s, GOP, PCM tracks
    chunked_qc = {c.id: c.status for c in qc_file(master, profile).checks if c.id.startswith(technical)}
    one_qc = {c.id: c.status for c in qc_file(Path(baseline.deliverables[0].file), profile).checks
              if c.id.startswith(technical)}
    assert "video.bitrate" in chunked_qc and "video.gop" in chunked_qc
    assert chunked_qc == one_qc and Status.FAIL not in chunked_qc.values(), chunked_qc
    assert render_programme(programme, ws, CHUNKED).up_to_date
    again = render_programme(programme, ws, replace(CHUNKED, dry_run=True, force=True))
    assert again.commands and not [c for c in again.commands if "-filter_complex" in c]  # nothing decoded again
    assert sum(1 for c in again.commands if "concat" in c) == 4  # three files joined from chunks, one leader


def test_a_lower_third_fix_reencodes_only_its_chunks_and_a_cue_fix_only_the_social_ones(tmp_path: Path) -> None:
    base = tmp_path / "sửa"
    programme, ws = _programme(base)
    render_programme(programme, ws, CHUNKED)
    before = read_render_record(ws)
    programme, ws = _programme(base, name="Lê Quốc Thành")  # a typo in the lower third fixed
    fixed = render_programme(programme, ws, CHUNKED)
    after = read_render_record(ws)
    third = (25, 25 + 38)  # programme frames the lower third is on
    changed_total = 0
    for name in ("broadcast-xdcam", "web-720p"):
        lead = LEADER_FRAMES if name == "broadcast-xdcam" else 0
        old = {(c.start_frame, c.end_frame): c.key for c in before.deliverables[name].chunks}
        new = {(c.start_frame, c.end_frame): c.key for c in after.deliverables[name].chunks}
        assert old.keys() == new.keys()
        changed = {span for span in new if new[span] != old[span]}
        under = {(a, b) for a, b in new if a - lead < third[1] and b - lead > third[0]}
        assert changed == under and 0 < len(changed) < len(new)
        changed_total += len(changed)
    assert after.deliverables["social-9x16"].chunks == before.deliverables["social-9x16"].chunks
    assert fixed.chunks_made == changed_total and fixed.chunks_reused > 0
    assert [d.status for d in fixed.deliverables] == ["rendered", "rendered", "up to date"]
    store = chunkstore.store_dir(ws.dir)
    keys = {c.key for d in after.deliverables.values() for c in d.chunks if not c.key.startswith("leader-")}
    assert {p.name.split(".")[0] for p in store.iterdir() if not p.name.startswith("sound-")} == keys  # old pruned

    programme, ws = _programme(base, name="Lê Quốc Thành", last_cue="Cơ hội đầu tư lớn")  # a burned-in cue fixed
    cue_fix = render_programme(programme, ws, CHUNKED)
    social_before = after.deliverables["social-9x16"].chunks
    social_after = read_render_record(ws).deliverables["social-9x16"].chunks
    changed_social = [a for a, b in zip(social_before, social_after, strict=True) if a.key != b.key]
    assert len(changed_social) == 1 and changed_social[0].start_frame > 0  # the second chunk holds the cue
    assert cue_fix.chunks_made == 1
    assert [d.status for d in cue_fix.deliverables] == ["up to date", "up to date", "rendered"]


def test_a_killed_render_resumes_from_its_finished_chunks(tmp_path: Path) -> None:
    programme, ws = _programme(tmp_path / "killed")
    cli = Path(sys.executable).parent / "reportage"
    argv = [str(cli), "--workspace", str(ws.root), "render", str(programme.manifest_path), "--chunk-seconds", "2",
            "--workers", "1"]
    proc = subprocess.Popen(argv, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    store = chunkstore.store_dir(ws.dir)
    deadline = time.monotonic() + 180
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            done = [p for p in store.glob("*.mxf")] if store.exists() else []
            if len(done) >= 2:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the render finished before it could be killed"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    kept = {p.name for p in store.iterdir() if not p.name.startswith(".") and p.suffix in (".mxf", ".mp4")}
    assert len(kept) >= 2
    assert not any(p.exists() for p in (ws.render_dir(n) for n in ("broadcast-xdcam", "web-720p"))
                   if p.exists() and [f for f in p.iterdir() if not f.name.startswith(".")])
    report = render_programme(programme, ws, Settings(chunk_s=2.0, workers=1))  # as the command line did
    assert report.chunks_reused >= len(kept) and report.chunks_made > 0
    assert [d.status for d in report.deliverables] == ["rendered"] * 3
    master = Path(report.deliverables[0].file)
    assert len(_frames(master)) == LEADER_FRAMES + FRAMES
    assert not [p for p in store.iterdir() if p.suffix == ".claim"]  # the killed render's claim was taken over


def test_a_second_worker_helps_one_render_through_the_shared_workspace(tmp_path: Path) -> None:
    programme, ws = _programme(tmp_path / "hai máy")
    cli = str(Path(sys.executable).parent / "reportage")
    common = ["--workspace", str(ws.root), "--json", "render", str(programme.manifest_path), "--chunk-seconds", "2",
              "--workers", "1"]
    helper = subprocess.Popen([cli, *common, "--assist"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    main = subprocess.run([cli, *common], capture_output=True, text=True, timeout=600, check=False)
    helped, errors = helper.communicate(timeout=300)
    assert main.returncode == 0, main.stderr
    assert helper.returncode == 0, errors
    report, assist = json.loads(main.stdout), json.loads(helped)
    assert assist["chunks_made"] > 0 and report["chunks_made"] > 0  # both encoded chunks of the one render
    assert report["chunks_by_others"] == assist["chunks_made"]
    assert report["chunks_made"] + report["chunks_by_others"] == len(
        [c for d in read_render_record(ws).deliverables.values() for c in d.chunks if not c.key.startswith("leader-")])
    master = Path(report["deliverables"][0]["file"])
    assert len(_frames(master)) == LEADER_FRAMES + FRAMES
    run_ffmpeg(["-v", "error", "-xerror", "-i", safe_input(master), "-f", "null", "-"])
    store = chunkstore.store_dir(ws.dir)
    assert not (store / "plan.json").exists() and not list(store.glob("*.claim"))
