"""The Redis read model, read side: the latest published ninjs item of each story,
as the gateway serves it (and publishing reads it before deciding).

Publishing writes it (:mod:`services.publishing.read_model`), with the key names of
:class:`shared.cache.Keys`:

- ``article:<id>``  hash: version, item, meta, digest, state ("live" | "killed"), root
- ``published``     sorted set of live ids, score = ms published (the query index)
- ``family:<root>`` set of the ids of every language version of a story
- ``changes``       counter bumped by every write: the ETag of lists and feeds
- ``recent``        list of the most recently written ids (ops views)
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import orjson
from redis.asyncio import Redis

from shared.cache import Keys
from shared.versions import is_older

LIVE, KILLED = "live", "killed"
# Stored item bytes one read request (a list page, a feed) may load and match; items are
# up to WIRE_MAX_RECORD_BYTES each, and a page of large ones ends early instead of holding
# the gateway's event loop for seconds (loading and matching take about 3 ms per MiB).
READ_BUDGET_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class StoredItem:
    """What the read model holds for one article id. ``item_json`` is the ninjs item
    as stored (served as is); ``item`` parses it on first use only."""

    version: str
    item_json: bytes | None
    meta: dict[str, Any]
    digest: str
    killed: bool
    root: str | None

    @cached_property  # a frozen dataclass still has a __dict__ for it
    def item(self) -> dict[str, Any] | None:
        return orjson.loads(self.item_json) if self.item_json else None

    def is_newer_than_me(self, version: str) -> bool:
        """Whether ``version`` is older than the stored one (so must be ignored)."""
        return is_older(version, self.version)


class ReadModel:
    """Reads of the published view (the gateway's, the CLI's, publishing's snapshot)."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    @property
    def index(self) -> str:
        return self.keys.published()

    def queue_stored(self, pipe, article_id: str) -> None:
        """Queue the read of ``article_id``'s state on ``pipe`` (see :meth:`parse_stored`)."""
        pipe.hmget(self.keys.article(article_id), "version", "item", "meta", "digest", "state", "root")

    @staticmethod
    def parse_stored(row: list) -> StoredItem | None:
        version, item, meta, digest, state, root = row
        if version is None:
            return None
        return StoredItem(version=version.decode(), item_json=item or None,
                          meta=orjson.loads(meta) if meta else {}, digest=(digest or b"").decode(),
                          killed=state == KILLED.encode(), root=root.decode() if root else None)

    async def stored(self, article_id: str) -> StoredItem | None:
        """The stored state of ``article_id`` or None when unknown."""
        [stored] = await self.stored_many([article_id])
        return stored

    async def stored_many(self, article_ids: list[str]) -> list[StoredItem | None]:
        """The stored state of each of ``article_ids`` (None when unknown), in one round trip."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for article_id in article_ids:
                self.queue_stored(pipe, article_id)
            rows = await pipe.execute()
        return [self.parse_stored(row) for row in rows]

    async def family_ids(self, root: str) -> list[str]:
        return sorted(m.decode() for m in await self.redis.smembers(self.keys.family(root)))

    async def current(self, article_id: str) -> tuple[bytes | None, bool]:
        """(the stored ninjs JSON or None, whether the item was killed)."""
        item, state = await self.redis.hmget(self.keys.article(article_id), "item", "state")
        return item, state == KILLED.encode()

    async def changes(self) -> int:
        return int(await self.redis.get(self.keys.changes()) or 0)

    async def within(self, article_ids: list[str], max_bytes: int) -> tuple[list[str], int]:
        """(the first of ``article_ids`` whose stored items add up to at most ``max_bytes``,
        always the first one; their bytes): what one request may load, asked of Redis
        by size (HSTRLEN) before any item is read."""
        if not article_ids:
            return [], 0
        async with self.redis.pipeline(transaction=False) as pipe:
            for i in article_ids:
                pipe.hstrlen(self.keys.article(i), "item")
            sizes = await pipe.execute()
        total, taken = 0, []
        for article_id, size in zip(article_ids, sizes):
            if taken and total + size > max_bytes:
                break
            total += size
            taken.append(article_id)
        return taken, total

    async def entries(self, article_ids: list[str]) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
        """(id, ninjs item, meta) of each live id, in the order given; others skipped."""
        if not article_ids:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for i in article_ids:
                pipe.hmget(self.keys.article(i), "item", "meta", "state")
            rows = await pipe.execute()
        return [(i, orjson.loads(item), orjson.loads(meta) if meta else {})
                for i, (item, meta, state) in zip(article_ids, rows) if item and state != KILLED.encode()]

    async def newest(self, key: str, *, before: tuple[int, str] | None, count: int) -> list[tuple[str, int]]:
        """Up to ``count`` (id, score) of the sorted set ``key``, newest first, strictly
        after the cursor ``before`` = (score, id) of the last one already seen."""
        if before is None:
            rows = await self.redis.zrevrangebyscore(key, "+inf", "-inf", start=0, num=count, withscores=True)
            return [(m.decode(), int(s)) for m, s in rows]
        score, last = before
        # Equal scores come in reverse lexical order: skip those not after the cursor.
        rows = await self.redis.zrevrangebyscore(key, score, "-inf", start=0, num=count + 64, withscores=True)
        out = [(m.decode(), int(s)) for m, s in rows if int(s) < score or m.decode() < last]
        return out[:count]

    async def item_json(self, article_id: str) -> bytes | None:
        """The stored ninjs item as JSON bytes, or None when unknown."""
        return await self.redis.hget(self.keys.article(article_id), "item")

    async def meta(self, article_id: str) -> dict[str, Any] | None:
        raw = await self.redis.hget(self.keys.article(article_id), "meta")
        return orjson.loads(raw) if raw else None

    async def recent_ids(self, limit: int = 50) -> list[str]:
        return [i.decode() for i in await self.redis.lrange(self.keys.recent(), 0, limit - 1)]
