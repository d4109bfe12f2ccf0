"""Guard against faust dropping records of the stories topic around rebalances.

faust-streaming 0.15 discards records that reach a stream while its flow control
is suspended (during a rebalance or table recovery) and can commit offsets past
them; after a crash and restart such records were neither processed nor read
again (our SIGKILL test caught it). So the cluster step keeps its own progress:
the offset of the last stories record whose output Kafka acknowledged, in a
changelog-backed table. Records at or below it are skipped (already delivered);
when the agent has been idle for ``idle_s`` while the consumer's position is past
the next offset it still owes, it seeks back there and reads them again.
Duplicates this may cause carry the same idempotency key as the first delivery.

Records can also go missing in the middle of a stream (the stories partition moved
between replicas while records were in flight; seen in the chaos run: 19 of
3,858): a record whose offset is past the one still owed means the ones between
were skipped, so the agent does not deliver it but seeks back to the owed offset
(:meth:`StoriesProgress.gap`), and delivery goes on in offset order.
"""
from __future__ import annotations

import logging
import time

import faust
from faust.types import TP

log = logging.getLogger(__name__)
KEY = "delivered"


class StoriesProgress:
    def __init__(self, app: faust.App, table, topic: str, *, idle_s: float = 3.0) -> None:
        self.app = app
        self.table = table
        self.tp = TP(topic, 0)
        self.idle_s = idle_s
        self.busy = False
        self.idle_since = time.monotonic()
        self.redriven = 0
        self.sought: tuple[int, float] | None = None  # (owed offset, when) of the last seek back
        self.in_flight: int | None = None  # the last offset whose outputs are sent, not yet acknowledged

    def owed(self) -> int:
        """The next offset whose output has been neither delivered nor sent."""
        last = self.table.get(KEY)
        owed = int(last) + 1 if last is not None else 0
        return max(owed, self.in_flight + 1) if self.in_flight is not None else owed

    def delivered_already(self, offset: int) -> bool:
        return offset < self.owed()

    async def gap(self, offset: int, *, retry_s: float = 3.0) -> bool:
        """Whether ``offset`` lies past the next owed offset (records before it were
        skipped). If so, seek back to the owed offset — once per ``retry_s``, since
        the records fetched before the seek still arrive and are gaps too."""
        owed = self.owed()
        if self.table.get(KEY) is None or offset <= owed:  # nothing known yet: any offset is the first
            return False
        now = time.monotonic()
        if self.sought is None or self.sought[0] != owed or now - self.sought[1] > retry_s:
            log.warning("stories records were skipped mid-stream; reading them again",
                        extra={"offset": offset, "owed": owed})
            await self.app.consumer.seek(self.tp, owed)
            self.sought = (owed, now)
            self.redriven += 1
        return True

    def started(self) -> None:
        self.busy = True

    def sent(self, offset: int) -> None:
        """``offset``'s outputs are with the producer, not yet acknowledged: it is not
        owed any more (nor read again) unless :meth:`forget_sent`, and not delivered
        either until :meth:`delivered`. The agent is done working on it."""
        if self.table.get(KEY) is None:
            # what lies before the first record sent is not owed; once one is in flight
            # the records from it on are, should it be forgotten (gap() then holds to it)
            self.table[KEY] = offset - 1
        self.in_flight = offset if self.in_flight is None else max(self.in_flight, offset)
        self.finished()

    def finished(self) -> None:
        """The agent is done working on a record (marked or not)."""
        self.busy = False
        self.idle_since = time.monotonic()

    def forget_sent(self) -> None:
        """The outputs in flight will never be marked delivered: their records are
        owed again (read again, and their outputs sent again)."""
        self.in_flight = None

    def delivered(self, offset: int) -> None:
        """Record ``offset`` as delivered (inside the agent's stream iteration)."""
        last = self.table.get(KEY)
        if last is None or offset > int(last):
            self.table[KEY] = offset
        if self.in_flight is not None and offset >= self.in_flight:
            self.in_flight = None
        self.finished()

    def idle(self) -> bool:
        """Whether the agent has sat idle for ``idle_s``."""
        return not self.busy and time.monotonic() - self.idle_since >= self.idle_s

    async def redrive(self) -> bool:
        """Seek back to the owed offset if the consumer went past it while the
        agent sat idle. Returns whether it did."""
        if not self.idle() or self.app.rebalancing:
            return False
        if not self.app.tables.recovery.completed.is_set() or self.tp not in self.app.consumer.assignment():
            return False
        position = await self.app.consumer.position(self.tp)
        owed = self.owed()
        if position is None or position <= owed:
            return False
        log.warning("stories records were skipped by the consumer; reading them again",
                    extra={"position": position, "owed": owed})
        await self.app.consumer.seek(self.tp, owed)
        self.redriven += 1
        self.idle_since = time.monotonic()
        return True
