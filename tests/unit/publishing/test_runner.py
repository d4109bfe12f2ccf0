"""Publishing's batch strategy (PerStory) overlaps stories but keeps each story's versions in order."""
from __future__ import annotations

import asyncio

from aiokafka import ConsumerRecord

from shared.batching import PerStory
from shared.bus import Outgoing
from shared.runner import StageRunner
from shared.settings import WireSettings


def record(offset: int, key: bytes) -> ConsumerRecord:
    return ConsumerRecord(topic="t", partition=0, offset=offset, timestamp=0, timestamp_type=0, key=key,
                          value=str(offset).encode(), checksum=None, serialized_key_size=1,
                          serialized_value_size=1, headers=[])


async def work_batch(runner: StageRunner, records: list[ConsumerRecord]) -> list[Outgoing]:
    """What the runner would produce for ``records``, every wave in turn (no Kafka)."""
    stop = asyncio.Event()
    return [o for wave in runner.strategy.waves(records) for o in await runner.outputs_of(wave, stop)]


async def test_stories_overlap_versions_stay_in_order_and_outputs_keep_record_order():
    running, most, seen = 0, 0, []

    async def handle(rec):
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.01 if rec.key == b"a" else 0.001)
        seen.append((rec.key, rec.offset))
        running -= 1
        return [Outgoing("out", rec.key, rec.value, [])]

    runner = StageRunner(stage="test", topic="t", group_id="g", handle=handle, settings=WireSettings(),
                         strategy=PerStory(concurrency=8))
    records = [record(0, b"a"), record(1, b"b"), record(2, b"a"), record(3, b"c"), record(4, b"a")]
    outputs = await work_batch(runner, records)
    assert [o.value for o in outputs] == [b"0", b"1", b"2", b"3", b"4"]
    assert [offset for key, offset in seen if key == b"a"] == [0, 2, 4]
    assert most > 1  # b and c ran while a was busy


async def test_a_failing_record_becomes_its_dlq_record_in_place():
    async def handle(rec):
        if rec.offset == 1:
            raise ValueError("broken")
        return [Outgoing("out", rec.key, rec.value, [])]

    runner = StageRunner(stage="test", topic="t", group_id="g", handle=handle, settings=WireSettings(),
                         strategy=PerStory())
    outputs = await work_batch(runner, [record(0, b"a"), record(1, b"b"), record(2, b"c")])
    assert [o.topic for o in outputs] == ["out", "t.dlq", "out"]
