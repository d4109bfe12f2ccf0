"""The LibreTranslate engine against a local stand-in of LibreTranslate's HTTP API.

LibreTranslate is an external HTTP service (not Kafka or Redis) that does not run
here, so a small server speaking its ``POST /translate`` contract (q as a list,
translatedText as a list; 400 {"error"} for an unsupported language; 429/5xx when
overloaded) stands in for it, including its failure modes.
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from services.translation.engines.base import EngineFailed, EngineUnavailable, Pair
from services.translation.engines.libretranslate import LibreTranslateEngine
from services.cli.stack.processes import free_port

pytestmark = pytest.mark.integration


class FakeLibreTranslate:
    """Answers like LibreTranslate: "[ko] <text>" for each q, in order. ``mode``:
    "ok", "overloaded" (503), "refuse" (400 like an unsupported language)."""

    def __init__(self, languages: tuple[str, ...] = ("en", "ko")) -> None:
        self.languages = languages
        self.mode = "ok"
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(body)
                if self.path != "/translate":
                    return self._answer(404, {"error": "Not Found"})
                if fake.mode == "overloaded":
                    return self._answer(503, {"error": "Service Unavailable"})
                if fake.mode == "refuse" or body.get("target") not in fake.languages:
                    return self._answer(400, {"error": f"{body.get('target')} is not supported"})
                q = body["q"]
                out = [f"[{body['target']}] {t}" for t in q] if isinstance(q, list) else f"[{body['target']}] {q}"
                return self._answer(200, {"translatedText": out})

            def _answer(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeLibreTranslate:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


KO = Pair("en", "ko")


async def test_a_batch_is_one_request_with_q_as_a_list():
    with FakeLibreTranslate() as server:
        engine = LibreTranslateEngine(server.url, api_key="secret", batch_size=3)
        try:
            out = await engine.translate([f"Sentence {i} about X1X." for i in range(5)], KO)
        finally:
            await engine.aclose()
    assert out == [f"[ko] Sentence {i} about X1X." for i in range(5)]
    assert [len(r["q"]) for r in server.requests] == [3, 2]
    assert server.requests[0] | {"q": None} == {"q": None, "source": "en", "target": "ko", "format": "text",
                                                  "api_key": "secret"}


async def test_overload_and_an_unreachable_server_are_retriable_a_refusal_is_not():
    with FakeLibreTranslate() as server:
        engine = LibreTranslateEngine(server.url)
        try:
            server.mode = "overloaded"
            with pytest.raises(EngineUnavailable, match="503"):
                await engine.translate(["Hello."], KO)
            server.mode = "ok"
            with pytest.raises(EngineFailed, match="de is not supported"):
                await engine.translate(["Hello."], Pair("en", "de"))
        finally:
            await engine.aclose()
    engine = LibreTranslateEngine(server.url, timeout_s=2)  # the server is gone now
    try:
        with pytest.raises(EngineUnavailable, match="unreachable"):
            await engine.translate(["Hello."], KO)
    finally:
        await engine.aclose()
