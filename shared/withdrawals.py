"""A submission the gateway refused (503) must never be published, even when Kafka
was only slow and the record it had already handed to the producer lands later.

The gateway and ingest settle each such record with one Redis SET NX on its event id:

- the gateway, when Kafka has not acknowledged in time, *withdraws* the record: if it
  wins, the answer is 503 and ingest drops the record whenever it arrives; if ingest
  already claimed it, the record is in the pipeline and the answer is 202;
- ingest *claims* each inbound record before handling it: it goes on when it wins or
  already held the claim (a redelivery), and drops a withdrawn record.

A claim only has to outlive the gateway's wait (seconds), so it expires after
``CLAIM_TTL_S``; a withdrawal lives as long as Kafka keeps the record.
"""
from __future__ import annotations

from redis.asyncio import Redis

from shared.cache import Keys

CLAIMED, WITHDRAWN = b"claimed", b"withdrawn"
CLAIM_TTL_S = 600
WITHDRAWN_TTL_S = 8 * 24 * 3600


class Withdrawals:
    def __init__(self, redis: Redis, prefix: str = "") -> None:
        self.redis = redis
        self.keys = Keys(prefix)

    async def withdraw(self, event_id: str) -> bool:
        """True when the record is now withdrawn (ingest will drop it); False when
        ingest had already claimed it. Raises redis errors (the fate is then unknown)."""
        key = self.keys.inbound_fate(event_id)
        if await self.redis.set(key, WITHDRAWN, nx=True, ex=WITHDRAWN_TTL_S):
            return True
        return await self.redis.get(key) == WITHDRAWN

    async def claim(self, event_id: str) -> bool:
        """True when ingest may handle the record; False when the gateway withdrew it."""
        key = self.keys.inbound_fate(event_id)
        if await self.redis.set(key, CLAIMED, nx=True, ex=CLAIM_TTL_S):
            return True
        return await self.redis.get(key) != WITHDRAWN
