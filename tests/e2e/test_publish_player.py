"""The web package's player page end to end: a small HLS package made by ffmpeg's own HLS muxer (one
rendition, 8 s testsrc2 + sine, H.264/AAC in fMP4 segments) with Vietnamese and English WebVTT, the page
written by `write_player_page`, the folder served by a plain static server on loopback (what a portal's
web server does), and Debian's chromium driven by Playwright: it plays, the subtitles menu offers
"Tiếng Việt" and "English", the cues show at their times in either language, the transcript and the keys
seek, and no request leaves the package folder.

Set PUBLISH_SHOTS=DIR to keep the screenshots (1366×768 and 390×844).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.publish.page import CreditLine, PlayerFacts, transcript_from_subtitles, write_player_page

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--autoplay-policy=no-user-gesture-required"]
SECONDS = 8
VI = [(500, 3500, "Chào mừng quý vị đến Trà Vinh"), (4000, 7500, "Ao Bà Om – điểm hẹn của nhà đầu tư")]
EN = [(500, 3500, "Welcome to Trà Vinh"), (4000, 7500, "Ao Bà Om – where investors meet")]


def _vtt(cues: list[tuple[int, int, str]]) -> str:
    def ts(ms: int) -> str:
        return f"00:00:{ms // 1000:02d}.{ms % 1000:03d}"
    return "WEBVTT\n\n" + "".join(f"{ts(a)} --> {ts(b)}\n{t}\n\n" for a, b, t in cues)


def make_package(folder: Path) -> PlayerFacts:
    """What the packager will leave (here from ffmpeg's HLS muxer): master.m3u8 → one rendition of fMP4
    segments, the progressive MP4, a poster and the two subtitle files."""
    folder.mkdir(parents=True, exist_ok=True)
    mp4 = folder / "travinh_WEB.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", f"testsrc2=size=640x360:rate=25:duration={SECONDS}",
                "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={SECONDS}",
                "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
                "-g", "50", "-keyint_min", "50", "-sc_threshold", "0", "-c:a", "aac", "-b:a", "96k", "-ac", "2",
                "-movflags", "+faststart", "-t", str(SECONDS), "file:" + str(mp4)])
    run_ffmpeg(["-i", "file:" + str(mp4), "-map", "0:v", "-map", "0:a", "-c", "copy", "-f", "hls",
                "-hls_time", "2", "-hls_playlist_type", "vod", "-hls_segment_type", "fmp4",
                "-hls_fmp4_init_filename", "init.mp4", "-hls_segment_filename", str(folder / "seg_%03d.m4s"),
                "-master_pl_name", "master.m3u8", str(folder / "video.m3u8")])
    run_ffmpeg(["-ss", "1", "-i", "file:" + str(mp4), "-frames:v", "1", "-q:v", "3",
                "file:" + str(folder / "poster.jpg")])
    (folder / "travinh.vi.vtt").write_text(_vtt(VI), encoding="utf-8")
    (folder / "travinh.en.vtt").write_text(_vtt(EN), encoding="utf-8")
    return PlayerFacts(
        title_vi="Trà Vinh – Điểm hẹn của nhà đầu tư", title_en="Trà Vinh – Where Investors Meet",
        synopsis_vi="Ao Bà Om, chùa Âng và những nhà máy mới ở Trà Vinh.",
        synopsis_en="Ao Bà Om, Âng pagoda and the new factories of Trà Vinh.",
        duration_s=SECONDS, poster="poster.jpg", progressive_mp4=mp4.name,
        vtt_vi="travinh.vi.vtt", vtt_en="travinh.en.vtt",
        transcript_vi=transcript_from_subtitles(folder / "travinh.vi.vtt"),
        transcript_en=transcript_from_subtitles(folder / "travinh.en.vtt"),
        credits=(CreditLine("Biên tập", "Editor", "Nguyễn Thị Hà"),
                 CreditLine("Quay phim", "Camera", "Trần Minh Khoa")))


class StaticServer:
    """`python -m http.server` on a free loopback port, serving one folder: a portal's plain web server."""

    def __init__(self, folder: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.proc = subprocess.Popen([sys.executable, "-m", "http.server", str(self.port), "--bind", "127.0.0.1",
                                      "--directory", str(folder)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while True:
            try:
                with urllib.request.urlopen(f"{self.origin}/index.html", timeout=2) as res:
                    if res.status == 200:
                        break
            except OSError:
                pass
            assert self.proc.poll() is None and time.monotonic() < deadline, "the static server did not start"
            time.sleep(0.1)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, StaticServer]]:
    folder = tmp_path_factory.mktemp("web") / "travinh"
    write_player_page(folder, make_package(folder))
    server = StaticServer(folder)
    try:
        yield folder, server
    finally:
        server.stop()


def _launch(p: Any) -> Any:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    return p.chromium.launch(executable_path=CHROMIUM, args=ARGS)


def _shot(page: Any, name: str, tmp_path: Path) -> Path:
    folder = Path(os.environ.get("PUBLISH_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def _cue_on_screen(page: Any, text: str) -> None:
    page.wait_for_function("t => (document.querySelector('.vjs-text-track-display')?.innerText || '').includes(t)",
                           arg=text, timeout=10000)


def _seek(page: Any, seconds: float) -> None:
    page.evaluate("s => videojs.getPlayer('player').currentTime(s)", seconds)
    page.wait_for_function("s => { const p = videojs.getPlayer('player'); return !p.seeking() && "
                           "Math.abs(p.currentTime() - s) < 0.3 }", arg=seconds, timeout=10000)


def _subtitles_menu(page: Any) -> None:
    """Open the subtitles menu (a click toggles it, so only when it is not open already)."""
    if not page.locator(".vjs-subs-caps-button .vjs-menu.vjs-lock-showing").count():
        page.click(".vjs-subs-caps-button > button")
    page.wait_for_selector(".vjs-subs-caps-button .vjs-menu-content", state="visible", timeout=5000)


def _now(page: Any) -> float:
    return float(page.evaluate("videojs.getPlayer('player').currentTime()"))


def test_the_page_plays_the_package_from_its_own_folder(served: tuple[Path, StaticServer], tmp_path: Path) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    _, server = served
    requests: list[str] = []
    with playwright.sync_playwright() as p:
        browser = _launch(p)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.on("request", lambda r: requests.append(r.url))
        page.goto(f"{server.origin}/index.html")
        page.wait_for_selector("body[data-ready='1']", timeout=15000)
        assert page.locator("h1").inner_text() == "Trà Vinh – Điểm hẹn của nhà đầu tư"
        # the controls speak Vietnamese (vi.js) and HLS goes through video.js's own engine
        assert page.locator(".vjs-big-play-button").get_attribute("title") == "Phát Video"
        page.click(".vjs-big-play-button")
        page.wait_for_function("videojs.getPlayer('player').currentTime() > 1", timeout=20000)
        assert page.evaluate("!!videojs.getPlayer('player').tech(true).vhs")
        assert page.evaluate("videojs.getPlayer('player').currentSource().src").endswith("/master.m3u8")
        page.evaluate("videojs.getPlayer('player').pause()")

        # the subtitles menu: both languages by their own names, and the caption style dialog
        _subtitles_menu(page)
        items = page.locator(".vjs-subs-caps-button .vjs-menu-item-text")
        labels = [items.nth(k).inner_text().strip() for k in range(items.count())]
        assert "Tiếng Việt" in labels and "English" in labels, labels
        assert "Cài đặt phụ đề" in labels and "Tắt phụ đề" in labels, labels
        page.keyboard.press("Escape")

        # the Vietnamese cue at its time, diacritics as written
        _seek(page, 2.0)
        _cue_on_screen(page, "Chào mừng quý vị đến Trà Vinh")
        assert page.locator(".lines#tr-vi .line.current .tx").inner_text() == VI[0][2]
        _shot(page, "publish-desktop", tmp_path)

        # English from the menu: the English cue, and the transcript follows the language chosen
        _subtitles_menu(page)
        page.locator(".vjs-subs-caps-button .vjs-menu-item", has_text="English").click()
        _cue_on_screen(page, "Welcome to Trà Vinh")
        assert page.locator("#tab-en").get_attribute("aria-selected") == "true"
        assert page.locator("#tr-en").is_visible() and not page.locator("#tr-vi").is_visible()
        _seek(page, 5.0)
        _cue_on_screen(page, "Ao Bà Om – where investors meet")

        # the caption style dialog opens, in Vietnamese
        _subtitles_menu(page)
        page.locator(".vjs-subs-caps-button .vjs-menu-item", has_text="Cài đặt phụ đề").click()
        page.wait_for_selector(".vjs-text-track-settings:not(.vjs-hidden)", timeout=5000)
        assert "Phông chữ" in page.locator(".vjs-text-track-settings").inner_text()
        _shot(page, "publish-caption-settings", tmp_path)
        page.click(".vjs-text-track-settings .vjs-done-button")

        # a transcript line seeks to its start; back to Vietnamese by the tab
        page.click("#tab-vi")
        page.locator("#tr-vi .line").nth(1).click()
        page.wait_for_function("Math.abs(videojs.getPlayer('player').currentTime() - 4.0) < 0.6", timeout=10000)
        page.evaluate("videojs.getPlayer('player').pause()")

        # keys on the player: C turns the subtitles off and back on, ← and → step five seconds
        _seek(page, 2.0)
        page.focus(".video-js")
        page.keyboard.press("c")
        page.wait_for_function("!(document.querySelector('.vjs-text-track-display')?.innerText || '').trim()",
                               timeout=5000)
        page.keyboard.press("c")
        _cue_on_screen(page, "Welcome to Trà Vinh")  # the language last shown comes back
        page.keyboard.press("ArrowRight")
        page.wait_for_function("Math.abs(videojs.getPlayer('player').currentTime() - 7.0) < 0.3", timeout=5000)
        page.keyboard.press("ArrowLeft")
        page.wait_for_function("Math.abs(videojs.getPlayer('player').currentTime() - 2.0) < 0.3", timeout=5000)
        page.keyboard.press("m")
        assert page.evaluate("videojs.getPlayer('player').muted()")
        page.keyboard.press("Space")
        page.wait_for_function("!videojs.getPlayer('player').paused()", timeout=5000)
        page.keyboard.press("Space")
        page.wait_for_function("videojs.getPlayer('player').paused()", timeout=5000)
        # the same keys with the page itself focused (a click on the text, not on the player)
        page.click(".about .synopsis")
        page.keyboard.press("k")
        page.wait_for_function("!videojs.getPlayer('player').paused()", timeout=5000)
        page.keyboard.press("k")
        page.wait_for_function("videojs.getPlayer('player').paused()", timeout=5000)

        # a phone: one column, the transcript under the player, nothing wider than the screen
        phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        phone.on("request", lambda r: requests.append(r.url))
        phone.goto(f"{server.origin}/index.html")
        phone.wait_for_selector("body[data-ready='1']", timeout=15000)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        player_box = phone.locator(".video-js").bounding_box()
        transcript_box = phone.locator("#transcript").bounding_box()
        assert transcript_box["y"] >= player_box["y"] + player_box["height"]
        _shot(phone, "publish-phone", tmp_path)

        # the embed: the player alone
        embed = browser.new_page(viewport={"width": 640, "height": 360})
        embed.on("request", lambda r: requests.append(r.url))
        embed.goto(f"{server.origin}/index.html?embed")
        embed.wait_for_selector("body[data-ready='1']", timeout=15000)
        assert not embed.locator("#transcript").is_visible() and embed.locator(".embedlink a").is_visible()
        _shot(embed, "publish-embed", tmp_path)
        browser.close()

    inside = (server.origin + "/", "blob:" + server.origin + "/", "data:")
    assert requests and all(url.startswith(inside) for url in requests), \
        [url for url in requests if not url.startswith(inside)]
    fetched = {url.removeprefix(server.origin + "/").split("?")[0] for url in requests}
    assert {"player/video.min.js", "player/lang/vi.js", "master.m3u8", "video.m3u8", "travinh.vi.vtt",
            "travinh.en.vtt"} <= fetched, sorted(fetched)
