"""A cap on concurrent SSE streams, overall and per token, so streams can never
take the connections, memory or Redis pool the rest of the API needs.

A pure ASGI middleware in front of ``/v1/stream``: a stream holds its slot from the
moment it is admitted until the response ends, however it ends (client gone,
server shutting down, error), because the slot is released when the app call
returns. Past a cap the request answers 503 with Retry-After at once. A stream is
counted against the token it presents (read as the reader dependency reads it), or
against its client address without one.
"""
from __future__ import annotations

import hashlib
from collections import Counter

from fastapi.security.utils import get_authorization_scheme_param
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from services.gateway.metrics import STREAMS_OPEN
from services.gateway.request_limits import answer

STREAM_PATH = "/v1/stream"


class StreamSlots:
    def __init__(self, app: ASGIApp, *, total: int, per_token: int, retry_after_s: int) -> None:
        self.app = app
        self.total = total
        self.per_token = per_token
        self.retry_after_s = retry_after_s
        self.open: Counter[str] = Counter()

    @property
    def in_use(self) -> int:
        return sum(self.open.values())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != STREAM_PATH:
            await self.app(scope, receive, send)
            return
        holder = _holder(scope)
        retry = {"Retry-After": str(self.retry_after_s)}
        if self.in_use >= self.total:
            await answer(send, 503, "too_many_streams", f"all {self.total} streams are in use; try again later", retry)
            return
        if self.open[holder] >= self.per_token:
            await answer(send, 503, "too_many_streams",
                         f"at most {self.per_token} concurrent streams per token", retry)
            return
        self.open[holder] += 1
        STREAMS_OPEN.inc()
        try:
            await self.app(scope, receive, send)
        finally:
            STREAMS_OPEN.dec()
            self.open[holder] -= 1
            if not self.open[holder]:
                del self.open[holder]


def _holder(scope: Scope) -> str:
    """Whom a stream counts against: the credential exactly as the reader dependency
    reads it (``services.gateway.deps``: a Bearer header, scheme in any case and
    spaces stripped, else the last ``token`` in the query), so no spelling of one
    token counts as another; the client address without one."""
    request = Request(scope)
    scheme, credentials = get_authorization_scheme_param(request.headers.get("authorization"))
    token = credentials if scheme.lower() == "bearer" and credentials else request.query_params.get("token")
    if token:
        return "token:" + hashlib.sha256(token.encode()).hexdigest()
    client = scope.get("client")
    return f"address:{client[0] if client else 'unknown'}"
