"""The review room as a subtitle editor (issue 28): the waveform strip, edges dragged and snapped to
a shot change as lint wants, split at the caret, undo, find and replace, lint's live reading speed.

The programme is test_review's (a real 4 s H.264 + AAC render with espeak-ng speech, a timeline,
a transcript, subtitles as the subtitles stage leaves them), with a shot change at 2 s and cues
that give each check something to bite on. Debian's chromium is driven by Playwright.
Screenshots go to /tmp/reportage-review-editor/.
"""

from __future__ import annotations

import contextlib
import dataclasses
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.errors import SubtitleError
from pipeline.fsutil import sha256_file, write_json
from pipeline.review import waveform
from pipeline.subs import Cue, lint, load_style, read_subtitles
from pipeline.subs.adopt import ledger_path
from pipeline.timeline import load_timeline
from pipeline.workspace import Workspace
from tests.e2e.test_review import PID, Served, _launch, build_programme, request, write_subs

pytestmark = pytest.mark.slow

SHOTS = Path("/tmp/reportage-review-editor")
CUT_MS = 2000  # frame 50 at 25 fps
VI = [(200, 1700, "Khu kinh tế Định An đón nhà đầu tư"), (2000, 3600, "Trà Vinh – điểm hẹn của nhà đầu tư")]
EN = [(200, 1700, "Dinh An Economic Zone welcomes investors"), (2000, 3600, "Trà Vinh – where investors meet")]


@pytest.fixture()
def programme(tmp_path: Path, media: Path) -> Iterator[tuple[Workspace, Served]]:
    manifest = build_programme(tmp_path, media)
    ws = Workspace(tmp_path / "workspace", PID)
    write_subs(ws, "vi", VI)
    write_subs(ws, "en", EN)
    write_json(ledger_path(ws), {"version": 1, "files": {p.name: sha256_file(p) for p in ws.subtitles_dir.iterdir()}})
    timeline = load_timeline(ws.timeline_json)
    write_json(ws.timeline_json, dataclasses.replace(timeline, shot_changes_ms=(CUT_MS,)).to_dict())
    served = Served(tmp_path / "workspace", manifest)
    try:
        yield ws, served
    finally:
        served.stop()


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.e2e.test_review import make_media

    path = tmp_path_factory.mktemp("media") / "clip.mp4"
    make_media(path)
    return path


def cues(ws: Workspace, lang: str) -> list[Cue]:
    return read_subtitles(ws.subtitle(lang, "srt")).cues


def board(served: Served) -> dict[str, Any]:
    status, body, _ = request(served.url, "GET", f"/api/p/{PID}/cues")
    assert status == 200
    return dict(body)


def test_waveform_is_cached_by_content(programme: tuple[Workspace, Served], monkeypatch: pytest.MonkeyPatch) -> None:
    ws, served = programme
    decodes: list[list[str]] = []
    real = waveform.run_ffmpeg

    def counting(args: list[str], **kwargs: Any) -> str:
        decodes.append(list(args))
        return real(args, **kwargs)

    monkeypatch.setattr(waveform, "run_ffmpeg", counting)
    status, first, headers = request(served.url, "GET", f"/api/p/{PID}/waveform")
    assert status == 200 and headers["content-type"].startswith("application/json")
    assert first["bucket_ms"] == 10 and len(first["peaks"]) == 2 * 400  # min and max per 10 ms of 4 s
    assert max(first["peaks"]) > 50 and min(first["peaks"]) < -50  # the speech is there
    assert len(decodes) == 1
    cached = list((ws.dir / "cache" / "waveform").glob("*.json"))
    assert len(cached) == 1
    stamp = cached[0].stat().st_mtime_ns
    status, second, _ = request(served.url, "GET", f"/api/p/{PID}/waveform")
    assert status == 200 and second == first
    assert len(decodes) == 1 and cached[0].stat().st_mtime_ns == stamp  # no second decode, nothing rewritten
    status, meta, _ = request(served.url, "GET", f"/api/p/{PID}/editor")
    assert meta["shot_changes_ms"] == [CUT_MS] and meta["styles"]["vi"]["min_gap_frames"] == 2


