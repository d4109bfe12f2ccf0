"""The stories step's records whose outputs are with the producer but not yet
acknowledged by Kafka (see :mod:`services.enrichment.agents`).

Waiting for each record's acknowledgement before taking the next sent every
record's output in a produce request of its own, and its table writes (progress,
delivered key, story membership) in another. The records a fetch brought now go
out together; each is marked delivered, in offset order, only once Kafka
acknowledged its outputs, as before."""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Protocol

from services.enrichment.delivered import DeliveredKeys
from services.enrichment.progress import StoriesProgress

IN_FLIGHT = 16  # records whose outputs may wait for Kafka's acknowledgement at once


class _Tables(Protocol):
    delivered_keys: DeliveredKeys


@dataclass(frozen=True)
class Sent:
    """A stories record whose outputs are with the producer: ``acks``, one each."""

    offset: int
    story: str | None  # the story whose delivered key it marks (None: marks none)
    key: str | None
    at: float
    acks: list[Awaitable]


class InFlight:
    """The records whose outputs were sent and not yet marked delivered, oldest first.
    Call :meth:`settle` inside the agent's stream iteration (it writes the tables).

    The agent settles once no record waits in its stream. Should the records it saw
    waiting never come (a rebalance clears the stream's buffer), nothing would settle
    the ones in flight, so they are forgotten: owed again, and read again. The revoke
    at the start of every rebalance forgets them; so does an agent that starts over,
    and, as a backstop, :meth:`redrive` (the progress timer) once the agent has sat
    idle with records in flight. Forgotten records cost duplicates with the keys of
    their first delivery (which publishing's read model answers as such), never a loss.

    One order is given up: when Kafka refuses an output for good (its retries ran out)
    while later records' outputs were already sent, those may land before the refused
    record is read and sent again, so articles.enriched can carry a story's v2 before
    its v1 once more; the v2 read again after it comes last, as before."""

    def __init__(self, tables: _Tables, progress: StoriesProgress) -> None:
        self.tables = tables
        self.progress = progress
        self.sent: list[Sent] = []
        self.epoch = 0  # moves on at each forget: a settle under way marks nothing more
        self.settling = False

    def add(self, sent: Sent, *, epoch: int) -> None:
        """``sent``, whose record the agent began when :attr:`epoch` was ``epoch``. If
        the records in flight were forgotten since, it is not kept either (it would
        be marked delivered past them): its record is read again with theirs."""
        if epoch != self.epoch:
            _unread(sent)
            self.progress.finished()
            return
        self.sent.append(sent)
        self.progress.sent(sent.offset)

    def key_of(self, story: str) -> str | None:
        """The idempotency key of ``story``'s last output, sent or delivered."""
        for sent in reversed(self.sent):
            if sent.story == story:
                return sent.key
        return self.tables.delivered_keys.key_of(story)

    def forget(self) -> None:
        """The records in flight will never be marked delivered: they are owed again."""
        self.epoch += 1
        for sent in self.sent:
            _unread(sent)
        self.sent.clear()
        self.progress.forget_sent()

    def start_over(self) -> None:
        """The agent (re)starts: nothing is in flight, and it works on no record."""
        self.forget()
        self.progress.finished()

    async def settle(self) -> bool:
        """Wait for Kafka's acknowledgements and mark each record delivered, in offset
        order; whether all were (False: they were forgotten meanwhile). An output Kafka
        refused raises here (as ``send_and_wait`` did); the agent starts over and
        forgets the records from it on, which are read again."""
        epoch, self.settling = self.epoch, True
        try:
            while self.sent and self.epoch == epoch:
                sent = self.sent[0]
                for ack in sent.acks:
                    await ack
                if self.epoch != epoch:
                    return False  # forgotten meanwhile: read again, so not marked
                if sent.story is not None and sent.key is not None:
                    self.tables.delivered_keys.mark(sent.story, sent.key, sent.at)
                self.sent.pop(0)
                self.progress.delivered(sent.offset)
            return self.epoch == epoch
        finally:
            self.settling = False

    async def redrive(self) -> bool:
        """The progress timer's: records still in flight once the agent has sat idle
        for the progress's ``idle_s`` (it waits for records that will not come) are
        forgotten; then :meth:`StoriesProgress.redrive`. Returns whether it sought back.
        Nothing while the agent waits for acknowledgements."""
        if self.settling:
            return False
        if self.sent and self.progress.idle():
            self.forget()
        return await self.progress.redrive()


def _unread(sent: Sent) -> None:
    """``sent``'s acknowledgements will not be awaited: a refusal among them is not
    logged as an exception nobody retrieved (its record is read again)."""
    for ack in sent.acks:
        if isinstance(ack, asyncio.Future):
            ack.add_done_callback(lambda f: f.cancelled() or f.exception())
