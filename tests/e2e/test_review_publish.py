"""The review room's "Xuất bản / Publish" block and its read-only route to the publish stage's packages:
a real small HLS package (tests/streampkg.py, ffmpeg's fMP4 segments) under `publish/web/stream/` with a
tiny player page that fetches its playlist by a relative address, a social sheet, and the record
written through `write_publish_record`, as the publish stage leaves them; the room in Chromium.

Set REVIEW_SHOTS=DIR to keep the 1366×768 and 390×844 screenshots.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.records.publish import (
    PublishedSocial,
    PublishedWeb,
    PublishRecord,
    publish_record_path,
    social_dir,
    web_dir,
    write_publish_record,
)
from pipeline.workspace import Workspace
from tests.e2e.test_review import PID, Served, _launch, _shot, build_programme, make_media, request
from tests.streampkg import build_package

PAGE = """<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Trang phát – Bến Tre</title></head>
<body><h1 id="h">Xứ dừa Bến Tre – trang phát</h1><pre id="m"></pre>
<script>
fetch("stream/master.m3u8").then((r) => { document.body.dataset.type = r.headers.get("content-type");
  return r.text(); }).then((t) => { document.getElementById("m").textContent = t.split("\\n")[0]; });
</script></body></html>
"""
SHEET = """<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Mạng xã hội</title></head>
<body><h1>Bảng thông tin đăng tải – Bến Tre</h1></body></html>
"""
FAILURE = "HLS-BANDWIDTH: stream/master.m3u8 line 8: BANDWIDTH 120000 is below the measured peak 310412"
PROBLEM = "TikTok: the title is 212 characters; the limit is 150"
NOTE = "YouTube: chỉ có 2 chương (cần ít nhất 3) / only 2 chapters (3 needed)"


def web_record(ws: Workspace, failures: tuple[str, ...] = ()) -> PublishedWeb:
    files = [p for p in web_dir(ws).rglob("*") if p.is_file()]
    return PublishedWeb("publish/web", "index.html", "embed.html", "stream/master.m3u8", "stream/manifest.mpd",
                        f"{PID}.mp4", ("180p", "90p"), ("vi", "en"), 6.0, 42 - len(failures), failures,
                        files=len(files), size_bytes=sum(p.stat().st_size for p in files))


def publish(ws: Workspace, failures: tuple[str, ...] = ()) -> None:
    """The record as the publish stage writes it, over the folders in place."""
    social = PublishedSocial("publish/social", "social.html", "social.json", ("youtube", "facebook", "tiktok"),
                             (PROBLEM,), (NOTE,), ("social.html", "social.json"))
    write_publish_record(ws, PublishRecord(PID, web_record(ws, failures), social, "2026-03-02T08:15:00+00:00"))


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("media") / "clip.mp4"
    make_media(path)
    return path


@pytest.fixture(scope="module")
def stream(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real HLS package for the module (a few seconds of ffmpeg), copied into each programme."""
    folder = tmp_path_factory.mktemp("stream") / "stream"
    build_package(folder)
    return folder


@pytest.fixture()
def room(tmp_path: Path, media: Path, stream: Path) -> Iterator[tuple[Workspace, Served]]:
    build_programme(tmp_path, media)
    ws = Workspace(tmp_path / "workspace", PID)
    shutil.copytree(stream, web_dir(ws) / "stream")
    (web_dir(ws) / "index.html").write_text(PAGE, "utf-8")
    social_dir(ws).mkdir(parents=True)
    (social_dir(ws) / "social.html").write_text(SHEET, "utf-8")
    (social_dir(ws) / "social.json").write_text("{}", "utf-8")
    served = Served(tmp_path / "workspace", tmp_path / f"{PID}.yaml")
    try:
        yield ws, served
    finally:
        served.stop()


def test_packages_served_typed_and_nothing_else(room: tuple[Workspace, Served], tmp_path: Path) -> None:
    ws, served = room
    base = f"/publish/{PID}"
    types = {"web/stream/master.m3u8": "application/vnd.apple.mpegurl", "web/stream/v0/seg1.m4s": "video/iso.segment",
             "web/stream/subs/vi/seg0.vtt": "text/vtt; charset=utf-8", "web/index.html": "text/html; charset=utf-8",
             "web/": "text/html; charset=utf-8", "social/social.html": "text/html; charset=utf-8"}
    for path, mime in types.items():
        status, _, headers = request(served.url, "GET", f"{base}/{path}")
        assert (status, headers["content-type"]) == (200, mime), path
    (web_dir(ws) / "stream" / "manifest.mpd").write_text("<MPD/>", "utf-8")
    assert request(served.url, "GET", f"{base}/web/stream/manifest.mpd")[2]["content-type"] == "application/dash+xml"
    status, body, headers = request(served.url, "GET", f"{base}/web/stream/v0/seg1.m4s",
                                    headers={"range": "bytes=0-99"})
    assert status == 206 and len(body) == 100 and headers["content-range"].startswith("bytes 0-99/")

    outside = tmp_path / "secret.txt"
    outside.write_text("not for the network", encoding="utf-8")
    (web_dir(ws) / "out.m3u8").symlink_to(outside)
    (web_dir(ws) / "up.json").symlink_to(ws.timeline_json)  # inside the programme, outside the package
    (web_dir(ws) / ".hidden.m3u8").write_text("#EXTM3U\n", "utf-8")
    for path in ("web/../../timeline.json", "web/%2E%2E/%2E%2E/timeline.json", "web/../social/social.html",
                 "web/out.m3u8", "web/up.json", "web/.hidden.m3u8", "web//etc/passwd", "web/stream",
                 "renders/x.mp4", "../publish.json", "other/index.html"):
        status, _, _ = request(served.url, "GET", f"{base}/{path}")
        assert status in (403, 404), path
    assert request(served.url, "GET", "/publish/other-programme/web/index.html")[0] == 404
    status, _, _ = request(served.url, "POST", f"{base}/web/index.html", {})  # read-only
    assert status in (403, 405)

    # the record as the page reads it; an unreadable one is said, with the fix
    publish(ws)
    status, view, _ = request(served.url, "GET", f"/api/p/{PID}/publish")
    assert status == 200 and view["state"] == "WARN" and view["web"]["rules_passed"] == 42
    assert view["web"]["master_url"] == f"/publish/{PID}/web/stream/master.m3u8"
    assert view["web"]["progressive_url"] is None  # the record names a file the folder does not have
    publish_record_path(ws).write_text("{not json", "utf-8")
    status, view, _ = request(served.url, "GET", f"/api/p/{PID}/publish")
    assert status == 200 and view["state"] == "unreadable" and "reportage publish MANIFEST" in view["hint"]

    # a package folder that is itself a link out of the programme: nothing in it is sent
    moved = tmp_path / "elsewhere"
    social_dir(ws).rename(moved)
    social_dir(ws).symlink_to(moved, target_is_directory=True)
    assert request(served.url, "GET", f"{base}/social/social.html")[0] == 404


