"""Embargoed items: held until ``embargoedUntil``, then released on time.

The queue is a Redis sorted set (id → release time) plus the held events; its
durable copy is the compacted topic ``articles.embargoed`` (keyed by uri, a
tombstone once released), from which ``wire rebuild-read-model`` restores it.

Every publishing replica runs the release loop, but only the holder of the
``embargo:lease`` releases (:mod:`services.publishing.lease`), and it checks the lease before
each item: an item is released once, and a dead holder's turn passes to another
replica after the lease's ttl.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime

from shared.bus import Outgoing
from shared.cache import Keys
from shared.codec import decode, encode
from services.publishing.lease import Lease
from shared.replica import process_identity
from shared.stopping import sleep_until
from shared.events import ArticleEvent
from services.publishing.metrics import EMBARGOED

log = logging.getLogger(__name__)


def embargo_until(item: dict) -> float | None:
    """``embargoedUntil`` as Unix seconds, or None when absent or unreadable (a
    ninjs-valid item always has a readable one)."""
    value = item.get("embargoedUntil")
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def held_copy(topic: str, event: ArticleEvent, *, owner: str | None = None) -> Outgoing:
    """The durable copy of a held event on ``articles.embargoed`` (keyed by uri), with
    ``owner``, the story registry's owner of the uri, as its ``wire_owner`` header (the
    rebuild gives it back to the registry)."""
    headers = [("wire_owner", owner.encode())] if owner else []
    return Outgoing(topic=topic, key=event.article.uri.encode(), value=encode(event), headers=headers)


def released_copy(topic: str, event: ArticleEvent) -> Outgoing:
    """The tombstone that removes a released (or superseded) event's durable copy."""
    return Outgoing(topic=topic, key=event.article.uri.encode(), value=None, headers=[])


class EmbargoQueue:
    def __init__(self, redis, key_prefix: str, *, topic: str) -> None:
        self.redis = redis
        keys = Keys.with_key_prefix(key_prefix)
        self.due_key = keys.embargo_due()
        self.events_key = keys.embargo_events()
        self.lease_key = keys.embargo_lease()
        self.topic = topic

    async def held(self, article_id: str) -> ArticleEvent | None:
        raw = await self.redis.hget(self.events_key, article_id)
        return decode(ArticleEvent, raw) if raw else None

    async def hold(self, event: ArticleEvent, until: float) -> None:
        """Keep ``event`` until ``until`` (replacing an older held version of the
        story); its durable copy is :func:`held_copy`, produced by the caller."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.events_key, event.envelope.article_id, encode(event))
            pipe.zadd(self.due_key, {event.envelope.article_id: int(until * 1000)})
            await pipe.execute()

    async def drop(self, article_id: str, *, version: str | None = None) -> None:
        """Forget the held event (only if it is still ``version``, when given)."""
        if version is not None:
            held = await self.held(article_id)
            if held is None or held.article.version != version:
                return
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zrem(self.due_key, article_id)
            pipe.hdel(self.events_key, article_id)
            await pipe.execute()

    async def due(self, now: float, limit: int = 100) -> list[ArticleEvent]:
        """Held events whose embargo has ended, earliest first."""
        ids = await self.redis.zrangebyscore(self.due_key, "-inf", int(now * 1000), start=0, num=limit)
        if not ids:
            return []
        raws = await self.redis.hmget(self.events_key, ids)
        return [decode(ArticleEvent, raw) for raw in raws if raw]

    async def size(self) -> int:
        return await self.redis.zcard(self.due_key)


Release = Callable[[ArticleEvent], Awaitable[None]]


async def _release_due(queue: EmbargoQueue, release: Release, lease: Lease) -> None:
    """Release what is due while the lease is held, renewing it meanwhile: a release
    waits for Kafka's acknowledgement, which can take longer than the lease, and another
    replica would take it over and release the items still in the queue again."""
    done, lost = asyncio.Event(), asyncio.Event()
    keeper = asyncio.create_task(lease.keep(done, lost))
    try:
        for event in await queue.due(time.time()):
            if lost.is_set() or not await lease.still_held():
                break  # another replica releases from here on
            await release(event)
    finally:
        done.set()
        keeper.cancel()
        await asyncio.gather(keeper, return_exceptions=True)


async def release_loop(queue: EmbargoQueue, release: Release, stop: asyncio.Event, *, poll_s: float,
                       owner: str | None = None, lease_ms: int = 3_000) -> None:
    """Every ``poll_s`` seconds, while this replica holds the embargo lease, hand
    each item whose embargo has ended to ``release`` (which publishes it and then
    drops it from the queue). Errors are logged and the item is tried again on the
    next tick: an item is never lost, at worst late."""
    lease = Lease(queue.redis, queue.lease_key, owner=owner or process_identity(), ttl_ms=lease_ms)
    try:
        while not stop.is_set():
            try:
                if await lease.still_held():
                    await lease.renew()
                else:
                    await lease.acquire()
                if lease.value:
                    await _release_due(queue, release, lease)
                EMBARGOED.set(await queue.size())
            except Exception as exc:  # noqa: BLE001 - the scheduler must outlive a bad tick
                log.error("embargo release failed; retrying next tick", extra={"error": repr(exc)})
            await sleep_until(stop, min(poll_s, lease_ms / 3000))
    finally:
        try:
            await lease.release()
        except Exception:  # noqa: BLE001 - Redis gone: the lease expires by itself
            pass
