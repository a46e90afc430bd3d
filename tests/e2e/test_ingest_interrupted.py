"""Ingest when things go wrong under it: killed with SIGKILL half-way (its ffmpeg must die with it and
the rerun must clear the temporaries), and a source still being copied while it is read (refused,
never recorded with the checksum of a partial file)."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.catalogue import Catalogue
from pipeline.media import ffmpeg
from pipeline.stages import ingest
from pipeline.validate import load_manifest
from pipeline.workspace import Workspace
from tests import mediagen

LEFTOVERS = (".proxy.abcd1234.part.mp4", ".audio16k.zz_9yyyy.part.wav", ".shots.scratch.q1q2q3q4.part.txt",
             ".probe.abcdefgh.part.json", ".ingest.a1b2c3d4.part.json", ".poster.xxxxxxxx.part.jpg")
NOT_INGESTS = (".conform.abcdefgh.part.mov", "notes.txt", ".proxy-partner.mp4", "proxy.part.mp4")


def reportage(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("reportage")
    return subprocess.run([str(exe), *args], cwd=cwd, capture_output=True, text=True, check=False)


def _programme(root: Path, seconds: float, size: str = "320x180") -> Path:
    (root / "footage").mkdir(parents=True)
    mediagen.clip_25p_mov(root / "footage" / "a.mov", seconds=seconds, size=size)
    manifest = root / "p.yaml"
    manifest.write_text("id: cut\nfootage: [footage/a.mov]\n", encoding="utf-8")
    return manifest


def _ffmpeg_pids(marker: str) -> list[int]:
    """Running ffmpeg/ffprobe processes whose command line mentions `marker`."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            state = next((ln for ln in (entry / "status").read_text().splitlines() if ln.startswith("State:")), "")
        except OSError:
            continue
        if argv and Path(os.fsdecode(argv[0])).name in ("ffmpeg", "ffprobe") and "Z" not in state \
                and any(marker.encode() in a for a in argv):
            pids.append(int(entry.name))
    return pids


def test_a_rerun_clears_ingests_own_leftovers_and_nothing_else(tmp_path: Path) -> None:
    manifest = _programme(tmp_path, 2)
    folder = Workspace(tmp_path / "ws", "cut").ingest_dir("a")
    folder.mkdir(parents=True)
    for name in (*LEFTOVERS, *NOT_INGESTS):
        (folder / name).write_bytes(b"x" * 100)
    result = reportage("--workspace", "ws", "ingest", str(manifest), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    names = {p.name for p in folder.iterdir()}
    assert not names & set(LEFTOVERS)
    assert set(NOT_INGESTS) <= names  # conform's temporary and files that are nobody's are left alone
    assert {"proxy.mp4", "audio16k.wav", "probe.json"} <= names


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_kill_9_during_ingest_takes_ffmpeg_with_it_and_the_rerun_cleans_up(tmp_path: Path) -> None:
    manifest = _programme(tmp_path, 40, "640x360")
    folder = Workspace(tmp_path / "ws", "cut").ingest_dir("a")
    exe = Path(sys.executable).with_name("reportage")
    proc = subprocess.Popen([str(exe), "--workspace", "ws", "ingest", str(manifest)], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            parts = list(folder.glob(".proxy.*.part.mp4")) if folder.is_dir() else []
            if parts and parts[0].stat().st_size > 0 and _ffmpeg_pids(str(folder)):
                break
            assert proc.poll() is None, "ingest finished before it could be killed"
            time.sleep(0.02)
        else:
            pytest.fail("ingest never started writing its proxy")
        children = _ffmpeg_pids(str(folder))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert children
    stop = time.monotonic() + 3
    while _ffmpeg_pids(str(folder)) and time.monotonic() < stop:
        time.sleep(0.05)
    left = _ffmpeg_pids(str(folder))
    for pid in left:  # not ours to leave running, whatever the test says
        os.kill(pid, signal.SIGKILL)
    assert not left, "ffmpeg kept running after its parent was killed"
    assert list(folder.glob(".*.part*")), "the kill left temporaries (what the rerun must clear)"

    result = reportage("--workspace", "ws", "ingest", str(manifest), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not [p.name for p in folder.iterdir() if ".part" in p.name]


def test_a_source_still_being_copied_is_refused_then_ingested_once_complete(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = _programme(tmp_path, 2)
    source = tmp_path / "footage" / "a.mov"
    programme = load_manifest(manifest)
    ws = Workspace(tmp_path / "ws", "cut")
    real = ffmpeg.run_ffmpeg

    def copy_still_running(*args: object, **kwargs: object) -> str:
        out = real(*args, **kwargs)  # type: ignore[arg-type]
        with open(source, "ab") as handle:  # the copy from the card goes on while ingest reads
            handle.write(b"\0" * 4096)
        return out

    monkeypatch.setattr(ingest.ffmpeg, "run_ffmpeg", copy_still_running)
    report = ingest.ingest_programme(programme, ws)
    (outcome,) = report.clips
    assert outcome.status == "failed"
    assert outcome.error is not None and outcome.error.startswith(f"{source}: changed while")
    assert "wait until the copy finishes, then run ingest again" in outcome.error
    assert not ws.proxy("a").exists()
    with Catalogue(ws.catalogue_path) as cat:
        assert cat.known_hash(source) is None  # no checksum of a partial file remembered

    monkeypatch.setattr(ingest.ffmpeg, "run_ffmpeg", real)
    (again,) = ingest.ingest_programme(programme, ws).clips
    assert again.status == "ingested", again.error
    with Catalogue(ws.catalogue_path) as cat:
        record = cat.clip("a")
    assert record is not None and record.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    (third,) = ingest.ingest_programme(programme, ws).clips
    assert third.status == "up to date"