def _edge_x(page: Any, ms: int) -> tuple[float, float]:
    """Where programme time `ms` is on the waveform (page pixels), and the Vietnamese lane's middle."""
    box = page.locator("#wavecanvas").bounding_box()
    lo, hi = (float(page.locator("#wavecanvas").get_attribute(a)) for a in ("data-from", "data-to"))
    return box["x"] + (ms - lo) / (hi - lo) * box["width"], box["y"] + box["height"] * 0.25


def _wait(page: Any, check: Any, what: str) -> None:
    """Until `check()` holds on disk, and then until the page has taken in the save's answer."""
    for _ in range(100):
        with contextlib.suppress(SubtitleError):  # the file caught between the save's writes
            if check():
                page.wait_for_function("!document.getElementById('wave').dataset.busy", timeout=10000)
                return
        page.wait_for_timeout(100)
    raise AssertionError(what)


def test_subtitle_editor_in_the_browser(programme: tuple[Workspace, Served]) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    ws, served = programme
    SHOTS.mkdir(parents=True, exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = _launch(p)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(f"{served.url}/p/{PID}")
        page.wait_for_selector("body[data-ready='1']", timeout=15000)
        page.wait_for_selector("#wave[data-ready='1']", timeout=15000)

        # drag cue 1's out point to 3 frames before the cut: it snaps to 2 frames before it (lint's rule)
        x0, y = _edge_x(page, 1700)
        x1, _ = _edge_x(page, 1880)
        page.mouse.move(x0, y)
        page.mouse.down()
        page.mouse.move(x1, y, steps=6)
        page.mouse.up()
        _wait(page, lambda: cues(ws, "vi")[0].end_ms == 1920, "the dragged out point was not saved at 1920 ms")
        assert cues(ws, "vi")[0].start_ms == 200
        assert board(served)["vi"]["cues"][0]["origin"] == "reviewed"
        report = lint(cues(ws, "vi"), load_style("vi"), shot_changes_ms=[CUT_MS])
        assert not [i for i in report.issues if i.rule in ("shot-change", "min-gap", "overlap")]
        assert "10:00:01:23" in page.locator("#wsel").inner_text()  # HH:MM:SS:FF, frame 48

        # a frame nudge of the out point, then undo twice: the cue is as it was, saved back
        page.click("#woutm")
        _wait(page, lambda: cues(ws, "vi")[0].end_ms == 1880, "the out point was not nudged a frame")
        page.keyboard.press("Control+z")
        _wait(page, lambda: cues(ws, "vi")[0].end_ms == 1920, "undo did not restore the nudge")
        page.keyboard.press("Control+z")
        _wait(page, lambda: cues(ws, "vi")[0].end_ms == 1700, "undo did not restore the dragged out point")
        page.keyboard.press("Control+Shift+z")
        _wait(page, lambda: cues(ws, "vi")[0].end_ms == 1920, "redo did not apply the drag again")
        page.keyboard.press("Control+z")
        _wait(page, lambda: cues(ws, "vi")[0].end_ms == 1700, "undo after redo")

        # text through the cue list's editor, with lint's live reading speed; then undo restores it
        long = "Trà Vinh – điểm hẹn của nhà đầu tư trong và ngoài nước năm nay"
        page.click(".cue[data-lang='vi'][data-no='2'] button.edit")
        page.fill(".editor textarea", long)
        page.wait_for_function("document.querySelector('.editor .gauge .cps')?.dataset.cps", timeout=10000)
        _wait(page, lambda: page.locator(".editor .gauge .line").count() == 2, "two lines measured")
        shown = float(page.locator(".editor .gauge .cps").get_attribute("data-cps"))
        shown_text = page.locator(".editor .gauge .cps").inner_text()
        _shot_both(page, "editor-typing")
        page.click(".editor button.save")
        _wait(page, lambda: cues(ws, "vi")[1].flat_text == long, "the long text was not saved")
        page.wait_for_function("document.getElementById('cmsg').textContent.startsWith('Đã lưu')")
        saved = cues(ws, "vi")[1]
        assert len(saved.lines) == 2 and saved.char_count == len(long) - 1  # the break's space is not read
        assert shown == round(saved.cps, 1)  # lint's own figure, not len(text)/duration
        assert shown_text.startswith(f"{round(saved.cps, 1)}".replace(".", ",") + " ký tự/giây")
        issue = next(i for i in lint(cues(ws, "vi"), load_style("vi")).issues if i.cue == 2 and "reading" in i.rule)
        assert issue.value == shown
        page.click("#wundo")
        _wait(page, lambda: cues(ws, "vi")[1].flat_text == VI[1][2], "undo did not restore the text")
        assert (cues(ws, "vi")[1].start_ms, cues(ws, "vi")[1].end_ms) == (2000, 3600)
        page.wait_for_function("document.getElementById('cmsg').textContent.startsWith('Đã hoàn tác')")

        # split at the caret, placed inside "Định": the cue splits between whole words
        page.click(".cue[data-lang='vi'][data-no='1'] button.edit")
        caret = VI[0][2].index("Định") + 2
        page.evaluate(f"document.querySelector('.editor textarea').setSelectionRange({caret}, {caret})")
        page.click(".editor button.splitcaret")
        _wait(page, lambda: len(cues(ws, "vi")) == 3, "the cue was not split")
        page.wait_for_function("document.getElementById('cmsg').textContent.startsWith('Đã lưu (vi #1, #2)')")
        first, second = cues(ws, "vi")[:2]
        words = VI[0][2].split()
        assert first.flat_text.split() + second.flat_text.split() == words
        assert first.flat_text == "Khu kinh tế" and second.flat_text.startswith("Định An")
        share = len(first.flat_text) / (len(first.flat_text) + len(second.flat_text))
        assert abs(first.end_ms - (200 + 1500 * share)) <= 40 and first.end_ms % 40 == 0  # on a frame
        assert second.start_ms == first.end_ms + 80  # the 2-frame gap

        # find and replace in Vietnamese, the word typed decomposed (NFD): every occurrence, each reviewed
        page.click("#wfindbtn")
        page.select_option("#wflang", "vi")
        page.fill("#wffind", unicodedata.normalize("NFD", "nhà đầu tư"))
        page.fill("#wfrepl", "doanh nghiệp")
        _wait(page, lambda: page.locator("#wfcount").inner_text() == "2 chỗ trong 2 câu", "count before replacing")
        _shot_both(page, "editor-find")
        page.click("#wfgo")
        _wait(page, lambda: "Đã thay 2 chỗ trong 2 câu" in page.locator("#wfcount").inner_text(), "replace done")
        texts = [c.flat_text for c in cues(ws, "vi")]
        assert not any("nhà đầu tư" in t for t in texts) and sum("doanh nghiệp" in t for t in texts) == 2
        rows = board(served)["vi"]["cues"]
        assert all(r["origin"] == "reviewed" for r in rows if "doanh nghiệp" in r["text"])
        page.click("#wundo")  # one step undoes the whole replacement
        _wait(page, lambda: sum("nhà đầu tư" in c.flat_text for c in cues(ws, "vi")) == 2, "undo of the replacement")

        # next problem: the machine-drafted English cues are still unreviewed
        page.click("#wnext")
        assert page.locator("#cues .cue.selected").count() == 1
        assert page.locator("#cmsg").inner_text().startswith("Vấn đề")
        page.click("#wloop")
        page.wait_for_function("document.getElementById('wloop').classList.contains('on')", timeout=5000)
        page.click("#wloop")
        page.wait_for_function("!document.getElementById('wloop').classList.contains('on')", timeout=5000)
        _shot_both(page, "editor-problem")
        browser.close()


def _shot_both(page: Any, name: str) -> None:
    """The page at the desk's 1366×768 and at a phone's 390×844, the editor's strip in view."""
    page.set_viewport_size({"width": 1366, "height": 768})
    page.wait_for_timeout(150)
    page.screenshot(path=str(SHOTS / f"{name}-1366.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(150)
    page.locator("#wave").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"{name}-390.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.wait_for_timeout(150)
