"""What a stage does when its consumer group rebalances (a replica joins, leaves or dies).

The runner processes each batch under :attr:`BatchGate.lock` (not its fetch:
aiokafka's getmany waits for a rebalance to finish). When the
group takes partitions away, aiokafka calls :meth:`on_partitions_revoked` before it
rejoins, while the old assignment is still valid: waiting there for the lock lets
the batch in hand be delivered first, and :attr:`BatchGate.flush` then commits every
delivered offset not committed yet, so the partition's next owner starts exactly
after it (no crash on a commit for a partition we no longer own, and no redone
batch). Records fetched while a rebalance is under way are dropped
unprocessed: the new assignment starts again from the committed offsets.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiokafka import ConsumerRebalanceListener, TopicPartition

log = logging.getLogger(__name__)


class BatchGate(ConsumerRebalanceListener):
    def __init__(self, *, stage: str, client_id: str, drain_s: float) -> None:
        self.stage = stage
        self.client_id = client_id
        self.drain_s = drain_s
        self.lock = asyncio.Lock()
        self.rebalancing = False
        self.generation = 0  # bumped at every new assignment
        self.assigned: set[TopicPartition] = set()
        # Commits the delivered offsets not committed yet (set by the runner).
        self.flush: Callable[[], Awaitable[None]] | None = None
        # Called with every new assignment before anything of it is read (set by the
        # runner): it must not wait on the network, heartbeats are off meanwhile.
        self.hold: Callable[[set[TopicPartition]], None] | None = None

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        self.rebalancing = True
        try:
            # Let the batch in hand finish (it commits while we still own it).
            await asyncio.wait_for(self.lock.acquire(), timeout=self.drain_s)
        except asyncio.TimeoutError:
            # A batch slower than drain_s: give the partitions up anyway; its
            # commit will be dropped and the new owner redoes it (same ids).
            log.warning("rebalance did not wait for the batch in hand",
                        extra={"stage": self.stage, "client_id": self.client_id, "drain_s": self.drain_s})
        else:
            try:
                if self.flush is not None:
                    await self.flush()
            finally:
                self.lock.release()
        log.info("partitions revoked", extra={"stage": self.stage, "client_id": self.client_id,
                                              "partitions": _names(revoked)})

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self.assigned = set(assigned)
        self.generation += 1
        if self.hold is not None:
            self.hold(set(assigned))
        self.rebalancing = False
        log.info("partitions assigned", extra={"stage": self.stage, "client_id": self.client_id,
                                               "partitions": _names(assigned)})


def _names(tps: set[TopicPartition]) -> list[str]:
    return sorted(f"{tp.topic}[{tp.partition}]" for tp in tps)