def test_publish_block_opens_the_player_page(room: tuple[Workspace, Served], tmp_path: Path) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    ws, served = room
    with playwright.sync_playwright() as p:
        browser = _launch(p)
        page = browser.new_page(viewport={"width": 1366, "height": 768})

        # before publish: one calm line naming the command
        page.goto(f"{served.url}/p/{PID}")
        page.wait_for_selector("body[data-ready='1']", timeout=15000)
        assert page.locator("#pubbadge").inner_text() == "Chưa có"
        page.click("#tabs button[data-pane='publish']")
        note = page.locator("#pubnone")
        note.wait_for(timeout=10000)
        assert "Chưa xuất bản" in note.inner_text() and "reportage publish MANIFEST" in note.inner_text()
        assert page.locator("#publish .msg.bad").count() == 0
        _shot(page, "publish-none", tmp_path)

        # published: the block, its links and the findings
        publish(ws)
        page.click("#tabs button[data-pane='publish']")  # looks again
        page.wait_for_selector("#publish[data-state='WARN'] #pubpage", timeout=10000)
        assert page.locator("#pubbadge").inner_text() == "Cần xem"  # a platform's limit is broken
        assert page.locator("h3.pubhead").inner_text().startswith("Xuất bản / Publish · lúc / at 2026-03-02")
        link = page.locator("#pubpage")
        assert link.get_attribute("href") == f"/publish/{PID}/web/index.html"
        assert link.get_attribute("target") == "_blank"
        assert "Stream check: all 42 rules passed" in page.locator("#pubverdict").inner_text()
        assert page.locator("#pubsheet").get_attribute("href") == f"/publish/{PID}/social/social.html"
        social = page.locator("#pubsocial").inner_text()
        assert PROBLEM in social and NOTE in social and "1 vấn đề / problems" in social
        assert page.evaluate("document.fonts.check('14px \"Noto Sans Review\"', 'Xuất bản ẫậặữỹỵĐ')")
        _fits(page, 1366)
        _shot(page, "publish-block", tmp_path)

        # the player page in a new tab: its relative address reaches the stream, typed for players
        with page.context.expect_page() as opened:
            link.click()
        player = opened.value
        player.wait_for_selector("body[data-type]", timeout=10000)
        assert player.url == f"{served.url}/publish/{PID}/web/index.html"
        assert player.locator("body").get_attribute("data-type") == "application/vnd.apple.mpegurl"
        assert player.locator("#m").inner_text() == "#EXTM3U"
        assert player.locator("#h").inner_text() == "Xứ dừa Bến Tre – trang phát"
        player.set_viewport_size({"width": 1366, "height": 768})
        _shot(player, "publish-player-page", tmp_path)
        player.close()

        # the validator failed the web package: the failure is listed, the badge says so
        publish(ws, failures=(FAILURE,))
        page.click("#tabs button[data-pane='publish']")
        page.wait_for_selector("#publish[data-state='FAIL']", timeout=10000)
        assert page.locator("#pubbadge").inner_text() == "Lỗi"
        assert page.locator("#tabs button[data-pane='publish']").inner_text() == "Xuất bản · lỗi"
        assert "1 failed, 41 passed" in page.locator("#pubverdict").inner_text()
        assert FAILURE in page.locator("#pubweb .pubfind.fail").inner_text()
        _fits(page, 1366)
        _shot(page, "publish-failed", tmp_path)

        # a phone: one column, nothing wider than the screen, the block reachable
        phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        phone.goto(f"{served.url}/p/{PID}")
        phone.wait_for_selector("body[data-ready='1']", timeout=15000)
        assert phone.locator("#pubbadge").inner_text() == "Lỗi" and phone.locator("#pubbadge").is_visible()
        _shot(phone, "publish-phone-header", tmp_path)
        phone.click("#tabs button[data-pane='publish']")
        phone.wait_for_selector("#publish[data-state='FAIL'] #pubpage", timeout=10000)
        phone.locator("#pane-publish").scroll_into_view_if_needed()
        _fits(phone, 390)
        assert phone.locator("#pubpage").is_visible()
        _shot(phone, "publish-phone", tmp_path)
        browser.close()
    assert publish_record_path(ws).is_file()


def _fits(page: Any, width: int) -> None:
    """Nothing of the page or of the publish block is wider than the window."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    box = page.locator("#publish").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
