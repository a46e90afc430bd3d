"""The XDCAM master through the real render stage: one pass for every deliverable, the leader encoded
once and joined by stream copy, and a render killed mid-way.

Tiny programme (two 2 s clips, 320×180 house) with a 3 s leader (a programme profile override), so
the 1080i50 MPEG-2 master stays a few seconds to encode. The master is read back with ffprobe (MXF
OP1a, timecode, field order, frame count, GOP across the join), decoded whole with `-xerror`, and
its line-up tone and programme loudness measured again independently of the render's own meter.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from pipeline.media.ffmpeg import ffprobe_json, run_ffmpeg, safe_input
from pipeline.media.loudness import measure, parse_ebur128
from pipeline.render.branding import BrandingSettings
from pipeline.stages.render import Settings, render_programme
from pipeline.timeline import Segment, Timeline
from pipeline.validate import load_manifest
from pipeline.workspace import Workspace
from tests import mediagen

pytestmark = pytest.mark.slow

OP1A_UL = "060e2b34.04010101.0d010201.01010900"
MANIFEST = """\
id: leader
title: {vi: "Trà Vinh – Điểm hẹn", en: "Trà Vinh – Where Investors Meet"}
synopsis: {vi: "Thử", en: "Test"}
house: {width: 320, height: 180, fps: "25"}
footage: [a.mov, b.mp4]
timeline: {cut: [{clip: a, in: "00:00:00:00", out: "00:00:02:00"}, {clip: b, in: "00:00:00:00", out: "00:00:02:00"}]}
deliverables: [broadcast-xdcam, web-720p, social-9x16]
social: {in: "00:00:01:00", out: "00:00:03:00"}
"""
SETTINGS = Settings(branding=BrandingSettings(bumper_s=0, title_s=1.0, credits_s=0))
LEADER_S = 3


def _programme(base: Path) -> tuple[Any, Workspace]:
    base.mkdir(parents=True, exist_ok=True)
    (base / "programme.yaml").write_text(MANIFEST, encoding="utf-8")
    (base / "profiles").mkdir(exist_ok=True)
    (base / "profiles" / "broadcast-xdcam.yaml").write_text(
        "leader: {bars_tone_s: 1, slate_s: 1, black_s: 1}\n", encoding="utf-8")
    a = mediagen.clip_25p_mov(base / "a.mov", seconds=3)
    b = mediagen.clip_no_audio(base / "b.mp4", seconds=2.5)
    ws = Workspace(base / "workspace", "leader")
    timeline = Timeline("leader", Fraction(25), 320, 180, 48000,
                        (Segment("a", str(a), 0, 50, 0, True), Segment("b", str(b), 0, 50, 50, False)), (2000,))
    ws.timeline_json.parent.mkdir(parents=True, exist_ok=True)
    ws.timeline_json.write_text(json.dumps(timeline.to_dict()), encoding="utf-8")
    return load_manifest(base / "programme.yaml"), ws


def _keyframes(path: Path) -> list[int]:
    info = ffprobe_json(path, ["-select_streams", "v:0", "-skip_frame", "nokey", "-show_entries", "frame=pts_time"])
    return [round(float(f["pts_time"]) * 25) for f in info["frames"]]


def test_xdcam_master_with_joined_leader_in_one_pass(tmp_path: Path) -> None:
    programme, ws = _programme(tmp_path / "Chương trình thử")
    dry = render_programme(programme, ws, Settings(dry_run=True, one_pass=True, branding=SETTINGS.branding))
    commands = [c for c in dry.commands if "-filter_complex" in c and "-f" in c]
    assert sum(1 for c in dry.commands if any("smptehdbars" in a for a in c)) == 1  # the leader, once
    assert sum(1 for c in commands if c.count("-filter_complex") == 2) == 1  # one pass, two trunks

    report = render_programme(programme, ws, SETTINGS)
    assert [d.status for d in report.deliverables] == ["rendered"] * 3 and report.leaders_made == 1
    master = Path(report.deliverables[0].file)
    info = ffprobe_json(master, ["-count_frames"])
    fmt = info["format"]
    assert fmt["format_name"] == "mxf" and fmt["tags"]["operational_pattern_ul"] == OP1A_UL
    assert fmt["tags"]["timecode"] == "09:59:57:00"  # programme at 10:00:00:00 after the 3 s leader
    v = next(s for s in info["streams"] if s["codec_type"] == "video")
    assert (v["codec_name"], v["profile"], v["width"], v["height"], v["field_order"]) == (
        "mpeg2video", "4:2:2", 1920, 1080, "tt")
    assert int(v["nb_read_frames"]) == (LEADER_S + 4) * 25
    assert [s["channels"] for s in info["streams"] if s["codec_type"] == "audio"] == [1, 1]
    run_ffmpeg(["-v", "error", "-xerror", "-i", safe_input(master), "-f", "null", "-"])  # decodes across the join
    keys = _keyframes(master)
    assert LEADER_S * 25 in keys and max(b - a for a, b in itertools.pairwise(keys)) <= 12
    tone = measure(master, filters=["atrim=start=0.2:end=0.8"])
    assert abs(tone.true_peak_dbtp - -18.0) < 0.2
    both = run_ffmpeg(["-i", safe_input(master), "-filter_complex",
                       f"[0:a:0][0:a:1]amerge=inputs=2,atrim=start={LEADER_S},ebur128@again=peak=true",
                       "-f", "null", "-"])
    again = parse_ebur128(both)["again"]
    assert abs(again.integrated_lufs - -23.0) <= 0.5 and again.true_peak_dbtp <= -1.0
    web, social = (Path(d.file) for d in report.deliverables[1:])
    assert abs(float(ffprobe_json(web)["format"]["duration"]) - 4.0) < 0.1
    assert abs(float(ffprobe_json(social)["format"]["duration"]) - 2.0) < 0.1
    assert not [p for p in master.parent.iterdir() if ".part" in p.name]

    forced = render_programme(programme, ws, Settings(force=True, only=("broadcast-xdcam",),
                                                            branding=SETTINGS.branding))
    assert forced.leaders_made == 0  # cached by content
    assert render_programme(programme, ws, SETTINGS).up_to_date


def test_a_killed_render_leaves_no_file_at_the_final_name(tmp_path: Path) -> None:
    programme, ws = _programme(tmp_path / "killed")
    cli = Path(sys.executable).parent / "reportage"
    argv = [str(cli), "--workspace", str(ws.root), "render", str(programme.manifest_path)]
    proc = subprocess.Popen(argv, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    renders = ws.dir / "renders"
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            parts = [p for p in renders.rglob("*.part*") if p.stat().st_size > 1_000_000] if renders.exists() else []
            if parts:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the render finished before it could be killed"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    names = ["broadcast-xdcam", "web-720p", "social-9x16"]
    assert not [p for n in names if (ws.render_dir(n)).exists() for p in ws.render_dir(n).iterdir()
                if not p.name.startswith(".")]
    report = render_programme(programme, ws, SETTINGS)
    assert [d.status for d in report.deliverables] == ["rendered"] * 3
    assert not [p for n in names for p in ws.render_dir(n).iterdir() if ".part" in p.name]  # leftovers cleared
