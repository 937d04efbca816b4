"""A browser-friendly token gate: ``Authorization: Bearer``, a cookie, or ``?token=`` once
(which sets the cookie and redirects to the same page without it)."""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import parse_qsl, urlencode

COOKIE = "warroom_token"
OPEN_PATHS = frozenset({"/health"})


def _cookies(scope: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                out[k] = v
    return out


class TokenGate:
    """ASGI middleware: every path but ``/health`` needs the token."""

    def __init__(self, app: Any, token: str) -> None:
        if not token:
            raise ValueError("TokenGate needs a non-empty token")
        self.app = app
        self.token = token

    def _match(self, value: str | bytes | None) -> bool:
        if value is None:
            return False
        raw = value.encode() if isinstance(value, str) else value
        return hmac.compare_digest(raw, self.token.encode())

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("path") in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", ()))
        bearer = headers.get(b"authorization", b"")
        if (bearer.startswith(b"Bearer ") and self._match(bearer[7:])) or self._match(
                _cookies(scope).get(COOKIE)):
            await self.app(scope, receive, send)
            return
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"))
        given = next((v for k, v in query if k == "token"), None)
        if self._match(given):
            rest = urlencode([(k, v) for k, v in query if k != "token"])
            where = scope.get("path", "/") + (f"?{rest}" if rest else "")
            await send({"type": "http.response.start", "status": 303, "headers": [
                (b"location", where.encode()),
                (b"set-cookie", f"{COOKIE}={self.token}; HttpOnly; SameSite=Strict; "
                                f"Path=/".encode())]})
            await send({"type": "http.response.body", "body": b""})
            return
        body = (b"<!doctype html><title>warroom: token needed</title><h1>401: token needed"
                b"</h1><p>This server was started with --token. Open it once as "
                b"<code>/?token=YOUR_TOKEN</code> or send <code>Authorization: Bearer"
                b"</code>.</p>")
        await send({"type": "http.response.start", "status": 401, "headers": [
            (b"content-type", b"text/html; charset=utf-8"),
            (b"www-authenticate", b'Bearer realm="warroom"')]})
        await send({"type": "http.response.body", "body": body})
