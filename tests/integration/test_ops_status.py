"""Heartbeats in the session's real Redis, the last error a runner records, and
``wire status`` built from them and from Kafka's offsets."""
from __future__ import annotations

import asyncio
import os

import pytest
from aiokafka import ConsumerRecord

from services.cli.status import collect, render
from shared.bus import process_record
from shared.cache import Keys, connect
from shared.errors import RetriableError
from shared.heartbeat import Heartbeat, last_error, read_statuses, record_error
from shared.topics import Topics, ensure_topics
from tests.kafka_helpers import produce
from tests.waiting import eventually

pytestmark = pytest.mark.integration


async def test_heartbeat_up_then_stopped_then_a_silent_process_is_down(settings):
    redis = connect(settings.redis_url)
    keys = Keys(settings.topic_prefix)
    try:
        stop = asyncio.Event()
        beat = Heartbeat(redis, keys, "translation", interval_s=0.2, metrics_port=9123)
        task = asyncio.create_task(beat.run(stop))
        [status] = await eventually(lambda: read_statuses(redis, keys), timeout=10, what="the first heartbeat")
        assert (status.service, status.pid, status.metrics_port, status.state()) == ("translation", os.getpid(),
                                                                                      9123, "up")
        stop.set()
        await task
        [status] = await read_statuses(redis, keys)
        assert status.state() == "stopped"

        silent = Heartbeat(redis, keys, "ingest", interval_s=0.1)
        await silent.beat()  # then nothing: a process that died without a word

        async def once_ingest_is_down() -> dict | None:
            states = {s.service: s.state() for s in await read_statuses(redis, keys)}
            return states if states.get("ingest") == "down" else None

        states = await eventually(once_ingest_is_down, timeout=10, what="the silent process to count as down")
        assert states == {"translation": "stopped", "ingest": "down"}
    finally:
        await redis.aclose()


async def test_the_runner_records_the_last_error_with_where_it_happened(settings):
    async def broken(record):
        raise RetriableError("read model unreachable: connection refused")

    record = ConsumerRecord(topic="t.articles.translated", partition=1, offset=42, timestamp=0, timestamp_type=0,
                            key=b"urn:x:1", value=b"{}", checksum=None, serialized_key_size=7,
                            serialized_value_size=2, headers=[])
    outputs = await process_record(record, broken, stage="publishing", settings=settings, stop=asyncio.Event())
    assert outputs[0].topic == "t.articles.translated.dlq"
    error = last_error()
    assert error["stage"] == "publishing" and error["error_class"] == "RetriableError"
    assert (error["topic"], error["partition"], error["offset"], error["key"]) == ("t.articles.translated", 1,
                                                                                   42, "urn:x:1")


async def test_wire_status_reports_state_lag_and_last_error(settings):
    topics, keys = Topics(settings.topic_prefix), Keys(settings.topic_prefix)
    await ensure_topics(settings.kafka_bootstrap, topics, partitions=1)
    await produce(settings.kafka_bootstrap, topics.enriched, [(b"urn:a", b"x", [])] * 3)
    await produce(settings.kafka_bootstrap, topics.dlq(topics.inbound), [(b"urn:b", b"x", [])])
    redis = connect(settings.redis_url)
    try:
        for service in ("gateway", "ingest", "enrichment"):
            await Heartbeat(redis, keys, service).beat()
        record_error("publishing", RetriableError("read model unreachable"))
        await Heartbeat(redis, keys, "publishing").beat()
    finally:
        await redis.aclose()

    report = await collect(settings.model_copy(update={"target_languages": ["pt"]}))

    by_name = {s["service"]: s for s in report["services"]}
    assert by_name["ingest"]["state"] == "up" and by_name["translation"]["state"] == "unknown"
    assert by_name["translation"]["lag"] == 3  # its input waits and nobody reads it
    assert by_name["gateway"]["lag"] is None  # the gateway consumes nothing
    assert by_name["publishing"]["last_error"]["message"] == "read model unreachable"
    assert [d["pending"] for d in report["dlqs"] if d["source_topic"] == topics.inbound] == [1]
    text = render(report)
    assert "translation  unknown        3  no heartbeat" in text
    assert f"{topics.dlq(topics.inbound)} 1 pending" in text

    # Without target languages no translation runs: publishing reads enriched, and lags by it.
    plain = {s["service"]: s for s in (await collect(settings))["services"]}
    assert "translation" not in plain and plain["publishing"]["lag"] == 3
