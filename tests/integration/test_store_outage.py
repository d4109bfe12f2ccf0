"""A stage whose Redis is down (or full) waits for it: the record is neither dead-lettered nor
committed while the store is unreachable (chaos run: three articles went to the DLQ
when Redis was killed for 10 s, because five quick attempts were spent in 3 s)."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
from redis import Redis as SyncRedis
from redis.asyncio import Redis

from shared.bus import Outgoing
from shared.runner import StageRunner
from shared.topics import Topics, ensure_topics
from tests.kafka_helpers import committed, eventually, produce, read_topic

pytestmark = pytest.mark.integration


@dataclass
class CountingStage:
    """A runner on wire.inbound whose handler notes the offset of each attempt, then
    counts the record's key in a Redis of the test's own and passes the record on."""
    topics: Topics
    redis: Redis
    attempts: list[int]
    runner: StageRunner


@pytest.fixture
async def stage(settings, own_redis):
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings.kafka_bootstrap, topics, partitions=1)
    # short socket timeouts: a dead store is found out at once, each attempt
    redis = Redis.from_url(own_redis.url, socket_connect_timeout=0.5, socket_timeout=0.5)
    attempts: list[int] = []

    async def handle(record) -> list[Outgoing]:
        attempts.append(record.offset)
        await redis.incr(f"seen:{record.key.decode()}")
        return [Outgoing(topics.ingested, record.key, record.value, [])]

    runner = StageRunner(stage="test", topic=topics.inbound, group_id=topics.group("test"), handle=handle,
                         settings=settings)
    yield CountingStage(topics, redis, attempts, runner)
    await redis.aclose()


async def _attempted(attempts: list[int], n: int) -> bool:
    return len(attempts) >= n


def _down(own_redis) -> None:
    own_redis.process.kill()


def _full(own_redis, maxmemory: str = "1") -> None:
    """Redis at its maxmemory (noeviction, its default policy) refuses every write: an
    operator's matter, as an outage is, not the record's fault."""
    with SyncRedis.from_url(own_redis.url) as admin:
        admin.config_set("maxmemory", maxmemory)


@pytest.mark.parametrize("trouble, mend", [(_down, lambda r: r.start()), (_full, lambda r: _full(r, "0"))],
                         ids=["down", "full"])
async def test_a_record_waits_for_redis_to_come_back_instead_of_the_dlq(settings, own_redis, stage, trouble, mend):
    topics = stage.topics
    stop = asyncio.Event()
    task = asyncio.create_task(stage.runner.run(stop))
    try:
        trouble(own_redis)
        await produce(settings.kafka_bootstrap, topics.inbound, [(b"story", b"body", [])])
        # well past max_attempts (3 in the test settings): an ordinary retriable error
        # would have been dead-lettered by now
        await eventually(lambda: _attempted(stage.attempts, settings.max_attempts + 3), timeout=60)
        assert await read_topic(settings.kafka_bootstrap, topics.dlq(topics.inbound), expect=1, timeout=1) == []
        mend(own_redis)
        out = await read_topic(settings.kafka_bootstrap, topics.ingested, expect=1, timeout=60)
        assert [r.value for r in out] == [b"body"]
        assert await stage.redis.get("seen:story") == b"1"
        assert await read_topic(settings.kafka_bootstrap, topics.dlq(topics.inbound), expect=1, timeout=1) == []
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def test_stopping_while_redis_is_down_leaves_the_record_uncommitted(settings, own_redis, stage):
    topics = stage.topics
    own_redis.process.kill()
    await produce(settings.kafka_bootstrap, topics.inbound, [(b"story", b"body", [])])
    stop = asyncio.Event()
    task = asyncio.create_task(stage.runner.run(stop))
    try:
        await eventually(lambda: _attempted(stage.attempts, 2), timeout=60)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
    assert await committed(settings.kafka_bootstrap, topics.group("test"), topics.inbound, 1) == 0
    assert await read_topic(settings.kafka_bootstrap, topics.dlq(topics.inbound), expect=1, timeout=1) == []
