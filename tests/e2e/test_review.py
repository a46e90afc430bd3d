"""The review room end to end: a tiny real programme (4 s, 320×180 H.264 with espeak-ng Vietnamese
speech), the app on a free local port (uvicorn in a thread), Debian's chromium driven by
Playwright, and `reportage package` deciding on the approval.

Set REVIEW_SHOTS=DIR to keep the 1366×768 screenshots.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import bagit
import pytest
import uvicorn

from pipeline.asr.transcript import ModelRef, Transcript, TranscriptSegment, TranscriptWord
from pipeline.cli import main
from pipeline.fsutil import sha256_file, write_json
from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.records.subtitles import (
    CueMapEntry,
    CueOrigin,
    SubtitlesLanguage,
    SubtitlesRecord,
    subtitles_record_path,
)
from pipeline.render.state import RenderedDeliverable, RenderRecord, write_render_record
from pipeline.review.app import create_app
from pipeline.subs import is_hand_edited, read_subtitles
from pipeline.subs.adopt import ledger_path, source_of
from pipeline.timeline import Segment, Timeline
from pipeline.validate import load_manifest
from pipeline.workspace import Workspace

PID = "travinh-review"
SECONDS = 4
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
VI = [(200, 1700, "Chào mừng quý vị đến Trà Vinh"), (1900, 3600, "Ao Bà Om – điểm hẹn của nhà đầu tư")]
EN = [(200, 1700, "Welcome to Trà Vinh"), (1900, 3600, "Ao Bà Om – where investors meet")]
WORDS = [(200, 500, "Chào"), (500, 800, "mừng"), (800, 1050, "quý"), (1050, 1250, "vị"), (1250, 1400, "đến"),
         (1400, 1550, "Trà"), (1550, 1700, "Vinh."), (1900, 2100, "Ao"), (2100, 2300, "Bà"), (2300, 2500, "Om"),
         (2550, 2800, "điểm"), (2800, 3000, "hẹn"), (3000, 3100, "của"), (3100, 3300, "nhà"), (3300, 3450, "đầu"),
         (3450, 3600, "tư.")]


def _ts(ms: int, sep: str) -> str:
    return f"00:00:{ms // 1000:02d}{sep}{ms % 1000:03d}"


def write_subs(ws: Workspace, lang: str, cues: list[tuple[int, int, str]]) -> None:
    ws.subtitle(lang, "srt").write_text("".join(f"{i}\n{_ts(a, ',')} --> {_ts(b, ',')}\n{t}\n\n"
                                                for i, (a, b, t) in enumerate(cues, 1)), encoding="utf-8")
    ws.subtitle(lang, "vtt").write_text("WEBVTT\n\n" + "".join(f"{_ts(a, '.')} --> {_ts(b, '.')}\n{t}\n\n"
                                                               for a, b, t in cues), encoding="utf-8")


def make_media(path: Path) -> None:
    """320×180 25p H.264 + AAC with Vietnamese speech from espeak-ng."""
    wav = path.with_suffix(".wav")
    subprocess.run(["espeak-ng", "-v", "vi", "-s", "150", "-w", str(wav), "Chào mừng quý vị đến Trà Vinh"],
                   check=True, capture_output=True)
    run_ffmpeg(["-f", "lavfi", "-i", f"testsrc2=size=320x180:rate=25:duration={SECONDS}", "-i", str(wav),
                "-filter_complex", f"[1:a]aresample=48000,apad,atrim=0:{SECONDS},aformat=channel_layouts=stereo[a]",
                "-map", "0:v", "-map", "[a]", "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
                "-g", "25", "-c:a", "aac", "-b:a", "96k", "-movflags", "+faststart", "-t", str(SECONDS),
                "file:" + str(path)])
    wav.unlink()


def build_programme(root: Path, media: Path) -> Path:
    """A programme as the earlier stages leave it: manifest, timeline, transcript, proxy, subtitles
    (pipeline-written, in the ledger), a web render and its record."""
    manifest = root / f"{PID}.yaml"
    manifest.write_text(
        f"id: {PID}\nyear: 2026\n"
        "title: {vi: 'Trà Vinh – Điểm hẹn của nhà đầu tư', en: 'Trà Vinh – Where Investors Meet'}\n"
        "synopsis: {vi: 'Tóm tắt.', en: 'Synopsis.'}\nfootage: [master.mov]\ntimeline: {master: master.mov}\n"
        "deliverables: [web-720p]\nco_producers: ['Đài PT-TH Trà Vinh', 'Trung tâm Tin tức VTV']\n", encoding="utf-8")
    ws = Workspace(root / "workspace", PID)
    render = ws.render_dir("web-720p") / f"{PID}_WEB_720P.mp4"
    render.parent.mkdir(parents=True)
    shutil.copy(media, render)
    ws.ingest_dir("master").mkdir(parents=True)
    shutil.copy(media, ws.proxy("master"))
    write_render_record(ws, RenderRecord(PID, {"web-720p": RenderedDeliverable(
        "web-720p", str(render), "web-720p", float(SECONDS), render.stat().st_size)}))
    working = str(ws.proxy("master"))  # the clip's working copy: what the render's plan keys on
    write_json(ws.timeline_json, Timeline(PID, Fraction(25), 320, 180, 48000,
                                          (Segment("master", working, 0, SECONDS * 25, 0, True),), ()).to_dict())
    words = tuple(TranscriptWord(a, b, t, 0.9 if t != "hẹn" else 0.3) for a, b, t in WORDS)
    segments = (TranscriptSegment(200, 1700, " ".join(w.text for w in words[:7]), -0.2, 0.01, 1.1, words[:7]),
                TranscriptSegment(1900, 3600, " ".join(w.text for w in words[7:]), -0.2, 0.01, 1.1, words[7:]))
    write_json(ws.transcript_json("master"),
               Transcript("master", "vi", SECONDS * 1000, "0" * 64, ModelRef("test", "0" * 64), segments).to_json())
    ws.subtitles_dir.mkdir()
    write_subs(ws, "vi", VI)
    write_subs(ws, "en", EN)
    ledger = {p.name: sha256_file(p) for p in ws.subtitles_dir.iterdir()}
    write_json(ledger_path(ws), {"version": 1, "files": ledger})  # as the subtitles stage leaves it
    # the record as the subtitles stage writes it for these cues (the English a machine draft), by its type
    english = tuple(CueMapEntry((n,), (n,), CueOrigin.RECOGNISED, CueOrigin.MACHINE, translated_by="whisper")
                    for n in (1, 2))
    write_json(subtitles_record_path(ws), SubtitlesRecord(PID, {
        "vi": SubtitlesLanguage("generated", "transcript", False, False, 2, {}, uncertain_words=()),
        "en": SubtitlesLanguage("generated", "whisper", True, False, 2, {}, cue_map=english)}, speech=True).to_json())
    record_renders(manifest, ws)
    return manifest


def record_renders(manifest: Path, ws: Workspace) -> None:
    """The render stage's runs on record for the renders in place, from the stage's own plan (as
    `reportage render` records them), so the catalogue finds them up to date: an approval needs that."""
    from pipeline.render.state import read_render_record, render_record_path
    from pipeline.run import stage

    renderer = stage("render")
    work, record = renderer.work(ws), read_render_record(ws)
    for name, inputs in renderer.plan(load_manifest(manifest), ws).items():
        entry = record.get(name)
        assert entry is not None and inputs is not None, name
        work.done(work.check(name, inputs, upstream=False), [entry.path, render_record_path(ws)])


class Served:
    """The app on a free local port in a thread of this process."""

    def __init__(self, root: Path, manifest: Path | None, token: str | None = None) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        app = create_app(root, load_manifest(manifest) if manifest else None, token)
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "the review app did not start"
            time.sleep(0.02)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


def request(base: str, method: str, path: str, body: Any = None,
            headers: dict[str, str] | None = None) -> tuple[int, Any, dict[str, str]]:
    """One raw HTTP request (the path is sent exactly as given, `..` included); a change is sent as the
    room's own page sends it, from its origin with the session's CSRF token (origin.py)."""
    if method not in ("GET", "HEAD"):
        session = request(base, "GET", "/api/session", headers=headers)[1]
        csrf = {"x-review-csrf": session["csrf"]} if isinstance(session, dict) else {}
        headers = {"origin": base, **csrf, **(headers or {})}
    conn = http.client.HTTPConnection(base.removeprefix("http://"), timeout=20)
    data = json.dumps(body).encode() if body is not None else None
    conn.request(method, path, body=data, headers={"content-type": "application/json", **(headers or {})})
    res = conn.getresponse()
    raw = res.read()
    conn.close()
    try:
        parsed: Any = json.loads(raw)
    except ValueError:
        parsed = raw
    return res.status, parsed, {k.lower(): v for k, v in res.getheaders()}


def _cli(args: list[str]) -> int:
    try:
        main(args)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("media") / "clip.mp4"
    make_media(path)
    return path


@pytest.fixture()
def programme(tmp_path: Path, media: Path) -> Iterator[tuple[Path, Workspace, Served]]:
    manifest = build_programme(tmp_path, media)
    served = Served(tmp_path / "workspace", manifest)
    try:
        yield manifest, Workspace(tmp_path / "workspace", PID), served
    finally:
        served.stop()


def _snapshot(ws: Workspace) -> dict[str, str]:
    return {str(p.relative_to(ws.dir)): sha256_file(p) for p in sorted(ws.dir.rglob("*"))
            if p.is_file() and "catalogue" not in p.name and p.name != ".lock"}


def test_refusals_write_nothing(programme: tuple[Path, Workspace, Served], tmp_path: Path) -> None:
    _, ws, served = programme
    outside = tmp_path / "secret.txt"
    outside.write_text("not for the network", encoding="utf-8")
    (ws.dir / "escape.txt").symlink_to(outside)
    before = _snapshot(ws)
    for path in (f"/files/{PID}/../../secret.txt", f"/files/{PID}/%2E%2E/%2E%2E/secret.txt",
                 f"/files/{PID}/escape.txt", f"/files/{PID}/.lock", f"/files/{PID}//etc/passwd",
                 "/files/other-programme/timeline.json", f"/files/{PID}/subtitles"):
        status, _, _ = request(served.url, "GET", path)
        assert status in (403, 404), path
    status, body, _ = request(served.url, "GET", f"/files/{PID}/timeline.json")
    assert status == 200 and "segments" in body
    board = request(served.url, "GET", f"/api/p/{PID}/cues")[1]
    version = board["vi"]["cues"][0]["version"]
    status, body, _ = request(served.url, "POST", f"/api/p/{PID}/cues/vi/99/edit", {"version": version, "text": "x"})
    assert status == 404 and "no vi cue 99" in body["error"]
    status, body, _ = request(served.url, "POST", f"/api/p/{PID}/cues/vi/1/edit", {"version": "0" * 16, "text": "x"})
    assert status == 409 and "changed by someone else" in body["error"]
    status, body, _ = request(served.url, "POST", f"/api/p/{PID}/cues/vi/1/edit",
                              {"version": version, "start_ms": 1500, "end_ms": 900})
    assert status == 422
    status, body, _ = request(served.url, "POST", f"/api/p/{PID}/notes", {"in_ms": 0, "author": "", "text": "x"})
    assert status == 422
    status, _, _ = request(served.url, "POST", f"/api/p/{PID}/approval", {"verdict": "maybe", "author": "Hà"})
    assert status == 422
    (ws.dir / "escape.txt").unlink()
    before.pop("escape.txt", None)
    assert _snapshot(ws) == before  # nothing written by any refusal


def test_two_reviewers_same_cue_conflict(programme: tuple[Path, Workspace, Served]) -> None:
    _, ws, served = programme
    cue = request(served.url, "GET", f"/api/p/{PID}/cues")[1]["en"]["cues"][1]
    first = request(served.url, "POST", f"/api/p/{PID}/cues/en/2/edit",
                    {"version": cue["version"], "text": "Ao Bà Om – a meeting place for investors"})
    assert first[0] == 200
    srt = ws.subtitle("en", "srt").read_bytes()
    second = request(served.url, "POST", f"/api/p/{PID}/cues/en/2/edit",
                     {"version": cue["version"], "text": "Ao Bà Om, where investors meet"})
    assert second[0] == 409
    assert ws.subtitle("en", "srt").read_bytes() == srt  # the first reviewer's words stand
    assert read_subtitles(ws.subtitle("en", "vtt")).cues[1].flat_text == "Ao Bà Om – a meeting place for investors"


def test_split_and_merge_through_adopt(programme: tuple[Path, Workspace, Served]) -> None:
    _, ws, served = programme
    cue = request(served.url, "GET", f"/api/p/{PID}/cues")[1]["vi"]["cues"][1]
    status, body, _ = request(served.url, "POST", f"/api/p/{PID}/cues/vi/2/split",
                              {"version": cue["version"], "at_ms": 2500})
    assert status == 200, body
    cues = read_subtitles(ws.subtitle("vi", "srt")).cues
    assert [(c.start_ms, c.end_ms) for c in cues] == [(200, 1700), (1900, 2500), (2580, 3600)]  # 2-frame gap
    assert " ".join(c.flat_text for c in cues[1:]) == "Ao Bà Om – điểm hẹn của nhà đầu tư"
    rows = body["board"]["vi"]["cues"]
    status, body, _ = request(served.url, "POST", f"/api/p/{PID}/cues/vi/2/merge",
                              {"version": rows[1]["version"], "next_version": rows[2]["version"]})
    assert status == 200, body
    cues = read_subtitles(ws.subtitle("vi", "vtt")).cues
    assert [(c.start_ms, c.end_ms, c.flat_text) for c in cues][1] == (1900, 3600, "Ao Bà Om – điểm hẹn của nhà đầu tư")
    assert source_of(ws, ws.subtitle("vi", "srt")) == "imported"


def test_lan_mode_needs_token(tmp_path: Path, media: Path) -> None:
    """`reportage review --host 0.0.0.0` prints a token and refuses requests without it."""
    manifest = build_programme(tmp_path, media)
    proc = subprocess.Popen([sys.executable, "-c", "from pipeline.cli import main; main()",
                             "--workspace", str(tmp_path / "workspace"), "--json", "review", str(manifest),
                             "--host", "0.0.0.0", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None
        text = ""
        while True:
            line = proc.stdout.readline()
            assert line, "reportage review printed no address"
            text += line
            if line.startswith("}"):
                break
        info = json.loads(text)
        token = info["token"]
        assert token and len(token) >= 20
        base = f"http://127.0.0.1:{info['port']}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/static/style.css", timeout=2)
            except urllib.error.HTTPError:
                break
            except OSError:
                time.sleep(0.05)
        assert request(base, "GET", f"/api/p/{PID}")[0] == 401
        assert request(base, "GET", f"/files/{PID}/timeline.json")[0] == 401
        assert request(base, "POST", f"/api/p/{PID}/notes", {"in_ms": 0, "author": "A", "text": "x"})[0] == 401
        assert not (tmp_path / "workspace" / PID / "review").exists()
        assert request(base, "GET", f"/api/p/{PID}", headers={"x-review-token": "wrong"})[0] == 401
        assert request(base, "GET", f"/api/p/{PID}", headers={"x-review-token": token})[0] == 200
        status, _, headers = request(base, "GET", f"/p/{PID}?token={token}")
        assert status == 200 and "review_token=" in headers.get("set-cookie", "")
        cookie = headers["set-cookie"].split(";")[0]
        assert request(base, "GET", f"/files/{PID}/timeline.json", headers={"cookie": cookie})[0] == 200
    finally:
        proc.terminate()
        proc.wait(10)


def _launch(p: Any) -> Any:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    return p.chromium.launch(executable_path=CHROMIUM, args=ARGS)


def _shot(page: Any, name: str, tmp_path: Path) -> Path:
    folder = Path(os.environ.get("REVIEW_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def test_watch_correct_note_approve_package(programme: tuple[Path, Workspace, Served], tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    manifest, ws, served = programme
    wsroot = str(ws.root)
    with playwright.sync_playwright() as p:
        browser = _launch(p)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(f"{served.url}/p/{PID}")
        page.wait_for_selector("body[data-ready='1']", timeout=15000)
        assert page.locator("#title").inner_text() == "Trà Vinh – Điểm hẹn của nhà đầu tư"
        assert page.locator(".cue[data-lang='vi']").count() == 2
        assert page.locator(".cue[data-lang='en'] .origin").first.inner_text() == "Bản dịch máy"
        # the page's own font is the one with every Vietnamese mark, served by the app
        assert page.evaluate("document.fonts.check('14px \"Noto Sans Review\"', 'ẫậặữỹỵĐ')")

        # play
        page.click("#play")
        page.wait_for_function("document.getElementById('video').currentTime > 0.3", timeout=15000)
        page.keyboard.press("k")
        assert page.evaluate("document.getElementById('video').paused")

        # switch tracks: Vietnamese shows first, then English
        tracks = "[...document.getElementById('video').textTracks].map(t => [t.language, t.mode])"
        assert dict(page.evaluate(tracks)) == {"vi": "showing", "en": "disabled"}
        page.select_option("#track", "en")
        assert dict(page.evaluate(tracks)) == {"vi": "disabled", "en": "showing"}
        page.wait_for_function("[...document.getElementById('video').textTracks].find(t => t.language === 'en')"
                               ".cues?.length === 2", timeout=10000)

        # click a cue: the video is within one frame of its start
        page.click(".cue[data-lang='vi'][data-no='2'] .text")
        page.wait_for_function("!document.getElementById('video').seeking", timeout=10000)
        t = page.evaluate("document.getElementById('video').currentTime")
        assert abs(t - 1.9) <= 1 / 25 + 0.002  # on frame 48's centre
        cue_tc = page.locator(".cue[data-lang='vi'][data-no='2'] .tc").inner_text()
        assert page.locator("#tc").inner_text() == "10:00:01:23" and "10:00:01:23 →" in cue_tc  # frame 48
        page.keyboard.press("ArrowRight")  # one frame on
        page.wait_for_function("!document.getElementById('video').seeking", timeout=10000)
        assert abs(page.evaluate("document.getElementById('video').currentTime") - (t + 0.04)) <= 0.002
        assert page.locator("#tc").inner_text() == "10:00:01:24"
        page.keyboard.press("ArrowLeft")
        page.wait_for_function("!document.getElementById('video').seeking", timeout=10000)
        assert page.locator(".row.current .cue[data-lang='vi'][data-no='2']").count() == 1  # the current cue follows
        _shot(page, "review-programme", tmp_path)

        # edit a Vietnamese cue in place
        page.click(".cue[data-lang='vi'][data-no='1'] button.edit")
        page.fill(".editor textarea", "Xin kính chào quý vị khán giả")
        page.click(".editor button.save")
        page.wait_for_selector("#cmsg.good, #cmsg.bad", timeout=15000)
        assert "Đã lưu" in page.locator("#cmsg").inner_text(), page.locator("#cmsg").inner_text()
        srt = ws.subtitle("vi", "srt")
        assert read_subtitles(srt).cues[0].flat_text == "Xin kính chào quý vị khán giả"
        assert read_subtitles(ws.subtitle("vi", "vtt")).cues[0].flat_text == "Xin kính chào quý vị khán giả"
        assert is_hand_edited(srt, ledger_path(ws)) and source_of(ws, srt) == "imported"  # editor-owned now
        assert page.locator(".cue[data-lang='vi'][data-no='1'] .origin").inner_text() == "Đã duyệt"
        _shot(page, "review-edited", tmp_path)

        # a note, with its in point from the playhead
        page.fill("#nauthor", "Nguyễn Thị Hà")
        page.click(".cue[data-lang='vi'][data-no='2'] .text")
        page.click("#nsetin")
        page.fill("#ntext", "Âm thanh hơi nhỏ ở đoạn phỏng vấn, đề nghị tăng 2 dB.")
        page.click("#nadd")
        page.wait_for_selector("#nmsg.good", timeout=10000)
        notes = json.loads((ws.dir / "review" / "notes.json").read_text("utf-8"))
        assert [(n["in_ms"], n["author"]) for n in notes] == [(1920, "Nguyễn Thị Hà")]  # frame 48
        assert page.locator("#marks .mark.note").count() == 1

        # approve: not before QC has judged the subtitles as edited
        page.click("#tabs button[data-pane='approval']")
        page.wait_for_selector("#apobstacles .obstacle[data-id='qc_stale']", timeout=15000)
        assert page.locator("#approve").is_disabled()
        assert _cli(["--workspace", wsroot, "qc", str(manifest)]) == 1  # 320x180 is not web-720p: FAILs
        page.click("#tabs button[data-pane='approval']")  # looks again
        page.wait_for_function("!document.querySelector(\"#apobstacles .obstacle[data-id='qc_stale']\")",
                               timeout=15000)
        page.fill("#aauthor", "Trần Minh Khoa")
        set_aside_all(page, "Bản xem thử; bản phát sóng dựng sau")
        page.click("#approve")
        page.wait_for_selector("#amsg.good", timeout=10000)
        assert page.locator("#apbadge").inner_text() == "Đã duyệt"
        _shot(page, "review-approved", tmp_path)
        page.click("#tabs button[data-pane='rushes']")
        page.wait_for_selector(".words span", timeout=10000)
        page.fill("#q", "diem hen")  # no diacritics: still found
        page.click("#qgo")
        page.wait_for_selector(".hit", timeout=10000)
        assert "hẹn" in page.locator(".hit").first.inner_text()
        page.locator(".hit").first.click()
        page.wait_for_function("Math.abs(document.getElementById('rushplayer').currentTime - 2.55) < 0.3",
                               timeout=10000)
        _shot(page, "review-rushes", tmp_path)
        browser.close()

    approval = json.loads((ws.dir / "review" / "approval.json").read_text("utf-8"))
    assert approval["decision"] == "approved" and approval["by"] == "Trần Minh Khoa"
    assert "web-720p:video.size" in {o["id"] for o in approval["overrides"]}
    assert approval["files"]["subtitles/travinh-review.vi.srt"] == sha256_file(ws.subtitle("vi", "srt"))
    assert approval["files"][f"renders/web-720p/{PID}_WEB_720P.mp4"] == sha256_file(
        ws.render_dir("web-720p") / f"{PID}_WEB_720P.mp4")

    # package: QC of a 320x180 file against web-720p fails on size, so --allow-fail; approval is separate
    assert _cli(["--workspace", wsroot, "qc", str(manifest)]) == 1
    assert _cli(["--workspace", wsroot, "package", str(manifest), "--allow-fail"]) == 0
    bag_dir = ws.delivery_dir / "TRAVINH_REVIEW_2026"
    bag = bagit.Bag(str(bag_dir))
    bag.validate()
    assert bag.info["Review-Approved-By"] == "Trần Minh Khoa" and "Review-Override" not in bag.info
    sheet = json.loads((bag_dir / "data" / "metadata" / "TRAVINH_REVIEW_2026_METADATA.json").read_text("utf-8"))
    assert sheet["review_notes"][0]["text"].startswith("Âm thanh hơi nhỏ") and sheet["review_notes"][0]["in_tc"]
    assert "Nguyễn Thị Hà" in (bag_dir / "data" / "metadata" / "TRAVINH_REVIEW_2026_METADATA.html").read_text("utf-8")

    # a cue changed after approval: package refuses the QC report of the files before, whatever it is
    # told; QC again, and it refuses the approval of the files before, unless told
    cue = request(served.url, "GET", f"/api/p/{PID}/cues")[1]["en"]["cues"][0]
    assert request(served.url, "POST", f"/api/p/{PID}/cues/en/1/edit",
                   {"version": cue["version"], "text": "Welcome, everyone, to Trà Vinh"})[0] == 200
    capsys.readouterr()
    assert _cli(["--workspace", wsroot, "package", str(manifest), "--allow-fail", "--allow-unapproved"]) == 1
    said = " ".join("".join(capsys.readouterr()).split())
    assert "QC report is older than what would be bagged" in said and "subtitles/travinh-review.en.srt" in said
    assert _cli(["--workspace", wsroot, "qc", str(manifest)]) == 1
    capsys.readouterr()
    assert _cli(["--workspace", wsroot, "package", str(manifest), "--allow-fail"]) == 1
    said = " ".join("".join(capsys.readouterr()).split())
    assert "are not approved: changed since approval" in said and "subtitles/travinh-review.en.srt" in said
    assert _cli(["--workspace", wsroot, "package", str(manifest), "--allow-fail", "--allow-unapproved"]) == 0
    assert "allow-unapproved" in bagit.Bag(str(bag_dir)).info["Review-Override"]


def set_aside_all(page: Any, reason: str, but: str | None = None) -> None:
    """Tick every obstacle the page lets be set aside (all but `but`) and give it `reason`."""
    rows = page.locator("#apobstacles .obstacle:not(.fixed)")
    for k in range(rows.count()):
        row = rows.nth(k)
        if row.get_attribute("data-id") != but:
            row.locator(".waive").check()
            row.locator(".reason").fill(reason)


def test_approval_refused_over_a_qc_fail_until_set_aside_with_a_reason(programme: tuple[Path, Workspace, Served],
                                                                      tmp_path: Path) -> None:
    """The renders are current and QC has judged them: its FAILs stand in the way, each set aside on
    its own with a reason the approval keeps; the server refuses what the page's button refuses."""
    playwright = pytest.importorskip("playwright.sync_api")
    manifest, ws, served = programme
    assert _cli(["--workspace", str(ws.root), "qc", str(manifest)]) == 1  # 320x180 is not web-720p
    listed = request(served.url, "GET", f"/api/p/{PID}/obstacles")[1]["obstacles"]
    fails = {o["id"] for o in listed if o["kind"] == "qc_fail"}
    assert "web-720p:video.size" in fails and {o["kind"] for o in listed} == {"qc_fail", "machine_cues"}
    status, body, _ = request(served.url, "POST", f"/api/p/{PID}/approval",
                              {"decision": "approved", "author": "Hà", "overrides": {"machine_cues": "đã đọc"}})
    assert status == 409 and {o["id"] for o in body["obstacles"]} == fails
    assert not (ws.dir / "review" / "approval.json").exists()
    size = "Bản xem thử 320×180; bản phát sóng dựng sau"
    with playwright.sync_playwright() as p:
        browser = _launch(p)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(f"{served.url}/p/{PID}")
        page.wait_for_selector("body[data-ready='1']", timeout=15000)
        page.click("#tabs button[data-pane='approval']")
        row = page.locator("#apobstacles .obstacle[data-id='web-720p:video.size']")
        row.wait_for(timeout=15000)
        assert "Frame size" in row.inner_text() and "Cách xử lý" in row.inner_text()
        assert page.locator("#approve").is_disabled()
        page.fill("#aauthor", "Trần Minh Khoa")
        set_aside_all(page, "Bản xem thử", but="web-720p:video.size")
        page.wait_for_function("document.querySelector('#approve').innerText === 'Duyệt bản này (còn 1 vướng mắc)'",
                               timeout=10000)  # the count follows the ticks as the page redraws
        row.locator(".waive").check()  # ticked, but no reason yet: still refused
        assert page.locator("#approve").is_disabled()
        _shot(page, "review-obstacles", tmp_path)
        row.locator(".reason").fill(size)
        page.wait_for_function("!document.querySelector('#approve').disabled", timeout=10000)
        page.click("#approve")
        page.wait_for_selector("#amsg.good", timeout=15000)
        assert page.locator("#apbadge").inner_text() == "Đã duyệt"
        assert f"Đã bỏ qua web-720p:video.size: “{size}” (Trần Minh Khoa)" in page.locator("#apstate").inner_text()

        # an edit after approval: the header says so at once, no reload
        page.click(".cue[data-lang='en'][data-no='1'] button.edit")
        page.fill(".editor textarea", "Welcome, everyone, to Trà Vinh")
        page.click(".editor button.save")
        page.wait_for_function("document.getElementById('apbadge').textContent === 'Đã thay đổi sau khi duyệt'",
                               timeout=15000)
        browser.close()
    record = json.loads((ws.dir / "review" / "approval.json").read_text("utf-8"))
    assert record["decision"] == "approved" and record["by"] == "Trần Minh Khoa" and record["version"] == 2
    waived = {o["id"]: o for o in record["overrides"]}
    assert set(waived) == fails | {"machine_cues"}
    assert waived["web-720p:video.size"]["reason"] == size and waived["web-720p:video.size"]["kind"] == "qc_fail"
    assert {o["by"] for o in waived.values()} == {"Trần Minh Khoa"}


