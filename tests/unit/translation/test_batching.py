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


class GatedEngine:
    """An engine whose calls wait for ``release()``; records each call and how many
    ran at once."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.running = self.most_at_once = 0
        self.gate = asyncio.Event()

    async def __call__(self, segments):
        self.calls.append(list(segments))
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        await self.gate.wait()
        self.running -= 1
        return [s.upper() for s in segments]

    def release(self) -> None:
        self.gate.set()


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_an_idle_engine_waits_for_an_announced_article_so_the_first_one_is_not_sent_alone():
    engine = GatedEngine()
    batcher = SegmentBatcher(engine, in_flight=1, hold_s=60)  # one slot: both in one call

    async def article(lookup, segment: str) -> list[str]:  # as the desk asks
        with lookup:  # its memory lookup came back
            pass
        return await batcher.translate([segment])

    first_lookup, second_lookup = batcher.expect(), batcher.expect()
    first = asyncio.create_task(article(first_lookup, "a"))
    await settle()
    assert engine.calls == []  # the second article is still looking up the memory
    second = asyncio.create_task(article(second_lookup, "b"))
    await settle()
    engine.release()
    assert [await first, await second] == [["A"], ["B"]]
    assert engine.calls == [["a", "b"]]


async def test_an_announced_article_with_nothing_to_ask_releases_the_call():
    engine = GatedEngine()
    engine.release()
    batcher = SegmentBatcher(engine, hold_s=60)
    with batcher.expect():  # every segment came from the memory
        waiting = asyncio.create_task(batcher.translate(["a"]))
        await settle()
        assert engine.calls == []
    assert await waiting == ["A"]


async def test_an_article_that_never_asks_holds_the_others_back_only_for_a_while():
    engine = GatedEngine()
    engine.release()
    batcher = SegmentBatcher(engine, hold_s=0.01)
    batcher.expect()  # its memory lookup hangs
    assert await batcher.translate(["a"]) == ["A"]


async def test_a_full_batch_goes_without_waiting_for_announced_articles():
    engine = GatedEngine()
    engine.release()
    batcher = SegmentBatcher(engine, max_segments=2, hold_s=60)
    batcher.expect()
    assert await batcher.translate(["a", "b"]) == ["A", "B"]


async def test_the_next_call_goes_in_while_one_is_running_up_to_the_in_flight_limit():
    engine = GatedEngine()
    batcher = SegmentBatcher(engine, in_flight=2)
    tasks = []
    for segment in "abc":  # one after the other, each while the earlier calls still run
        tasks.append(asyncio.create_task(batcher.translate([segment])))
        await settle()
    assert engine.calls == [["a"], ["b"]] and engine.running == 2  # "c" waits for a free slot
    engine.release()
    assert [await t for t in tasks] == [["A"], ["B"], ["C"]]
    assert engine.calls == [["a"], ["b"], ["c"]] and engine.most_at_once == 2


async def test_queued_articles_are_spread_over_the_free_slots_by_whole_requests():
    engine = GatedEngine()
    engine.release()
    batcher = SegmentBatcher(engine, in_flight=2)
    results = await asyncio.gather(*(batcher.translate([f"{n}a", f"{n}b"]) for n in range(4)))
    assert results == [[f"{n}A", f"{n}B"] for n in range(4)]
    assert sorted(len(call) for call in engine.calls) == [4, 4]


async def test_one_call_at_a_time_keeps_the_old_order():
    engine = GatedEngine()
    batcher = SegmentBatcher(engine, in_flight=1)
    first = asyncio.create_task(batcher.translate(["a"]))
    await settle()
    later = [asyncio.create_task(batcher.translate([s])) for s in "bc"]
    await settle()
    assert engine.calls == [["a"]]
    engine.release()
    await asyncio.gather(first, *later)
    assert engine.calls == [["a"], ["b", "c"]] and engine.most_at_once == 1


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


async def test_the_desk_holds_an_idle_engine_for_articles_still_looking_up_the_memory():
    from services.translation.desk import TranslationDesk
    from services.translation.engines.base import Pair
    from tests.unit.translation.helpers import DictMemory, MarkingEngine

    class SlowLookups(DictMemory):
        """The first lookup answers at once, the others when the test says so."""

        def __init__(self) -> None:
            super().__init__()
            self.lookups, self.answer = 0, asyncio.Event()

        async def recall(self, keys):
            self.lookups += 1
            if self.lookups > 1:
                await self.answer.wait()
            return await super().recall(keys)

    memory, engine = SlowLookups(), MarkingEngine("marker", ("en-pt",))
    desk = TranslationDesk(memory, calls_in_flight=1, batch_hold_s=60)
    articles = [asyncio.create_task(desk.translate([f"Paragraph {n}."], names=[], pair=Pair("en", "pt"),
                                                   engine=engine)) for n in range(3)]
    await settle()
    assert engine.calls == []  # the first article's lookup is back, but two are still out
    memory.answer.set()
    results = await asyncio.gather(*articles)
    assert engine.calls == [["Paragraph 0.", "Paragraph 1.", "Paragraph 2."]]
    assert [r.texts[f"Paragraph {n}."] for n, r in enumerate(results)] == [f"⟨pt:Paragraph {n}.⟩" for n in range(3)]
