"""The review room as a review tool (issue 28): a range comment drawn on the 16:9 render shows on the
same thing in the 9:16 social cut (drawings are kept in programme-frame fractions and mapped through
the cut's picture area), the social cut chosen and playing in programme time, a reply threaded under
its note, resolving, a second reviewer's conflicting cue save keeping both texts, deleting asking
first and refused to anyone but the author (403 from the API too), the note as an NLE marker with its
reply, and the phone layout. Debian's chromium via Playwright, as tests/e2e/test_review.py.

Set REVIEW_SHOTS=DIR to keep the screenshots elsewhere than /tmp/reportage-review-comments/.
"""

from __future__ import annotations

import json
import os
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.nle.programme import review_markers
from pipeline.render.state import RenderedDeliverable, read_render_record, write_render_record
from pipeline.subs import read_subtitles
from pipeline.timeline import load_timeline
from pipeline.workspace import Workspace

from .test_review import ARGS, CHROMIUM, PID, Served, build_programme, make_media, request

pytestmark = pytest.mark.slow
playwright = pytest.importorskip("playwright.sync_api")
SHOTS = Path(os.environ.get("REVIEW_SHOTS") or "/tmp/reportage-review-comments")
AUTHOR, OTHER = "Nguyễn Thị Hà", "Trần Minh Khoa"
EXCERPT = (1.0, 3.0)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("media") / "clip.mp4"
    make_media(path)
    return path


def add_social_cut(ws: Workspace, media: Path) -> None:
    """A 9:16 excerpt (programme 1–3 s) as the social profile places the 16:9 frame: scaled to the
    width, centred on a taller picture (blur-pad; padded here), recorded as the render stage would."""
    out = ws.render_dir("social-9x16") / f"{PID}_SOCIAL_9X16.mp4"
    out.parent.mkdir(parents=True, exist_ok=True)
    run_ffmpeg(["-ss", str(EXCERPT[0]), "-i", str(media), "-t", str(EXCERPT[1] - EXCERPT[0]),
                "-vf", "scale=180:-2,pad=180:320:(ow-iw)/2:(oh-ih)/2", "-c:v", "libx264", "-preset", "veryfast",
                "-pix_fmt", "yuv420p", "-c:a", "aac", "-movflags", "+faststart", "file:" + str(out)])
    record = read_render_record(ws)
    social = RenderedDeliverable("social-9x16", str(out), "social-9x16", EXCERPT[1] - EXCERPT[0],
                                 out.stat().st_size, excerpt_s=EXCERPT)
    write_render_record(ws, type(record)(record.programme, {**record.deliverables, "social-9x16": social}))


@pytest.fixture()
def room(tmp_path: Path, media: Path) -> Iterator[tuple[Workspace, Served]]:
    manifest = build_programme(tmp_path, media)
    ws = Workspace(tmp_path / "workspace", PID)
    add_social_cut(ws, media)
    served = Served(tmp_path / "workspace", manifest)
    try:
        yield ws, served
    finally:
        served.stop()


def _notes(ws: Workspace) -> list[dict[str, Any]]:
    return json.loads((ws.dir / "review" / "notes.json").read_text("utf-8"))


