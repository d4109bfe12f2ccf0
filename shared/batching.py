"""How a stage works through one fetched batch: the runner's batch strategies.

A strategy splits the batch's records (in consumed order) into **waves**, and each
wave into **lanes**:

- the records of a lane are handled one after another, in order;
- the lanes of a wave overlap (at most ``concurrency`` at once, None: no bound);
- a wave's outputs are acknowledged before the next wave starts; a one-lane wave's
  are produced as its records are handled (``together`` records' at a time), an
  overlapping wave's at its end.

The runner commits the batch's offsets once every wave is acknowledged, whatever
the strategy, so a strategy changes only order and overlap, never what is delivered.
A story's versions must stay in order: every strategy keeps the records of one key
in one lane, or (for a handler safe to overlap them) in one wave, outputs in order.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import orjson
from aiokafka import ConsumerRecord

from shared.bus import Handle, Outgoing

Lane = list[ConsumerRecord]
Wave = list[Lane]
Emit = Callable[[Sequence[Outgoing]], Awaitable[None]]  # takes outputs that may be produced now


class BatchStrategy(Protocol):
    """Groups and orders one fetched batch into units of work (see the module doc)."""

    @property
    def concurrency(self) -> int | None: ...

    @property
    def together(self) -> int: ...

    def waves(self, records: Sequence[ConsumerRecord]) -> list[Wave]: ...


@dataclass(frozen=True)
class PerRecord:
    """One record after the other, in consumed order: for handlers that hold the
    CPU (parsing, language models), where overlapping would only add waiting.

    ``together``: the outputs of up to that many records of the batch leave in one
    go (the last ones of the batch as soon as they are handled). While records
    wait, the stages downstream then take them in one fetch and one produce
    request instead of one each; an output waits for at most ``together - 1``
    records handled after it, and only for records already fetched."""

    concurrency: int | None = 1
    together: int = 1

    def __post_init__(self) -> None:
        if self.together < 1:
            raise ValueError(f"together must be at least 1, not {self.together}")

    def waves(self, records: Sequence[ConsumerRecord]) -> list[Wave]:
        return [[list(records)]] if records else []


@dataclass(frozen=True)
class PerStory:
    """The records of one story (key) in order, up to ``concurrency`` stories at once:
    for handlers that mostly wait on I/O (publishing's Redis writes)."""

    concurrency: int | None = 16
    together: int = 1

    def waves(self, records: Sequence[ConsumerRecord]) -> list[Wave]:
        stories: dict[bytes | None, Lane] = {}
        for record in records:
            stories.setdefault(record.key, []).append(record)
        return [list(stories.values())] if stories else []


@dataclass(frozen=True)
class AllAtOnce:
    """Every record at once (outputs still in consumed order): for a handler whose
    records meet in shared calls (translation's engine batches) and that may overlap
    versions of one story."""

    concurrency: int | None = None
    together: int = 1

    def waves(self, records: Sequence[ConsumerRecord]) -> list[Wave]:
        return [[[record] for record in records]] if records else []


URGENT = (1, 2)


def record_urgency(record: ConsumerRecord) -> int | None:
    """The article's ninjs urgency, peeked without validating the event (None if
    absent or unreadable; the handler's decode sends a bad record to the DLQ)."""
    try:
        urgency = orjson.loads(record.value or b"null")["article"].get("urgency")
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
        return None
    return urgency if isinstance(urgency, int) else None


def urgency_tiers(records: Sequence[ConsumerRecord]) -> list[list[ConsumerRecord]]:
    """``records`` as [urgent stories, the rest], each in consumed order; empty tiers
    left out. A story goes in the tier of its most urgent version, so its versions
    keep their order."""
    urgent_keys = {r.key for r in records if record_urgency(r) in URGENT}
    tiers = [[r for r in records if r.key in urgent_keys], [r for r in records if r.key not in urgent_keys]]
    return [tier for tier in tiers if tier]


@dataclass(frozen=True)
class UrgentFirst:
    """Stories with urgency 1–2 first, delivered before the rest is started (a flash
    is not held back by the slow features fetched with it); each tier is worked as
    ``within`` says."""

    within: BatchStrategy = field(default_factory=AllAtOnce)

    @property
    def concurrency(self) -> int | None:
        return self.within.concurrency

    @property
    def together(self) -> int:
        return self.within.together

    def waves(self, records: Sequence[ConsumerRecord]) -> list[Wave]:
        return [wave for tier in urgency_tiers(records) for wave in self.within.waves(tier)]


async def work_wave(wave: Wave, process: Handle, *, concurrency: int | None,
                    emit: Emit | None = None, together: int = 1) -> list[Outgoing]:
    """Run ``process`` over every record of ``wave`` (lanes overlapping, at most
    ``concurrency`` at once) and return the outputs in the records' consumed order
    (the order of offsets within a partition, partitions as fetched).

    ``emit``, when given, is handed the outputs as soon as they may go: a wave of
    one lane hands over the outputs of every ``together`` records once they are
    handled (and the rest at the lane's end), so the first article of a batch is not
    held back until the last is done (at about 0.1 s of language models an article,
    a batch of five held its first 0.4 s); a wave of overlapping lanes hands over all
    of them at the end, in consumed order.

    ``process`` must not raise for a record's failure (it returns the DLQ record
    instead, as :func:`shared.bus.process_record` does)."""
    results: dict[int, Sequence[Outgoing]] = {}
    gate = asyncio.Semaphore(concurrency) if concurrency else None
    streaming = emit is not None and len(wave) == 1

    async def run_lane(lane: Lane) -> None:
        held: list[Outgoing] = []
        for count, record in enumerate(lane, 1):
            results[id(record)] = outputs = await process(record)
            if streaming:
                held.extend(outputs)
                if count % together == 0 or count == len(lane):
                    await emit(held)
                    held = []

    async def bounded(lane: Lane) -> None:
        if gate is None:
            await run_lane(lane)
            return
        async with gate:
            await run_lane(lane)

    if len(wave) == 1:
        await run_lane(wave[0])
    else:
        await asyncio.gather(*(bounded(lane) for lane in wave))
    ordered = sorted((r for lane in wave for r in lane), key=lambda r: (r.topic, r.partition, r.offset))
    outputs = [output for record in ordered for output in results[id(record)]]
    if emit is not None and not streaming:
        await emit(outputs)
    return outputs
