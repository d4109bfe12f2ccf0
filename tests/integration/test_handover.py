"""A topic that changes readers (translation and publishing share ``articles.enriched``
across a switch of ``WIRE_TARGET_LANGUAGES``): the group that takes over starts where
the other left off, against the session's real Kafka broker."""
from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.runner import StageRunner
from shared.topics import Topics, ensure_topics
from tests.kafka_helpers import committed, produce
from tests.waiting import eventually

pytestmark = pytest.mark.integration


async def handled_by(settings, topic: str, group: str, after: str, count: int) -> list[bytes]:
    """Run a stage of ``group`` (catching up with ``after``) until it has handled
    ``count`` records and committed to the topic's end (so whatever it would wrongly
    redo is in); stop it and return the values it handled."""
    seen: list[bytes] = []

    async def handle(record):
        seen.append(record.value)
        return []

    runner = StageRunner(stage="test", topic=topic, group_id=group, handle=handle, settings=settings,
                         catch_up_with=after)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        await eventually(lambda: len(seen) >= count, timeout=60, what=f"{group} to handle {count} records")
        ends = sum((await read_ends(settings.kafka_bootstrap, topic)).values())
        await eventually(lambda: _committed_to(settings, group, topic, ends), timeout=60,
                         what=f"{group} to commit to the end of {topic}")
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
    return seen


async def _committed_to(settings, group: str, topic: str, total: int) -> bool:
    return await committed(settings.kafka_bootstrap, group, topic, 2) == total


async def read_ends(bootstrap: str, topic: str) -> dict:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        return await consumer.end_offsets([TopicPartition(topic, p) for p in range(2)])
    finally:
        await consumer.stop()


async def test_the_group_taking_a_topic_over_starts_where_the_other_left_off(settings):
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings.kafka_bootstrap, topics, partitions=2)
    translation, publishing = topics.group("translation"), topics.group("publishing")

    async def more(*values: bytes) -> None:
        await produce(settings.kafka_bootstrap, topics.enriched, [(v, v, []) for v in values])

    await more(b"a1", b"a2", b"a3", b"a4")
    # A first reader with no one to catch up with reads the topic from its start.
    assert sorted(await handled_by(settings, topics.enriched, translation, publishing, 4)) == [b"a1", b"a2", b"a3",
                                                                                          b"a4"]
    await more(b"b1", b"b2", b"b3")
    # The deployment stops translating: publishing never read enriched, and starts after a4.
    assert sorted(await handled_by(settings, topics.enriched, publishing, translation, 3)) == [b"b1", b"b2", b"b3"]
    await more(b"c1", b"c2")
    # It translates again: translation's own offsets (after a4) are behind publishing's.
    assert sorted(await handled_by(settings, topics.enriched, translation, publishing, 2)) == [b"c1", b"c2"]
    await more(b"d1")
    # Publishing's offsets (after b3) are behind translation's: it starts after c2.
    assert await handled_by(settings, topics.enriched, publishing, translation, 1) == [b"d1"]
    await more(b"e1")
    assert await handled_by(settings, topics.enriched, translation, publishing, 1) == [b"e1"]
    await more(b"f1")
    # A plain restart: translation's own offsets (after e1) are ahead of publishing's
    # (after d1), and it is not moved back to them.
    assert await handled_by(settings, topics.enriched, translation, publishing, 1) == [b"f1"]
