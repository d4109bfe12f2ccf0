"""The Redis read model: the latest published ninjs item of each story.

Publishing writes it, the gateway serves it. A write never replaces a newer
version with an older one, so re-delivered or out-of-order events are harmless.
"""
from __future__ import annotations

from typing import Any

import orjson
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from shared.cache import Keys
from shared.errors import RetriableError

# KEYS[1] item hash, KEYS[2] recent list. ARGV: version, item, meta, id, max recent.
_STORE_IF_NOT_OLDER = """
local current = redis.call('HGET', KEYS[1], 'version')
if current and tonumber(current) and tonumber(ARGV[1]) and tonumber(current) > tonumber(ARGV[1]) then
  return 0
end
redis.call('HSET', KEYS[1], 'version', ARGV[1], 'item', ARGV[2], 'meta', ARGV[3])
redis.call('LREM', KEYS[2], 0, ARGV[4])
redis.call('LPUSH', KEYS[2], ARGV[4])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[5]) - 1)
return 1
"""


class ReadModel:
    def __init__(self, redis: Redis, keys: Keys, *, recent_size: int = 1000) -> None:
        self.redis = redis
        self.keys = keys
        self.recent_size = recent_size
        self._store = redis.register_script(_STORE_IF_NOT_OLDER)

    async def store(self, article_id: str, item: dict[str, Any], meta: dict[str, Any]) -> bool:
        """Save ``item`` (a ninjs object) and its pipeline ``meta`` unless a newer
        version is already stored. Returns whether it was written.

        Raises RetriableError when Redis cannot be reached."""
        try:
            written = await self._store(
                keys=[self.keys.article(article_id), self.keys.recent()],
                args=[
                    item.get("version", "1"),
                    orjson.dumps(item),
                    orjson.dumps(meta, default=str),
                    article_id,
                    self.recent_size,
                ],
            )
        except (RedisConnectionError, RedisTimeoutError) as exc:
            raise RetriableError(f"read model unreachable: {exc}") from exc
        return bool(written)

    async def item_json(self, article_id: str) -> bytes | None:
        """The stored ninjs item as JSON bytes, or None when unknown."""
        return await self.redis.hget(self.keys.article(article_id), "item")

    async def meta(self, article_id: str) -> dict[str, Any] | None:
        raw = await self.redis.hget(self.keys.article(article_id), "meta")
        return orjson.loads(raw) if raw else None

    async def recent_ids(self, limit: int = 50) -> list[str]:
        return [i.decode() for i in await self.redis.lrange(self.keys.recent(), 0, limit - 1)]
