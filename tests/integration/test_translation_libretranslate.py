"""The LibreTranslate engine against a local stand-in of LibreTranslate's HTTP API.

LibreTranslate is an external HTTP service (not Kafka or Redis) that does not run
here, so a small server speaking its ``POST /translate`` contract (q as a list,
translatedText as a list; 400 {"error"} for an unsupported language; 429/5xx when
overloaded) stands in for it, including its failure modes.
"""
from __future__ import annotations

import json
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from services.translation.engines.base import EngineFailed, EngineUnavailable, Pair
from services.translation.engines.libretranslate import LibreTranslateEngine
from services.cli.stack.processes import free_port

pytestmark = pytest.mark.integration


class FakeLibreTranslate:
    """Answers like LibreTranslate: "[ko] <text>" for each q, in order. ``mode``:
    "ok", "overloaded" (503), "refuse" (400 like an unsupported language), "echo"
    (403 quoting the API key, the path and the query it was sent, as a careless proxy
    would). ``prefix`` is the path it serves under (a reverse proxy's); ``seen`` holds
    each request's path and Authorization header."""

    def __init__(self, languages: tuple[str, ...] = ("en", "ko"), *, prefix: str = "") -> None:
        self.languages = languages
        self.mode = "ok"
        self.requests: list[dict] = []
        self.seen: list[tuple[str, str | None]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(body)
                fake.seen.append((self.path, self.headers.get("Authorization")))
                if self.path.partition("?")[0] != f"{prefix}/translate":
                    return self._answer(404, {"error": "Not Found"})
                if fake.mode == "echo":
                    return self._answer(403, {"error": f"{self.path}: API key {body.get('api_key')} is invalid"})
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


# What WIRE_LIBRETRANSLATE_URL and WIRE_LIBRETRANSLATE_API_KEY may hold: a password, a
# reverse proxy's path token, a key in the query, and the key the engine sends.
PATH_TOKEN, QUERY_KEY, API_KEY = "pathtoken-7f3a9c", "querykey-51d2e8", "apikey-0b6e44"
LIBRE_SECRETS = ("s3cret", PATH_TOKEN, QUERY_KEY, API_KEY)


def with_credentials(server: FakeLibreTranslate) -> str:
    return server.url.replace("://", "://bob:s3cret@") + f"/lt/{PATH_TOKEN}?token={QUERY_KEY}"


def shows_no_secret(text: str) -> bool:
    return not any(secret in text for secret in LIBRE_SECRETS)


async def test_a_url_with_credentials_reaches_the_server_and_items_name_only_its_origin():
    with FakeLibreTranslate(prefix=f"/lt/{PATH_TOKEN}") as server:
        engine = LibreTranslateEngine(with_credentials(server), api_key=API_KEY)
        try:
            out = await engine.translate(["Hello."], KO)
        finally:
            await engine.aclose()
    assert out == ["[ko] Hello."]
    # the path, the query and the user info still travel where they must
    assert server.seen == [(f"/lt/{PATH_TOKEN}/translate?token={QUERY_KEY}", "Basic Ym9iOnMzY3JldA==")]
    assert server.requests[0]["api_key"] == API_KEY
    provenance = engine.provenance(KO)
    assert provenance.label == f"LibreTranslate at {server.url}"
    assert shows_no_secret(repr(provenance))


async def test_errors_carry_neither_the_url_s_secrets_nor_the_api_key():
    with FakeLibreTranslate(prefix=f"/lt/{PATH_TOKEN}") as server:
        engine = LibreTranslateEngine(with_credentials(server), api_key=API_KEY, timeout_s=2)
        try:
            server.mode = "echo"
            with pytest.raises(EngineFailed) as refused:
                await engine.translate(["Hello."], KO)
        finally:
            await engine.aclose()
    engine = LibreTranslateEngine(with_credentials(server), api_key=API_KEY, timeout_s=2)  # the server is gone now
    try:
        with pytest.raises(EngineUnavailable) as unreachable:
            await engine.translate(["Hello."], KO)
    finally:
        await engine.aclose()
    assert "403" in str(refused.value) and "is invalid" in str(refused.value)
    assert str(unreachable.value).startswith(f"LibreTranslate at {server.url} unreachable: ConnectError")
    for error in (refused.value, unreachable.value):
        # what the desk logs (repr), the DLQ header holds (str) and a traceback prints
        shown = f"{error!r} {error} {''.join(traceback.format_exception(error))}"
        assert shows_no_secret(shown), shown
