"""Consumer lag and DLQ depth measured on the session's real Kafka broker, and their
Prometheus exposition."""
from __future__ import annotations

import asyncio
import contextlib
import socket
import time

import pytest
from aiokafka import AIOKafkaConsumer
from prometheus_client import REGISTRY, generate_latest

from services.gateway.ops_monitor import OpsMonitor
from shared.lag import OffsetReader, backlog_collector, measure
from shared.topics import Topics, ensure_topics
from tests.kafka_helpers import produce

pytestmark = pytest.mark.integration


async def consume_and_commit(bootstrap: str, group: str, topic: str, count: int) -> None:
    """Read ``count`` records of ``topic`` in ``group`` and commit them."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await consumer.start()
    try:
        seen = 0
        while seen < count:
            for tp, records in (await consumer.getmany(timeout_ms=500, max_records=count - seen)).items():
                seen += len(records)
                await consumer.commit({tp: records[-1].offset + 1})
    finally:
        await consumer.stop()


async def measured(settings, *, translates: bool = True):
    reader = OffsetReader(settings.kafka_bootstrap)
    await reader.start()
    try:
        return await measure(reader, Topics(settings.topic_prefix), translates=translates)
    finally:
        await reader.stop()


async def test_lag_per_group_and_partition_and_dlq_depth(settings):
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings.kafka_bootstrap, topics, partitions=2)
    await produce(settings.kafka_bootstrap, topics.ingested, [(f"urn:{i}".encode(), b"x", []) for i in range(6)])
    await produce(settings.kafka_bootstrap, topics.dlq(topics.enriched), [(b"urn:z", b"bad", [])] * 3)
    await produce(settings.kafka_bootstrap, topics.published, [(b"urn:p", b"{}", [])] * 2)
    await consume_and_commit(settings.kafka_bootstrap, topics.group("enrichment"), topics.ingested, 4)
    # A group the pipeline does not know (e.g. a subscriber's) is found by its name prefix.
    await consume_and_commit(settings.kafka_bootstrap, topics.group("webhooks"), topics.published, 1)

    backlog = await measured(settings)

    groups = backlog.group_lag()
    assert groups[topics.group("enrichment")] == 2
    assert groups[topics.group("ingest")] == 0  # nothing on wire.inbound
    assert groups[topics.group("webhooks")] == 1
    rows = [r for r in backlog.lag if r.group == topics.group("enrichment")]
    assert {(r.topic, r.partition) for r in rows} == {(topics.ingested, 0), (topics.ingested, 1)}
    assert sum(r.end for r in rows) == 6
    depth = {d.source_topic: d for d in backlog.dlqs}
    assert depth[topics.enriched].pending == 3 and depth[topics.enriched].retained == 3
    assert depth[topics.inbound].pending == 0
    assert backlog.produced["enrichment"] == 0 and backlog.produced["ingest"] == 6
    assert backlog.produced["publishing"] == 2


async def test_a_stage_that_never_ran_lags_by_everything_on_its_topic(settings):
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings.kafka_bootstrap, topics, partitions=2)
    await produce(settings.kafka_bootstrap, topics.translated, [(b"urn:a", b"x", [])] * 5)
    await produce(settings.kafka_bootstrap, topics.enriched, [(b"urn:b", b"x", [])] * 2)
    backlog = await measured(settings)
    assert backlog.group_lag()[topics.group("publishing")] == 5
    assert backlog.group_lag()[topics.group("translation")] == 2
    assert all(r.committed is None for r in backlog.lag if r.group == topics.group("publishing"))
    # A deployment without target languages: no translation stage, publishing reads enriched.
    plain = await measured(settings, translates=False)
    assert plain.group_lag()[topics.group("publishing")] == 2
    assert topics.group("translation") not in plain.group_lag() and "translation" not in plain.produced
    # After a switch, what a group read before is not lag: publishing's offsets on
    # translated (3 of 5 read), translation's on enriched (1 of 2).
    await consume_and_commit(settings.kafka_bootstrap, topics.group("publishing"), topics.translated, 3)
    await consume_and_commit(settings.kafka_bootstrap, topics.group("translation"), topics.enriched, 1)
    switched = await measured(settings, translates=False)
    assert switched.group_lag()[topics.group("publishing")] == 2
    assert topics.group("translation") not in switched.group_lag()
    assert (await measured(settings)).group_lag()[topics.group("publishing")] == 2  # 5 - 3 on translated


async def test_prometheus_exposes_the_latest_measurement(settings):
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings.kafka_bootstrap, topics, partitions=1)
    await produce(settings.kafka_bootstrap, topics.inbound, [(b"urn:a", b"x", [])] * 4)
    await produce(settings.kafka_bootstrap, topics.dlq(topics.inbound), [(b"urn:a", b"x", [])])
    backlog_collector().latest = await measured(settings)

    text = generate_latest(REGISTRY).decode()
    assert (f'wire_consumer_lag_messages{{group="{topics.group("ingest")}",partition="0",'
            f'topic="{topics.inbound}"}} 4.0') in text
    assert (f'wire_dlq_depth_messages{{source_topic="{topics.inbound}",'
            f'topic="{topics.dlq(topics.inbound)}"}} 1.0') in text
    assert "wire_backlog_measured_timestamp_seconds" in text


async def test_the_gateway_s_monitor_measures_while_someone_asks_and_sleeps_when_nobody_does(settings):
    """Unwatched, the monitor sends Kafka nothing; the first ask waits for a fresh
    measure (not an old one); asked, it measures every refresh until ``watch_s`` after
    the last ask, then sleeps again."""
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings.kafka_bootstrap, topics, partitions=1)
    monitor = OpsMonitor(settings.kafka_bootstrap, topics, translates=False, refresh_s=0.2, watch_s=2.0)
    stop = asyncio.Event()
    running = asyncio.create_task(monitor.run(stop))
    try:
        await asyncio.sleep(1.0)
        assert monitor.rounds == 0 and monitor.latest is None  # nobody asked: nothing measured

        await produce(settings.kafka_bootstrap, topics.ingested, [(b"urn:a", b"x", [])] * 3)
        await monitor.asked()
        assert monitor.latest is not None and monitor.latest.group_lag()[topics.group("enrichment")] == 3
        first = monitor.rounds
        await asyncio.sleep(0.7)
        assert monitor.rounds > first  # watched: it goes on measuring

        await asyncio.sleep(2.5)  # past watch_s since the ask, and any measure under way has ended
        resting = monitor.rounds
        await asyncio.sleep(1.5)
        assert monitor.rounds == resting  # nobody asks: it sleeps
        assert backlog_collector().latest is None  # and /metrics exports no lag it no longer measures

        await produce(settings.kafka_bootstrap, topics.ingested, [(b"urn:b", b"x", [])] * 2)
        woken = time.time()
        await monitor.asked()  # an ask after the sleep sees what changed meanwhile
        assert monitor.latest.group_lag()[topics.group("enrichment")] == 5
        assert all(at >= woken for at, _ in monitor.history)  # no rate across the sleep
    finally:
        stop.set()
        await running


async def test_with_kafka_unreachable_only_the_ask_that_wakes_the_monitor_waits(settings):
    """A measure against a broker that does not answer takes longer than an ask may
    wait: the ask that wakes the monitor waits its few seconds, the asks after it
    (a dashboard's polls, Prometheus's scrapes) answer at once with what is known."""
    silent = socket.socket()  # takes connections (the kernel does) and never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    monitor = OpsMonitor(f"127.0.0.1:{silent.getsockname()[1]}", Topics(settings.topic_prefix), translates=False,
                         refresh_s=0.2, watch_s=30)
    running = asyncio.create_task(monitor.run(asyncio.Event()))
    try:
        await asyncio.sleep(0.2)
        await asyncio.wait_for(monitor.asked(wait_s=1.0), timeout=10)  # woke it: waited, then gave up
        assert monitor.latest is None and monitor.rounds == 0  # its first measure still hangs
        for _ in range(3):
            await asyncio.wait_for(monitor.asked(), timeout=1.0)  # would wait 5 s if it waited
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        silent.close()
