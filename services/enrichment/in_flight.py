"""The stories step's records whose outputs are with the producer but not yet
acknowledged by Kafka (see :mod:`services.enrichment.agents`).

Waiting for each record's acknowledgement before taking the next sent every
record's output in a produce request of its own, and its table writes (progress,
delivered key, story membership) in another. The records a fetch brought now go
out together; each is marked delivered, in offset order, only once Kafka
acknowledged its outputs, as before."""
from __future__ import annotations

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
    Call :meth:`settle` inside the agent's stream iteration (it writes the tables)."""

    def __init__(self, tables: _Tables, progress: StoriesProgress) -> None:
        self.tables = tables
        self.progress = progress
        self.sent: list[Sent] = []
        progress.forget_sent()  # a restarted agent's records in flight are owed again

    def add(self, sent: Sent) -> None:
        self.sent.append(sent)
        self.progress.sent(sent.offset)

    def key_of(self, story: str) -> str | None:
        """The idempotency key of ``story``'s last output, sent or delivered."""
        for sent in reversed(self.sent):
            if sent.story == story:
                return sent.key
        return self.tables.delivered_keys.key_of(story)

    async def settle(self) -> None:
        """Wait for Kafka's acknowledgements and mark each record delivered, in offset
        order. An output Kafka refused raises here (as ``send_and_wait`` did): the
        records from it on stay owed, and are read again."""
        while self.sent:
            sent = self.sent[0]
            for ack in sent.acks:
                await ack
            if sent.story is not None and sent.key is not None:
                self.tables.delivered_keys.mark(sent.story, sent.key, sent.at)
            self.sent.pop(0)
            self.progress.delivered(sent.offset)
