"""The player page on the web package as the publish stage builds it (`publish/web.build_web`): a
three-rung ladder (540p with the sound, 360p and 234p picture only, an IDR every 2 s) packaged by Shaka
Packager with the Vietnamese and English WebVTT renditions inside the HLS master, the page, the
progressive MP4 and the poster beside it — served by a plain static server on loopback and played in
Debian's chromium: video.js's own HLS engine plays the master, the subtitles menu offers "Tiếng Việt"
and "English" once each, the Vietnamese cue shows at its time, English after switching and after a
seek, and no request leaves the package folder. (tests/e2e/test_publish_player.py drives the page's
every control on a one-rendition package.)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.profiles import load_profile
from pipeline.publish.web import build_web
from pipeline.render.state import DeliverableFile, RenderedDeliverable
from pipeline.validate import load_manifest
from tests.e2e.test_publish_player import (
    EN,
    SECONDS,
    VI,
    StaticServer,
    _cue_on_screen,
    _launch,
    _seek,
    _subtitles_menu,
    _vtt,
)

pytestmark = pytest.mark.slow

MANIFEST = """\
id: travinh
title: {vi: "Trà Vinh – Điểm hẹn của nhà đầu tư", en: "Trà Vinh – Where Investors Meet"}
synopsis: {vi: "Ao Bà Om, chùa Âng và những nhà máy mới.", en: "Ao Bà Om, Âng pagoda and the new factories."}
year: 2026
house: {width: 960, height: 540, fps: "25"}
footage: [master.mp4]
timeline: {master: master.mp4}
deliverables: [web-stream]
credits: [{role: {vi: "Biên tập", en: "Editor"}, name: "Nguyễn Thị Hà"}]
"""


def _rung(path: Path, height: int, sound: bool) -> None:
    """One rung as the render writes it: H.264 High, an IDR every 2 s and no other, closed GOPs."""
    width = round(height * 16 / 9 / 2) * 2
    audio = ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={SECONDS}"] if sound else []
    maps = ["-map", "0:v"] + (["-map", "1:a", "-c:a", "aac", "-b:a", "128k", "-ac", "2"] if sound else ["-an"])
    run_ffmpeg(["-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate=25:duration={SECONDS}", *audio, *maps,
                "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-pix_fmt", "yuv420p", "-g", "50",
                "-keyint_min", "50", "-sc_threshold", "0", "-flags", "+cgop", "-b:v", f"{height * 2}k",
                "-movflags", "+faststart", "-t", str(SECONDS), "file:" + str(path)])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StaticServer]:
    base = tmp_path_factory.mktemp("stage-web")
    (base / "travinh.yaml").write_text(MANIFEST, encoding="utf-8")
    rungs = base / "renders" / "travinh_WEB_STREAM"
    rungs.mkdir(parents=True)
    for height, sound in ((540, True), (360, False), (234, False)):
        _rung(rungs / f"{height}p.mp4", height, sound)
    (base / "master.mp4").symlink_to(rungs / "540p.mp4")
    files = tuple(DeliverableFile(p.name, p.stat().st_size, "") for p in
                  (rungs / "540p.mp4", rungs / "360p.mp4", rungs / "234p.mp4"))
    entry = RenderedDeliverable("web-stream", str(rungs), "web-stream", float(SECONDS),
                                sum(f.size_bytes for f in files), files=files, folder=True)
    subtitles = {"vi": base / "travinh.vi.vtt", "en": base / "travinh.en.vtt"}
    subtitles["vi"].write_text(_vtt(VI), encoding="utf-8")
    subtitles["en"].write_text(_vtt(EN), encoding="utf-8")
    folder = base / "web"
    folder.mkdir()
    made = build_web(load_manifest(base / "travinh.yaml"), entry, load_profile("web-stream"), (960, 540), subtitles,
                     folder)
    assert made.report.ok, [r.detail for r in made.report.failures()]
    assert made.renditions == ("540p", "360p", "234p")
    server = StaticServer(folder)
    try:
        yield server
    finally:
        server.stop()


def test_the_stage_package_plays_with_both_subtitle_renditions(served: StaticServer) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    requests: list[str] = []
    with playwright.sync_playwright() as p:
        browser = _launch(p)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.on("request", lambda r: requests.append(r.url))
        page.goto(f"{served.origin}/index.html")
        page.wait_for_selector("body[data-ready='1']", timeout=15000)
        page.click(".vjs-big-play-button")
        page.wait_for_function("videojs.getPlayer('player').currentTime() > 1", timeout=20000)
        assert page.evaluate("!!videojs.getPlayer('player').tech(true).vhs")
        assert page.evaluate("videojs.getPlayer('player').currentSource().src").endswith("/stream/master.m3u8")
        page.evaluate("videojs.getPlayer('player').pause()")

        _subtitles_menu(page)
        items = page.locator(".vjs-subs-caps-button .vjs-menu-item-text")
        labels = [items.nth(k).inner_text().strip() for k in range(items.count())]
        assert labels.count("Tiếng Việt") == 1 and labels.count("English") == 1, labels
        page.keyboard.press("Escape")

        _seek(page, 2.0)
        _cue_on_screen(page, VI[0][2])
        _subtitles_menu(page)
        page.locator(".vjs-subs-caps-button .vjs-menu-item", has_text="English").click()
        _cue_on_screen(page, EN[0][2])
        _seek(page, 5.0)
        _cue_on_screen(page, EN[1][2])
        browser.close()
    inside = (served.origin + "/", "blob:" + served.origin + "/", "data:")  # MSE's own buffers are blob: URLs
    assert requests and all(url.startswith(inside) for url in requests), \
        [url for url in requests if not url.startswith(inside)]
    fetched = {url.removeprefix(served.origin + "/").split("?")[0] for url in requests}
    assert {"stream/master.m3u8", "stream/audio.m3u8", "travinh.vi.vtt", "travinh.en.vtt"} <= fetched, sorted(fetched)
    assert any(name.startswith("stream/video_") and name.endswith("p.m3u8") for name in fetched), sorted(fetched)
