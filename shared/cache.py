"""Redis client helpers and the key names shared by the services that use Redis."""
from __future__ import annotations

from redis.asyncio import Redis


def connect(url: str) -> Redis:
    """An asyncio Redis client (bytes in, bytes out; pooled; reconnects by itself)."""
    return Redis.from_url(url, decode_responses=False, health_check_interval=30)


class Keys:
    """Redis key names, namespaced by the deployment's prefix like the topics."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = f"{prefix}wire:"

    def article(self, article_id: str) -> str:
        return f"{self.prefix}article:{article_id}"

    def story(self, uri: str) -> str:
        return f"{self.prefix}story:{uri}"

    def rate(self, provider: str, window: int) -> str:
        return f"{self.prefix}rate:{provider}:{window}"

    def idempotency(self, provider: str, key: str) -> str:
        return f"{self.prefix}idem:{provider}:{key}"

    def feed_cursor(self, url: str) -> str:
        return f"{self.prefix}feed:{url}"

    def recent(self) -> str:
        return f"{self.prefix}recent"
