"""Per-key rate limit: a fixed one-minute window counted in Redis, shared by every
gateway replica."""
from __future__ import annotations

import time
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from services.gateway.deps import ProviderDep, SettingsDep
from services.gateway.metrics import REJECTED


async def rate_limited(request: Request, provider: ProviderDep, settings: SettingsDep) -> str:
    """The provider, once its request fits the limit; else 429 with Retry-After."""
    limit = settings.rate_limit_per_minute
    if limit <= 0:
        return provider
    now = time.time()
    window = int(now // 60)
    key = request.app.state.keys.rate(provider, window)
    redis = request.app.state.redis
    async with redis.pipeline(transaction=True) as pipe:
        count, _ = await pipe.incr(key).expire(key, 120).execute()
    if count > limit:
        retry_after = max(1, int(60 - now % 60) + 1)
        REJECTED.labels("429", "rate_limited").inc()
        raise HTTPException(429, {"error": "rate_limited",
                                  "detail": f"more than {limit} submissions per minute for this key"},
                            headers={"Retry-After": str(retry_after)})
    return provider


RateLimitedProvider = Annotated[str, Depends(rate_limited)]
