"""Another site's page cannot approve, edit or delete in the review room, in a real browser.

A second local server, on another port of 127.0.0.1 (same site, other origin: the case SameSite
cookies do not cover), serves a page that tries everything a page can without the room's help: a
`text/plain` fetch (a "simple" request the browser sends without asking), a JSON fetch, a fetch with a
guessed CSRF header, a DELETE, reading the room's token, and an auto-submitted HTML form whose
`text/plain` body is valid JSON. It is given the real cue version and note id, so without the
room's checks the edit and the delete would go through. Then a DNS name mapped to 127.0.0.1 in
Chromium (what DNS rebinding achieves) is refused outright. The room's own page still edits,
deletes a note and records a decision.
"""

from __future__ import annotations

import functools
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.fsutil import sha256_file
from pipeline.subs import read_subtitles
from pipeline.workspace import Workspace
from tests.e2e.test_review import ARGS, CHROMIUM, PID, Served, build_programme, make_media, request

REBOUND = "evil.example"

ATTACK = """<!doctype html>
<meta charset="utf-8"><title>Khuyến mãi</title>
<iframe name="sink" id="sink"></iframe>
<form id="form" method="POST" action="{api}/approval" enctype="text/plain" target="sink">
<input type="hidden" name='{{"verdict": "approved", "author": "Form", "pad": "' value='"}}'>
</form>
<script>
const api = "{api}", results = {{}};
async function attempt(name, url, init) {{
  try {{ const r = await fetch(url, init); results[name] = r.type === "opaque" ? "opaque" : r.status; }}
  catch (e) {{ results[name] = "blocked"; }}
}}
(async () => {{
  const approve = JSON.stringify({{ verdict: "approved", author: "Fetch" }});
  const edit = JSON.stringify({{ version: "{version}", text: "Sửa bởi trang khác" }});
  const text = {{ "content-type": "text/plain" }}, json = {{ "content-type": "application/json" }};
  await attempt("approve-text", api + "/approval", {{ method: "POST", mode: "no-cors", headers: text, body: approve }});
  await attempt("approve-json", api + "/approval", {{ method: "POST", headers: json, body: approve }});
  await attempt("approve-guess", api + "/approval",
                {{ method: "POST", headers: {{ ...json, "x-review-csrf": "guess" }}, body: approve }});
  await attempt("edit-text", api + "/cues/vi/1/edit", {{ method: "POST", mode: "no-cors", headers: text, body: edit }});
  await attempt("edit-json", api + "/cues/vi/1/edit", {{ method: "POST", headers: json, body: edit }});
  await attempt("delete-note", api + "/notes/{note}", {{ method: "DELETE" }});
  await attempt("read-token", "{room}/api/session", {{}});
  const sink = document.getElementById("sink");
  sink.onload = () => {{ window.done = true; }};
  document.getElementById("form").submit();
}})();
</script>
"""


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """The other site's server says nothing on the test's output."""


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("media") / "clip.mp4"
    make_media(path)
    return path


@pytest.fixture()
def room(tmp_path: Path, media: Path) -> Iterator[tuple[Workspace, Served]]:
    served = Served(tmp_path / "workspace", build_programme(tmp_path, media))
    try:
        yield Workspace(tmp_path / "workspace", PID), served
    finally:
        served.stop()


