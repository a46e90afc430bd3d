"""Broadcast timecode in the review room, checked against the picture: the player's file is real
ffmpeg output with a 1 s leader before the programme and a grey of its own on every frame, so the
frame on screen is known from the canvas it is drawn to; ffmpeg decodes the same file for the frame
the displayed timecode names. Also: → steps a frame after the track menu was used, in/out points
are edited as timecode, and QC's failures are on top of its tab and its marks.

Set REVIEW_SHOTS=DIR to keep the 1366×768 and 390×844 screenshots.
"""

from __future__ import annotations

import random
import subprocess
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.qc.plan import CheckResult, Status
from pipeline.records.qc import FileQC, LoudnessSeries, MeasuredFile, QCReport, qc_report_path, write_qc_report
from pipeline.render.state import RenderedDeliverable, RenderRecord, write_render_record
from pipeline.subs import read_subtitles
from pipeline.timecode import Timecode
from pipeline.workspace import Workspace
from tests.e2e.test_review import PID, SECONDS, Served, _launch, _shot, build_programme

FPS = 25
LEADER = 25  # frames of leader before the programme in the player's file
WIDTH, HEIGHT = 160, 90
START = Timecode.parse("10:00:00:00", Fraction(FPS))
VIDEO = "document.getElementById('video')"
CANVAS_MEAN = """() => {
  const v = document.getElementById('video'), c = document.createElement('canvas');
  c.width = v.videoWidth; c.height = v.videoHeight;
  const g = c.getContext('2d'); g.drawImage(v, 0, 0);
  const d = g.getImageData(c.width / 4 | 0, c.height / 4 | 0, c.width / 2 | 0, c.height / 2 | 0).data;
  let s = 0; for (let i = 0; i < d.length; i += 4) s += d[i] + d[i + 1] + d[i + 2];
  return s / (d.length / 4 * 3);
}"""


def grey_media(path: Path) -> None:
    """1 s of leader and the 4 s programme, 25p H.264, every frame one flat grey far from its
    neighbours' (luma 30 + 53·n mod 190: the next frame differs by 53 or 137 codes, two on by 84 or 106)."""
    frames = LEADER + SECONDS * FPS
    run_ffmpeg(["-f", "lavfi", "-i", f"nullsrc=size={WIDTH}x{HEIGHT}:rate={FPS}", "-frames:v", str(frames),
                "-vf", "format=yuv420p,geq=lum='30+mod(N*53,190)':cb=128:cr=128", "-c:v", "libx264",
                "-preset", "veryfast", "-crf", "12", "-pix_fmt", "yuv420p", "-g", "25", "-movflags", "+faststart",
                "file:" + str(path)])