def test_qc_tab_marks_and_loudness(programme: tuple[Path, Workspace, Served], tmp_path: Path) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    manifest, ws, served = programme
    assert _cli(["--workspace", str(ws.root), "qc", str(manifest)]) == 1  # 320x180 is not web-720p
    with playwright.sync_playwright() as p:
        browser = _launch(p)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(f"{served.url}/p/{PID}")
        page.wait_for_selector("body[data-ready='1']", timeout=15000)
        assert page.locator("#qcbadge").inner_text() == "Lỗi"
        page.click("#tabs button[data-pane='qc']")
        assert "Kích thước" in page.locator("#qcchecks").inner_text() or "720" in page.locator("#qcchecks").inner_text()
        page.click("#measure")
        page.wait_for_function("document.getElementById('mstate').textContent.startsWith('Đã đo')", timeout=60000)
        silence = page.locator("#marks .mark.silence")
        assert silence.count() >= 1  # espeak's sentence ends before the 4 s clip does
        measured = request(served.url, "GET", f"/api/p/{PID}/qc")[1]["measure"]
        assert measured["source"] == "qc" and not (ws.dir / "review" / "measure.json").exists()  # QC's: no decode
        assert measured["sha256"] == sha256_file(ws.render_dir("web-720p") / f"{PID}_WEB_720P.mp4")
        assert len(measured["loudness"]) > 10 and measured["silence"]
        start = measured["silence"][0][0]
        page.locator("#marklist .mark-item", has_text="Im lặng").first.click()
        page.wait_for_function("!document.getElementById('video').seeking", timeout=10000)
        assert abs(page.evaluate("document.getElementById('video').currentTime") - start) <= 1 / 25 + 0.002
        _shot(page, "review-qc", tmp_path)
        browser.close()


