"""What the LibreTranslate engine and its settings show of a URL and a key that carry
credentials: errors httpx raises quoting the request URL, answers echoing the key,
the settings' repr. The HTTP exchange is httpx's own MockTransport (the engine
against a stand-in server is in tests/integration/test_translation_libretranslate.py)."""
from __future__ import annotations

import traceback

import httpx
import orjson
import pytest

from services.translation.engines.base import EngineFailed, EngineUnavailable, Pair
from services.translation.engines.libretranslate import LibreTranslateEngine
from services.translation.settings import TranslationSettings

URL = "https://bob:s3cret@lt.example:5000/proxy/pathtoken-7f3a9c?token=querykey-51d2e8"
API_KEY = "apikey-0b6e44"
SECRETS = ("s3cret", "pathtoken-7f3a9c", "querykey-51d2e8", API_KEY)
KO = Pair("en", "ko")


def shown(error: BaseException) -> str:
    """What the desk logs (repr), the DLQ carries (str) and a traceback prints."""
    return f"{error!r} {error} {''.join(traceback.format_exception(error))}"


def leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


async def failing_with(make_error) -> BaseException:
    def handle(request: httpx.Request) -> httpx.Response:
        raise make_error(request)

    engine = LibreTranslateEngine(URL, api_key=API_KEY, transport=httpx.MockTransport(handle))
    try:
        with pytest.raises((EngineUnavailable, EngineFailed)) as caught:
            await engine.translate(["Hello."], KO)
    finally:
        await engine.aclose()
    return caught.value


async def test_a_transport_error_quoting_the_request_url_becomes_an_engine_error_without_it():
    error = await failing_with(lambda request: httpx.ConnectError(f"cannot reach {request.url}", request=request))
    assert isinstance(error, EngineUnavailable)
    assert str(error).startswith("LibreTranslate at https://lt.example:5000 unreachable: ConnectError: cannot reach")
    assert error.__cause__ is None and error.__suppress_context__  # no httpx error chained to print
    assert leaks(shown(error)) == []


async def test_any_other_httpx_error_quoting_the_url_fails_the_pair_without_it():
    error = await failing_with(lambda request: httpx.DecodingError(f"bad gzip from {request.url}", request=request))
    assert isinstance(error, EngineFailed) and "DecodingError" in str(error)
    assert leaks(shown(error)) == []


@pytest.mark.parametrize("status, body, raised", [
    (401, {"error": f"Invalid API key {API_KEY} for /proxy/pathtoken-7f3a9c"}, EngineFailed),
    (503, {"error": f"upstream {URL} down"}, EngineUnavailable),
    (200, {"echo": {"api_key": API_KEY}}, EngineFailed),  # no translatedText: the body is quoted
])
async def test_an_answer_echoing_the_key_or_the_url_is_quoted_without_them(status, body, raised):
    # streamed, as a server's answer is (a Response built from content is read already)
    transport = httpx.MockTransport(lambda request: httpx.Response(status, stream=httpx.ByteStream(orjson.dumps(body))))
    engine = LibreTranslateEngine(URL, api_key=API_KEY, transport=transport)
    try:
        with pytest.raises(raised) as caught:
            await engine.translate(["Hello."], KO)
    finally:
        await engine.aclose()
    assert leaks(shown(caught.value)) == []


NOT_HTTP = "ftp://bob:s3cret@lt.example/pathtoken-7f3a9c"


def test_a_url_that_is_no_http_url_is_refused_at_start_naming_only_its_origin():
    with pytest.raises(ValueError) as refused:
        LibreTranslateEngine(NOT_HTTP)
    assert "ftp://lt.example" in str(refused.value) and leaks(shown(refused.value)) == []


def test_the_settings_repr_shows_neither_the_url_nor_the_key(monkeypatch):
    monkeypatch.setenv("WIRE_LIBRETRANSLATE_URL", URL)
    monkeypatch.setenv("WIRE_LIBRETRANSLATE_API_KEY", API_KEY)
    settings = TranslationSettings()
    assert leaks(f"{settings!r} {settings}") == []
    assert settings.libretranslate_url == URL and settings.libretranslate_api_key.get_secret_value() == API_KEY