def reference_greys(path: Path) -> list[float]:
    """Every frame of `path` as ffmpeg decodes it, as the mean of its centre (the canvas's region)."""
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         check=True, capture_output=True).stdout
    size = WIDTH * HEIGHT * 3
    out = []
    for k in range(len(raw) // size):
        frame = raw[k * size:(k + 1) * size]
        rows = [frame[(y * WIDTH + WIDTH // 4) * 3:(y * WIDTH + WIDTH // 4 + WIDTH // 2) * 3]
                for y in range(HEIGHT // 4, HEIGHT // 4 + HEIGHT // 2)]
        out.append(sum(sum(r) for r in rows) / sum(len(r) for r in rows))
    return out


def qc_report(ws: Workspace) -> None:
    """QC's verdicts on the player's file as qc.plan writes them: a black FAIL inside a wider freeze
    WARN (spans in programme seconds, texts in the file's clock, leader included) and a size FAIL."""
    black = CheckResult("picture.black", "Black picture", Status.FAIL, "0.60 s at 00:00:03.00",
                        "none outside allowed; WARN ≥ 0.2 s, FAIL ≥ 0.5 s",
                        "1 outside allowed: 00:00:03.00–00:00:03.60", 0.6, "s", ((2.0, 2.6),))
    freeze = CheckResult("picture.freeze", "Frozen picture", Status.WARN, "2.50 s at 00:00:02.00",
                         "none outside allowed; WARN ≥ 2 s, FAIL ≥ 30 s",
                         "1 outside allowed: 00:00:02.00–00:00:04.50", 2.5, "s", ((1.0, 3.5),))
    size = CheckResult("video.size", "Frame size", Status.FAIL, "160x90", "1280x720", "expected 1280x720")
    codec = CheckResult("video.codec", "Video codec", Status.PASS, "h264", "h264")
    web = FileQC("web-720p", "web-720p", "renders/web-720p/x.mp4", [codec, freeze, black, size],
                 measured=MeasuredFile("0" * 64, 1.0, 1.0, -LEADER / FPS, LoudnessSeries(0.5, (), ())))
    write_qc_report(qc_report_path(ws), QCReport(PID, [web], []))


@pytest.fixture()
def room(tmp_path: Path) -> Any:
    media = tmp_path / "grey.mp4"
    grey_media(media)
    manifest = build_programme(tmp_path, media)
    ws = Workspace(tmp_path / "workspace", PID)
    render = ws.render_dir("web-720p") / f"{PID}_WEB_720P.mp4"
    write_render_record(ws, RenderRecord(PID, {"web-720p": RenderedDeliverable(
        "web-720p", str(render), "web-720p", float(SECONDS + LEADER / FPS), render.stat().st_size,
        leader_s=LEADER / FPS)}))
    qc_report(ws)
    served = Served(tmp_path / "workspace", manifest)
    try:
        yield ws, served, reference_greys(render)
    finally:
        served.stop()


def _settled(page: Any) -> None:
    """Paused, not seeking, on a frame's centre (the page snaps there)."""
    page.wait_for_function(f"{VIDEO}.paused && !{VIDEO}.seeking && {VIDEO}.readyState >= 2 && "
                           f"Math.abs((({VIDEO}.currentTime - {LEADER / FPS}) * {FPS}) % 1 - 0.5) < 0.01",
                           timeout=10000)


def _shown(page: Any, greys: list[float]) -> tuple[int, int]:
    """The programme frame the timecode names, and the frame of the file the canvas shows (the
    nearest grey among the file's frames near it)."""
    text = page.locator("#tc").inner_text()
    named = Timecode.parse(text, START.rate).frames - START.frames
    mean = page.evaluate(CANVAS_MEAN)
    near = range(max(0, named + LEADER - 3), min(len(greys), named + LEADER + 4))
    on_screen = min(near, key=lambda k: abs(greys[k] - mean))
    assert abs(greys[on_screen] - mean) <= 10, (text, mean, greys[on_screen])
    return named, on_screen - LEADER


def _agreed(page: Any, greys: list[float], within_s: float = 2.0) -> tuple[int, int]:
    """`_shown` once the display has caught up: on a loaded machine the paused picture or the
    timecode can follow the snap to the frame's centre a redraw later; what the viewer is left
    with must agree, so the last reading after `within_s` is what is judged."""
    deadline = time.monotonic() + within_s
    named, shown = _shown(page, greys)
    while named != shown and time.monotonic() < deadline:
        page.wait_for_timeout(100)
        named, shown = _shown(page, greys)
    return named, shown


def test_the_frame_on_screen_is_the_frame_the_timecode_names(room: Any, tmp_path: Path) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    ws, served, greys = room
    assert len(greys) == LEADER + SECONDS * FPS
    rng = random.Random(20260)
    with playwright.sync_playwright() as p:
        browser = _launch(p)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(f"{served.url}/p/{PID}")
        page.wait_for_selector("body[data-ready='1']", timeout=15000)
        _settled(page)
        # the display starts at the programme's start timecode, on the programme's first frame (not the leader)
        assert page.locator("#tc").inner_text() == "10:00:00:00"
        assert _shown(page, greys) == (0, 0)

        # paused at random times, during playback and by a seek between frames: picture and timecode agree
        for trial in range(20):  # the check: 20 pauses
            at = rng.uniform(0.0, 3.0)
            if trial % 3 == 2:  # a seek that lands anywhere in a frame, its edges included
                edge = rng.choice((0.0, 1e-4, rng.random(), 0.9999))
                page.evaluate(f"{VIDEO}.currentTime = {LEADER / FPS + (int(at * FPS) + edge) / FPS}")
            else:
                page.evaluate(f"{VIDEO}.currentTime = {LEADER / FPS + at}")
                _settled(page)
                page.keyboard.press("l")
                page.wait_for_function(f"!{VIDEO}.paused", timeout=5000)
                page.wait_for_timeout(rng.randint(80, 600))
                page.keyboard.press("k")
            _settled(page)
            named, shown = _agreed(page, greys)
            assert named == shown, f"pause {trial}: {page.locator('#tc').inner_text()} names {named}, screen {shown}"

        # the track menu, used and then focused again: → still steps one frame and leaves the track alone
        tracks = f"[...{VIDEO}.textTracks].map(t => [t.language, t.mode])"
        page.select_option("#track", "en")
        assert page.evaluate("document.activeElement.id") != "track"
        before = _shown(page, greys)[0]
        page.keyboard.press("ArrowRight")
        _settled(page)
        assert _shown(page, greys) == (before + 1, before + 1)
        page.focus("#track")
        page.keyboard.press("ArrowRight")
        _settled(page)
        assert _shown(page, greys) == (before + 2, before + 2)
        page.keyboard.press("ArrowLeft")
        _settled(page)
        assert _shown(page, greys) == (before + 1, before + 1)
        assert page.locator("#track").input_value() == "en" and dict(page.evaluate(tracks))["en"] == "showing"

        # QC: its failures on top of the tab, in Vietnamese and programme timecode, with what to do
        assert page.locator("#tabs button[data-pane='qc']").inner_text() == "Kiểm tra kỹ thuật · 2 lỗi"
        page.click("#tabs button[data-pane='qc']")
        failures = page.locator("#qcfail li.failure")
        assert failures.count() == 2
        first = failures.first.inner_text()
        assert "Hình đen" in first and "picture.black" in first and "Cần làm:" in first
        assert "10:00:02:00–10:00:02:15" in first and "00:00:03.00" not in first  # programme time, not the file's
        assert page.evaluate("document.getElementById('qcfail').getBoundingClientRect().top"
                             " < document.getElementById('panel').getBoundingClientRect().top + 60")
        # the FAIL mark is on top of the wider WARN, and each mark seeks to its own start
        page.locator("#marks .mark[data-status='FAIL']").click()
        _settled(page)
        assert page.locator("#tc").inner_text() == "10:00:02:00"
        page.locator("#marks .mark[data-status='WARN']").click(position={"x": 4, "y": 3})
        _settled(page)
        assert page.locator("#tc").inner_text() == "10:00:01:00"
        failures.first.locator("button.tclink").click()
        _settled(page)
        assert page.locator("#tc").inner_text() == "10:00:02:00"
        _shot(page, "review-timecode-qc", tmp_path)

        # a cue's in point, a frame later by its +1 button; saved as that frame's milliseconds
        page.click(".cue[data-lang='vi'][data-no='1'] button.edit")
        field = page.locator(".editor input.cuein")
        assert field.input_value() == "10:00:00:05"  # 200 ms: frame 5
        page.click(".editor .times button.plus >> nth=0")
        assert field.input_value() == "10:00:00:06"
        field.press("ArrowUp")
        assert field.input_value() == "10:00:00:07"
        _settled(page)
        assert _shown(page, greys) == (7, 7)  # the player shows the frame the field names
        _shot(page, "review-timecode-editor", tmp_path)
        page.click(".editor button.save")
        page.wait_for_selector("#cmsg.good, #cmsg.bad", timeout=15000)
        assert read_subtitles(ws.subtitle("vi", "srt")).cues[0].start_ms == 280
        assert "10:00:00:07 →" in page.locator(".cue[data-lang='vi'][data-no='1'] .tc").inner_text()
        _shot(page, "review-timecode", tmp_path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366

        phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        phone.goto(f"{served.url}/p/{PID}")
        phone.wait_for_selector("body[data-ready='1']", timeout=15000)
        assert phone.locator("#tc").inner_text() == "10:00:00:00"
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        phone.click(".cue[data-lang='vi'][data-no='2'] button.edit")
        assert phone.locator(".editor input.cueout").input_value() == "10:00:03:15"
        phone.locator(".editor").scroll_into_view_if_needed()
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        _shot(phone, "review-timecode-phone", tmp_path)
        phone.click("#tabs button[data-pane='qc']")
        phone.locator("#qcfail").scroll_into_view_if_needed()
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        _shot(phone, "review-timecode-phone-qc", tmp_path)
        browser.close()
