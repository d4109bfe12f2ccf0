"""A message a stage cannot process lands in its DLQ with the reason; the stage goes on."""
from __future__ import annotations

import pytest

from services.cli.synthetic import synthetic_article
from shared.cloudevents import read_headers
from shared.topics import Topics
from tests.e2e.client import submit, wait_published
from tests.kafka_helpers import produce, read_topic

pytestmark = pytest.mark.e2e


async def test_unreadable_inbound_record_is_dead_lettered_and_ingest_continues(pipeline, kafka):
    topics = Topics(pipeline.base_env["WIRE_TOPIC_PREFIX"])
    # A record no gateway would write: no CloudEvents headers, not an article.
    await produce(kafka.bootstrap, topics.inbound, [(b"urn:x:poison", b"\x00\x01 not an article", [])])

    answer = submit(pipeline.gateway_url, synthetic_article(5000, words=80).encode())
    assert answer.status_code == 202
    wait_published(pipeline.gateway_url, answer.json()["id"])

    dead = [r for r in await read_topic(kafka.bootstrap, topics.dlq(topics.inbound), expect=1)
            if r.key == b"urn:x:poison"]
    assert len(dead) == 1
    reason = read_headers(dead[0].headers)
    assert reason["wire_dlq_stage"] == "ingest"
    assert reason["wire_dlq_error_class"] == "MalformedEvent"
    assert "lacks a valid header" in reason["wire_dlq_error_message"]
    assert reason["wire_dlq_topic"] == topics.inbound
    assert dead[0].value == b"\x00\x01 not an article"  # the original bytes, kept for replay
    assert pipeline.processes["ingest"].alive()


async def test_malformed_event_mid_pipeline_is_dead_lettered_by_faust_agent(pipeline, kafka):
    topics = Topics(pipeline.base_env["WIRE_TOPIC_PREFIX"])
    await produce(kafka.bootstrap, topics.ingested, [(b"urn:x:bad-json", b"{not json", [])])
    answer = submit(pipeline.gateway_url, synthetic_article(5001, words=80).encode())
    wait_published(pipeline.gateway_url, answer.json()["id"])
    dead = [r for r in await read_topic(kafka.bootstrap, topics.dlq(topics.ingested), expect=1)
            if r.key == b"urn:x:bad-json"]
    assert len(dead) == 1
    reason = read_headers(dead[0].headers)
    assert reason["wire_dlq_stage"] == "enrichment"
    assert reason["wire_dlq_error_class"] == "MalformedEvent"
    assert pipeline.processes["enrichment"].alive()
