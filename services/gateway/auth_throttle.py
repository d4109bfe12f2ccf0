"""Failed authentications are throttled per client address, so nobody can try keys
at the gateway's full speed: past ``auth_failures_per_minute`` failures in a minute,
every request from that address that needs a key answers 429 until the minute ends
(counted in Redis, shared by every gateway replica).

The address is the one uvicorn gives: the peer's, or behind a proxy the client's
from X-Forwarded-For when the peer is one of ``WIRE_FORWARDED_ALLOW_IPS`` (without
it, every client behind a load balancer shares the balancer's address, and one
guesser throttles them all). An IPv6 address counts by its /64, the block one
host is usually given, so rotating addresses within it does not escape the count."""
from __future__ import annotations

import ipaddress
import time

from fastapi import HTTPException, Request

from services.gateway.metrics import REJECTED


def counted_address(host: str) -> str:
    """What failures are counted by: an IPv4 address (also one mapped into IPv6), an
    IPv6 address's /64, or ``host`` as given when it is no address."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if address.version == 6 and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _window(request: Request) -> tuple[str, int]:
    now = time.time()
    address = counted_address(request.client.host) if request.client else "unknown"
    key = request.app.state.keys.auth_failures(address, int(now // 60))
    return key, max(1, int(60 - now % 60) + 1)


def _throttled(limit: int, retry_after: int) -> HTTPException:
    REJECTED.labels("429", "auth_throttled").inc()
    return HTTPException(429, {"error": "auth_throttled",
                               "detail": f"more than {limit} failed authentications per minute from this address"},
                         headers={"Retry-After": str(retry_after)})


async def refuse_if_throttled(request: Request) -> None:
    """429 with Retry-After when this address failed too often this minute."""
    limit = request.app.state.settings.auth_failures_per_minute
    if limit <= 0:
        return
    key, retry_after = _window(request)
    failures = await request.app.state.redis.get(key)
    if failures is not None and int(failures) >= limit:
        raise _throttled(limit, retry_after)


async def count_failure(request: Request) -> None:
    """Count one failed authentication; 429 (instead of the caller's 401) when it is
    past the limit. Counting first makes concurrent guesses each see their own rank."""
    limit = request.app.state.settings.auth_failures_per_minute
    if limit <= 0:
        return
    key, retry_after = _window(request)
    async with request.app.state.redis.pipeline(transaction=True) as pipe:
        failures, _ = await pipe.incr(key).expire(key, 120).execute()
    if failures > limit:
        raise _throttled(limit, retry_after)