def test_listing_without_manifest(tmp_path: Path, media: Path) -> None:
    build_programme(tmp_path, media)
    served = Served(tmp_path / "workspace", None)
    try:
        status, body, _ = request(served.url, "GET", "/api/programmes")
        assert status == 200 and [p["id"] for p in body["programmes"]] == [PID]
        assert body["programmes"][0]["approval"]["state"] == "none"
        playwright = pytest.importorskip("playwright.sync_api")
        with playwright.sync_playwright() as p:
            browser = _launch(p)
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            page.goto(served.url + "/")
            page.wait_for_selector("tr.programme a")
            assert page.locator("tr.programme").count() == 1
            assert "Chưa duyệt" in page.locator("tr.programme").inner_text()
            _shot(page, "review-listing", tmp_path)
            browser.close()
    finally:
        served.stop()


UNSURE = {"Trà": 0.28, "Om": 0.35, "hẹn": 0.3}
SHIFT_MS = 450


def _flag_and_make_subtitles(manifest: Path, ws: Workspace, translator: Any = None) -> None:
    """The transcript with three words the recogniser flagged, then the subtitles stage for real: the
    cues, and the record that says where in them those words are."""
    from pipeline.asr.transcript import WORD_LOW_PROBABILITY
    from pipeline.stages.subtitles import subtitles_programme
    from pipeline.translate import SourceCue, TranslationContext

    class Echo:
        name = "echo"
        is_machine_draft = True

        def translate(self, cues: list[SourceCue], context: TranslationContext) -> list[str]:
            return [f"EN {c.text}" for c in cues]

    data = json.loads(ws.transcript_json("master").read_text("utf-8"))
    for seg in data["segments"]:
        for word in seg["words"]:
            if word["text"] in UNSURE:
                word.update(probability=UNSURE[word["text"]], flags=[WORD_LOW_PROBABILITY])
            if seg is data["segments"][1]:  # a breath between the sentences: two cues
                word.update(start_ms=word["start_ms"] + SHIFT_MS, end_ms=word["end_ms"] + SHIFT_MS)
    write_json(ws.transcript_json("master"), data)
    subtitles_programme(load_manifest(manifest), ws, translator=translator or Echo())  # type: ignore[arg-type]


