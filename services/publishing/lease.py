"""A lease in Redis: work that must happen in one replica at a time (a subscription's
webhook queue, embargo release) is done by whichever replica holds it.

``SET key value NX PX ttl`` takes a free lease; its value is ``<owner>#<fence>``,
where the fence is a counter bumped at every acquisition. The holder renews it
every ``ttl/3``; a holder that dies stops renewing and the lease is free after
``ttl``, when another replica takes it. Every side effect the holder makes under
the lease is fenced: :meth:`Lease.still_held` before it, and writes done with
:meth:`Lease.fenced` (a Lua script that runs only while the value is still ours),
so a holder that was paused past its ttl cannot act on behalf of its successor.
"""
from __future__ import annotations

import asyncio
import logging

from shared import replica
from shared.stopping import sleep_until

log = logging.getLogger(__name__)


class Lease:
    def __init__(self, redis, key: str, *, owner: str, ttl_ms: int) -> None:
        self.redis = redis
        self.key = key
        self.owner = owner
        self.ttl_ms = ttl_ms
        self.value: str | None = None  # "<owner>#<fence>" while we believe we hold it

    @property
    def fence(self) -> int | None:
        return int(self.value.rsplit("#", 1)[1]) if self.value else None

    async def acquire(self) -> bool:
        """Take the lease if it is free. Returns whether we hold it now."""
        fence = await self.redis.incr(f"{self.key}:fence")
        value = f"{self.owner}#{fence}"
        if await self.redis.set(self.key, value, nx=True, px=self.ttl_ms):
            self.value = value
            log.info("lease taken", extra={"lease": self.key, "owner": self.owner, "fence": fence})
            return True
        return False

    async def renew(self) -> bool:
        if self.value is None:
            return False
        if await replica.renew(self.redis, self.key, self.value, ttl_ms=self.ttl_ms):
            return True
        log.warning("lease lost", extra={"lease": self.key, "owner": self.owner, "fence": self.fence})
        self.value = None
        return False

    async def still_held(self) -> bool:
        if self.value is None:
            return False
        current = await self.redis.get(self.key)
        return current is not None and current.decode() == self.value

    async def release(self) -> None:
        """Give the lease up (on shutdown) so another replica takes over at once."""
        if self.value is not None:
            await replica.release(self.redis, self.key, self.value)
            log.info("lease released", extra={"lease": self.key, "owner": self.owner, "fence": self.fence})
            self.value = None

    async def fenced(self, script: str, keys: list[str], args: list) -> object:
        """Run ``script`` (a Lua body using KEYS[2..] and ARGV[2..]) only while the
        lease is still ours; returns None when it is not."""
        body = f"if redis.call('GET', KEYS[1]) ~= ARGV[1] then return nil end\n{script}"
        return await self.redis.eval(body, 1 + len(keys), self.key, *keys, self.value or "", *args)

    async def keep(self, stop: asyncio.Event, lost: asyncio.Event) -> None:
        """Renew every ttl/3 until ``stop``; set ``lost`` (and return) when the
        lease cannot be renewed (taken over, or Redis unreachable)."""
        while not stop.is_set():
            if await sleep_until(stop, self.ttl_ms / 3000):
                break
            try:
                held = await self.renew()
            except Exception as exc:  # noqa: BLE001 - Redis down: we may not act any more
                log.warning("lease renewal failed", extra={"lease": self.key, "error": repr(exc)})
                held = False
            if not held:
                self.value = None
                break
        lost.set()
