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
import logging
from collections.abc import Sequence

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError

from shared.bus import Outgoing, StageRunner, process_record

log = logging.getLogger(__name__)
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
            try:
                acks = [await producer.send(o.topic, o.value, key=o.key, headers=o.headers) for o in outputs]
                await asyncio.gather(*acks)
            except KafkaError as exc:
                log.error("produce failed, batch will be re-processed", extra={"error": repr(exc)})
                for tp, part in batch.items():
                    consumer.seek(tp, part[0].offset)
                await asyncio.sleep(self.settings.retry_backoff_ms / 1000)
                return
            if self.after_delivery is not None:
                await self.after_delivery(outputs)
        try:
            await consumer.commit({tp: part[-1].offset + 1 for tp, part in batch.items()})
        except CommitFailedError as exc:
            log.warning("commit failed after rebalance", extra={"error": repr(exc)})
