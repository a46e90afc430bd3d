"""Version compare in the review room (issue 28): approving keeps the approved render (a hard link, its
SHA-256 the approval's), a new render replaces the file the way the render stage does (a new file
renamed into place, the render record rewritten by its own writer), and in Chromium the player then
offers the approved version: swapped in at the same programme frame, keeping play or pause, and side
by side in sync (stacked on a phone). Before any approval, and while the render is the approved one,
one calm line says so. Debian's chromium via Playwright, as tests/e2e/test_review.py.

Set REVIEW_SHOTS=DIR to keep the screenshots elsewhere than /tmp/reportage-review-compare/.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.fsutil import sha256_file
from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.render.state import read_render_record, write_render_record
from pipeline.workspace import Workspace

from .test_review import ARGS, CHROMIUM, PID, Served, _cli, build_programme, make_media, record_renders, request

pytestmark = pytest.mark.slow
playwright = pytest.importorskip("playwright.sync_api")
SHOTS = Path(os.environ.get("REVIEW_SHOTS") or "/tmp/reportage-review-compare")
APPROVER = "Trần Minh Khoa"
RENDER = f"renders/web-720p/{PID}_WEB_720P.mp4"
KEPT = f"review/approved/web-720p/{PID}_WEB_720P.mp4"
PIXELS = """(id) => { const v = document.getElementById(id), c = document.createElement('canvas');
  c.width = v.videoWidth; c.height = v.videoHeight; const g = c.getContext('2d'); g.drawImage(v, 0, 0);
  const out = []; for (const fx of [0.2, 0.5, 0.8]) for (const fy of [0.2, 0.5, 0.8])
    out.push(Array.from(g.getImageData(Math.floor(c.width * fx), Math.floor(c.height * fy), 1, 1).data));
  return out; }"""
SYNC = """(() => { const a = document.getElementById('approvedvideo'), v = document.getElementById('video');
  return (a.currentTime - %s) - (v.currentTime - offset); })()"""


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("media") / "clip.mp4"
    make_media(path)
    return path


@pytest.fixture()
def room(tmp_path: Path, media: Path) -> Iterator[tuple[Path, Workspace, Served]]:
    manifest = build_programme(tmp_path, media)
    served = Served(tmp_path / "workspace", manifest)
    try:
        yield manifest, Workspace(tmp_path / "workspace", PID), served
    finally:
        served.stop()


def approve(manifest: Path, ws: Workspace, served: Served) -> dict[str, Any]:
    """QC, then approve through the API, each obstacle set aside with a reason (the room's rules)."""
    assert _cli(["--workspace", str(ws.root), "qc", str(manifest)]) == 1  # 320x180 is not web-720p
    listed = request(served.url, "GET", f"/api/p/{PID}/obstacles")[1]["obstacles"]
    assert all(o["overridable"] for o in listed), listed
    status, body, _ = request(served.url, "POST", f"/api/p/{PID}/approval", {
        "decision": "approved", "author": APPROVER, "overrides": {o["id"]: "Bản xem thử" for o in listed}})
    assert status == 200, body
    return dict(body)


def rerender_blue(manifest: Path, ws: Workspace, media: Path) -> None:
    """A new render of web-720p, all blue: written beside and renamed onto the file (as the render
    stage's `atomic_path` does), the render record rewritten by its writer, the run on record."""
    record = read_render_record(ws)
    entry = record.deliverables["web-720p"]
    tmp = entry.path.with_name(f".{entry.path.stem}.new.part.mp4")
    run_ffmpeg(["-i", str(media), "-vf", "drawbox=x=0:y=0:w=iw:h=ih:color=blue@1:t=fill", "-c:v", "libx264",
                "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "copy", "-movflags", "+faststart",
                "file:" + str(tmp)])
    os.replace(tmp, entry.path)
    fresh = type(entry)(entry.name, entry.file, entry.profile, entry.duration_s, entry.path.stat().st_size)
    write_render_record(ws, type(record)(record.programme, {**record.deliverables, "web-720p": fresh}))
    record_renders(manifest, ws)


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def _blue(pixels: list[list[int]]) -> bool:
    return all(b > 200 and r < 60 and g < 60 for r, g, b, _ in pixels)


def _settled(page: Any, vid: str = "video") -> None:
    page.wait_for_function(f"(() => {{ const v = document.getElementById('{vid}');"
                           f" return v.readyState >= 2 && !v.seeking; }})()", timeout=15000)
    page.wait_for_timeout(200)


def _open(page: Any, url: str, state: str) -> None:
    page.goto(f"{url}/p/{PID}")
    page.wait_for_selector(f"body[data-ready='1'][data-watching='web-720p'] #compare[data-state='{state}']",
                           timeout=45000)


def test_approved_version_kept_and_compared(room: tuple[Path, Workspace, Served], media: Path) -> None:
    manifest, ws, served = room
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    compare = request(served.url, "GET", f"/api/p/{PID}/compare")[1]
    assert compare["state"] == "none" and compare["deliverables"]["web-720p"]["state"] == "none"
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        _open(page, served.url, "none")
        assert page.locator("#compare").inner_text() == ("Chưa có bản nào được duyệt để so sánh. / "
                                                         "Nothing approved yet to compare with.")
        assert page.locator("#compare button").count() == 0

        # approval keeps the approved render: a hard link, its SHA-256 the approval's
        answer = approve(manifest, ws, served)
        assert answer["kept"] == {"kept": ["web-720p"], "skipped": {}, "error": None}
        approval = json.loads((ws.dir / "review" / "approval.json").read_text("utf-8"))
        kept = ws.dir / KEPT
        assert sha256_file(kept) == approval["files"][RENDER] == sha256_file(ws.dir / RENDER)
        assert kept.stat().st_ino == (ws.dir / RENDER).stat().st_ino  # one file system: no extra space
        record = json.loads((ws.dir / "review" / "approved" / "approved.json").read_text("utf-8"))
        assert (record["by"], record["at"], record["decision"]) == (APPROVER, approval["at"], "approved")
        assert record["kept"]["web-720p"]["sha256"] == approval["files"][RENDER]
        assert record["kept"]["web-720p"]["file"] == f"web-720p/{PID}_WEB_720P.mp4"
        assert not [p.name for p in (ws.dir / "review").iterdir() if p.name.startswith(".")]  # no temporaries left

        # the render now is the approved one: one calm line
        _open(page, served.url, "same")
        assert page.locator("#compare").inner_text().startswith(f"Bản đang xem chính là bản đã duyệt ({APPROVER}, ")
        assert page.locator("#compare button").count() == 0
        _shot(page, "compare-same-1366x768")

        # a new render replaces the file; the kept one is still what was approved
        rerender_blue(manifest, ws, media)
        assert sha256_file(kept) == approval["files"][RENDER] != sha256_file(ws.dir / RENDER)
        view = request(served.url, "GET", f"/api/p/{PID}/compare")[1]["deliverables"]["web-720p"]
        assert view["state"] == "differs" and view["approved"]["sha256"] == approval["files"][RENDER]
        url = view["approved"]["url"]
        status, body, headers = request(served.url, "GET", url, headers={"range": "bytes=0-99"})
        assert status == 206 and len(body) == 100 and headers["content-type"] == "video/mp4"
        for bad in (f"/approved/{PID}/web-720p/approved.json", f"/approved/{PID}/web-720p/..%2F..%2Fapproval.json",
                    f"/approved/{PID}/web-720p/{PID}_WEB_720P.mov", f"/approved/{PID}/..%2Frenders/{PID}_WEB_720P.mp4",
                    f"/approved/{PID}/social-9x16/{PID}_WEB_720P.mp4"):
            assert request(served.url, "GET", bad)[0] == 404, bad

        # the toggle: the approved picture at the same programme frame, paused as it was
        _open(page, served.url, "differs")
        assert "So sánh với bản đã duyệt / Compare with the approved version" in page.locator("#compare").inner_text()
        assert APPROVER in page.locator("#cmpwho").inner_text()
        _settled(page)
        page.evaluate("seekMs(2000)")
        _settled(page)
        assert page.locator("#tc").inner_text() == "10:00:02:00"
        assert _blue(page.evaluate(PIXELS, "video"))
        page.click("#compare button[data-mode='approved']")
        page.wait_for_selector("body[data-picture='approved']", timeout=15000)
        _settled(page)
        assert "/approved/" in page.evaluate("document.getElementById('video').currentSrc")
        assert page.locator("#tc").inner_text() == "10:00:02:00"
        assert page.evaluate("document.getElementById('video').paused")
        assert abs(page.evaluate("document.getElementById('video').currentTime") - 2.02) < 0.005  # frame 50's centre
        assert not _blue(page.evaluate(PIXELS, "video"))
        assert page.locator("#cmpbadge").inner_text().startswith(f"Bản đã duyệt / Approved — {APPROVER}")
        _shot(page, "compare-toggle-approved-1366x768")
        # playing, V flips back to the current render and it goes on playing from where it was
        page.click("#play")
        page.wait_for_function("document.getElementById('video').currentTime > 2.2", timeout=10000)
        page.keyboard.press("v")
        page.wait_for_selector("body[data-picture='current']", timeout=15000)
        page.wait_for_function("(() => { const v = document.getElementById('video');"
                               " return !v.paused && v.currentTime > 2.2 && v.currentSrc.includes('/files/'); })()",
                               timeout=10000)
        page.click("#play")

        # side by side: both pictures, the approved one following the player
        page.click("#compare button[data-mode='side']")
        page.wait_for_selector("body[data-picture='side'] #stage.sbs #approvedvideo", timeout=10000)
        _settled(page, "approvedvideo")
        page.evaluate("seekMs(1000)")
        page.wait_for_function(f"Math.abs({SYNC % view['approved']['offset_s']}) < 0.01", timeout=10000)
        _settled(page)
        _settled(page, "approvedvideo")
        assert page.locator("#tc").inner_text() == "10:00:01:00"
        assert _blue(page.evaluate(PIXELS, "video")) and not _blue(page.evaluate(PIXELS, "approvedvideo"))
        assert APPROVER in page.locator("#cmpcapa").inner_text()
        a, v = page.locator("#approvedvideo").bounding_box(), page.locator("#video").bounding_box()
        assert a is not None and v is not None and abs(a["y"] - v["y"]) < 2 and a["x"] + a["width"] <= v["x"]
        _shot(page, "compare-side-1366x768")
        page.click("#play")
        page.wait_for_function("document.getElementById('video').currentTime > 1.6", timeout=10000)
        assert not page.evaluate("document.getElementById('approvedvideo').paused")
        assert abs(page.evaluate(SYNC % view["approved"]["offset_s"])) < 0.2
        page.click("#play")
        page.wait_for_function(f"Math.abs({SYNC % view['approved']['offset_s']}) < 0.01", timeout=10000)
        assert page.evaluate("document.getElementById('approvedvideo').paused")

        # a phone: side by side stacks, nothing wider than the screen
        phone = browser.new_page(viewport={"width": 390, "height": 844})
        _open(phone, served.url, "differs")
        phone.click("#compare button[data-mode='side']")
        phone.wait_for_selector("#stage.sbs #approvedvideo", timeout=10000)
        _settled(phone, "approvedvideo")
        _settled(phone)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        a, v = phone.locator("#approvedvideo").bounding_box(), phone.locator("#video").bounding_box()
        assert a is not None and v is not None and a["y"] + a["height"] <= v["y"] and v["x"] + v["width"] <= 390
        _shot(phone, "compare-side-phone-390x844")
        phone.click("#compare button[data-mode='approved']")
        phone.wait_for_selector("body[data-picture='approved']", timeout=15000)
        _settled(phone)
        assert phone.locator("#approvedvideo").count() == 0
        _shot(phone, "compare-toggle-phone-390x844")
        browser.close()
