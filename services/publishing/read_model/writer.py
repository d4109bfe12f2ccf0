"""The read model's write side: publishing's only way to change what the gateway
serves (:mod:`shared.read_model` is the read side and names the structures).

One Lua script writes an item (live or killed) with everything it fans out to — its
subscriptions' feeds, live streams and webhook outboxes — so they land together or
not at all. Which version wins is decided in Python (:mod:`shared.versions`) before
the write; the scripts never order versions themselves.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from services.publishing.retraction import PURGE_LIVE
from shared.cache import Keys
from shared.errors import RetriableError
from shared.read_model import KILLED, LIVE, ReadModel
from shared.versions import is_older

# KEYS[1] item hash, KEYS[2] recent list. ARGV: 1 the stored version Python compared
# against ('' none), 2 version, 3 item, 4 meta, 5 id, 6 max recent. Writes only when
# the stored version is still the one Python read (else 'retry': read and decide again).
_STORE_IF_UNCHANGED = """
local current = redis.call('HGET', KEYS[1], 'version')
if (current or '') ~= ARGV[1] then return -1 end
redis.call('HSET', KEYS[1], 'version', ARGV[2], 'item', ARGV[3], 'meta', ARGV[4])
redis.call('LREM', KEYS[2], 0, ARGV[5])
redis.call('LPUSH', KEYS[2], ARGV[5])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[6]) - 1)
return 1
"""

# KEYS: 1 item hash, 2 recent list, 3 index, 4 family set, 5 change counter, 6 the
# subscriptions' version counter, 7 the family root's hash, then per delivery: its feed
# (sorted set), live stream, webhook outbox, the outbox's byte count.
# ARGV: 1 id, 2 version, 3 item, 4 meta, 5 digest, 6 root, 7 score ms, 8 recent size,
# 9 state, 10 live stream max, 11 feed size, 12 n entry fields, 13 the subscriptions'
# version the deliveries were chosen by ('' none), 14 entries of the story kept per live
# stream, 15 '=' and the digest the write was decided on ('' when unchecked), 16..
# field/value pairs, then per delivery: feed mode (a add, r remove, n none), live 0/1,
# outbox 0/1.
# The item (ARGV[3]) is the "body" of every stream entry: sent once, written N times.
# A live item's entry ids are remembered in its hash ('live:<stream>', see retraction), for its
# kill to delete them without reading the streams; past ARGV[14] of them in one stream,
# the story's oldest entry there is deleted (its later versions are there), so what is
# remembered is all there is and stays bounded.
# Writes nothing and returns -1 when the subscriptions changed since they were chosen
# (a narrowed filter must not get an item routed by the old one: decide again), -2 when
# the item's digest is no longer the one decided on (another replica wrote it meanwhile)
# or, for a checked live write into another item's family, when that family's original
# has been killed since (its kill walked the family before this version was in it).
_WRITE = """
if ARGV[13] ~= '' and (redis.call('GET', KEYS[6]) or '0') ~= ARGV[13] then return -1 end
if ARGV[15] ~= '' and ('=' .. (redis.call('HGET', KEYS[1], 'digest') or '')) ~= ARGV[15] then return -2 end
if ARGV[15] ~= '' and ARGV[9] == 'live' and ARGV[6] ~= '' and ARGV[6] ~= ARGV[1]
   and redis.call('HGET', KEYS[7], 'state') == 'killed' then return -2 end
local id, state, keep = ARGV[1], ARGV[9], tonumber(ARGV[14])
local function remember(stream, added)
  local field = 'live:' .. stream
  local ids = redis.call('HGET', KEYS[1], field)
  ids = ids and (ids .. ' ' .. added) or added
  local _, spaces = string.gsub(ids, ' ', '')
  while spaces >= keep do
    local cut = string.find(ids, ' ', 1, true)
    redis.call('XDEL', stream, string.sub(ids, 1, cut - 1))
    ids = string.sub(ids, cut + 1)
    spaces = spaces - 1
  end
  redis.call('HSET', KEYS[1], field, ids)
