"""Publishing's view of the subscriptions: reloaded from Redis whenever their
version counter moved, so a change made through the gateway applies to the very
next item, with no restart. An item routed by this view while a change landed is
not written by it (its write checks the version it was routed by) but routed again:
see :mod:`services.publishing.apply`."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from shared.errors import RetriableError
from shared.subscriptions import ItemFacts, Subscription, SubscriptionStore

log = logging.getLogger(__name__)

OnChange = Callable[[list[Subscription]], Awaitable[None]]


class SubscriptionCache:
    def __init__(self, store: SubscriptionStore, *, on_change: OnChange | None = None) -> None:
        self.store = store
        self.on_change = on_change
        self.version = -1
        self.all: list[Subscription] = []
        self._reloading = asyncio.Lock()

    async def refresh(self, version: int | None = None) -> bool:
        """Reload when the stored version differs from the one in hand (``version``:
        the caller just read it, saving a round trip when nothing changed). Returns
        whether it reloaded. Raises RetriableError when Redis is unreachable."""
        if version is not None and version == self.version:
            return False
        async with self._reloading:
            try:
                version = await self.store.version()
                if version == self.version:
                    return False
                subscriptions = await self.store.all()
            except (RedisConnectionError, RedisTimeoutError) as exc:
                raise RetriableError(f"subscriptions unreachable: {exc}") from exc
            self.all, self.version = subscriptions, version
            log.info("subscriptions loaded", extra={"subscriptions": [s.name for s in subscriptions],
                                                    "version": version})
            if self.on_change is not None:
                await self.on_change(subscriptions)
        return True

    def matching(self, item: dict[str, Any], provider: str | None) -> list[Subscription]:
        """The subscriptions whose filter takes ``item``. Pure."""
        facts = ItemFacts(item)
        return [s for s in self.all if s.filter.matches(item, provider, facts)]
