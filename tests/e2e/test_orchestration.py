"""`reportage run` itself, on real media and the real model: a run, a rerun that does nothing, a
touched source, a clip taken out of the manifest, two runs at once, SIGTERM mid-render, and a
workspace that cannot be written. Each runs the installed `reportage` command in a subprocess,
as an editor or a batch would."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.media.ffmpeg import run_ffmpeg

pytestmark = [pytest.mark.slow, pytest.mark.model]

REPORTAGE = str(Path(sys.executable).parent / "reportage")
STAGE_NAMES = ["ingest", "transcribe", "assemble", "conform", "subtitles", "render", "qc", "publish", "package"]


def _clip(path: Path, seconds: float, speech: str | None = None) -> Path:
    """320x180 25p H.264 with stereo AAC: Vietnamese speech from espeak-ng, or a tone."""
    if speech is not None:
        wav = path.with_suffix(".wav")
        subprocess.run(["espeak-ng", "-v", "vi", "-s", "140", "-w", str(wav), speech], check=True, capture_output=True)
        audio = ["-i", f"file:{wav}"]
    else:
        audio = ["-f", "lavfi", "-i", f"sine=frequency=330:sample_rate=48000:duration={seconds}"]
    run_ffmpeg(["-f", "lavfi", "-i", f"testsrc2=size=320x180:rate=25:duration={seconds}", *audio,
                "-filter_complex", "[1:a]apad,aresample=48000,aformat=channel_layouts=stereo[a]",
                "-map", "0:v", "-map", "[a]", "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast",
                "-pix_fmt", "yuv420p", "-c:a", "aac", f"file:{path}"])
    if speech is not None:
        path.with_suffix(".wav").unlink()
    return path


MANIFEST = """\
id: nho
title: {{vi: "Trà Vinh – Điểm hẹn", en: "Trà Vinh – Where Investors Meet"}}
synopsis: {{vi: "Thử nghiệm", en: "A test"}}
house: {{width: 320, height: 180}}
footage:
  - {{file: "footage/Phỏng vấn.mov", id: phong_van}}
{extra_footage}timeline:
  cut:
    - {{clip: phong_van, in: "00:00:00:00", out: "00:00:03:00"}}
deliverables: [web-720p]
"""


@pytest.fixture(scope="module")
def programme() -> Iterator[Path]:
    """A programme folder every user can read (the read-only test runs as another user)."""
    root = Path(tempfile.mkdtemp(prefix="reportage-run-"))
    os.chmod(root, 0o755)
    (root / "footage").mkdir()
    _clip(root / "footage" / "Phỏng vấn.mov", 3.5, "Trà Vinh là điểm hẹn của các nhà đầu tư.")
    _clip(root / "footage" / "b-roll.mov", 2.0)
    (root / "nho.yaml").write_text(MANIFEST.format(extra_footage='  - footage/b-roll.mov\n'), encoding="utf-8")
    yield root
    shutil.rmtree(root, ignore_errors=True)


def reportage(folder: Path, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([REPORTAGE, "--workspace", str(folder / "ws"), *args], capture_output=True, text=True,
                          cwd=folder, timeout=600)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def run_json(folder: Path, *args: str) -> dict[str, object]:
    proc = reportage(folder, "--json", "run", *args, "nho.yaml")
    assert "Traceback" not in proc.stderr, proc.stderr
    doc: dict[str, object] = json.loads(proc.stdout)  # exactly one JSON document
    return doc


def _renders(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns
            for p in (folder / "ws" / "nho" / "renders").rglob("*") if p.is_file() and p.suffix in (".mp4", ".mxf")}


def test_run_walks_every_stage_and_a_rerun_does_nothing(programme: Path) -> None:
    first = run_json(programme, "--allow-fail", "--allow-unapproved")
    stages = first["stages"]
    assert isinstance(stages, list)
    assert [s["stage"] for s in stages] == STAGE_NAMES, first.get("stop_reason")
    assert first["stopped_after"] is None
    render = (programme / "ws" / "nho" / "renders" / "web-720p")
    assert any(render.glob("*.mp4"))
    rendered = _renders(programme)

    proc = reportage(programme, "--json", "run", "--allow-fail", "--allow-unapproved", "nho.yaml")
    assert proc.returncode == 0, "a walk that packaged with both overrides given succeeded: " + proc.stdout[-400:]
    again: dict[str, object] = json.loads(proc.stdout)
    assert [(s["stage"], s["up_to_date"]) for s in again["stages"]] == [(n, True) for n in STAGE_NAMES]  # type: ignore[union-attr]
    assert _renders(programme) == rendered

    # A touched source (same bytes, new mtime) is hashed again and found the same: nothing re-encoded.
    source = programme / "footage" / "Phỏng vấn.mov"
    later = time.time_ns() + 5 * 10**9
    os.utime(source, ns=(later, later))
    touched = run_json(programme, "--allow-fail", "--allow-unapproved")
    assert all(s["up_to_date"] for s in touched["stages"]), touched  # type: ignore[union-attr]
    assert _renders(programme) == rendered


def test_a_clip_taken_out_of_the_manifest_leaves_the_transcripts_and_the_bag(programme: Path) -> None:
    run_json(programme, "--allow-fail", "--allow-unapproved")
    ws = programme / "ws" / "nho"
    assert (ws / "transcripts" / "b-roll.json").is_file()
    bag = next((ws / "delivery").glob("*/data"))
    shipped = [p.name.lower() for p in bag.rglob("*") if "transcript" in p.name.lower()]
    assert any("b_roll" in n for n in shipped), shipped
    manifest = programme / "nho.yaml"
    full = manifest.read_text(encoding="utf-8")
    try:
        manifest.write_text(MANIFEST.format(extra_footage=""), encoding="utf-8")
        doc = run_json(programme, "--allow-fail", "--allow-unapproved")
        assert doc["stopped_after"] is None, doc.get("stop_reason")
        assert not (ws / "transcripts" / "b-roll.json").exists()
        assert not (ws / "ingest" / "b-roll").exists()
        bag = next((ws / "delivery").glob("*/data"))
        names = [p.name.lower() for p in bag.rglob("*")]
        assert not [n for n in names if "b_roll" in n], names
        assert [n for n in names if "phong" in n], "the clip still in the manifest is shipped"
        search = reportage(programme, "--json", "search", "nho.yaml", "du lich")
        assert "b-roll" not in search.stdout
    finally:
        manifest.write_text(full, encoding="utf-8")


def _wait_for(predicate: object, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def _render_in_progress(folder: Path) -> bool:
    """A render writing: a temporary among the renders, or among the chunks it encodes."""
    places = [folder / "ws" / "nho" / "renders", folder / "ws" / "nho" / "cache" / "chunks"]
    return any(place.is_dir() and any(".part" in p.name for p in place.rglob("*")) for place in places)


def _forget_chunks(folder: Path) -> None:
    """Empty the chunk store, so a forced render encodes its picture again (and runs long enough)."""
    shutil.rmtree(folder / "ws" / "nho" / "cache" / "chunks", ignore_errors=True)


def _ffmpeg_children(folder: Path) -> list[str]:
    """Command lines of running ffmpeg processes that write into this programme's workspace."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if cmd and cmd[0].endswith(b"ffmpeg") and any(str(folder).encode() in part for part in cmd):
            found.append(b" ".join(cmd).decode("utf-8", "replace"))
    return found


