"""Hostile HTTP peers for the outbound-guard tests, each built in the test: a local
server whose answer is a scripted function, a gzip bomb, a slow drip, a redirect
to an internal address; and the resident memory of this process."""
from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psutil

Answer = Callable[[BaseHTTPRequestHandler], None]


@contextmanager
def peer(answer: Answer, *, host: str = "127.0.0.1") -> Iterator["Peer"]:
    """A threaded HTTP server on ``host`` answering every request with ``answer``."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            seen.append(f"{self.command} {self.path}")
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            try:
                answer(self)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client hung up on purpose (cap or deadline)

        do_GET = do_POST = _any  # noqa: N815 - http.server's naming

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer((host, 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield Peer(host, server.server_port, seen)
    finally:
        server.shutdown()
        server.server_close()


class Peer:
    def __init__(self, host: str, port: int, seen: list[str]) -> None:
        self.host, self.port, self.requests = host, port, seen

    def url(self, path: str = "/", *, host: str | None = None) -> str:
        return f"http://{host or self.host}:{self.port}{path}"


def gzip_bomb(inflated_bytes: int) -> bytes:
    """A gzip body of ``inflated_bytes`` zeros (about 1000:1), built without ever
    holding the inflated bytes."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"\0" * (1 << 20)
    parts = [packer.compress(block) for _ in range(inflated_bytes // len(block))]
    return b"".join(parts) + packer.flush()


def bomb_answer(body: bytes, *, status: int = 200, content_type: str = "application/rss+xml") -> Answer:
    def answer(h: BaseHTTPRequestHandler) -> None:
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Encoding", "gzip")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
    return answer


def drip_answer(*, every_s: float, total: int = 1000) -> Answer:
    """200 headers at once, then one body byte every ``every_s`` seconds."""
    def answer(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(total))
        h.end_headers()
        for _ in range(total):
            h.wfile.write(b"x")
            h.wfile.flush()
            time.sleep(every_s)
    return answer


def redirect_answer(location: str) -> Answer:
    def answer(h: BaseHTTPRequestHandler) -> None:
        h.send_response(302)
        h.send_header("Location", location)
        h.send_header("Content-Length", "0")
        h.end_headers()
    return answer


def text_answer(body: bytes, *, status: int = 200, content_type: str = "text/plain") -> Answer:
    def answer(h: BaseHTTPRequestHandler) -> None:
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
    return answer


def rss_mb() -> float:
    """Resident memory of this process, in MB."""
    return psutil.Process().memory_info().rss / 1e6
