"""Who this process is among the replicas of its service, for claims and leases in
Redis that an operator can read: ``[replica@]host:pid``."""
from __future__ import annotations

import os
import socket


def process_identity(replica: str = "") -> str:
    """host:pid (and the replica name): unique per process, readable by an operator."""
    return f"{replica + '@' if replica else ''}{socket.gethostname()}:{os.getpid()}"


# Compare-and-act on a claim or lease key, in one step: only while it holds ``owner``'s
# value (a claim that expired and was taken by another process is left alone).
_RENEW = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0"
_RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"


async def claim(redis, key: str, owner: str, *, ttl_ms: int, again: bool = False) -> bool:
    """Whether ``owner`` holds ``key`` now: the first to ask gets it for ``ttl_ms``; with
    ``again``, the holder asking again is told it holds it still (its ttl unchanged)."""
    if await redis.set(key, owner, nx=True, px=max(1, ttl_ms)):
        return True
    return again and await redis.get(key) == owner.encode()


async def renew(redis, key: str, owner: str, *, ttl_ms: int) -> bool:
    """Set what is left of ``owner``'s hold on ``key`` to ``ttl_ms`` (at most 0: give it
    up); False when it is not ``owner``'s (any more)."""
    if ttl_ms <= 0:
        return await release(redis, key, owner)
    return bool(await redis.eval(_RENEW, 1, key, owner, ttl_ms))


async def release(redis, key: str, owner: str) -> bool:
    """Give ``key`` up if it is still ``owner``'s."""
    return bool(await redis.eval(_RELEASE, 1, key, owner))
