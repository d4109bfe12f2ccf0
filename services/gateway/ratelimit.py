"""Per-key rate limit in articles (a bulk request or a feed counts each item): a
fixed one-minute window counted in Redis, shared by every gateway replica."""
from __future__ import annotations

import time
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from services.gateway.deps import ProviderDep, SettingsDep
from services.gateway.metrics import REJECTED


async def charge(request: Request, provider: str, articles: int) -> None:
    """Count ``articles`` against ``provider``'s limit; 429 with Retry-After when they
    do not fit (they stay counted: a client past its limit waits for the next minute)."""
    limit = request.app.state.settings.rate_limit_per_minute
    if limit <= 0 or articles <= 0:
        return
    now = time.time()
    key = request.app.state.keys.rate(provider, int(now // 60))
    async with request.app.state.redis.pipeline(transaction=True) as pipe:
        count, _ = await pipe.incrby(key, articles).expire(key, 120).execute()
    if count > limit:
        REJECTED.labels("429", "rate_limited").inc()
        raise HTTPException(429, {"error": "rate_limited",
                                  "detail": f"more than {limit} articles per minute for this key"},
                            headers={"Retry-After": str(max(1, int(60 - now % 60) + 1))})


async def rate_limited(request: Request, provider: ProviderDep, settings: SettingsDep) -> str:
    """The provider, once one more article fits its limit; else 429 with Retry-After.
    Routes charge the rest of a multi-article request with :func:`charge`."""
    await charge(request, provider, 1)
    return provider


RateLimitedProvider = Annotated[str, Depends(rate_limited)]
