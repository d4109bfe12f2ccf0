"""The broker version we ship works with what the services need from aiokafka:
an idempotent producer and transactional consume→transform→produce."""
from __future__ import annotations

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from shared.topics import Topics, ensure_topics
from tests.kafka_helpers import produce, read_topic

pytestmark = pytest.mark.integration


async def test_transactional_consume_transform_produce(settings):
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings.kafka_bootstrap, topics, partitions=1)
    await produce(settings.kafka_bootstrap, topics.inbound, [(b"k", f"m{i}".encode(), []) for i in range(5)])

    group = topics.group("tx")
    consumer = AIOKafkaConsumer(topics.inbound, bootstrap_servers=settings.kafka_bootstrap, group_id=group,
                                enable_auto_commit=False, auto_offset_reset="earliest",
                                isolation_level="read_committed")
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap,
                                transactional_id=f"{settings.topic_prefix}tx")
    await consumer.start()
    await producer.start()
    try:
        batch = {}
        while sum(len(v) for v in batch.values()) < 5:
            for tp, records in (await consumer.getmany(timeout_ms=1000)).items():
                batch.setdefault(tp, []).extend(records)
        # an aborted transaction leaves nothing visible…
        await producer.begin_transaction()
        await producer.send(topics.ingested, b"aborted", key=b"k")
        await producer.flush()
        await producer.abort_transaction()
        # …and a committed one makes outputs and offsets visible together.
        async with producer.transaction():
            for records in batch.values():
                for record in records:
                    await producer.send(topics.ingested, record.value.upper(), key=record.key)
            await producer.send_offsets_to_transaction(
                {tp: records[-1].offset + 1 for tp, records in batch.items()}, group)
    finally:
        await producer.stop()
        await consumer.stop()

    reader = AIOKafkaConsumer(topics.ingested, bootstrap_servers=settings.kafka_bootstrap,
                              auto_offset_reset="earliest", isolation_level="read_committed",
                              group_id=f"{settings.topic_prefix}reader")
    await reader.start()
    try:
        seen = []
        for _ in range(20):
            for records in (await reader.getmany(timeout_ms=500)).values():
                seen.extend(r.value for r in records)
            if len(seen) >= 5:
                break
    finally:
        await reader.stop()
    assert seen == [b"M0", b"M1", b"M2", b"M3", b"M4"]