def _video_at(page: Any, seconds: float) -> None:
    video = "document.getElementById('video')"
    page.wait_for_function(f"!{video}.seeking && Math.abs({video}.currentTime - {seconds}) <= 0.041", timeout=10000)


def test_uncertain_words_marked_and_jumped_to(programme: tuple[Path, Workspace, Served], tmp_path: Path) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    manifest, ws, served = programme
    _flag_and_make_subtitles(manifest, ws)
    cues = read_subtitles(ws.subtitle("vi", "srt")).cues
    with playwright.sync_playwright() as p:
        browser = _launch(p)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(f"{served.url}/p/{PID}")
        page.wait_for_selector("body[data-ready='1']", timeout=15000)
        marked = page.locator("#cues .cue[data-lang='vi'] .unsure")
        assert [marked.nth(k).inner_text() for k in range(marked.count())] == ["Trà", "Om", "hẹn"]
        assert marked.nth(2).get_attribute("title") == "Từ nhận dạng chưa chắc chắn — độ tin cậy 30 %"
        # the cue reads as written: the marks are inline, so copying and the browser's search see it whole
        texts = page.locator("#cues .cue[data-lang='vi'] .text")
        assert [texts.nth(k).inner_text() for k in range(texts.count())] == [c.text for c in cues]
        found = page.evaluate("window.find('Bà Om điểm hẹn') && window.getSelection().anchorNode.parentElement"
                              ".closest('.cue').dataset.lang")  # across the marked word "Om"
        assert found == "vi"
        page.evaluate("window.getSelection().removeAllRanges()")
        assert "3 từ nhận dạng chưa chắc chắn trong 2 câu" in page.locator("#unsurebar").inner_text()
        assert "N / Shift+N" in page.locator("#keys").inner_text()
        style = page.evaluate("getComputedStyle(document.querySelector('#cues .unsure'))"
                              "['text-decoration-style']")
        assert style == "dotted"

        # N: the next uncertain word, the player on it, its cue selected; round the programme and back
        page.keyboard.press("k")
        for word, cue_no in (("Trà", "1"), ("Om", "2"), ("hẹn", "2"), ("Trà", "1")):
            page.keyboard.press("n")
            assert page.locator(".unsure.focus").inner_text() == word
            assert page.locator(".cue.selected").get_attribute("data-no") == cue_no
            _video_at(page, next(a + (SHIFT_MS if a >= 1900 else 0) for a, _, t in WORDS if t == word) / 1000)
            if word == "Om":
                _shot(page, "review-uncertain", tmp_path)
        page.keyboard.press("Shift+N")
        assert page.locator(".unsure.focus").inner_text() == "hẹn"
        page.click("#nextunsure")
        assert page.locator(".unsure.focus").inner_text() == "Trà"
        _video_at(page, 1.4)
        assert "Từ 1/3: “Trà” · câu #1" in page.locator("#unsurestat").inner_text()

        # the clip's transcript marks the same words; the search still finds them
        page.click("#tabs button[data-pane='rushes']")
        page.wait_for_selector(".words span", timeout=10000)
        rush = page.locator(".words span.unsure")
        assert [rush.nth(k).inner_text() for k in range(rush.count())] == ["Trà", "Om", "hẹn"]
        assert (rush.nth(0).get_attribute("title") or "").startswith("Từ nhận dạng chưa chắc chắn — độ tin cậy 28 %")
        page.fill("#q", "hen")
        page.click("#qgo")
        page.wait_for_selector(".hit", timeout=10000)
        assert "hẹn" in page.locator(".hit").first.inner_text()
        _shot(page, "review-uncertain-rushes", tmp_path)

        # a reviewer corrects cue 2: its words are reviewed now; cue 1's is still to look at
        page.click(".cue[data-lang='vi'][data-no='2'] button.edit")
        page.fill(".editor textarea", "Ao Bà Om – điểm hẹn của nhà đầu tư.")
        page.click(".editor button.save")
        page.wait_for_selector("#cmsg.good, #cmsg.bad", timeout=15000)
        assert page.locator("#cues .unsure").count() == 1
        assert "1 từ nhận dạng chưa chắc chắn trong 1 câu" in page.locator("#unsurebar").inner_text()

        # a phone: one column, nothing wider than the screen, the marks and the button still there
        phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        phone.goto(f"{served.url}/p/{PID}")
        phone.wait_for_selector("body[data-ready='1']", timeout=15000)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        assert phone.locator("#cues .unsure").count() == 1 and phone.locator("#nextunsure").is_visible()
        phone.click("#nextunsure")
        assert phone.locator(".unsure.focus").inner_text() == "Trà"
        _shot(phone, "review-uncertain-phone", tmp_path)
        browser.close()

    # QC counts what is left for a person to hear again
    assert _cli(["--workspace", str(ws.root), "qc", str(manifest)]) == 1  # 320x180 is not web-720p
    report = json.loads((ws.qc_dir / "report.json").read_text("utf-8"))
    check = next(c for c in report["subtitles"]["checks"] if c["id"] == "subtitles.vi.uncertain_words")
    assert check["status"] == "WARN" and check["value"] == 1
    assert check["detail"].startswith("1 uncertain recognised word in 1 cue nobody has reviewed (first at 00:00:01:10)")


