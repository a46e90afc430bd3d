"""The token a review room on the team's network asks of every request.

Sent as the `X-Review-Token` header, `Authorization: Bearer …`, or `?token=` in the address (the
first page a reviewer opens); a good `?token=` also sets a same-site cookie so the player's video
and subtitle-track requests, which cannot carry headers, are let through too. Compared in constant
time. Without a token configured (127.0.0.1) the middleware lets everything through.
"""

from __future__ import annotations

import hmac
import secrets
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "review_token"


def new_token() -> str:
    return secrets.token_urlsafe(18)


class TokenMiddleware:
    """Refuse (401, nothing else done) any HTTP request without the token."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token

    def _given(self, scope: Scope) -> tuple[str | None, bool]:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        query = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token")
        if query:
            return query[0], True
        if "x-review-token" in headers:
            return headers["x-review-token"], False
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:].strip(), False
        cookie = SimpleCookie(headers.get("cookie", ""))
        return (cookie[COOKIE].value if COOKIE in cookie else None), False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.token is None or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given, in_query = self._given(scope)
        if given is None or not hmac.compare_digest(given.encode(), self.token.encode()):
            body = "Cần mã truy cập (token) — thiếu hoặc sai. / A valid review token is required.".encode()
            await send({"type": "http.response.start", "status": 401,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                    (b"content-length", str(len(body)).encode()),
                                    (b"www-authenticate", b'Bearer realm="review"')]})
            await send({"type": "http.response.body", "body": body})
            return
        if not in_query:
            await self.app(scope, receive, send)
            return

        async def with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                cookie = f"{COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict"
                message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie.encode())]}
            await send(message)

        await self.app(scope, receive, with_cookie)
