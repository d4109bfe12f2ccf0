"""What a LibreTranslate server (or a proxy in front of it, compromised or broken) can
make the engine do: one deadline however the answer drips, a capped answer as received
and as decoded, and no translation far longer than its source (it would be kept in
the translation memory for months, and make records Kafka refuses). The HTTP exchange
is httpx's own MockTransport."""
from __future__ import annotations

import asyncio
import gzip
import time

import httpx
import orjson
import psutil
import pytest

from services.translation.engines.base import EngineFailed, EngineUnavailable, Pair
from services.translation.engines.libretranslate import LibreTranslateEngine

PT = Pair("en", "pt")


class Drip(httpx.AsyncByteStream):
    """A body sent one byte every ``every_s`` seconds."""

    def __init__(self, every_s: float) -> None:
        self.every_s = every_s

    async def __aiter__(self):
        for byte in b'{"translatedText": ["' + b"x" * 1000:
            await asyncio.sleep(self.every_s)
            yield bytes([byte])


def sent(body: bytes, **headers: str) -> httpx.Response:
    """An answer streamed, as a server's is (a Response built from content is read already)."""
    return httpx.Response(200, stream=httpx.ByteStream(body), headers=headers)


async def translated_by(answer, segments=("Hello.",), **options):
    engine = LibreTranslateEngine("http://lt.example:5000", transport=httpx.MockTransport(answer), **options)
    try:
        return await engine.translate(list(segments), PT)
    finally:
        await engine.aclose()


async def test_an_answer_that_drips_ends_at_the_one_deadline():
    started = time.monotonic()
    with pytest.raises(EngineUnavailable, match="did not answer within 0.5 s"):
        await translated_by(lambda request: httpx.Response(200, stream=Drip(0.05)), timeout_s=0.5)
    assert time.monotonic() - started < 10  # a generous guard: the outcome above is the assertion


async def test_a_huge_answer_is_refused_at_its_cap():
    body = orjson.dumps({"translatedText": ["x" * (3 * 1024 * 1024)]})
    with pytest.raises(EngineFailed, match="as received"):
        await translated_by(lambda request: sent(body))


async def test_a_gzip_bomb_stops_at_the_decoded_cap_without_inflating():
    bomb = gzip.compress(b'{"translatedText": ["' + b"x" * (300 * 1024 * 1024) + b'"]}', compresslevel=9)
    before = psutil.Process().memory_info().rss
    with pytest.raises(EngineFailed, match="decoded"):
        await translated_by(lambda request: sent(bomb, **{"Content-Encoding": "gzip"}))
    assert psutil.Process().memory_info().rss - before < 100 * 1024 * 1024


async def test_a_translation_far_longer_than_its_source_is_refused():
    answer = orjson.dumps({"translatedText": ["Olá.", "y" * 5000]})
    with pytest.raises(EngineFailed, match="segment 1's translation is 5000 characters for 3"):
        await translated_by(lambda request: sent(answer), segments=["Hello.", "Hi."])


async def test_a_compressed_answer_of_the_right_size_is_read():
    answer = gzip.compress(orjson.dumps({"translatedText": ["Olá.", "Bom dia."]}))
    assert await translated_by(lambda request: sent(answer, **{"Content-Encoding": "gzip"}),
                               segments=["Hello.", "Good morning."]) == ["Olá.", "Bom dia."]


async def test_json_nested_too_deep_fails_the_pair_instead_of_crashing():
    with pytest.raises(EngineFailed, match="no translatedText"):
        await translated_by(lambda request: sent(b"[" * 100_000))


@pytest.mark.parametrize("status", [429, 503])
async def test_a_busy_server_with_a_huge_or_odd_answer_is_still_retried(status):
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, stream=httpx.ByteStream(b"overloaded " * 400_000),
                              headers={"Content-Encoding": "zstd"})

    with pytest.raises(EngineUnavailable, match=f"answered {status}"):
        await translated_by(answer)
