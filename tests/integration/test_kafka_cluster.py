"""The local three-node KRaft cluster (``wire run --brokers 3``, the ``kafka_cluster``
fixture): every topic, internal ones included, has three replicas and
min.insync.replicas 2, and a SIGKILLed broker costs nothing acknowledged."""
from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from shared.bus import make_producer
from shared.settings import WireSettings
from shared.topics import Topics, ensure_topics
from tests.kafka_helpers import read_topic

pytestmark = [pytest.mark.integration, pytest.mark.cluster]


async def replicas_of(admin: AIOKafkaAdminClient, topic: str) -> set[int]:
    [described] = await admin.describe_topics([topic])
    return {len(p["replicas"]) for p in described["partitions"]}


def config_value(response, name: str):
    """The value next to ``name`` anywhere in a DescribeConfigs response (its shape
    differs between protocol versions)."""
    stack = [response]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            if len(item) > 1 and item[0] == name:
                return item[1]
            stack.extend(item)
        elif hasattr(item, "__dict__"):
            stack.extend(vars(item).values())
        elif isinstance(item, dict):
            stack.extend(item.values())
    return None


async def test_topics_internal_ones_too_have_three_replicas_and_min_isr_two(kafka_cluster):
    topics = Topics(f"c{uuid.uuid4().hex[:6]}.")
    await ensure_topics(kafka_cluster.bootstrap, topics, partitions=6, replication=kafka_cluster.replication)
    # a consumer group commits once, so the offsets topic exists
    await read_topic(kafka_cluster.bootstrap, topics.inbound, expect=1, timeout=3)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_cluster.bootstrap)
    await admin.start()
    try:
        assert await replicas_of(admin, topics.inbound) == {3}
        assert await replicas_of(admin, "__consumer_offsets") == {3}
        described = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topics.inbound)])
        assert config_value(described, "min.insync.replicas") == "2"
        assert len((await admin.describe_cluster())["brokers"]) == 3
    finally:
        await admin.close()


async def test_a_sigkilled_broker_loses_no_acknowledged_record(kafka_cluster):
    topics = Topics(f"c{uuid.uuid4().hex[:6]}.")
    await ensure_topics(kafka_cluster.bootstrap, topics, partitions=6, replication=kafka_cluster.replication)
    producer = make_producer(WireSettings(kafka_bootstrap=kafka_cluster.bootstrap))
    await producer.start()
    sent = []
    try:
        for n in range(300):
            if n == 100:
                await asyncio.to_thread(kafka_cluster.kill, 0)
            await producer.send_and_wait(topics.inbound, str(n).encode(), key=f"story-{n}".encode())
            sent.append(n)
    finally:
        await producer.stop()
    try:
        got = await read_topic(kafka_cluster.bootstrap, topics.inbound, expect=len(sent), timeout=60)
        assert sorted(int(r.value) for r in got) == sent
    finally:
        # on this thread: a child started from a worker thread dies with that thread (PDEATHSIG)
        kafka_cluster.restart(0)
