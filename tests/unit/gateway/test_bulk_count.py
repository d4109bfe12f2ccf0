"""The bulk route's entry count, taken before any model is built, and the body's
reading (what a parse worker runs, bulk_body.py)."""
from __future__ import annotations

import pickle

import orjson
import pytest
from fastapi import HTTPException
from starlette.requests import Request

from services.gateway.bulk_body import TooManyArticles, read_bulk
from services.gateway.json_text import BodyError
from services.gateway.routes import articles
from services.gateway.settings import GatewaySettings

SETTINGS = GatewaySettings(max_bulk_articles=3)


def request_with(body: bytes) -> Request:
    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    return Request({"type": "http", "method": "POST", "path": "/v1/articles/bulk",
                    "headers": [(b"content-type", b"application/json")]}, receive)


def entries(key: str, count: int) -> bytes:
    return ("{\"articles\": [" + ",".join(f'{{"{key}": "text/plain", "body": "x"}}' for _ in range(count))
            + "]}").encode()


async def test_entries_over_the_count_in_the_raw_bytes_are_refused_before_any_parse():
    # the route's own check: no parse pool is needed (the request has no app)
    with pytest.raises(HTTPException) as refused:
        await articles.read_bulk(request_with(entries("contentType", 4)), "local", SETTINGS)
    assert refused.value.status_code == 413
    assert refused.value.detail["error"] == "too_many_articles"


@pytest.mark.parametrize("key", ["contentType", "content\\u0054ype", "\\u0063ontentType"])
def test_entries_over_the_count_are_refused_however_the_key_is_spelt(key):
    with pytest.raises(TooManyArticles):
        read_bulk(entries(key, 4), "application/json", 3)


def test_a_bulk_within_the_count_passes_even_with_escaped_text():
    body = orjson.dumps({"articles": [{"contentType": "text/plain", "body": "caf\u00e9"}] * 3},
                        option=orjson.OPT_NON_STR_KEYS).replace("é".encode(), b"\\u00e9")
    submission = read_bulk(body, "application/json", 3)
    assert [a.body for a in submission.articles] == ["caf\u00e9"] * 3


@pytest.mark.parametrize("body, status, error_type", [
    (b'{"articles": [\\u0000', 422, "json_invalid"),
    (b'{"articles": [{"contentType": "text/plain", "bogus": 1}]}', 422, "extra_forbidden"),
    (b'{"articles": [{"contentType": 7}]}', 422, "string_type"),
    (b"\xff\xfe\xfd", 400, None),
    (b"", 422, "missing"),
])
def test_a_body_that_cannot_be_read_says_why_and_the_reason_survives_the_trip_from_a_worker(body, status, error_type):
    with pytest.raises(BodyError) as refused:
        read_bulk(body, "application/json", 3)
    back = pickle.loads(pickle.dumps(refused.value))  # as a parse worker sends it back
    assert back.status == status
    assert [e["type"] for e in back.errors][:1] == ([error_type] if error_type else [])
    assert (back.detail is not None) == (status == 400)


KEYS = ",".join(f'"k{i}": 0' for i in range(100_000))


@pytest.mark.parametrize("body, first", [
    (f'{{"articles": [], {KEYS}}}', ("body", "k0")),
    (f'{{"articles": [{{"contentType": "text/plain", {KEYS}}}]}}', ("body", "articles", 0, "k0")),
], ids=["beside-the-articles", "in-an-entry"])
def test_a_body_of_a_hundred_thousand_unknown_keys_names_twenty_errors_and_counts_the_rest(body, first):
    with pytest.raises(BodyError) as refused:
        read_bulk(body.encode(), "application/json", 3)
    errors = refused.value.errors
    assert len(errors) == 21 and {e["type"] for e in errors[:20]} == {"extra_forbidden"}
    assert errors[0]["loc"] == first
    assert errors[-1] == {"loc": ("body",), "msg": "and 99980 more errors", "type": "too_many_errors"}


@pytest.mark.parametrize("body", [b"[" * 100_000, b'{"articles": ' + b"9" * 5000 + b"}"],
                         ids=["nested-too-deep", "a-5000-digit-integer"])
def test_json_python_cannot_read_is_a_422_not_a_crash(body):
    with pytest.raises(BodyError) as refused:
        read_bulk(body, "application/json", 3)
    assert refused.value.status == 422 and refused.value.errors[0]["type"] == "json_invalid"
