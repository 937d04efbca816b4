"""Who may talk to a warroom server: loopback by default, a bearer token for anything else.

``BearerAuth`` is plain ASGI middleware (HTTP and WebSocket) so every server face can use
it. ``check_exposure`` refuses to bind a non-loopback address without a token.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from typing import Any

ASGIApp = Any


def is_loopback(host: str) -> bool:
    """Whether ``host`` is only reachable from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, token: str | None) -> None:
    """Raise ``ValueError`` when ``host`` would expose a server that has no token."""
    if not is_loopback(host) and not token:
        raise ValueError(f"refusing to listen on {host} without a bearer token: anyone who "
                         f"can reach it could drive the episodes. Pass a token, or bind "
                         f"127.0.0.1")


class BearerAuth:
    """Answers 401 (HTTP) or closes with 1008 (WebSocket) unless the request carries
    ``Authorization: Bearer <token>``. ``open_paths`` (a health check) and non-HTTP scopes
    (lifespan) pass through."""

    def __init__(self, app: ASGIApp, token: str, open_paths: tuple[str, ...] = ("/health",)
                 ) -> None:
        if not token:
            raise ValueError("BearerAuth needs a non-empty token")
        self.app = app
        self.open_paths = frozenset(open_paths)
        self._expected = f"Bearer {token}".encode()

    def _allowed(self, scope: dict[str, Any]) -> bool:
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                return hmac.compare_digest(value, self._expected)
        return False

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if (scope["type"] not in ("http", "websocket") or self._allowed(scope)
                or (scope["type"] == "http" and scope.get("path") in self.open_paths)):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await receive()
            await send({"type": "websocket.close", "code": 1008,
                        "reason": "missing or wrong bearer token"})
            return
        body = json.dumps({"error": "unauthorized",
                           "message": "missing or wrong bearer token"}).encode()
        await send({"type": "http.response.start", "status": 401,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()),
                                (b"www-authenticate", b'Bearer realm="warroom"')]})
        await send({"type": "http.response.body", "body": body})
