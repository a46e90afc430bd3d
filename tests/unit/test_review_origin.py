"""The review room changes nothing for another site's page or a rebound DNS name (origin.py).

Requests are handed to the ASGI app directly, with `scope["server"]` set as uvicorn sets it (the
connection's own address and port), so a room on the team's network can be tried from here.
"""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path
from typing import Any

import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pipeline.review.app import create_app
from pipeline.review.origin import HEADER, OriginMiddleware, network_names, split_host

CSRF = "s3cret-session-token"
HERE = ("127.0.0.1", 8765)
OWN = "http://127.0.0.1:8765"


def call(app: ASGIApp, method: str, path: str, headers: dict[str, str], body: bytes = b"",
         server: tuple[str, int] = HERE) -> tuple[int, bytes]:
    """One request as uvicorn would hand it over; the status and the body."""
    scope: Scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
                    "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
                    "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()],
                    "server": server, "client": ("127.0.0.1", 50123)}
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    async def run() -> None:
        await app(scope, receive, send)

    asyncio.run(run())
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


class Behind:
    """The app behind the middleware: counts what reached it."""

    def __init__(self) -> None:
        self.reached: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.reached.append(scope["method"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"done"})


@pytest.fixture()
def behind() -> Behind:
    return Behind()


def guarded(behind: Behind, names: tuple[str, ...] = ()) -> OriginMiddleware:
    return OriginMiddleware(behind, csrf=CSRF, names=names)


def page(host: str = "127.0.0.1:8765", **extra: str) -> dict[str, str]:
    """The headers the room's own page sends with a change."""
    return {"host": host, "origin": f"http://{host}", HEADER: CSRF, "content-type": "application/json", **extra}


@pytest.mark.parametrize("host", ["127.0.0.1:8765", "localhost:8765", "LOCALHOST:8765", "[::1]:8765"])
def test_the_loopback_room_answers_to_its_own_names(behind: Behind, host: str) -> None:
    assert call(guarded(behind), "GET", "/api/programmes", {"host": host})[0] == 200
    assert call(guarded(behind), "POST", "/api/p/x/approval", page(host))[0] == 200
    assert behind.reached == ["GET", "POST"]


@pytest.mark.parametrize("host", ["evil.example:8765", "evil.example", "127.0.0.1:9000", "localhost", "",
                                  "127.0.0.1:8765:1", "[::1", "127.0.0.1:http", "127.0.0.1.evil.example:8765"])
def test_a_foreign_or_rebound_host_is_refused_even_for_reading(behind: Behind, host: str) -> None:
    """DNS rebinding: evil.example resolving to 127.0.0.1 would make its page same-origin with us."""
    for method, headers in (("GET", {"host": host}), ("POST", page(host))):
        status, body = call(guarded(behind), method, "/files/x/timeline.json", headers)
        assert status == 403
        refusal = json.loads(body)
        assert refusal["status"] == 403 and "Host" in refusal["error"] and " / " in refusal["error"]
    assert behind.reached == []


def test_no_host_header_is_refused(behind: Behind) -> None:
    assert call(guarded(behind), "GET", "/", {})[0] == 403


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("change", [
    {"origin": "http://127.0.0.1:9000"},  # another server on this machine: same site, other origin
    {"origin": "http://evil.example"},
    {"origin": "null"},  # a sandboxed frame, a file:// page
    {"origin": "https://127.0.0.1:8765"},
    {"origin": "http://user@127.0.0.1:8765"},
    {"origin": ""},  # neither Origin nor Referer
    {"origin": "", "referer": "http://127.0.0.1:9000/attack.html"},
    {HEADER: ""},
    {HEADER: "wrong"},
    {HEADER: CSRF.upper()},
])
def test_a_change_not_from_the_rooms_own_page_is_refused(behind: Behind, method: str,
                                                         change: dict[str, str]) -> None:
    headers = {k: v for k, v in page(**change).items() if v}
    status, body = call(guarded(behind), method, "/api/p/x/approval", headers, b'{"verdict": "approved"}')
    assert status == 403 and behind.reached == []
    refusal = json.loads(body)["error"]
    assert ("X-Review-CSRF" in refusal) if HEADER in change else ("Origin" in refusal)
    vietnamese, english = refusal.split(" / ")
    assert vietnamese and english


def test_a_cross_site_form_is_refused(behind: Behind) -> None:
    """What an auto-submitted HTML form on another site sends: its own Origin, a form body, no header."""
    headers = {"host": "127.0.0.1:8765", "origin": "http://127.0.0.1:9000",
               "content-type": "text/plain", "referer": "http://127.0.0.1:9000/"}
    assert call(guarded(behind), "POST", "/api/p/x/approval", headers, b'{"verdict": "approved"}')[0] == 403
    # even a form on a page of this very server cannot send the header
    assert call(guarded(behind), "POST", "/api/p/x/approval", {**headers, "origin": OWN})[0] == 403
    assert behind.reached == []


def test_a_browser_that_sends_no_origin_is_judged_by_its_referer(behind: Behind) -> None:
    headers = {"host": "127.0.0.1:8765", "referer": f"{OWN}/p/x", HEADER: CSRF}
    assert call(guarded(behind), "DELETE", "/api/p/x/notes/n1", headers)[0] == 200
    assert behind.reached == ["DELETE"]


