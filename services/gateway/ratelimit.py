"""Per-key rate limit in articles (a bulk request or a feed counts each item), in a
one-minute window shared by every gateway replica (minute_window.py)."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from services.gateway.deps import ProviderDep, SettingsDep
from services.gateway.metrics import REJECTED
from services.gateway.minute_window import within_limit


async def charge(request: Request, provider: str, articles: int) -> None:
    """Count ``articles`` against ``provider``'s limit; 429 with Retry-After when they
    do not fit."""
    limit = request.app.state.settings.rate_limit_per_minute
    if limit <= 0 or articles <= 0:
        return
    keys = request.app.state.keys
    if (wait := await within_limit(request, lambda minute: keys.rate(provider, minute), articles, limit)) is not None:
        REJECTED.labels("429", "rate_limited").inc()
        raise HTTPException(429, {"error": "rate_limited",
                                  "detail": f"more than {limit} articles per minute for this key"},
                            headers={"Retry-After": str(wait)})


async def rate_limited(request: Request, provider: ProviderDep, settings: SettingsDep) -> str:
    """The provider, once one more article fits its limit; else 429 with Retry-After.
    Routes charge the rest of a multi-article request with :func:`charge`."""
    await charge(request, provider, 1)
    return provider


RateLimitedProvider = Annotated[str, Depends(rate_limited)]