HEARD = "Chào mừng quý vị đến Trà Vinh."


def test_machine_drafted_english_is_shown_as_the_machines(tmp_path: Path, media: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A programme made by the real stages (ingest, transcribe with a canned recogniser, assemble, and
    the subtitles stage with a machine translator standing in for the local model): every English
    cue is the machine's unreviewed draft on the page, every Vietnamese cue the recogniser's. The
    stage's cue map once gave the Vietnamese origin under the key the page read for both languages,
    so the English showed as recognised speech."""
    from pipeline.run import run_programme, stage
    from pipeline.stages import subtitles as subtitles_stage
    from pipeline.translate import SourceCue, TranslationContext
    from tests.asr_fixtures import FakeTranscriber

    class LocalModel:
        name = "llama"
        is_machine_draft = True

        def translate(self, cues: list[SourceCue], context: TranslationContext) -> list[str]:
            return ["Welcome to Trà Vinh." for _ in cues]

    monkeypatch.setattr(subtitles_stage, "make_translator", lambda *_: LocalModel())
    folder = tmp_path / "programme"
    folder.mkdir()
    shutil.copy(media, folder / "master.mp4")
    manifest = folder / f"{PID}.yaml"
    manifest.write_text(
        f"id: {PID}\nyear: 2026\ntitle: {{vi: 'Trà Vinh', en: 'Trà Vinh'}}\nsynopsis: {{vi: 'Thử.', en: 'Test.'}}\n"
        "house: {width: 320, height: 180}\nfootage: [master.mp4]\n"
        "timeline:\n  cut:\n    - {clip: master, in: '00:00:00:00', out: '00:00:04:00'}\n"
        "translation: {backend: llama}\ndeliverables: [web-720p]\n", encoding="utf-8")
    programme = load_manifest(manifest)
    ws = Workspace(tmp_path / "workspace", PID)
    settings = {"ingest": stage("ingest").settings(programme, thumbnails=1, detect_shots=False),
                "transcribe": stage("transcribe").settings(programme, transcriber=FakeTranscriber({"master": HEARD}))}
    made = run_programme(programme, ws, settings,
                         stages=[stage(name) for name in ("ingest", "transcribe", "assemble", "subtitles")])
    assert made.stopped_after is None, made.stop_reason
    served = Served(tmp_path / "workspace", manifest)
    try:
        board = request(served.url, "GET", f"/api/p/{PID}/cues")[1]
        assert board["en"]["cues"] and board["vi"]["cues"]
        assert {(c["origin"], c["origin_label"]) for c in board["en"]["cues"]} == {("machine", "Bản dịch máy")}
        assert {c["origin"] for c in board["vi"]["cues"]} == {"recognised"}
        playwright = pytest.importorskip("playwright.sync_api")
        with playwright.sync_playwright() as p:
            browser = _launch(p)
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            page.goto(f"{served.url}/p/{PID}")
            page.wait_for_selector("body[data-ready='1']", timeout=15000)
            shown = page.locator(".cue[data-lang='en'] .origin")
            assert {shown.nth(k).inner_text() for k in range(shown.count())} == {"Bản dịch máy"}
            heard = page.locator(".cue[data-lang='vi'] .origin")
            assert {heard.nth(k).inner_text() for k in range(heard.count())} == {"Nhận dạng giọng nói"}
            browser.close()
    finally:
        served.stop()


def test_reviewed_is_per_cue_after_an_edit_a_run_and_a_mark(programme: tuple[Path, Workspace, Served]) -> None:
    """A reviewer fixes one machine-drafted English cue in the page and the subtitles stage runs
    again: that cue is reviewed, every other one still the machine's unreviewed draft (once, the
    whole file was called reviewed after one save, and QC stopped warning). Marking a cue reviewed
    in the page, with its button or D, reviews it without retyping it. Each label is the record's."""
    from pipeline.records.subtitles import read_subtitles_record
    from pipeline.stages.subtitles import subtitles_programme
    from pipeline.translate import SourceCue, TranslationContext

    class LocalModel:  # short English, each sentence whole in its time
        name = "llama"
        is_machine_draft = True

        def translate(self, cues: list[SourceCue], context: TranslationContext) -> list[str]:
            return ["Welcome to Trà Vinh." if "Chào" in c.text else "Ao Bà Om: investors meet." for c in cues]

    playwright = pytest.importorskip("playwright.sync_api")
    manifest, ws, served = programme
    _flag_and_make_subtitles(manifest, ws, LocalModel())  # the real stage: every English cue a machine draft

    def rerun() -> list[str]:
        """The subtitles stage again, as `reportage run` runs it; the record's English origins."""
        subtitles_programme(load_manifest(manifest), ws, translator=LocalModel())  # type: ignore[arg-type]
        record = read_subtitles_record(ws)
        assert record is not None
        return [str(o) for o in record.languages["en"].origins() or ()]

    def qc_review() -> dict[str, Any] | None:
        """QC's check of the English machine drafts nobody reviewed (None: nothing to say)."""
        _cli(["--workspace", str(ws.root), "qc", str(manifest)])
        report = json.loads((ws.qc_dir / "report.json").read_text("utf-8"))
        found: dict[str, Any] | None = next(
            (c for c in report["subtitles"]["checks"] if c["id"] == "subtitles.en.review"), None)
        return found

    assert len(read_subtitles(ws.subtitle("en", "srt")).cues) == 2
    machine = "Bản dịch máy"
    with playwright.sync_playwright() as p:
        browser = _launch(p)
        page = browser.new_page(viewport={"width": 1366, "height": 768})

        def labels(lang: str = "en") -> list[str]:
            page.goto(f"{served.url}/p/{PID}")
            page.wait_for_selector("body[data-ready='1']", timeout=15000)
            shown = page.locator(f".cue[data-lang='{lang}'] .origin")
            return [shown.nth(k).inner_text() for k in range(shown.count())]

        assert labels() == [machine, machine]
        page.click(".cue[data-lang='en'][data-no='1'] button.edit")
        page.fill(".editor textarea", "Welcome to Trà Vinh province.")
        page.click(".editor button.save")
        page.wait_for_selector("#cmsg.good, #cmsg.bad", timeout=15000)
        assert page.locator("#cmsg").inner_text().startswith("Đã lưu (en #1)")
        assert rerun() == ["reviewed", "machine"]
        assert labels() == ["Đã duyệt", machine]
        check = qc_review()
        assert check is not None and (check["status"], check["value"]) == ("WARN", 1)

        # the other English cue confirmed with its button, no text typed
        page.click(".cue[data-lang='en'][data-no='2'] button.markreviewed")
        page.wait_for_selector(".cue[data-lang='en'][data-no='2'] .origin.reviewed", timeout=15000)
        assert page.locator(".cue[data-lang='en'] button.markreviewed").count() == 0
        # a Vietnamese cue with an uncertain word, heard again: selected, then D
        assert page.locator(".cue[data-lang='vi'][data-no='1'] .unsure").count() == 1
        page.click(".cue[data-lang='vi'][data-no='1'] .text")
        page.keyboard.press("d")
        page.wait_for_selector(".cue[data-lang='vi'][data-no='1'] .origin.reviewed", timeout=15000)
        assert "Đã đánh dấu đã duyệt (vi #1)" in page.locator("#cmsg").inner_text()
        assert page.locator(".cue[data-lang='vi'][data-no='1'] .unsure").count() == 0
        assert rerun() == ["reviewed", "reviewed"]
        assert labels() == ["Đã duyệt", "Đã duyệt"]
        assert labels("vi") == ["Đã duyệt", "Nhận dạng giọng nói"]
        browser.close()
    assert [c.text for c in read_subtitles(ws.subtitle("en", "srt")).cues] == [  # only the save changed words
        "Welcome to Trà Vinh province.", "Ao Bà Om: investors meet."]
    assert qc_review() is None
