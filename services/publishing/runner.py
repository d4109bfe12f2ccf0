"""The consume loop of publishing: the shared stage runner, with the records of one
batch handled concurrently across stories.

Publishing's work per item is mostly waiting on Redis; records with different keys
(stories) overlap, records with the same key are handled one after the other, and
the outputs keep the records' order — so every story's versions still reach Redis
and Kafka in order, and the commit-after-ack guarantee of the runner is unchanged.
"""
from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import ConsumerRecord, TopicPartition

from shared.bus import Outgoing, StageRunner, process_record


class StoryConcurrentRunner(StageRunner):
    def __init__(self, *, concurrency: int = 16, **kwargs) -> None:
        super().__init__(**kwargs)
        self.concurrency = concurrency

    async def _handle_batch(self, batch: dict[TopicPartition, list[ConsumerRecord]],
                            stop: asyncio.Event) -> list[Outgoing]:
        records = [r for part in batch.values() for r in part]
        stories: dict[bytes | None, list[int]] = {}
        for index, record in enumerate(records):
            stories.setdefault(record.key, []).append(index)
        results: list[Sequence[Outgoing]] = [()] * len(records)
        gate = asyncio.Semaphore(self.concurrency)

        async def handle_story(indices: list[int]) -> None:
            async with gate:
                for i in indices:
                    results[i] = await process_record(records[i], self.handle, stage=self.stage,
                                                      settings=self.settings, stop=stop)

        await asyncio.gather(*(handle_story(indices) for indices in stories.values()))
        return [output for result in results for output in result]
