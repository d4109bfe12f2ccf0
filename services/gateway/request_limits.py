"""Bounds on every request, enforced before any route, authentication or parsing
work: header sizes, the body's byte count and the time its body may take.

A pure ASGI middleware (not BaseHTTPMiddleware, which would buffer streaming
responses): it reads the body itself as the server hands it over, stops at the first
chunk past the cap and answers 413 then, whether the client declared a
Content-Length or sent the body chunked. The app then gets the body from memory,
so a route never sees more than ``max_body_bytes``. A body not complete within
``body_timeout_s`` (from its first read) is answered 408 and the connection closed:
no key is checked before the body is read, so a client that declared a large body
and sent it a byte a minute, or not at all, held a connection (and what it sent)
for ever, and enough of them exhaust the gateway's sockets (the head has its own
deadline, in :mod:`services.gateway.http_server`).
"""
from __future__ import annotations

import asyncio

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.gateway.metrics import REJECTED

_BODILESS = {b"GET", b"HEAD", b"OPTIONS"}


async def answer(send: Send, status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> None:
    """Send a complete JSON error response ``{"error": code, "detail": detail}``."""
    REJECTED.labels(str(status), code).inc()
    body = orjson.dumps({"error": code, "detail": detail})
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
           (b"connection", b"close")]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class RequestLimits:
    """413 past ``max_body_bytes`` of body, 431 past ``max_header_bytes`` of headers,
    400 for an Idempotency-Key longer than ``max_idempotency_key_chars``, 408 for a
    body still incomplete ``body_timeout_s`` after its reading began."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_header_bytes: int,
                 max_idempotency_key_chars: int, body_timeout_s: float = 60.0) -> None:
        self.app = app
        self.body_timeout_s = body_timeout_s
        self.max_body_bytes = max_body_bytes
        self.max_header_bytes = max_header_bytes
        self.max_idempotency_key_chars = max_idempotency_key_chars

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope["headers"]
        declared = None
        for name, value in headers:
            if name == b"idempotency-key" and len(value) > self.max_idempotency_key_chars:
                await answer(send, 400, "idempotency_key_too_long",
                             f"Idempotency-Key is longer than {self.max_idempotency_key_chars} characters")
                return
            if name == b"content-length":
                declared = value
        if sum(len(k) + len(v) for k, v in headers) > self.max_header_bytes:
            await answer(send, 431, "headers_too_large", f"request headers are over {self.max_header_bytes} bytes")
            return
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body_bytes):
            await self._too_large(send)
            return
        chunked = any(n == b"transfer-encoding" for n, _ in headers)
        if scope["method"].encode() in _BODILESS and declared is None and not chunked:
            await self.app(scope, receive, send)
            return
        try:
            async with asyncio.timeout(self.body_timeout_s):
                body = await self._read_body(receive)
        except TimeoutError:
            await answer(send, 408, "request_timeout", f"the body took over {self.body_timeout_s:g} s")
            return
        if body is None:
            await self._too_large(send)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read_body(self, receive: Receive) -> bytes | None:
        """The whole body, or None as soon as it passes the cap."""
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return b"".join(chunks)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _too_large(self, send: Send) -> None:
        await answer(send, 413, "payload_too_large", f"body is over the limit of {self.max_body_bytes} bytes")


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive() that hands the app the buffered body, then the real messages
    (so a streaming route still learns of a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