def test_reading_needs_no_token(behind: Behind) -> None:
    """A GET changes nothing, and the page's video and tracks cannot carry a header."""
    for method in ("GET", "HEAD", "OPTIONS"):
        assert call(guarded(behind), method, "/files/x/render.mp4",
                    {"host": "127.0.0.1:8765", "origin": "http://evil.example"})[0] == 200
    assert behind.reached == ["GET", "HEAD", "OPTIONS"]


def test_a_networked_room_answers_to_its_address_and_configured_names_only(behind: Behind) -> None:
    lan = ("10.0.0.5", 8765)
    app = guarded(behind, ("suite3.lan",))
    for host in ("10.0.0.5:8765", "suite3.lan:8765", "SUITE3.LAN:8765"):
        assert call(app, "GET", "/", {"host": host}, server=lan)[0] == 200
        assert call(app, "POST", "/api/p/x/approval", page(host), server=lan)[0] == 200
    # a request that came in on the LAN address may not claim loopback, nor another address
    for host in ("localhost:8765", "127.0.0.1:8765", "10.0.0.6:8765", "evil.example:8765"):
        assert call(app, "GET", "/", {"host": host}, server=lan)[0] == 403
    # a dual-stack socket reports the IPv4 address mapped into IPv6
    assert call(app, "GET", "/", {"host": "10.0.0.5:8765"}, server=("::ffff:10.0.0.5", 8765))[0] == 200
    # the printed address (127.0.0.1) still works on the machine itself
    assert call(app, "GET", "/", {"host": "localhost:8765"}, server=HERE)[0] == 200


def test_network_names() -> None:
    names = network_names("0.0.0.0", ["Review.Studio.LAN"])
    assert "review.studio.lan" in names and socket.gethostname().lower() in names
    assert "0.0.0.0" not in names and "::" not in names
    assert "192.168.1.20" in network_names("192.168.1.20")


def test_split_host() -> None:
    assert split_host("127.0.0.1:8765", "http") == ("127.0.0.1", 8765)
    assert split_host("[::1]:8765", "http") == ("::1", 8765)
    assert split_host("Localhost", "http") == ("localhost", 80)
    assert split_host("[::ffff:7f00:1]:1", "http") == ("127.0.0.1", 1)
    for bad in ("", ":8765", "::1:8765", "[::1]x", "a:b", "a:123456"):
        assert split_host(bad, "http") is None, bad


def _programme(root: Path) -> Path:
    folder = root / "prog"
    folder.mkdir(parents=True)
    (folder / "catalogue.sqlite").touch()
    return folder


def _note() -> bytes:
    return json.dumps({"in_ms": 0, "author": "Hà", "text": "Âm thanh nhỏ"}).encode()


def test_the_room_hands_its_page_the_token_and_refusals_write_nothing(tmp_path: Path) -> None:
    folder = _programme(tmp_path)
    app = create_app(tmp_path)
    status, body = call(app, "GET", "/api/session", {"host": "127.0.0.1:8765"})
    token = json.loads(body)["csrf"]
    assert status == 200 and token == app.state.csrf and len(token) >= 40
    assert create_app(tmp_path).state.csrf != token  # one per server session
    refused = [page("evil.example:8765"), {**page(), "origin": "http://127.0.0.1:9000"},
               {**page(), HEADER: "guess"}, {"host": "127.0.0.1:8765", "content-type": "text/plain"}]
    for headers in refused:
        assert call(app, "POST", "/api/p/prog/notes", headers, _note())[0] == 403
        assert call(app, "POST", "/api/p/prog/approval", headers, b'{"verdict": "approved", "author": "A"}')[0] == 403
        assert call(app, "DELETE", "/api/p/prog/notes/n1", headers)[0] == 403
    assert not (folder / "review").exists() and not (folder / ".lock").exists()
    status, body = call(app, "POST", "/api/p/prog/notes", {**page(), HEADER: token}, _note())
    assert status == 201, body
    assert json.loads((folder / "review" / "notes.json").read_text("utf-8"))[0]["author"] == "Hà"


def test_the_networked_room_keeps_its_token_first(tmp_path: Path) -> None:
    _programme(tmp_path)
    app = create_app(tmp_path, token="team-token", names=["suite3.lan"])
    lan = ("10.0.0.5", 8765)
    host = "suite3.lan:8765"
    assert call(app, "POST", "/api/p/prog/notes", page(host), _note(), server=lan)[0] == 401
    with_token: dict[str, Any] = {"host": host, "x-review-token": "team-token"}
    token = json.loads(call(app, "GET", "/api/session", with_token, server=lan)[1])["csrf"]
    assert call(app, "POST", "/api/p/prog/notes", {**page(host), **with_token}, _note(), server=lan)[0] == 403
    assert call(app, "GET", "/api/session", {**with_token, "host": "evil.example:8765"}, server=lan)[0] == 403
    status, _ = call(app, "POST", "/api/p/prog/notes", {**page(host), **with_token, HEADER: token}, _note(), server=lan)
    assert status == 201
