"""Segment batching across concurrent articles, and urgent stories first."""
from __future__ import annotations

import asyncio

import orjson
import pytest
from aiokafka import ConsumerRecord

from services.translation.batching import SegmentBatcher
from shared.batching import urgency_tiers


async def test_concurrent_requests_share_one_engine_call_and_duplicates_go_once():
    calls: list[list[str]] = []
    gate = asyncio.Event()

    async def engine(segments):
        calls.append(segments)
        await gate.wait()
        return [s.upper() for s in segments]

    batcher = SegmentBatcher(engine)
    first = asyncio.create_task(batcher.translate(["a"]))
    await asyncio.sleep(0)  # the first request starts the engine at once
    later = [asyncio.create_task(batcher.translate(s, priority=p)) for s, p in
             ((["b", "c"], 5), (["c", "d"], 1))]
    await asyncio.sleep(0)
    gate.set()
    assert await first == ["A"]
    assert [await t for t in later] == [["B", "C"], ["C", "D"]]
    assert calls == [["a"], ["c", "d", "b"]]  # one call for the queued two, the urgent one's first


async def test_an_engine_error_reaches_every_waiting_article_and_the_batcher_recovers():
    fail = True

    async def engine(segments):
        if fail:
            raise RuntimeError("engine down")
        return segments

    batcher = SegmentBatcher(engine)
    results = await asyncio.gather(batcher.translate(["a"]), batcher.translate(["b"]), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)
    fail = False
    assert await batcher.translate(["c"]) == ["c"]


async def test_a_call_never_exceeds_the_segment_limit_unless_one_article_alone_does():
    calls = []

    async def engine(segments):
        calls.append(len(segments))
        await asyncio.sleep(0)
        return segments

    batcher = SegmentBatcher(engine, max_segments=3)
    await asyncio.gather(*(batcher.translate([f"{i}a", f"{i}b"]) for i in range(4)), batcher.translate(list("wxyz")))
    assert max(calls) == 4 and all(c <= 3 for c in calls if c != 4)


def record(offset: int, key: bytes, urgency: int | None) -> ConsumerRecord:
    value = orjson.dumps({"article": {"uri": key.decode(), "urgency": urgency}})
    return ConsumerRecord("t", 0, offset, 0, 0, key, value, None, 0, len(value), [])


@pytest.mark.parametrize("broken", [b"not json", None])
def test_urgent_stories_form_the_first_tier_with_all_their_versions_in_order(broken):
    records = [record(0, b"a", 5), record(1, b"b", None), record(2, b"a", 1), record(3, b"c", 2),
               ConsumerRecord("t", 0, 4, 0, 0, b"d", broken, None, 0, 0, [])]
    tiers = urgency_tiers(records)
    assert [[r.offset for r in tier] for tier in tiers] == [[0, 2, 3], [1, 4]]
    assert urgency_tiers(records[1:2]) == [[records[1]]]
