"""The translation stage's runner: a consumed batch is worked concurrently (so the
articles' segments meet in shared engine calls), urgent stories first.

The records of a batch are split in two tiers: stories with urgency 1–2, then the
rest (all versions of one story go in the tier of its most urgent version, so a
story's versions keep their order). Each tier is handled concurrently, and its
outputs are produced and acknowledged before the next tier starts: a flash is
not held back by the slow features polled with it. Offsets are committed once
every tier's outputs are acknowledged, exactly as in :class:`StageRunner`; a
produce failure rewinds the whole batch (re-produced outputs carry the same ids).
"""
from __future__ import annotations

import asyncio
from collections.abc import Sequence

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from shared.bus import Outgoing, StageRunner, process_record

URGENT = (1, 2)


def record_urgency(record: ConsumerRecord) -> int | None:
    """The article's ninjs urgency, read without validating the event (None if absent or unreadable)."""
    try:
        urgency = orjson.loads(record.value or b"null")["article"].get("urgency")
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
        return None
    return urgency if isinstance(urgency, int) else None


def urgency_tiers(records: Sequence[ConsumerRecord]) -> list[list[ConsumerRecord]]:
    """``records`` as [urgent stories, the rest], each in consumed order; empty tiers left out."""
    urgent_keys = {r.key for r in records if record_urgency(r) in URGENT}
    tiers = [[r for r in records if r.key in urgent_keys], [r for r in records if r.key not in urgent_keys]]
    return [tier for tier in tiers if tier]


class TranslationRunner(StageRunner):
    async def _process_batch(
        self,
        consumer: AIOKafkaConsumer,
        producer: AIOKafkaProducer,
        batch: dict[TopicPartition, list[ConsumerRecord]],
        stop: asyncio.Event,
    ) -> None:
        records = [record for part in batch.values() for record in part]
        for tier in urgency_tiers(records):
            results = await asyncio.gather(*(
                process_record(record, self.handle, stage=self.stage, settings=self.settings, stop=stop)
                for record in tier))
            outputs: list[Outgoing] = [o for result in results for o in result]
            if not await self._deliver(consumer, producer, batch, outputs):
                return
        await self._commit(consumer, batch)
