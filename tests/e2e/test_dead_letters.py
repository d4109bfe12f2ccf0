"""A message a stage cannot process lands in its DLQ with the reason; the stage goes on."""
from __future__ import annotations

import pytest
from aiokafka import ConsumerRecord

from services.cli.synthetic import synthetic_article
from shared.cloudevents import read_headers
from shared.topics import Topics
from tests.e2e.client import submit, wait_published
from tests.kafka_helpers import produce, read_topic

pytestmark = pytest.mark.e2e


async def dead_lettered_by(stage: str, pipeline, kafka, topic: str, key: bytes, value: bytes, *,
                           article: int) -> tuple[ConsumerRecord, dict[str, str]]:
    """Put (``key``, ``value``) on ``topic``, which ``stage`` reads, then submit a good
    article (synthetic number ``article``) and wait until it is published: ``stage`` has
    gone past the bad record. Checks that ``stage`` alone dead-lettered it, once, and is
    still running; returns the DLQ record and its reason headers."""
    await produce(kafka.bootstrap, topic, [(key, value, [])])
    answer = submit(pipeline.gateway_url, synthetic_article(article, words=80).encode())
    assert answer.status_code == 202
    wait_published(pipeline.gateway_url, answer.json()["id"])
    topics = Topics(pipeline.base_env["WIRE_TOPIC_PREFIX"])
    dead = [r for r in await read_topic(kafka.bootstrap, topics.dlq(topic), expect=1) if r.key == key]
    assert len(dead) == 1, dead
    reason = read_headers(dead[0].headers)
    assert reason["wire_dlq_stage"] == stage
    assert pipeline.processes[stage].alive()
    return dead[0], reason


async def test_unreadable_inbound_record_is_dead_lettered_and_ingest_continues(pipeline, kafka):
    topics = Topics(pipeline.base_env["WIRE_TOPIC_PREFIX"])
    # A record no gateway would write: no CloudEvents headers, not an article.
    dead, reason = await dead_lettered_by("ingest", pipeline, kafka, topics.inbound, b"urn:x:poison",
                                          b"\x00\x01 not an article", article=5000)
    assert reason["wire_dlq_error_class"] == "MalformedEvent"
    assert "lacks a valid header" in reason["wire_dlq_error_message"]
    assert reason["wire_dlq_topic"] == topics.inbound
    assert dead.value == b"\x00\x01 not an article"  # the original bytes, kept for replay


async def test_malformed_event_mid_pipeline_is_dead_lettered_by_faust_agent(pipeline, kafka):
    topics = Topics(pipeline.base_env["WIRE_TOPIC_PREFIX"])
    _, reason = await dead_lettered_by("enrichment", pipeline, kafka, topics.ingested, b"urn:x:bad-json",
                                       b"{not json", article=5001)
    assert reason["wire_dlq_error_class"] == "MalformedEvent"
