"""The push API a wire feed uses: per-feed keys, bulk, Idempotency-Key, rate limits."""
from __future__ import annotations

import base64
import json
import sys
import uuid

import httpx
import pytest

from services.cli.stack.processes import REPO, ChildProcess, free_port, wait_until
from services.cli.synthetic import synthetic_article
from tests.e2e.client import AUTH, wait_published

pytestmark = pytest.mark.e2e


def test_idempotency_key_replays_the_first_answer_to_the_same_article_only(pipeline):
    key = f"feed-42-item-{uuid.uuid4().hex[:8]}"
    headers = {**AUTH, "Content-Type": "text/plain", "Idempotency-Key": key}
    article = synthetic_article(8000, words=80)
    first = httpx.post(f"{pipeline.gateway_url}/v1/articles", content=article, headers=headers, timeout=10)
    assert first.status_code == 202
    retry = httpx.post(f"{pipeline.gateway_url}/v1/articles", content=article, headers=headers, timeout=10)
    assert retry.status_code == 202
    assert retry.json() == first.json()
    assert retry.headers["Idempotency-Replayed"] == "true"

    # another article (or the same bytes as another media type) under the same key is refused,
    # not answered with the first one's id and dropped
    other = synthetic_article(8001, words=80)
    for body, content_type in ((other, "text/plain"), (article, "text/html")):
        reused = httpx.post(f"{pipeline.gateway_url}/v1/articles", content=body, timeout=10,
                            headers={**headers, "Content-Type": content_type})
        assert reused.status_code == 422, reused.text
        assert reused.json()["error"] == "idempotency_key_reused"
        assert "Idempotency-Replayed" not in reused.headers
    # with a key of its own it is accepted, as itself
    fresh = httpx.post(f"{pipeline.gateway_url}/v1/articles", content=other, timeout=10,
                       headers={**headers, "Idempotency-Key": f"{key}-b"})
    assert fresh.status_code == 202 and fresh.json()["id"] != first.json()["id"]
    wait_published(pipeline.gateway_url, fresh.json()["id"])


def test_bulk_submission_answers_each_article(pipeline):
    good = synthetic_article(8100, words=80)
    response = httpx.post(f"{pipeline.gateway_url}/v1/articles/bulk", headers=AUTH, timeout=15, json={
        "articles": [
            {"contentType": "text/plain", "body": good},
            {"contentType": "text/plain",
             "bodyBase64": base64.b64encode(synthetic_article(8101, words=80).encode()).decode()},
            {"contentType": "image/png", "body": "not an article"},
            {"contentType": "text/plain", "bodyBase64": "%%%"},
        ]})
    assert response.status_code == 207
    result = response.json()
    assert (result["accepted"], result["failed"]) == (2, 2)
    assert [r["status"] for r in result["results"]] == [202, 202, 415, 422]
    assert result["results"][3]["body"]["where"] == "articles[3].bodyBase64"
    for accepted in result["results"][:2]:
        wait_published(pipeline.gateway_url, accepted["body"]["id"])


def test_a_bulk_entry_that_is_no_text_answers_422_alone_and_the_others_go_on(pipeline):
    # JSON may escape a lone surrogate ("\\ud800"); no text has one. Those entries are
    # answered 422 each, in their place; the entries around them are accepted as usual.
    body = json.dumps({"articles": [
        {"contentType": "text/plain", "body": synthetic_article(8150, words=80)},
        {"contentType": "text/plain", "body": "Harbour strike\n\nDock workers \ud800 returned."},
        {"contentType": "text/plain\udfff", "body": synthetic_article(8151, words=80)},
        {"contentType": "text/plain", "body": synthetic_article(8152, words=80)},
    ]})  # ensure_ascii: the surrogates travel as escapes
    assert "\\ud800" in body
    response = httpx.post(f"{pipeline.gateway_url}/v1/articles/bulk", content=body.encode(), timeout=15,
                          headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 207, response.text
    result = response.json()
    assert (result["accepted"], result["failed"]) == (2, 2)
    assert [r["status"] for r in result["results"]] == [202, 422, 422, 202]
    assert [r["body"].get("where") for r in result["results"][1:3]] == ["articles[1].body", "articles[2].contentType"]
    assert "lone surrogate" in result["results"][1]["body"]["detail"]
    for accepted in (result["results"][0], result["results"][3]):
        wait_published(pipeline.gateway_url, accepted["body"]["id"])


def _four_articles(url: str, key: str, first: int) -> list[httpx.Response]:
    return [httpx.post(f"{url}/v1/articles", content=synthetic_article(first + n, words=60), timeout=10,
                       headers={"Authorization": f"Bearer {key}", "Content-Type": "text/plain"})
            for n in range(4)]


def test_per_feed_keys_and_rate_limit(pipeline, tmp_path):
    port = free_port()
    gateway = ChildProcess("gateway-limited", [sys.executable, "-m", "services.gateway"], cwd=REPO,
                           log_path=tmp_path / "gateway.log",
                           env={**pipeline.base_env, "WIRE_PORT": str(port), "WIRE_RATE_LIMIT_PER_MINUTE": "3",
                                "WIRE_API_KEYS": '{"key-ap": "ap", "key-dpa": "dpa", "key-afp": "afp"}'})
    gateway.start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _ready(url), timeout=30, what="waiting for the limited gateway", process=gateway)
        answers = _four_articles(url, "key-ap", 8200)
        if answers[3].status_code == 202:
            # The limit's window is the clock's minute, and it turned over during the four
            # posts. Once more with a key whose budget is untouched: four posts take well
            # under a minute, so the window cannot turn over twice.
            answers = _four_articles(url, "key-afp", 8210)
        assert [a.status_code for a in answers] == [202, 202, 202, 429]
        assert answers[3].json()["error"] == "rate_limited"
        assert 1 <= int(answers[3].headers["Retry-After"]) <= 61
        # another feed's key has its own budget, and the provider follows the key
        other = httpx.post(f"{url}/v1/articles", content=synthetic_article(8300, words=60),
                           headers={"Authorization": "Bearer key-dpa", "Content-Type": "text/plain"}, timeout=10)
        assert other.status_code == 202 and other.json()["uri"].startswith("urn:wirestream:dpa:")
        assert httpx.post(f"{url}/v1/articles", content=b"x", timeout=5,
                          headers={"Authorization": "Bearer dev-key", "Content-Type": "text/plain"}).status_code == 401
    finally:
        gateway.stop()


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_openapi_documents_every_accepted_format(pipeline):
    spec = httpx.get(f"{pipeline.gateway_url}/openapi.json", timeout=5).json()
    submit_op = spec["paths"]["/v1/articles"]["post"]
    content = submit_op["requestBody"]["content"]
    for kind in ("text/plain", "text/html", "application/json", "application/vnd.iptc.g2.newsitem+xml",
                 "application/nitf+xml", "application/rss+xml", "application/atom+xml"):
        assert kind in content
    assert "NewsML 1.2" in submit_op["description"] and "IPTC 7901" in submit_op["description"]
