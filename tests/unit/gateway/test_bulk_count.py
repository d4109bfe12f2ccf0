"""The bulk route's entry count, taken from the raw body before any model is built."""
from __future__ import annotations

import orjson
import pytest
from fastapi import HTTPException
from starlette.requests import Request

from services.gateway.routes.articles import _bulk_fits
from services.gateway.settings import GatewaySettings

SETTINGS = GatewaySettings(max_bulk_articles=3)


def request_with(body: bytes) -> Request:
    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    return Request({"type": "http", "method": "POST", "path": "/v1/articles/bulk", "headers": []}, receive)


@pytest.mark.parametrize("key", ["contentType", "content\\u0054ype", "\\u0063ontentType"])
async def test_entries_over_the_count_are_refused_however_the_key_is_spelt(key):
    entries = ",".join(f'{{"{key}": "text/plain", "body": "x"}}' for _ in range(4))
    with pytest.raises(HTTPException) as refused:
        await _bulk_fits(request_with(f'{{"articles": [{entries}]}}'.encode()), SETTINGS)
    assert refused.value.status_code == 413


async def test_a_bulk_within_the_count_passes_even_with_escaped_text():
    body = orjson.dumps({"articles": [{"contentType": "text/plain", "body": "caf\u00e9"}] * 3},
                        option=orjson.OPT_NON_STR_KEYS).replace("é".encode(), b"\\u00e9")
    await _bulk_fits(request_with(body), SETTINGS)
    await _bulk_fits(request_with(b'{"articles": [\\u0000'), SETTINGS)  # not JSON: the route answers 400
