"""The Redis read model: the latest published ninjs item of each story.

Publishing writes it, the gateway serves it. A write never replaces a newer
version with an older one, so re-delivered or out-of-order events are harmless.
Besides each item it keeps whether the story was killed (the API answers 410),
the language versions of a story (its family), a time index of live items for the
filtered list, and a change counter that the lists' and feeds' ETags come from.
Everything here can be rebuilt from ``articles.published`` (``wire rebuild-read-model``).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
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


# --- The published view: live and killed items, language families, the index ----
#
# article:<id>  hash  version, item, meta, digest, state ("live" | "killed"), root
# published     zset  ids of live items, score = ms published (the query index)
# family:<root> set   ids of every language version of a story (root = the original)
# changes       int   bumped by every write: the ETag of lists and feeds

LIVE, KILLED = "live", "killed"

# KEYS: 1 item hash, 2 recent list, 3 index, 4 family set, 5 change counter, then per
# delivery: its feed (sorted set), live stream, webhook outbox.
# ARGV: 1 id, 2 version, 3 item, 4 meta, 5 digest, 6 root, 7 score ms, 8 recent size,
# 9 state, 10 live stream max, 11 feed size, 12 n entry fields, 13.. field/value
# pairs, then per delivery: feed mode (a add, r remove, n none), live 0/1, outbox 0/1.
# The item (ARGV[3]) is the "body" of every stream entry: sent once, written N times.
_WRITE = """
local id, state = ARGV[1], ARGV[9]
if state == 'live' then
  redis.call('HSET', KEYS[1], 'version', ARGV[2], 'item', ARGV[3], 'meta', ARGV[4], 'digest', ARGV[5],
             'state', state, 'root', ARGV[6])
  redis.call('LREM', KEYS[2], 0, id)
  redis.call('LPUSH', KEYS[2], id)
  redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[8]) - 1)
  redis.call('ZADD', KEYS[3], ARGV[7], id)
  redis.call('SADD', KEYS[4], id)
else
  redis.call('HSET', KEYS[1], 'version', ARGV[2], 'item', ARGV[3], 'meta', ARGV[4], 'digest', ARGV[5],
             'state', state)
  redis.call('LREM', KEYS[2], 0, id)
  redis.call('ZREM', KEYS[3], id)
