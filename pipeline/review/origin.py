"""Only the review room's own page may change anything: no other site, no rebound DNS name.

Approval is what `reportage package` trusts, so a page on another site open in a reviewer's
browser must not be able to approve, edit a cue or delete a note (cross-site request forgery), and a
DNS name an attacker points at 127.0.0.1 must not reach the room at all (DNS rebinding: the page
would then be same-origin with whatever it names, and could read the room and its token).

So every request must name, in `Host`, an address this server answers to: the address the request
arrived on (uvicorn's `scope["server"]`, the connection's own end) with the server's port, the
loopback names when it arrived on loopback, and the names the networked mode was given. Every
state-changing request (POST, PUT, PATCH, DELETE) must in addition come from the server's own origin
(`Origin`, or `Referer` when a browser sends no `Origin`) and carry this server session's CSRF
token in the `X-Review-CSRF` header. A cross-site HTML form cannot set a header, and a cross-site
`fetch` that sets one is stopped by the browser's preflight, which this server never grants. The
page reads the token from `GET /api/session`, JSON that another site's page cannot read (no CORS)
and a rebound name cannot reach (Host). Refusals are 403 and nothing behind them runs.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import secrets
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

HEADER = "X-Review-CSRF"
CHANGES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}

HOST_REFUSED = ("Địa chỉ (Host) không phải của phòng duyệt này — yêu cầu bị từ chối. / "
                "The Host header does not name this review room; refused (DNS rebinding).")
ORIGIN_REFUSED = ("Chỉ trang của chính phòng duyệt mới được thay đổi dữ liệu — yêu cầu từ trang khác bị từ chối. / "
                  "Changes must come from the review room's own page (Origin/Referer); refused.")
CSRF_REFUSED = ("Thiếu hoặc sai mã chống giả mạo (X-Review-CSRF) — hãy tải lại trang. / "
                "The X-Review-CSRF token is missing or wrong; reload the page.")
HOST_HINT = "open the address `reportage review` printed; on the network, add a name with --allow-host"


def new_csrf() -> str:
    """A fresh token for one run of the server: a page from an earlier run must reload."""
    return secrets.token_urlsafe(32)


def network_names(bind: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """The names a networked room (`--host` other than loopback) answers to besides the address a
    request arrives on: the bound name, this machine's names, and the `--allow-host` ones."""
    names = {bind, socket.gethostname(), socket.getfqdn(), *extra}
    return frozenset(_normal(n) for n in names if n and n not in ("0.0.0.0", "::"))


def _normal(name: str) -> str:
    """One spelling per address: lower case, no brackets, IPv4-mapped IPv6 as IPv4."""
    name = name.strip().lower().removeprefix("[").removesuffix("]")
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        return name
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return str(ip)


def _is_loopback(name: str) -> bool:
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return name == "localhost"


def split_host(value: str, scheme: str) -> tuple[str, int] | None:
    """`host[:port]` (IPv6 in brackets) as (normal name, port); None when it is not one."""
    value = value.strip()
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return None
        name, rest = value[1:end], value[end + 1:]
        if rest and not rest.startswith(":"):
            return None
        port_text = rest[1:] if rest else ""
    elif value.count(":") == 1:
        name, _, port_text = value.partition(":")
    elif ":" in value:
        return None
    else:
        name, port_text = value, ""
    if not name:
        return None
    if not port_text:
        port = DEFAULT_PORTS.get(scheme)
        return (_normal(name), port) if port is not None else None
    if not port_text.isdigit() or len(port_text) > 5:
        return None
    return _normal(name), int(port_text)


class OriginMiddleware:
    """Refuse (403, nothing else done) a foreign Host, and a change from another origin or without
    the session's CSRF token."""

    def __init__(self, app: ASGIApp, csrf: str, names: Iterable[str] = ()) -> None:
        self.app = app
        self.csrf = csrf
        self.names = frozenset(_normal(n) for n in names)

    def own(self, scope: Scope) -> tuple[frozenset[str], int] | None:
        """The names and the port this request may use: where it arrived, plus the configured names."""
        server = scope.get("server")
        if not server or server[1] is None:
            return None
        arrived = _normal(str(server[0]))
        names = {arrived, *self.names}
        if _is_loopback(arrived):
            names |= LOOPBACK_NAMES
        return frozenset(names), int(server[1])

    def refusal(self, scope: Scope) -> str | None:
        """Why this request is refused, or None."""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        scheme = str(scope.get("scheme", "http"))
        own = self.own(scope)
        host = split_host(headers.get("host", ""), scheme)
        if own is None or host is None or host[0] not in own[0] or host[1] != own[1]:
            return HOST_REFUSED
        if scope["type"] != "http" or scope.get("method", "GET").upper() not in CHANGES:
            return None
        source = headers.get("origin") or headers.get("referer") or ""
        parts = urlsplit(source)
        came_from = split_host(parts.netloc, parts.scheme) if parts.scheme and not parts.username else None
        if parts.scheme != scheme or came_from != host:
            return ORIGIN_REFUSED
        given = headers.get(HEADER.lower(), "")
        if not given or not hmac.compare_digest(given.encode(), self.csrf.encode()):
            return CSRF_REFUSED
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        why = self.refusal(scope)
        if why is None:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        hint = HOST_HINT if why == HOST_REFUSED else None
        body = json.dumps({"error": why, "hint": hint, "status": 403}, ensure_ascii=False).encode()
        await send({"type": "http.response.start", "status": 403,
                    "headers": [(b"content-type", b"application/json; charset=utf-8"),
                                (b"content-length", str(len(body)).encode()),
                                (b"cache-control", b"no-store")]})
        await send({"type": "http.response.body", "body": body})


def session(request: Request) -> Response:
    """The page's CSRF token (and the header to send it in); never cached, never sniffed as script."""
    csrf: str = request.app.state.csrf
    return JSONResponse({"csrf": csrf, "header": HEADER},
                        headers={"cache-control": "no-store", "x-content-type-options": "nosniff"})
