"""Redis client helpers and the key names shared by the services that use Redis."""
from __future__ import annotations

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError


def connect(url: str) -> Redis:
    """An asyncio Redis client (bytes in, bytes out; pooled). A command that meets a
    dropped connection (e.g. after a Redis restart) is retried on a fresh one."""
    return Redis.from_url(
        url,
        decode_responses=False,
        health_check_interval=30,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), retries=3),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
    )


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

    def trend_windows(self) -> str:
        """Sorted set of the trend windows ("<start>:<end>", score start) enrichment wrote."""
        return f"{self.prefix}trends"

    def trend_window(self, start: int) -> str:
        """Sorted set of entity → article count in the trend window starting at ``start``."""
        return f"{self.prefix}trends:{start}"

    def trend_released(self, start: int) -> str:
        """Sorted set of entity → count of stories released from embargo in that window."""
        return f"{self.prefix}trends-released:{start}"

    def trend_released_stories(self) -> str:
        """Set of the story uris whose deferred trend counts were added."""
        return f"{self.prefix}trends-released"
