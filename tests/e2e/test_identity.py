"""Version-aware identity through the gateway, against the real Kafka and Redis."""
from __future__ import annotations


import httpx
import orjson
import pytest

from services.cli.synthetic import synthetic_article
from shared.topics import Topics
from tests.e2e.client import ADMIN, submit, wait_published
from tests.kafka_helpers import read_topic
from tests.waiting import eventually, wait_for

pytestmark = pytest.mark.e2e


def wait_version(base_url: str, article_id: str, version: str, timeout: float = 60) -> dict:
    def found() -> dict | None:
        item = httpx.get(f"{base_url}/v1/articles/{article_id}", timeout=5, headers=ADMIN).json()
        return item if item.get("version") == version else None

    return wait_for(found, timeout=timeout, interval=0.1, what=f"version {version} of {article_id} to be published")


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


def ninjs_story(uri: str, version: str, body: str, **extra) -> bytes:
    return orjson.dumps({
        "uri": uri, "version": version, "type": "text", "language": "en",
        "headlines": [{"role": "main", "value": "Harbour reopens after the storm"}],
        "bodies": [{"role": "main", "contentType": "text/plain", "value": body}], **extra})


def test_older_version_is_ignored_and_a_newer_one_flows(pipeline):
    uri = "urn:newsml:example.com:20250303:harbour-7002"
    v3 = submit(pipeline.gateway_url, ninjs_story(uri, "3", "Ferries resumed on Monday."), "application/json")
    assert v3.status_code == 202, v3.text
    article_id = v3.json()["id"]
    assert wait_published(pipeline.gateway_url, article_id)["version"] == "3"

    v2 = submit(pipeline.gateway_url, ninjs_story(uri, "2", "An older draft."), "application/json")
    assert v2.status_code == 202 and v2.json()["stale"] is True and v2.json()["status"] == "stale"

    v4 = submit(pipeline.gateway_url, ninjs_story(uri, "4", "Ferries resumed; one route is still closed."),
                "application/json")
    assert v4.json()["status"] == "accepted"
    item = wait_version(pipeline.gateway_url, article_id, "4")
    assert "still closed" in item["bodies"][0]["value"]
    assert "older draft" not in httpx.get(f"{pipeline.gateway_url}/v1/articles/{article_id}", headers=ADMIN).text


async def test_kill_flows_as_a_kill(pipeline, kafka):
    uri = "urn:newsml:example.com:20250303:recall-7003"
    first = submit(pipeline.gateway_url, ninjs_story(uri, "1", "The mayor announced a recall."), "application/json")
    article_id = first.json()["id"]
    wait_published(pipeline.gateway_url, article_id)
    kill = submit(pipeline.gateway_url, ninjs_story(uri, "2", "Withdrawn.", pubStatus="canceled"), "application/json")
    assert kill.status_code == 202 and kill.json()["status"] == "accepted"

    topics = Topics(pipeline.base_env["WIRE_TOPIC_PREFIX"])
    async def signals_up_to_the_kill() -> list[str] | None:
        records = await read_topic(kafka.bootstrap, topics.ingested, expect=10_000, timeout=2)
        signals = [dict(r.headers).get("wire_signal", b"").decode() for r in records if r.key == uri.encode()]
        return signals if "kill" in signals else None

    signals = await eventually(signals_up_to_the_kill, timeout=60, interval=0, what="the kill on articles.ingested")
    assert signals == ["new", "kill"]