end
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
for i = 16, 15 + 2 * n do entry[#entry + 1] = ARGV[i] end
entry[#entry + 1] = 'body'
entry[#entry + 1] = ARGV[3]
local a = 16 + 2 * n
local k = 8
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
    local added = redis.call('XADD', KEYS[k + 1], 'MAXLEN', '~', ARGV[10], '*', unpack(entry))
    if state == 'live' then remember(KEYS[k + 1], added) end
  end
  if outbox == '1' then
    redis.call('XADD', KEYS[k + 2], '*', unpack(entry))
    redis.call('INCRBY', KEYS[k + 3], #ARGV[3])
  end
  a = a + 3
  k = k + 4
end
return 1
"""


# KEYS[1] item hash, KEYS[2] the family set it leaves. ARGV: 1 its new root, 2 its id.
# Queued after the item's write: only if that landed (the item's root is the new one).
_LEAVE_FAMILY = """
if redis.call('HGET', KEYS[1], 'root') == ARGV[1] then redis.call('SREM', KEYS[2], ARGV[2]) end
return 1
"""


@dataclass(frozen=True)
class Delivery:
    """Where one published item (or kill notice) goes besides the read model: a feed
    list to add it to (or remove it from), a live stream, a webhook outbox (and the key
    counting the bytes of its items)."""

    feed: str | None = None
    feed_mode: str = "a"  # "a" add, "r" remove
    live: str | None = None
    outbox: str | None = None
    outbox_bytes: str | None = None

    def __post_init__(self) -> None:
        if (self.outbox is None) != (self.outbox_bytes is None):
            raise ValueError("an outbox and its byte count go together")


class ReadModelWriter(ReadModel):
    """Writes of the published view. Live and killed writes are queued on a Redis
    pipeline the caller executes (MULTI/EXEC, no WATCH: the ``stage_*`` methods queue
    their commands and return), so an item and everything it fans out to land
    together or not at all."""

    def __init__(self, redis: Redis, keys: Keys, *, recent_size: int = 1000, live_max: int = 1000,
                 feed_size: int = 500, live_per_story: int = 32) -> None:
        super().__init__(redis, keys)
        self.recent_size = recent_size
        self.live_max = live_max
        self.feed_size = feed_size
        self.live_per_story = live_per_story
        # Scripts queued on a pipeline go as EVAL with their text, not as a redis-py
        # Script: a pipeline holding a Script asks SCRIPT EXISTS before every execute, a
        # round trip more per published item (6 % of publishing's CPU in a profile);
        # Redis caches the compiled script by its SHA1 either way.
        self._store = redis.register_script(_STORE_IF_UNCHANGED)

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

    async def stage_live(self, pipe, article_id: str, item: dict[str, Any], meta: dict[str, Any], *, digest: str,
                         root: str, score_ms: int, entry: dict[str, str] | None = None,
                         deliveries: list[Delivery] = (), routed_by: int | None = None,
                         decided_on: str | None = None) -> None:
        """Queue (one script call) the writes that make ``item`` the live version of
        ``article_id``, and its ``deliveries`` (``entry`` fields + the item as "body").
        With ``routed_by`` (the subscriptions' version the deliveries were chosen by),
        the script writes nothing and returns -1 if the subscriptions changed since; with
        ``decided_on`` (the digest stored when the write was decided, "" none), -2 if
        the item's digest is another by then, or if ``root`` (another item) has been
        killed since: its kill did not find this version in the family."""
        await self._stage(pipe, article_id, item, meta, digest=digest, root=root, score_ms=score_ms, state=LIVE,
                          entry=entry, deliveries=deliveries, routed_by=routed_by, decided_on=decided_on)

    async def stage_killed(self, pipe, article_id: str, notice: dict[str, Any], meta: dict[str, Any], *,
                           digest: str, entry: dict[str, str] | None = None, deliveries: list[Delivery] = (),
                           routed_by: int | None = None, decided_on: str | None = None) -> None:
        """Queue the writes that mark ``article_id`` killed (410 Gone), drop it from
        every list, and deliver the kill ``notice`` (``routed_by`` and ``decided_on`` as
        for :meth:`stage_live`)."""
        await self._stage(pipe, article_id, notice, meta, digest=digest, root="", score_ms=0, state=KILLED,
                          entry=entry, deliveries=deliveries, routed_by=routed_by, decided_on=decided_on)

    def stage_leave_family(self, pipe, article_id: str, *, family_of: str, root: str) -> None:
        """Queue, after ``article_id``'s write with ``root``, its removal from the family of
        ``family_of``, which takes effect only if that write landed."""
        pipe.eval(_LEAVE_FAMILY, 2, self.keys.article(article_id), self.keys.family(family_of), root, article_id)

    async def stage_purge_live(self, pipe, article_id: str, streams: list[str]) -> None:
        """Queue the removal of ``article_id``'s entries from the live ``streams``: those
        its writes remembered (one HGET and one XDEL per stream, whatever their length);
        whatever it remembered of other streams is forgotten."""
        if streams:
            pipe.eval(PURGE_LIVE, 1 + len(streams), self.keys.article(article_id), *streams)

    async def _stage(self, pipe, article_id, item, meta, *, digest, root, score_ms, state, entry, deliveries,
                     routed_by, decided_on) -> None:
        keys = [self.keys.article(article_id), self.keys.recent(), self.keys.published(),
                self.keys.family(root or article_id), self.keys.changes(), self.keys.subscriptions.version,
                self.keys.article(root or article_id)]
        fields = [x for kv in (entry or {}).items() for x in kv]
        args = [article_id, item.get("version", "1"), orjson.dumps(item), orjson.dumps(meta, default=str), digest,
                root, score_ms, self.recent_size, state, self.live_max, self.feed_size, len(fields) // 2,
                "" if routed_by is None else str(routed_by), self.live_per_story,
                "" if decided_on is None else "=" + decided_on, *fields]
        for d in deliveries:
            keys += [d.feed or keys[0], d.live or keys[0], d.outbox or keys[0], d.outbox_bytes or keys[0]]
            args += [d.feed_mode if d.feed else "n", 1 if d.live else 0, 1 if d.outbox else 0]
        pipe.eval(_WRITE, len(keys), *keys, *args)

    async def store(self, article_id: str, item: dict[str, Any], meta: dict[str, Any]) -> bool:
        """Save ``item`` (a ninjs object) and its pipeline ``meta`` unless a newer
        version is already stored. Returns whether it was written.

        Raises RetriableError when Redis cannot be reached."""
        version = str(item.get("version", "1"))
        key = self.keys.article(article_id)
        try:
            while True:  # each round lost means another writer changed the version meanwhile
                current = await self.redis.hget(key, "version")
                current = current.decode() if current is not None else ""
                if current and is_older(version, current):
                    return False
                written = await self._store(keys=[key, self.keys.recent()],
                                            args=[current, version, orjson.dumps(item),
                                                  orjson.dumps(meta, default=str), article_id, self.recent_size])
                if written != -1:
                    return bool(written)
        except (RedisConnectionError, RedisTimeoutError) as exc:
            raise RetriableError(f"read model unreachable: {exc}") from exc
