"""The HTTP server under the app: uvicorn's httptools protocol with bounds on a
request's head (its request line and headers), which uvicorn does not bound.

httptools (llhttp) takes a request line or a header value of any length, gathered
by appending each chunk to what came before: a client that never ends its URL or one
header made the gateway copy ever longer buffers on its event loop (20 MiB in 64 KiB
chunks: 3 s of every party's requests stalled), and the 431 of
:mod:`services.gateway.request_limits` runs only once a head is complete. Here a head
still unfinished after more than ``max_head_bytes`` (counted over whole chunks, so
by at most one read, 256 KiB, more) is answered 431 and the connection closed; and one
not finished within ``head_timeout_s`` of its first byte is answered 408 and closed,
so connections sending a head a byte at a time do not pile up either. A connection
that sends no request at all (or only the blank lines a parser skips) is closed
``head_timeout_s`` after it opened, or after those bytes.
"""
from __future__ import annotations

from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from services.gateway.metrics import REJECTED

# What a head may hold beside its headers (WIRE_MAX_HEADER_BYTES): the request line.
REQUEST_LINE_BYTES = 16 * 1024


class BoundedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol, refusing a request head that is too long or too slow."""

    max_head_bytes = 32 * 1024
    head_timeout_s = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = False
        self._began = False  # a message began in the chunk being read
        self._head_bytes = 0
        self._head_timer = None
        self._refused = False

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_timer()  # a first request, within the head's time

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head, self._began, self._head_bytes = True, True, 0
        self._start_timer()

    def on_headers_complete(self) -> None:
        self._end_head()
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        unfinished, self._began = self._in_head, False
        super().data_received(data)
        if unfinished and self._in_head and not self._began:  # one head, unfinished before and after this chunk
            self._head_bytes += len(data)
            if self._head_bytes > self.max_head_bytes:
                self._refuse(431, "headers_too_large",
                             f"the request line and headers are over {self.max_head_bytes} bytes")
        elif self._idle() and self._head_timer is None:  # bytes that began no request (blank lines)
            self._start_timer()

    def _idle(self) -> bool:
        """No request being read or answered: waiting for the next one's head."""
        return not self._in_head and (self.cycle is None or self.cycle.response_complete)

    def _start_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
        self._head_timer = self.loop.call_later(self.head_timeout_s, self._head_too_slow)

    def connection_lost(self, exc: Exception | None) -> None:
        self._end_head()
        super().connection_lost(exc)

    def _end_head(self) -> None:
        self._in_head = False
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if self.transport is None or self.transport.is_closing():
            return
        if self._in_head and self.flow is not None and self.flow.read_paused:
            self._start_timer()  # not read yet: waiting behind a pipelined request, not slow
        elif self._in_head:
            self._refuse(408, "request_timeout", f"the request line and headers took over {self.head_timeout_s:g} s")
        elif self._idle():  # no request began: nothing to answer
            self._refused = True
            self.transport.close()

    def _refuse(self, status: int, code: str, detail: str) -> None:
        self._refused = True
        self._end_head()
        REJECTED.labels(str(status), code).inc()
        if self.transport.is_closing():
            return
        body = orjson.dumps({"error": code, "detail": detail})
        self.transport.write(b"".join([STATUS_LINE[status], b"content-type: application/json\r\n",
                                       b"content-length: %d\r\n" % len(body), b"connection: close\r\n\r\n", body]))
        self.transport.close()


def bounded_protocol(*, max_head_bytes: int, head_timeout_s: float) -> type[BoundedHttpTools]:
    """The protocol class uvicorn is given (``http=``), with these bounds."""
    return type("GatewayHttp", (BoundedHttpTools,), {"max_head_bytes": max_head_bytes,
                                                     "head_timeout_s": head_timeout_s})
