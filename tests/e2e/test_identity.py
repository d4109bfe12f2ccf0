"""Version-aware identity through the gateway, against the real Kafka and Redis."""
from __future__ import annotations

import time

import httpx
import orjson
import pytest

from services.cli.synthetic import synthetic_article
from shared.topics import Topics
from tests.e2e.client import submit, wait_published
from tests.kafka_helpers import read_topic

pytestmark = pytest.mark.e2e


def wait_version(base_url: str, article_id: str, version: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        item = httpx.get(f"{base_url}/v1/articles/{article_id}", timeout=5).json()
        if item.get("version") == version:
            return item
        time.sleep(0.1)
    raise AssertionError(f"version {version} of {article_id} not published in {timeout}s")


async def test_exact_duplicate_is_answered_at_once_and_not_processed_again(pipeline, kafka):
    body = synthetic_article(7000, words=100).encode()
    first = submit(pipeline.gateway_url, body)
    assert first.status_code == 202 and first.json()["duplicate"] is False
    wait_published(pipeline.gateway_url, first.json()["id"])

    again = submit(pipeline.gateway_url, body)
    assert again.status_code == 202
    assert again.json()["duplicate"] is True and again.json()["id"] == first.json()["id"]

    inbound = await read_topic(kafka.bootstrap, Topics(pipeline.base_env["WIRE_TOPIC_PREFIX"]).inbound,
                               expect=10_000, timeout=3)
    assert sum(1 for r in inbound if r.key == first.json()["uri"].encode()) == 1


def test_changed_body_of_a_known_story_flows_as_an_update_with_the_next_version(pipeline):
    original = synthetic_article(7001, words=200)
    first = submit(pipeline.gateway_url, original.encode()).json()
    assert wait_published(pipeline.gateway_url, first["id"])["version"] == "1"

    paragraphs = original.split("\n\n")
    paragraphs[-2] = paragraphs[-2] + " A late paragraph was added with new details."
    edited = "\n\n".join(paragraphs)
    second = submit(pipeline.gateway_url, edited.encode()).json()
    assert second["id"] == first["id"] and second["duplicate"] is False

    item = wait_version(pipeline.gateway_url, first["id"], "2")
    assert "A late paragraph was added" in item["bodies"][0]["value"]
