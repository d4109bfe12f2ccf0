"""The bulk route's entry count, taken before any model is built."""
from __future__ import annotations

import orjson
import pytest
from fastapi import HTTPException
from fastapi.exceptions import RequestValidationError
from starlette.requests import Request

from services.gateway.routes.articles import read_bulk
from services.gateway.settings import GatewaySettings

SETTINGS = GatewaySettings(max_bulk_articles=3)


def request_with(body: bytes) -> Request:
    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    return Request({"type": "http", "method": "POST", "path": "/v1/articles/bulk",
                    "headers": [(b"content-type", b"application/json")]}, receive)


@pytest.mark.parametrize("key", ["contentType", "content\\u0054ype", "\\u0063ontentType"])
async def test_entries_over_the_count_are_refused_however_the_key_is_spelt(key):
    entries = ",".join(f'{{"{key}": "text/plain", "body": "x"}}' for _ in range(4))
    with pytest.raises(HTTPException) as refused:
        await read_bulk(request_with(f'{{"articles": [{entries}]}}'.encode()), "local", SETTINGS)
    assert refused.value.status_code == 413
    assert refused.value.detail["error"] == "too_many_articles"


async def test_a_bulk_within_the_count_passes_even_with_escaped_text():
    body = orjson.dumps({"articles": [{"contentType": "text/plain", "body": "caf\u00e9"}] * 3},
                        option=orjson.OPT_NON_STR_KEYS).replace("é".encode(), b"\\u00e9")
    submission = await read_bulk(request_with(body), "local", SETTINGS)
    assert [a.body for a in submission.articles] == ["caf\u00e9"] * 3
    with pytest.raises(RequestValidationError):  # not JSON: 422 json_invalid
        await read_bulk(request_with(b'{"articles": [\\u0000'), "local", SETTINGS)
