"""JSON bodies are parsed only once the caller is known (services/gateway/json_body.py),
and the OpenAPI document still shows them as the operations' request bodies. Without
Kafka or Redis: the throttle and the rate limit are off here (tests/e2e/test_attacks.py
checks the throttled case against the running gateway)."""
from __future__ import annotations

import httpx
import orjson
import pytest
from fastapi import routing


ADMIN = {"Authorization": "Bearer dev-admin-key"}
PROVIDER = {"Authorization": "Bearer dev-key"}
JSON = {"Content-Type": "application/json"}
# What a client without a key sends to make the gateway work: it would not even parse.
UNPARSEABLE = b'{"articles": [[], [], [], {"name": '
ROUTES = [("POST", "/v1/articles/bulk", "BulkSubmission"), ("POST", "/v1/subscriptions", "NewSubscription"),
          ("PUT", "/v1/subscriptions/x", "SubscriptionSpec")]


@pytest.fixture
async def client(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as http:
        yield http


@pytest.mark.parametrize("method, path, _", ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
@pytest.mark.parametrize("key", [{}, {"Authorization": "Bearer wrong"}], ids=["no-key", "wrong-key"])
async def test_a_body_from_a_caller_without_a_key_is_not_parsed(client, method, path, _, key):
    # 422 would mean the body was parsed first: the answer is the key's
    answer = await client.request(method, path, headers={**key, **JSON}, content=UNPARSEABLE)
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"] == "unauthorized"


@pytest.mark.parametrize("method, path", [("POST", "/v1/subscriptions"), ("PUT", "/v1/subscriptions/x")])
async def test_a_provider_key_on_a_subscription_route_gets_401_unparsed(client, method, path):
    answer = await client.request(method, path, headers={**PROVIDER, **JSON}, content=UNPARSEABLE)
    assert answer.status_code == 401, answer.text


@pytest.mark.parametrize("method, path", [("POST", "/v1/subscriptions"), ("PUT", "/v1/subscriptions/big")])
async def test_a_subscription_body_over_64_kib_is_refused_as_too_large(client, method, path):
    body = orjson.dumps({"name": "big", "filter": {"keywords": ["k" * 100] * 700}})
    assert 64 * 1024 < len(body) < 5 * 1024 * 1024
    answer = await client.request(method, path, headers={**ADMIN, **JSON}, content=body)
    assert answer.status_code == 413, answer.text
    assert answer.json()["error"] == "payload_too_large"
    assert "65536 bytes" in answer.json()["detail"]


async def test_a_body_of_another_media_type_is_refused_as_invalid(client):
    answer = await client.post("/v1/subscriptions", headers={**ADMIN, "Content-Type": "text/plain"},
                               content=b'{"name": "x"}')
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["loc"] == ["body"]


async def test_a_missing_body_is_refused_naming_the_body(client):
    answer = await client.post("/v1/subscriptions", headers={**ADMIN, **JSON})
    assert answer.status_code == 422
    assert answer.json()["errors"] == [{"loc": ["body"], "msg": "Field required", "type": "missing"}]


def test_no_route_has_fastapi_parse_its_body_before_its_dependencies(app):
    with_body_parameter = [(sorted(r.methods), r.path_format) for r in routing.iter_route_contexts(app.routes)
                           if getattr(r, "body_field", None) is not None]
    assert with_body_parameter == []


@pytest.mark.parametrize("method, path, model", ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_the_document_still_shows_each_json_body(app, method, path, model):
    document = app.openapi()
    templated = "/v1/subscriptions/{name}" if path.endswith("/x") else path
    assert document["paths"][templated][method.lower()]["requestBody"] == {
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{model}"}}}, "required": True}
    assert model in document["components"]["schemas"]
