"""The example article through the whole running pipeline, as a wire feed would send it."""
from __future__ import annotations

import httpx
import pytest

from shared.ninjs import ninjs_errors
from tests.e2e.client import ADMIN, AUTH, submit, wait_published

pytestmark = pytest.mark.e2e


def test_example_article_is_published_clean(pipeline, example_article):
    answer = submit(pipeline.gateway_url, example_article)
    assert answer.status_code == 202, answer.text
    accepted = answer.json()
    assert accepted["id"] and accepted["uri"]

    item = wait_published(pipeline.gateway_url, accepted["id"])

    assert item["uri"] == accepted["uri"]
    assert item["headlines"][0]["value"] == (
        "North Korea expected to send second wave of troops to support Russia’s Ukraine invasion"
    )
    body = item["bodies"][0]["value"]
    assert body.startswith("Concerns are rising")
    assert "Advertisement" not in body
    assert "65.7 F" not in body and "BY YOUNGNAM KIM" not in body
    assert item["language"] == "en"
    assert ninjs_errors(item) == []


def test_unknown_article_is_404(pipeline):
    assert httpx.get(f"{pipeline.gateway_url}/v1/articles/0000000000", timeout=5, headers=ADMIN).status_code == 404


def test_submission_without_key_is_401(pipeline, example_article):
    answer = httpx.post(f"{pipeline.gateway_url}/v1/articles", content=example_article,
                        headers={"Content-Type": "text/plain"}, timeout=5)
    assert answer.status_code == 401
    wrong = httpx.post(f"{pipeline.gateway_url}/v1/articles", content=example_article,
                       headers={"Content-Type": "text/plain", "Authorization": "Bearer nope"}, timeout=5)
    assert wrong.status_code == 401


def test_unsupported_media_type_is_415_and_names_what_is_accepted(pipeline):
    answer = submit(pipeline.gateway_url, b"\x89PNG\r\n", content_type="image/png")
    assert answer.status_code == 415
    assert "text/plain" in answer.text and "image/png" in answer.text


def test_unreadable_text_is_422_with_where(pipeline):
    answer = submit(pipeline.gateway_url, b"- Advertisement -\n\n\xc2\xa0\n")
    assert answer.status_code == 422
    assert "line" in answer.json()["where"]
    bad_bytes = submit(pipeline.gateway_url, b"Headline\n\nBody \xff\xfe text.\n")
    assert bad_bytes.status_code == 422
    assert "utf-8" in bad_bytes.text


def test_oversized_body_is_413(pipeline):
    answer = submit(pipeline.gateway_url, b"x" * (5 * 1024 * 1024 + 1))
    assert answer.status_code == 413


def test_health_and_readiness(pipeline):
    assert httpx.get(f"{pipeline.gateway_url}/healthz", timeout=5).json() == {"status": "ok"}
    ready = httpx.get(f"{pipeline.gateway_url}/readyz", timeout=5)
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"kafka": "ok", "redis": "ok"}


def test_metrics_count_submissions(pipeline, example_article):
    submit(pipeline.gateway_url, example_article)
    assert httpx.get(f"{pipeline.gateway_url}/metrics", timeout=5, headers=AUTH).status_code == 401  # a write key
    text = httpx.get(f"{pipeline.gateway_url}/metrics", timeout=5, headers=ADMIN).text
    assert "wire_gateway_articles_accepted_total" in text