def _shot(page: Any, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def _picture_box(page: Any, picture: dict[str, float], fx: tuple[float, float, float, float]) -> list[float]:
    """Where programme-frame fractions `fx` (x0, y0, x1, y1) land on the canvas, computed here from
    the player's size and the deliverable's picture area (not from the page's own sums)."""
    v = page.evaluate("(() => { const v = document.getElementById('video');"
                      " return [v.clientWidth, v.clientHeight, v.videoWidth, v.videoHeight]; })()")
    s = min(v[0] / v[2], v[1] / v[3])
    cw, ch = v[2] * s, v[3] * s
    cx, cy = (v[0] - cw) / 2, (v[1] - ch) / 2
    fxp, fyp, fw, fh = cx + picture["x"] * cw, cy + picture["y"] * ch, picture["w"] * cw, picture["h"] * ch
    return [fxp + fx[0] * fw, fyp + fx[1] * fh, fxp + fx[2] * fw, fyp + fx[3] * fh]


def _shown(page: Any) -> list[dict[str, Any]]:
    return json.loads(page.locator("#draw").get_attribute("data-shown") or "[]")


def _seek(page: Any, ms: int) -> None:
    page.evaluate(f"seekMs({ms})")
    page.wait_for_function("!document.getElementById('video').seeking", timeout=10000)
    page.wait_for_timeout(150)


def test_range_comment_drawn_threaded_resolved_and_guarded(room: tuple[Workspace, Served]) -> None:
    ws, served = room
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    listing = request(served.url, "GET", f"/api/p/{PID}/deliverables")[1]
    pictures = {d["name"]: d["picture"] for d in listing["deliverables"]}
    assert listing["default"] == "web-720p" and set(pictures) == {"web-720p", "social-9x16"}
    assert pictures["social-9x16"]["w"] == 1.0 and 0.34 < pictures["social-9x16"]["y"] < 0.345  # blur-pad band
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1366, "height": 768})
        context.add_init_script(f"localStorage.setItem('review-author', {json.dumps(AUTHOR)})")
        page = context.new_page()
        page.goto(f"{served.url}/p/{PID}")
        page.wait_for_selector("body[data-ready='1'][data-watching='web-720p']", timeout=20000)

        # a range 1.5–2.5 s, a rectangle drawn on the 16:9 picture
        _seek(page, 1500)
        page.click("#nsetin")
        _seek(page, 2500)
        page.click("#nsetout")
        _seek(page, 2000)
        page.click("#ntools button[data-tool='rect']")
        page.locator("#stage").scroll_into_view_if_needed()  # choosing a tool brings the picture into view
        canvas = page.locator("#draw").bounding_box()
        assert canvas is not None
        x0, y0, x1, y1 = _picture_box(page, pictures["web-720p"], (0.25, 0.3, 0.6, 0.7))
        page.mouse.move(canvas["x"] + x0, canvas["y"] + y0)
        page.mouse.down()
        page.mouse.move(canvas["x"] + (x0 + x1) / 2, canvas["y"] + (y0 + y1) / 2, steps=4)
        page.mouse.move(canvas["x"] + x1, canvas["y"] + y1, steps=4)
        page.mouse.up()
        assert "khung" in page.locator("#nshape").inner_text()
        page.fill("#ntext", "Logo Đài Trà Vinh bị che ở góc này — đề nghị dời chữ lên.")
        page.click("#nadd")
        page.wait_for_selector("#nmsg.good", timeout=10000)
        (note,) = _notes(ws)
        assert (note["in_ms"], note["out_ms"]) == (1520, 2480)  # frames 38 and 62
        assert (note["author"], note["deliverable"]) == (AUTHOR, "web-720p")
        assert note["drawing"]["shape"] == "rect"
        (a, b) = note["drawing"]["points"]
        assert all(abs(got - want) < 0.01 for got, want in zip([*a, *b], [0.25, 0.3, 0.6, 0.7], strict=True))
        page.wait_for_function("JSON.parse(document.getElementById('draw').dataset.shown || '[]').length === 1")
        box = _shown(page)[0]["box"]
        assert all(abs(got - want) < 3 for got, want in zip(box, [x0, y0, x1, y1], strict=True)), box
        page.click("#tabs button[data-pane='notes']")
        _shot(page, "comments-16x9-1366x768")

        # the social cut: chosen, remembered, playing in programme time; the same box on its picture
        page.select_option("#deliv", "social-9x16")
        page.wait_for_selector("body[data-watching='social-9x16']", timeout=10000)
        page.wait_for_function("document.getElementById('video').currentSrc.includes('SOCIAL_9X16')"
                               " && document.getElementById('video').readyState >= 2", timeout=15000)
        _seek(page, 2000)
        assert page.locator("#tc").inner_text() == "10:00:02:00"  # programme time, not the excerpt's own
        page.wait_for_function("JSON.parse(document.getElementById('draw').dataset.shown || '[]').length === 1")
        want = _picture_box(page, pictures["social-9x16"], (0.25, 0.3, 0.6, 0.7))
        box = _shown(page)[0]["box"]
        assert all(abs(got - w) < 3 for got, w in zip(box, want, strict=True)), (box, want)
        red = page.evaluate(f"""(() => {{ const c = document.getElementById('draw'), d = devicePixelRatio;
            return Array.from(c.getContext('2d').getImageData(Math.round({want[0]} * d),
              Math.round({(want[1] + want[3]) / 2} * d), 1, 1).data); }})()""")
        assert red[0] > 200 and red[1] < 120 and red[3] > 200, red  # the stroke is there, red (unresolved)
        _shot(page, "comments-9x16-1366x768")
        page.click("#play")
        page.wait_for_function("document.getElementById('video').currentTime > 0.3", timeout=10000)
        page.click("#play")
        assert page.locator("#tc").inner_text() >= "10:00:02:00"
        page.reload()
        page.wait_for_selector("body[data-ready='1'][data-watching='social-9x16']", timeout=20000)

        # a reply threads under its note; resolving marks it
        page.click("#tabs button[data-pane='notes']")
        page.click("#notes tr.note button.reply")
        page.fill("#notes tr.replyform textarea", "Đã dời chữ lên 40 px, nhờ chị xem lại.")
        page.click("#notes tr.replyform button.sendreply")
        page.wait_for_selector(f"#notes tr.reply[data-parent='{note['id']}']", timeout=10000)
        assert "Đã dời chữ lên 40 px" in page.locator("#notes tr.note + tr.reply").inner_text()
        page.click("#notes tr.note button.resolve")
        page.wait_for_selector("#notes tr.note.resolved", timeout=10000)
        assert f"Đã xử lý — {AUTHOR}" in page.locator("#notes tr.note").inner_text()
        stored = {n["id"]: n for n in _notes(ws)}
        assert stored[note["id"]]["resolved_by"] == AUTHOR
        (reply,) = [n for n in stored.values() if n["parent"] == note["id"]]

        # the NLE export carries the note as a marker over its range, its reply folded in, resolved
        tl = load_timeline(ws.timeline_json)
        (marker,) = review_markers(ws, tl)
        assert (marker.frame, marker.duration, marker.color) == (38, 24, "GREEN")
        assert marker.name.startswith(f"[đã xử lý / resolved: {AUTHOR}] {AUTHOR}: Logo Đài Trà Vinh")
        assert f"↳ {AUTHOR}: Đã dời chữ lên 40 px" in marker.name

        # deleting asks first, and only the author may: the page and the API both refuse another
        status, body, _ = request(served.url, "DELETE", f"/api/p/{PID}/notes/{note['id']}", {"by": OTHER})
        assert status == 403 and AUTHOR in body["error"]
        page.fill("#nauthor", OTHER)
        page.click("#notes tr.note button.del")
        assert "Không hoàn tác được" in page.locator("#notes tr.confirm").inner_text()
        page.click("#notes tr.confirm button.confirmdel")
        page.wait_for_selector("#nmsg.bad", timeout=10000)
        assert "Không được" in page.locator("#nmsg").inner_text()
        assert len(_notes(ws)) == 2
        page.fill("#nauthor", AUTHOR)
        page.click("#notes tr.confirm button.confirmdel")
        page.wait_for_selector("#nmsg.good", timeout=10000)
        assert _notes(ws) == [] and reply["id"]

        # a second reviewer's save first: both texts kept, merged, saved
        page.click(".cue[data-lang='en'][data-no='2'] button.edit")
        cue = request(served.url, "GET", f"/api/p/{PID}/cues")[1]["en"]["cues"][1]
        theirs = "Ao Bà Om – a meeting place for investors"
        assert request(served.url, "POST", f"/api/p/{PID}/cues/en/2/edit",
                       {"version": cue["version"], "text": theirs})[0] == 200
        mine = "Ao Bà Om, where investors come together"
        page.fill(".editor textarea", mine)
        page.click(".editor button.save")
        page.wait_for_selector(".editor .conflict", timeout=10000)
        assert page.locator(".editor .conflict .theirs").inner_text() == theirs
        assert page.locator(".editor .conflict .mine").inner_text() == mine
        assert page.locator(".editor textarea").input_value() == mine  # nothing typed is thrown away
        _shot(page, "comments-conflict-1366x768")
        page.fill(".editor textarea", "Ao Bà Om – where investors come together")
        page.click(".editor button.save")
        page.wait_for_function("document.getElementById('cmsg').textContent.includes('Đã lưu')", timeout=10000)
        assert read_subtitles(ws.subtitle("en", "srt")).cues[1].flat_text == "Ao Bà Om – where investors come together"

        # decomposed Vietnamese pasted over the same words: a calm word, not an error
        page.click(".cue[data-lang='vi'][data-no='1'] button.edit")
        page.fill(".editor textarea", unicodedata.normalize("NFD", "Chào mừng quý vị đến Trà Vinh"))
        page.click(".editor button.save")
        page.wait_for_selector("#cmsg.calm", timeout=10000)
        assert "Không có gì thay đổi" in page.locator("#cmsg").inner_text()

        # a phone a producer can approve from
        phone = context.new_page()
        phone.set_viewport_size({"width": 390, "height": 844})
        phone.goto(f"{served.url}/p/{PID}")
        phone.wait_for_selector("body[data-ready='1'][data-watching='social-9x16']", timeout=20000)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        title = phone.locator("#title").bounding_box()
        assert title is not None and title["x"] >= 0 and title["x"] + title["width"] <= 390 and title["y"] >= 0
        assert "Trà Vinh – Điểm hẹn" in phone.locator("#title").inner_text()
        _shot(phone, "comments-phone-390x844")
        offscreen = phone.evaluate("""(() => [...document.querySelectorAll('button, select, input, textarea, a')]
            .filter((n) => n.offsetParent !== null).filter((n) => { const r = n.getBoundingClientRect();
              return r.left < -1 || r.right > 391; }).map((n) => n.id || n.className || n.textContent))()""")
        assert offscreen == []
        phone.locator("#cues").scroll_into_view_if_needed()
        assert phone.locator("#cues .cue").first.is_visible()
        phone.click("#tabs button[data-pane='approval']")
        phone.locator("#approve").scroll_into_view_if_needed()
        approve = phone.locator("#approve").bounding_box()
        assert approve is not None and approve["x"] >= 0 and approve["x"] + approve["width"] <= 390
        _shot(phone, "comments-phone-approval-390x844")
        browser.close()