@pytest.fixture()
def other_site(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """Another web server on this machine: its folder and its address."""
    folder = tmp_path / "other-site"
    folder.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _snapshot(ws: Workspace) -> dict[str, str]:
    return {str(p.relative_to(ws.dir)): sha256_file(p) for p in sorted(ws.dir.rglob("*"))
            if p.is_file() and "catalogue" not in p.name and p.name != ".lock"}


def test_another_site_and_a_rebound_name_change_nothing(room: tuple[Workspace, Served],
                                                        other_site: tuple[Path, str]) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    ws, served = room
    folder, site = other_site
    status, made, _ = request(served.url, "POST", f"/api/p/{PID}/notes", {"in_ms": 0, "author": "Hà", "text": "Giữ"})
    assert status == 201, made
    note = made["note"]["id"]
    version = request(served.url, "GET", f"/api/p/{PID}/cues")[1]["vi"]["cues"][0]["version"]
    api = f"{served.url}/api/p/{PID}"
    (folder / "attack.html").write_text(ATTACK.format(api=api, room=served.url, version=version, note=note),
                                        encoding="utf-8")
    before = _snapshot(ws)
    assert "review/approval.json" not in before

    rebound = f"http://{REBOUND}:{served.port}"
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=[*ARGS, f"--host-resolver-rules=MAP {REBOUND} 127.0.0.1"])
        page = browser.new_page()
        answered: list[tuple[str, str, int]] = []
        page.on("response", lambda r: answered.append((r.request.method, r.url, r.status))
                if r.url.startswith(served.url) else None)
        page.goto(f"{site}/attack.html")
        page.wait_for_function("window.done === true", timeout=15000)
        results = page.evaluate("results")
        # what the browser itself stops (it needs the room's permission, never given) ...
        assert {k: results[k] for k in ("approve-json", "approve-guess", "edit-json", "delete-note", "read-token")} \
            == dict.fromkeys(("approve-json", "approve-guess", "edit-json", "delete-note", "read-token"), "blocked")
        # ... and what it sends, which the room refuses: both text/plain fetches and the form
        changes = [(method, url, status) for method, url, status in answered if method != "GET"]
        assert sorted(url.removeprefix(api) for _, url, _ in changes) == ["/approval", "/approval", "/cues/vi/1/edit"]
        assert {status for _, _, status in changes} == {403}, changes

        # a name rebound to 127.0.0.1: same-origin with itself, so the room refuses the Host
        response = page.goto(f"{rebound}/p/{PID}")
        assert response is not None and response.status == 403
        assert "Host" in json.loads(page.locator("body").inner_text())["error"]
        tried = page.evaluate("""async (pid) => {
            const token = await fetch("/api/session");
            const post = await fetch(`/api/p/${pid}/approval`, { method: "POST",
              headers: { "content-type": "application/json", "x-review-csrf": "guess" },
              body: JSON.stringify({ verdict: "approved", author: "DNS" }) });
            return [token.status, post.status];
        }""", PID)
        assert tried == [403, 403]
        browser.close()
    assert request(served.url, "GET", f"/api/p/{PID}", headers={"host": f"{REBOUND}:{served.port}"})[0] == 403
    assert _snapshot(ws) == before  # nothing approved, edited or deleted

    # the room's own page: edit a cue, delete the note, approve
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(f"{served.url}/p/{PID}")
        page.wait_for_selector("body[data-ready='1']", timeout=15000)
        page.click(".cue[data-lang='vi'][data-no='1'] button.edit")
        page.fill(".editor textarea", "Xin kính chào quý vị")
        page.click(".editor button.save")
        page.wait_for_selector("#cmsg.good, #cmsg.bad", timeout=15000)
        assert "Đã lưu" in page.locator("#cmsg").inner_text(), page.locator("#cmsg").inner_text()
        page.click("#tabs button[data-pane='notes']")
        page.fill("#nauthor", "Hà")  # only the note's author may delete it, and the page asks first
        page.locator("#notes tr.note button.del").click()
        page.locator("#notes tr.confirm button.confirmdel").click()
        page.wait_for_function("document.querySelectorAll('#notes tr.note').length === 0", timeout=10000)
        page.click("#tabs button[data-pane='approval']")
        page.fill("#aauthor", "Trần Minh Khoa")
        page.click("#reject")  # a decision the page may send with nothing cleared first (QC has not run)
        page.wait_for_selector("#amsg.good", timeout=10000)
        browser.close()
    assert read_subtitles(ws.subtitle("vi", "srt")).cues[0].flat_text == "Xin kính chào quý vị"
    assert json.loads((ws.dir / "review" / "notes.json").read_text("utf-8")) == []
    approval = json.loads((ws.dir / "review" / "approval.json").read_text("utf-8"))
    assert approval["decision"] == "changes_requested" and approval["by"] == "Trần Minh Khoa"
