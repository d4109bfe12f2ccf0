"""The read model's retention: what publishing keeps in Redis, and for how long.

An item's hash, its family set and the family's original expire by themselves once
``WIRE_READ_RETENTION_S`` has passed since the family's last write (the writer renews
them with each write, :class:`~services.publishing.read_model.ReadModelWriter`). The
sorted sets that list items by when they were published — the query index and every
subscription's feed — do not expire entry by entry: :func:`sweep` drops their entries
published before the retention, so a list never pages through ids that are gone.

Items written before there was a retention have no expiry. Those the sweep drops from
the index are deleted with it (an expiry of 1 ms, only where none is set: an original
whose family was written since keeps the expiry that write gave it). A killed item
never expires (its hash holds the kill notice, not the story): publishing ignores a
re-sent copy of the killed version by it.

Every replica sweeps (each command is idempotent, and cheap when nothing is due).
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from redis.asyncio import Redis

from shared.cache import Keys
from shared.stopping import sleep_until

log = logging.getLogger(__name__)

CHUNK = 500  # index entries dropped per round trip
CHUNKS_PER_SWEEP = 100  # the rest (an upgrade's backlog) in the next sweeps
SWEEP_EVERY_S = 60.0

# KEYS[1] the index, then the hash of each id. ARGV: 1 the cutoff (ms), then the ids.
# An id is dropped only if still published before the cutoff: one written again since
# it was listed stays (and keeps the expiry its write gave it).
_DROP = """
local cutoff = tonumber(ARGV[1])
for i = 2, #ARGV do
  local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if score and tonumber(score) < cutoff then
    redis.call('ZREM', KEYS[1], ARGV[i])
    redis.call('PEXPIRE', KEYS[i], 1, 'NX')
  end
end
return 1
"""


async def sweep(redis: Redis, keys: Keys, *, retention_s: float, feeds: list[str], now: float | None = None) -> int:
    """Drop the entries published more than ``retention_s`` ago from the query index and
    from the feeds of the subscriptions named ``feeds``, and delete the items so dropped
    that have no expiry (written before there was a retention). The number of index
    entries dropped."""
    cutoff_ms = round(((time.time() if now is None else now) - retention_s) * 1000)
    cutoff = f"({cutoff_ms}"
    index, dropped = keys.published(), 0
    for _ in range(CHUNKS_PER_SWEEP):
        ids = [i.decode() for i in await redis.zrangebyscore(index, "-inf", cutoff, start=0, num=CHUNK)]
        if not ids:
            break
        await redis.eval(_DROP, 1 + len(ids), index, *(keys.article(i) for i in ids), cutoff_ms, *ids)
        dropped += len(ids)
        if len(ids) < CHUNK:
            break
    if feeds:
        async with redis.pipeline(transaction=False) as pipe:
            for name in feeds:
                pipe.zremrangebyscore(keys.subscriptions.items(name), "-inf", cutoff)
            await pipe.execute()
    return dropped


async def retention_loop(redis: Redis, keys: Keys, *, retention_s: float, feeds: Callable[[], list[str]],
                         stop: asyncio.Event, every_s: float = SWEEP_EVERY_S) -> None:
    """:func:`sweep` every ``every_s`` (at most a tenth of the retention) until ``stop``;
    nothing when the retention is 0 (items kept for ever). Redis down: the next round."""
    if not retention_s:
        return
    every_s = min(every_s, retention_s / 10)
    while not stop.is_set():
        try:
            dropped = await sweep(redis, keys, retention_s=retention_s, feeds=feeds())
            if dropped:
                log.info("read model: items past the retention dropped from the index",
                         extra={"dropped": dropped, "retention_s": retention_s})
        except Exception as exc:  # noqa: BLE001 - the sweep must outlive Redis restarts
            log.warning("read model retention sweep failed", extra={"error": repr(exc)})
        await sleep_until(stop, every_s)
