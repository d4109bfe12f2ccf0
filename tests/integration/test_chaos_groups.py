"""The chaos run finds which replica owns a partition (to kill the stories step's
active process, not its standby) by asking the real broker about the group."""
from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaConsumer

from services.cli.chaos_groups import partition_owner
from shared.topics import ensure_topics
from tests.waiting import eventually

pytestmark = pytest.mark.integration


async def test_the_owner_of_each_partition_is_named_by_its_client_id(kafka, prefix):
    topic = f"{prefix}owned"
    await ensure_topics(kafka.bootstrap, {topic: {}}, partitions=2)
    group = f"{prefix}owners"
    consumers = [AIOKafkaConsumer(topic, bootstrap_servers=kafka.bootstrap, group_id=group, client_id=f"svc-{i}",
                                  session_timeout_ms=6000, heartbeat_interval_ms=500) for i in (1, 2)]
    for consumer in consumers:
        await consumer.start()
    try:
        async def settled() -> bool:
            await asyncio.gather(*(c.getmany(timeout_ms=100) for c in consumers))
            return all(len(c.assignment()) == 1 for c in consumers)

        await eventually(settled, timeout=60)
        for consumer, client_id in zip(consumers, ("svc-1", "svc-2")):
            [tp] = consumer.assignment()
            assert await asyncio.to_thread(partition_owner, kafka.bootstrap, group, topic, tp.partition) == client_id
        assert await asyncio.to_thread(partition_owner, kafka.bootstrap, group, f"{prefix}other", 0) is None
    finally:
        for consumer in consumers:
            await consumer.stop()
