"""The webhook endpoint of a chaos run: checks every delivery's signature and keeps
(uri, version, delivery id, arrival, flagged as a possible repeat) so the checker can
count losses, repeats and per-story version order. Its :class:`WebhookEndpoint` also
serves the tests' scripted receivers."""
from __future__ import annotations

import threading
import time
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

from services.cli.stack.processes import free_port
from services.publishing.webhooks import SIGNATURE, TIMESTAMP, verify


class WebhookEndpoint:
    """A subscriber's webhook endpoint on 127.0.0.1: an http.server in a daemon thread
    that reads each POST and answers what :meth:`answer` returns. Subclasses record
    what they need under ``self._lock`` (the server answers requests in threads)."""

    def __init__(self, *, port: int | None = None) -> None:
        self.port = port or free_port()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def answer(self, headers: Message, body: bytes) -> tuple[int, dict[str, str], bytes]:
        """(status, extra response headers, response body) for one POST."""
        raise NotImplementedError

    def start(self) -> Self:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, headers, reply = endpoint.answer(self.headers, body)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class CheckingReceiver(WebhookEndpoint):
    def __init__(self, secret: str = "", *, port: int | None = None) -> None:
        super().__init__(port=port)
        self.secret = secret  # set once the subscription is made (the gateway may generate it)
        # (uri, version, delivery id, at, X-Wire-Redelivery)
        self.deliveries: list[tuple[str, str, str, float, bool]] = []
        self.bad_signatures = 0

    def answer(self, headers: Message, body: bytes) -> tuple[int, dict[str, str], bytes]:
        signed = verify(self.secret, headers.get(TIMESTAMP, ""), body, headers.get(SIGNATURE, ""))
        with self._lock:
            if signed:
                self.deliveries.append((headers.get("X-Wire-Uri", ""), headers.get("X-Wire-Version", ""),
                                        headers.get("X-Wire-Delivery", ""), time.time(),
                                        headers.get("X-Wire-Redelivery", "") == "true"))
            else:
                self.bad_signatures += 1
        return (200 if signed else 401), {}, b""

    def repeats(self) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """Later copies of a (uri, version) already received: those the sender flagged
        with ``X-Wire-Redelivery`` (it could not know whether the first arrived: a retry,
        or an entry left in flight by a dead holder) and those it did not (a real
        duplicate: the pipeline delivered one version twice as if new)."""
        seen: set[tuple[str, str]] = set()
        flagged, unflagged = [], []
        with self._lock:
            for uri, version, _, _, redelivery in self.deliveries:
                if (uri, version) in seen:
                    (flagged if redelivery else unflagged).append((uri, version))
                seen.add((uri, version))
        return flagged, unflagged

    def out_of_order(self) -> list[str]:
        """Stories whose versions arrived in another order than they were numbered."""
        last: dict[str, int] = {}
        bad = []
        with self._lock:
            for uri, version, *_ in self.deliveries:
                v = int(version) if version.isdigit() else 0
                if v < last.get(uri, 0):
                    bad.append(uri)
                last[uri] = max(v, last.get(uri, 0))
        return bad
