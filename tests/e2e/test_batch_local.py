"""`reportage batch` on this machine, through the real CLI on tiny real programmes: two good ones,
one whose only clip is not video, one whose manifest is wrong. Stopped with SIGTERM part-way, then
run again: finished work is up to date, the two good programmes finish, the two bad ones are in
the summary with their reason and fix, and the exit code says something failed."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.media.ffmpeg import run_ffmpeg

pytestmark = [pytest.mark.slow, pytest.mark.model]

REPORTAGE = str(Path(sys.executable).parent / "reportage")
FAST = ["--no-english", "--beam", "1", "--allow-fail", "--allow-unapproved"]

MANIFEST = """\
id: {id}
title: {{vi: "Trà Vinh – Điểm hẹn {id}", en: "Tra Vinh {id}"}}
synopsis: {{vi: "Thử nghiệm", en: "A test"}}
house: {{width: 320, height: 180}}
footage:
  - {{file: "footage/{file}", id: phong_van}}
timeline:
  cut:
    - {{clip: phong_van, in: "00:00:00:00", out: "00:00:02:00"}}
deliverables: [web-720p]
"""


def make_clip(path: Path, seconds: float = 2.5) -> Path:
    """320x180 25p H.264 with espeak-ng's Vietnamese speech as stereo AAC."""
    wav = path.with_suffix(".wav")
    subprocess.run(["espeak-ng", "-v", "vi", "-s", "150", "-w", str(wav), "Trà Vinh là điểm hẹn."],
                   check=True, capture_output=True)
    run_ffmpeg(["-f", "lavfi", "-i", f"testsrc2=size=320x180:rate=25:duration={seconds}", "-i", f"file:{wav}",
                "-filter_complex", "[1:a]apad,aresample=48000,aformat=channel_layouts=stereo[a]",
                "-map", "0:v", "-map", "[a]", "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast",
                "-pix_fmt", "yuv420p", "-c:a", "aac", f"file:{path}"])
    wav.unlink()
    return path


def make_batch(root: Path, good: tuple[str, ...] = ("dautu", "dulich"), bad: bool = True) -> Path:
    """A folder of manifests sharing one footage folder; with `bad`, a programme whose clip is text
    and a manifest with an unknown field. A glossary sits beside them (not a manifest)."""
    folder = root / "chương trình"
    (folder / "footage").mkdir(parents=True)
    make_clip(folder / "footage" / "Phỏng vấn.mov")
    for pid in good:
        (folder / f"{pid}.yaml").write_text(MANIFEST.format(id=pid, file="Phỏng vấn.mov"), encoding="utf-8")
    if bad:
        (folder / "footage" / "Hỏng.mov").write_text("not a video at all\n", encoding="utf-8")
        (folder / "hong.yaml").write_text(MANIFEST.format(id="hong", file="Hỏng.mov"), encoding="utf-8")
        (folder / "sai.yaml").write_text(MANIFEST.format(id="sai", file="x.mov") + "bogus_field: 1\n",
                                         encoding="utf-8")
    (folder / "glossary.yaml").write_text("Trà Vinh: Tra Vinh\n", encoding="utf-8")
    return folder


def leftovers(ws: Path) -> list[Path]:
    return [p for p in ws.rglob("*") if ".part" in p.name]


def summary_of(ws: Path) -> dict[str, Any]:
    found = sorted(ws.glob("batch-*.json"))
    assert len(found) == 1, found
    data: dict[str, Any] = json.loads(found[0].read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def batch_dir() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="reportage-batch-"))
    yield make_batch(root)
    shutil.rmtree(root, ignore_errors=True)


def test_a_stopped_batch_resumes_and_reports_the_broken_programmes(batch_dir: Path) -> None:
    ws = batch_dir.parent / "ws"
    argv = [REPORTAGE, "--workspace", str(ws), "batch", "--jobs", "2", *FAST, str(batch_dir)]
    first = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert first.stderr is not None
    seen = []
    deadline = time.monotonic() + 240
    for line in first.stderr:  # stop it once one programme has transcribed, before the others are done
        seen.append(line)
        if "transcribe done" in line or time.monotonic() > deadline:
            break
    first.send_signal(signal.SIGTERM)
    _, err = first.communicate(timeout=120)
    text = "".join(seen) + err
    assert first.returncode == 128 + signal.SIGTERM, text
    assert "stopped by SIGTERM" in text and "Traceback" not in text
    assert leftovers(ws) == []
    stopped = summary_of(ws)
    assert stopped["interrupted"] and not stopped["ok"]
    transcribed = {p["programme"] for p in stopped["programmes"]
                   if {"stage": "transcribe", "state": "done"}.items() <= {**p["stages"][1]}.items()}
    assert transcribed, stopped["programmes"]

    second = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    assert second.returncode == 1, second.stderr  # two programmes failed
    assert "Traceback" not in second.stderr
    summary = summary_of(ws)
    by = {p["programme"]: p for p in summary["programmes"]}
    assert set(by) == {"dautu", "dulich", "hong", "sai"}  # the glossary is not a programme
    assert summary["totals"]["finished"] == 2, [(p["programme"], p["failure"]) for p in summary["programmes"]]
    assert summary["totals"]["failed"] == 2 and not summary["interrupted"]
    for pid in ("dautu", "dulich"):
        p = by[pid]
        assert p["ok"], p["failure"]
        assert p["qc"] in ("PASS", "WARN", "FAIL")
        assert [d["name"] for d in p["deliverables"]] == ["web-720p"] and p["deliverables"][0]["size_bytes"] > 10_000
        assert len(p["bags"]) == 1 and p["bags"][0]["files"] > 5
        assert Path(p["deliverables"][0]["file"]).is_file()
    for pid in transcribed:  # finished before the stop: not done again
        states = {s["stage"]: s["state"] for s in by[pid]["stages"]}
        assert states["ingest"] == states["transcribe"] == "up to date", by[pid]["stages"]
    hong = by["hong"]["failure"]
    assert hong["stage"] == "ingest" and "Hỏng.mov" in hong["reason"] and hong["fix"]
    assert [s["state"] for s in by["hong"]["stages"]][:2] == ["failed", "not run"]
    sai = by["sai"]["failure"]
    assert sai["stage"] == "manifest" and "bogus_field" in sai["reason"] and sai["fix"]
    assert leftovers(ws) == []
    renders = [p for p in ws.rglob("renders/*/*") if p.suffix in (".mp4", ".mxf")]
    assert len(renders) == 2, renders  # one file per deliverable, no duplicates
    page = next(ws.glob("batch-*.html")).read_text(encoding="utf-8")
    assert "Trà Vinh – Điểm hẹn dautu" in page and "Hỏng.mov" in page and "bogus_field" in page
    assert "dautu" in second.stdout and "FAILED" in second.stdout  # the terminal table
