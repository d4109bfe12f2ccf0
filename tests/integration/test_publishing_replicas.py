"""Two publishing replicas (in-process) on the session's real Kafka and one real
redis-server: a subscription's webhook queue is drained by one replica at a time
(per-story version order holds, nothing is delivered twice), a stopped holder
hands the queue over, a holder whose lease expired cannot acknowledge (fencing),
and an embargoed item is released once."""
from __future__ import annotations

import time
from collections import defaultdict

import pytest

from services.publishing.settings import PublishingSettings
from shared.cache import Keys, connect
from shared.events import Signal
from services.publishing.lease import Lease
from shared.subscriptions import SubscriptionKeys
from tests.integration.test_publishing_read_model import iso, published
from tests.publishing_helpers import Publishing, Receiver, article_event, requests_before_sentinel
from tests.waiting import eventually

pytestmark = pytest.mark.integration


class SlowReceiver(Receiver):
    """Takes a moment per POST, so two concurrent deliverers would interleave."""

    def answer(self, headers, body):
        time.sleep(0.02)
        return super().answer(headers, body)


def settings_of(settings, replica: str) -> PublishingSettings:
    # the receiver is on 127.0.0.1, which the outbound guard refuses unless allowed
    return PublishingSettings(**{**settings.model_dump(), "replica": replica, "lease_ms": 1500,
                                 "outbound_allowed_networks": ["127.0.0.0/8"]},
                              webhook_backoff_s=0.05, embargo_poll_s=0.2)


def versions_by_story(requests: list[dict]) -> dict[str, list[str]]:
    seen: dict[str, list[str]] = defaultdict(list)
    for request in requests:
        seen[request["headers"]["x-wire-uri"]].append(request["headers"]["x-wire-version"])
    return seen


def story_versions(stories: int, versions: int, tag: str):
    for v in range(1, versions + 1):
        for s in range(stories):
            yield article_event(f"urn:test:replicas:{tag}:{s}", version=str(v),
                                signal=Signal.NEW if v == 1 else Signal.UPDATE, body=f"Version {v} of story {s}.")


@pytest.fixture
async def replicas(settings):
    services = [Publishing(settings_of(settings, "1")), Publishing(settings_of(settings, "2"))]
    for service in services:
        service.start()
    yield services
    for service in services:
        await service.stop()
        await service.redis.aclose()


async def test_one_replica_at_a_time_delivers_a_queue_in_version_order_and_hands_it_over(replicas):
    one, two = replicas
    with SlowReceiver() as receiver:
        await one.subscribe("ordered", receiver.url)
        first = list(story_versions(12, 3, "a"))
        await one.publish(*first)
        await eventually(lambda: len(receiver.delivered) >= len(first), timeout=90)
        # the holder shuts down (SIGTERM): it releases the lease and the other replica goes on
        holder = one if await _holds(one, "ordered") else two
        await holder.stop()
        other = two if holder is one else one
        second = list(story_versions(12, 3, "b"))
        await other.publish(*second)
        await eventually(lambda: len(receiver.delivered) >= len(first) + len(second), timeout=90)
        delivered = await requests_before_sentinel(other, receiver)
        holder.start()  # (the fixture stops both)
    by_story = versions_by_story(delivered)
    assert len(delivered) == len(first) + len(second), "an item was delivered twice"
    assert by_story == {e.article.uri: ["1", "2", "3"] for e in first + second}


async def test_a_holder_whose_lease_expired_is_fenced_off(settings):
    redis = connect(settings.redis_url)
    key = f"{settings.topic_prefix}lease-test"
    try:
        old = Lease(redis, key, owner="old", ttl_ms=300)
        new = Lease(redis, key, owner="new", ttl_ms=300)
        assert await old.acquire()
        assert not await new.acquire()  # held: nobody else gets it
        # the old holder stalls past its ttl (a GC pause, a SIGSTOP, a dead process)
        await eventually(lambda: _expired(redis, key), timeout=10, what="the old holder's lease to expire")
        assert await new.acquire()
        assert new.fence > old.fence
        assert not await old.still_held()
        write = "redis.call('SET', KEYS[2], ARGV[2]) return 1"
        assert await old.fenced(write, [f"{key}:x"], ["from-old"]) is None
        assert await new.fenced(write, [f"{key}:x"], ["from-new"]) == 1
        assert await redis.get(f"{key}:x") == b"from-new"
        assert not await old.renew()  # and it cannot take the lease back by renewing
        await new.release()
        assert await redis.get(key) is None
    finally:
        await redis.aclose()


async def test_an_embargoed_item_is_released_once_by_two_replicas(replicas, settings):
    one, _ = replicas
    await one.subscribe("all", None)
    until = float(int(time.time()) + 4)
    held = [article_event(f"urn:test:replicas:embargo:{n}", embargoedUntil=iso(until)) for n in range(10)]
    await one.publish(*held)
    await eventually(lambda: time.time() > until + 1, timeout=30)
    records = await published(settings, expect=len(held), timeout=60)
    assert sorted(key for key, _, _ in records) == sorted(e.article.uri for e in held)
    # a later embargo, released by a later poll than the first ten: a second release
    # of any of them would have come before it
    sentinel = article_event("urn:test:replicas:embargo:sentinel", embargoedUntil=iso(float(int(time.time()) + 2)))
    await one.publish(sentinel)
    records = await eventually(lambda: _released(settings, sentinel.article.uri, len(held) + 2), timeout=60,
                               what="the sentinel's release")
    assert sorted(key for key, _, _ in records) == sorted(e.article.uri for e in held + [sentinel]), \
        "an embargoed item was released twice"


async def _expired(redis, key: str) -> bool:
    return not await redis.exists(key)


async def _released(settings, uri: str, expect: int) -> list | None:
    """What ``articles.published`` holds once ``uri`` is on it (read for at most 3 s
    after ``expect`` records would have arrived)."""
    records = await published(settings, expect=expect, timeout=3)
    return records if any(key == uri for key, _, _ in records) else None


async def _holds(service: Publishing, name: str) -> bool:
    """Whether ``service``'s replica holds the lease of ``name``'s webhook queue."""
    outbox = SubscriptionKeys(Keys(service.settings.topic_prefix).prefix).outbox(name)
    value = await service.redis.get(f"{outbox}:lease")
    return value is not None and value.decode().startswith(f"{service.settings.replica}@")
