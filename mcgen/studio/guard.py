"""The checks every request passes before the app sees it (a plain ASGI middleware).

- ``Host`` must be one of the server's own names with its port (``127.0.0.1:8765``,
  ``localhost:8765``, ...): a page on another site that rebinds its DNS name to 127.0.0.1 still
  sends its own name, and gets 403.
- ``Origin``, when a browser sends one, must be this server: a page elsewhere cannot drive it
  (403). ``Sec-Fetch-Site: cross-site`` on anything but GET/HEAD is refused the same way.
- A body is capped: a ``Content-Length`` over the cap is refused before anything is read (413);
  a body without one is counted while it streams and refused as soon as it passes the cap.

Refusals are one-line JSON (``{"error": "..."}``) like every other error of the studio.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from mcgen.studio.errors import TooLarge

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
_SAFE_METHODS = (b"GET", b"HEAD", "GET", "HEAD")


async def send_error(send: Send, status: int, message: str, *, close: bool = False) -> None:
    """Answer with ``{"error": message}`` and ``status``."""
    body = json.dumps({"error": " ".join(message.split())}).encode("utf-8")
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               (b"cache-control", b"no-store")]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Guard:
    """Wrap ``app``; ``hosts`` (``name:port`` values, lower case) may be set after the port is known.

    Args:
        app: the ASGI app.
        max_body: largest request body in bytes.
        hosts: the accepted ``Host`` values.
    """

    def __init__(self, app: ASGIApp, *, max_body: int, hosts: frozenset[str] = frozenset()) -> None:
        self.app, self.max_body = app, max_body
        self.hosts = hosts

    @property
    def origins(self) -> frozenset[str]:
        """Origins that are this server."""
        return frozenset(f"http://{h}" for h in self.hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            await self.app(scope, receive, send)
            return
        problem = self.refusal(scope)
        if problem is not None:
            status, message = problem
            await send_error(send, status, message, close=status == 413)
            return
        await self.app(scope, self._counting(receive), send)

    def refusal(self, scope: Scope) -> tuple[int, str] | None:
        """``(status, reason)`` when the request must not reach the app, else None."""
        headers: dict[str, list[str]] = {}
        for k, v in scope.get("headers", []):
            headers.setdefault(k.decode("latin-1").lower(), []).append(v.decode("latin-1"))
        hosts = headers.get("host", [])
        if len(hosts) != 1:
            return 400, "exactly one Host header is needed"
        host = hosts[0].strip().lower()
        if host not in self.hosts:
            return 403, f"Host {host!r} is not this server; open it as http://{min(self.hosts, default='127.0.0.1')}/"
        origin = headers.get("origin", [None])[0]
        if origin is not None and origin.strip().lower() not in self.origins:
            return 403, f"cross-site request from origin {origin!r} refused"
        site = headers.get("sec-fetch-site", [""])[0].lower()
        if site == "cross-site" and scope.get("method") not in _SAFE_METHODS:
            return 403, "cross-site request refused"
        length = headers.get("content-length", [None])[0]
        if length is not None:
            if not length.strip().isdigit():
                return 400, f"bad Content-Length {length!r}"
            if int(length) > self.max_body:
                return 413, f"request body of {int(length)} bytes is over this server's limit of {self.max_body} bytes"
        return None

    def _counting(self, receive: Receive) -> Receive:
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise TooLarge(f"request body is over this server's limit of {self.max_body} bytes")
            return message

        return counted