def test_a_second_run_on_a_busy_programme_says_who_holds_it(programme: Path) -> None:
    run_json(programme, "--allow-fail", "--allow-unapproved")
    _forget_chunks(programme)
    first = subprocess.Popen([REPORTAGE, "--workspace", str(programme / "ws"), "render", "--force", "nho.yaml"],
                             cwd=programme, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(lambda: _render_in_progress(programme))
        second = reportage(programme, "run", "nho.yaml")
        assert second.returncode == 75, second.stderr
        assert "programme nho is busy" in second.stderr and f"pid {first.pid}" in second.stderr
        assert "--wait" in second.stderr and "Traceback" not in second.stderr
    finally:
        first.wait(timeout=300)
    assert first.returncode == 0, first.stderr


def test_sigterm_mid_render_stops_ffmpeg_and_leaves_no_file_at_a_final_name(programme: Path) -> None:
    run_json(programme, "--allow-fail", "--allow-unapproved")
    rendered = _renders(programme)
    _forget_chunks(programme)
    proc = subprocess.Popen([REPORTAGE, "--workspace", str(programme / "ws"), "render", "--force", "nho.yaml"],
                            cwd=programme, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _wait_for(lambda: _render_in_progress(programme) and _ffmpeg_children(programme))
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "stopped by SIGTERM" in err and "Traceback" not in err
    assert _ffmpeg_children(programme) == []
    renders = programme / "ws" / "nho" / "renders"
    assert [p for p in renders.rglob("*") if ".part" in p.name] == []
    chunks = programme / "ws" / "nho" / "cache" / "chunks"
    assert [p for p in chunks.rglob("*") if ".part" in p.name or p.suffix == ".claim"] == []  # the chunk abandoned
    assert _renders(programme) == rendered, "the previous renders are untouched"
    # The next run completes, and the lock was released.
    doc = run_json(programme, "--allow-fail", "--allow-unapproved")
    assert doc["stopped_after"] is None


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """Make `folder` unwritable even for root (which ignores modes): the immutable attribute."""
    if os.geteuid() != 0:
        modes = {p: p.stat().st_mode for p in [folder, *folder.rglob("*")]}
        for p in modes:
            os.chmod(p, 0o555 if p.is_dir() else 0o444)
        try:
            yield
        finally:
            for p, m in modes.items():
                os.chmod(p, m)
        return
    if shutil.which("chattr") is None:
        pytest.skip("running as root without chattr: no way to make a folder read-only here")
    subprocess.run(["chattr", "-R", "+i", str(folder)], check=True, capture_output=True)
    try:
        yield
    finally:
        subprocess.run(["chattr", "-R", "-i", str(folder)], check=True, capture_output=True)


def test_a_workspace_that_cannot_be_written_is_one_clear_line(programme: Path) -> None:
    run_json(programme, "--allow-fail", "--allow-unapproved")
    ws_dir = programme / "ws"
    with read_only(ws_dir):
        proc = reportage(programme, "run", "nho.yaml")
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, proc.stderr
    assert str(ws_dir / "nho") in lines[0] and "--workspace" in lines[0], lines[0]