end
redis.call('INCR', KEYS[5])
local n = tonumber(ARGV[12])
local entry = {}
for i = 13, 12 + 2 * n do entry[#entry + 1] = ARGV[i] end
entry[#entry + 1] = 'body'
entry[#entry + 1] = ARGV[3]
local a = 13 + 2 * n
local k = 6
local feed_size = tonumber(ARGV[11])
while a + 2 <= #ARGV do
  local mode, live, outbox = ARGV[a], ARGV[a + 1], ARGV[a + 2]
  if mode == 'a' then
    redis.call('ZADD', KEYS[k], ARGV[7], id)
    if redis.call('ZCARD', KEYS[k]) > feed_size then
      redis.call('ZREMRANGEBYRANK', KEYS[k], 0, -(feed_size + 1))
    end
  elseif mode == 'r' then
    redis.call('ZREM', KEYS[k], id)
  end
  if live == '1' then
    redis.call('XADD', KEYS[k + 1], 'MAXLEN', '~', ARGV[10], '*', unpack(entry))
  end
  if outbox == '1' then
    redis.call('XADD', KEYS[k + 2], '*', unpack(entry))
  end
  a = a + 3
  k = k + 3
end
return 1
"""


@dataclass(frozen=True)
class Delivery:
    """Where one published item (or kill notice) goes besides the read model: a feed
    list to add it to (or remove it from), a live stream, a webhook outbox."""

    feed: str | None = None
    feed_mode: str = "a"  # "a" add, "r" remove
    live: str | None = None
    outbox: str | None = None


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
        return _version_key(version) < _version_key(self.version)


def _version_key(version: str) -> tuple[int, float | str]:
    try:
        return (1, float(version))
    except (TypeError, ValueError):
        return (0, str(version))


class PublishedView:
    """Read and write the published view. Writes are queued on a Redis pipeline the
    caller executes (MULTI/EXEC), so an item and everything it fans out to land
    together or not at all."""

    def __init__(self, redis: Redis, keys: Keys, *, recent_size: int = 1000, live_max: int = 1000,
                 feed_size: int = 500) -> None:
        self.redis = redis
        self.keys = keys
        self.recent_size = recent_size
        self.live_max = live_max
        self.feed_size = feed_size
        self._write = redis.register_script(_WRITE)

    @property
    def index(self) -> str:
        return f"{self.keys.prefix}published"

    @property
    def changes_key(self) -> str:
        return f"{self.keys.prefix}changes"

    def family(self, root: str) -> str:
        return f"{self.keys.prefix}family:{root}"

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
        async with self.redis.pipeline(transaction=False) as pipe:
            self.queue_stored(pipe, article_id)
            [row] = await pipe.execute()
        return self.parse_stored(row)

    def queue_roots(self, pipe, ids: list[str]) -> None:
        for i in ids:
            pipe.hget(self.keys.article(i), "root")

    @staticmethod
    def pick_root(article_id: str, roots: list[bytes | None]) -> str:
        """The family root of an item from the roots of itself and the items it is
        linked to (``associations`` rel "translation"), in that order: its own when
        already known, else the first known linked item's, else itself — the first
        language version seen is the original."""
        return next((r.decode() for r in roots if r), article_id)

    async def root_for(self, article_id: str, linked_ids: list[str]) -> str:
        async with self.redis.pipeline(transaction=False) as pipe:
            self.queue_roots(pipe, [article_id, *linked_ids])
            roots = await pipe.execute()
        return self.pick_root(article_id, roots)

    async def family_ids(self, root: str) -> list[str]:
        return sorted(m.decode() for m in await self.redis.smembers(self.family(root)))

    async def stage_live(self, pipe, article_id: str, item: dict[str, Any], meta: dict[str, Any], *, digest: str,
                   root: str, score_ms: int, entry: dict[str, str] | None = None,
                   deliveries: list[Delivery] = ()) -> None:
        """Queue (one script call) the writes that make ``item`` the live version of
        ``article_id``, and its ``deliveries`` (``entry`` fields + the item as "body")."""
        await self._stage(pipe, article_id, item, meta, digest=digest, root=root, score_ms=score_ms, state=LIVE,
                    entry=entry, deliveries=deliveries)

    async def stage_killed(self, pipe, article_id: str, notice: dict[str, Any], meta: dict[str, Any], *,
                     digest: str, entry: dict[str, str] | None = None, deliveries: list[Delivery] = ()) -> None:
        """Queue the writes that mark ``article_id`` killed (410 Gone), drop it from
        every list, and deliver the kill ``notice``."""
        await self._stage(pipe, article_id, notice, meta, digest=digest, root="", score_ms=0, state=KILLED,
                    entry=entry, deliveries=deliveries)

    async def _stage(self, pipe, article_id, item, meta, *, digest, root, score_ms, state, entry, deliveries) -> None:
        keys = [self.keys.article(article_id), self.keys.recent(), self.index, self.family(root or article_id),
                self.changes_key]
        fields = [x for kv in (entry or {}).items() for x in kv]
        args = [article_id, item.get("version", "1"), orjson.dumps(item), orjson.dumps(meta, default=str), digest,
                root, score_ms, self.recent_size, state, self.live_max, self.feed_size, len(fields) // 2, *fields]
        for d in deliveries:
            keys += [d.feed or keys[0], d.live or keys[0], d.outbox or keys[0]]
            args += [d.feed_mode if d.feed else "n", 1 if d.live else 0, 1 if d.outbox else 0]
        await self._write(keys=keys, args=args, client=pipe)

    # --- reads for the API ---------------------------------------------------------

    async def current(self, article_id: str) -> tuple[bytes | None, bool]:
        """(the stored ninjs JSON or None, whether the item was killed)."""
        item, state = await self.redis.hmget(self.keys.article(article_id), "item", "state")
        return item, state == KILLED.encode()

    async def changes(self) -> int:
        return int(await self.redis.get(self.changes_key) or 0)

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


class ReadModel(PublishedView):
    def __init__(self, redis: Redis, keys: Keys, *, recent_size: int = 1000, **sizes: int) -> None:
        super().__init__(redis, keys, recent_size=recent_size, **sizes)
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
