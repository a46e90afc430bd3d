"""From a one-cue fix saved in the review room to updated deliverables: how long, and what re-ran.

The fix goes through the app's own API (the review room served by uvicorn on a free local port, a
POST like the page's "Lưu"), then `reportage run`'s walk (`pipeline.run.run_programme`, in this
process) brings the deliverables up to date. Printed: the save's time, each stage's time and
whether it did work, and which deliverables were rendered again.

With a MANIFEST whose workspace exists, its programme folder is copied to a scratch workspace first
(the real one is only read). Without one, a tiny programme is made and run once from scratch:
a 4 s 320×180 clip of espeak-ng Vietnamese speech, web-720p (sidecar subtitles) and social-9x16
(Vietnamese burned in) — a Vietnamese fix must re-render the social cut and leave the web render.

    .venv/bin/python benchmarks/review_fix.py [MANIFEST] [--workspace workspace] [--lang vi] [--cue 1]
"""

from __future__ import annotations

import argparse
import http.client
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TINY = """\
id: sua-mot-cau
title: {vi: "Trà Vinh – Điểm hẹn", en: "Trà Vinh – Where Investors Meet"}
synopsis: {vi: "Thử nghiệm", en: "A test"}
house: {width: 320, height: 180}
footage:
  - {file: "footage/Phỏng vấn.mov", id: phong_van}
timeline:
  cut:
    - {clip: phong_van, in: "00:00:00:00", out: "00:00:04:00"}
deliverables: [web-720p, social-9x16]
social: {in: "00:00:00:00", out: "00:00:04:00"}
"""


def _tiny(folder: Path) -> Path:
    from pipeline.media.ffmpeg import run_ffmpeg

    (folder / "footage").mkdir(parents=True)
    wav = folder / "speech.wav"
    subprocess.run(["espeak-ng", "-v", "vi", "-s", "140", "-w", str(wav),
                    "Trà Vinh là điểm hẹn của các nhà đầu tư."], check=True, capture_output=True)
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=4", "-i", f"file:{wav}",
                "-filter_complex", "[1:a]apad,aresample=48000,aformat=channel_layouts=stereo[a]",
                "-map", "0:v", "-map", "[a]", "-t", "4", "-c:v", "libx264", "-preset", "ultrafast",
                "-pix_fmt", "yuv420p", "-c:a", "aac", f"file:{folder / 'footage' / 'Phỏng vấn.mov'}"])
    wav.unlink()
    manifest = folder / "sua-mot-cau.yaml"
    manifest.write_text(TINY, encoding="utf-8")
    return manifest


def _walk(programme: Any, root: Path) -> tuple[float, Any]:
    from pipeline.lock import programme_lock
    from pipeline.run import run_programme, stage
    from pipeline.workspace import Workspace

    ws = Workspace(root, programme.id)
    settings = {"package": stage("package").settings(allow_fail=True, allow_unapproved=True)}
    began = time.perf_counter()
    with programme_lock(ws, command="benchmarks/review_fix.py"):
        report = run_programme(programme, ws, settings)
    return time.perf_counter() - began, report


def _what_ran(report: Any) -> list[str]:
    lines = []
    for outcome in report.stages:
        if outcome.error is not None:
            lines.append(f"  {outcome.name:<11} {outcome.seconds:7.2f} s  ERROR {outcome.error.one_line()}")
            continue
        state = "up to date" if outcome.report.up_to_date else "ran"
        line = f"  {outcome.name:<11} {outcome.seconds:7.2f} s  {state}"
        if outcome.name == "render":
            done = {d.name: d.status for d in outcome.report.deliverables}
            line += "  (" + ", ".join(f"{n}: {s}" for n, s in done.items()) + ")"
        lines.append(line)
    return lines


def _serve(root: Path, programme: Any) -> tuple[Any, threading.Thread, int]:
    import uvicorn

    from pipeline.review.app import create_app

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(root, programme), log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    return server, thread, sock.getsockname()[1]


def _call(port: int, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """One request; a change is sent as the page sends it (its origin, the session's CSRF token)."""
    headers = {"content-type": "application/json"}
    if method != "GET":
        csrf = _call(port, "GET", "/api/session")[1]["csrf"]
        headers |= {"origin": f"http://127.0.0.1:{port}", "x-review-csrf": csrf}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    res = conn.getresponse()
    data = json.loads(res.read() or b"null")
    conn.close()
    return res.status, data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("manifest", nargs="?", type=Path)
    parser.add_argument("--workspace", type=Path, default=ROOT / "workspace")
    parser.add_argument("--lang", default="vi", choices=["vi", "en"])
    parser.add_argument("--cue", type=int, default=1)
    args = parser.parse_args()

    from pipeline.validate import load_manifest

    scratch = Path(tempfile.mkdtemp(prefix="review-fix-"))
    root = scratch / "workspace"
    try:
        if args.manifest is not None and (args.workspace / load_manifest(args.manifest).id).is_dir():
            programme = load_manifest(args.manifest)
            shutil.copytree(args.workspace / programme.id, root / programme.id, symlinks=True,
                            ignore=shutil.ignore_patterns(".lock", "delivery"))
            print(f"sample programme {programme.id} (workspace copied to {root})")
        else:
            if args.manifest is not None:
                print(f"no workspace for {args.manifest}: using a tiny programme instead")
            programme = load_manifest(_tiny(scratch))
            print("tiny programme: 4 s 320x180, deliverables web-720p (sidecars) + social-9x16 (vi burned in)")
        first, report = _walk(programme, root)
        print(f"first run (brings everything up to date): {first:.1f} s")
        print("\n".join(_what_ran(report)))

        server, thread, port = _serve(root, programme)
        try:
            status, board = _call(port, "GET", f"/api/p/{programme.id}/cues")
            cue = board[args.lang]["cues"][args.cue - 1]
            fixed = cue["text"].rstrip(".") + " (đã sửa)"
            began = time.perf_counter()
            status, saved = _call(port, "POST", f"/api/p/{programme.id}/cues/{args.lang}/{args.cue}/edit",
                                  {"version": cue["version"], "text": fixed})
            saved_s = time.perf_counter() - began
            if status != 200:
                print(f"the save was refused ({status}): {saved}")
                return 1
        finally:
            server.should_exit = True
            thread.join(10)
        run_s, report = _walk(programme, root)
        print(f"\none-cue fix ({args.lang} cue {args.cue}): saved through the API in {saved_s:.2f} s")
        print(f"reportage run afterwards: {run_s:.1f} s")
        print("\n".join(_what_ran(report)))
        print(f"save → updated deliverables: {saved_s + run_s:.1f} s")
        return 0 if report.error is None else 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
