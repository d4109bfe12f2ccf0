"""Who gets the next parse worker (shared.parse_pool.FairShare), without processes:
turns are handed out round-robin among providers, a provider never takes the spare
workers, admission is bounded, and a caller that gives up leaves the queue. Last,
with a real worker: a parse whose caller gives up while it runs."""
from __future__ import annotations

import asyncio

import psutil
import pytest

from shared.parse_pool import FairShare, ParsePool, ParseQueueFull, ParseWorkerLost, ProviderParsesBusy
from tests.held_parser import held, parse_held, release, started
from tests.waiting import eventually


async def waiting_turn(share: FairShare, provider: str) -> asyncio.Task:
    """``provider``'s admitted parse, waiting for (or holding) its turn."""
    share.admit(provider)
    task = asyncio.ensure_future(share.turn(provider))
    await asyncio.sleep(0)  # let it queue (or start)
    return task


async def test_a_freed_worker_goes_to_the_next_provider_in_turn_not_to_the_busiest():
    share = FairShare(1)
    a1 = await waiting_turn(share, "a")
    a_rest = [await waiting_turn(share, "a") for _ in range(3)]
    b = await waiting_turn(share, "b")
    assert a1.done() and not any(t.done() for t in [*a_rest, b])
    share.finished("a")
    await asyncio.sleep(0)
    assert b.done() and not any(t.done() for t in a_rest)  # b came after a's backlog, and goes first
    share.finished("b")
    await asyncio.sleep(0)
    assert a_rest[0].done()


async def test_a_provider_leaves_the_spare_worker_to_others():
    share = FairShare(2, spare=1)
    a1, a2 = await waiting_turn(share, "a"), await waiting_turn(share, "a")
    assert a1.done() and not a2.done()  # a worker is free, but not for a
    b = await waiting_turn(share, "b")
    assert b.done()
    share.finished("a")
    await asyncio.sleep(0)
    assert a2.done()


async def test_without_a_spare_worker_one_provider_may_use_them_all():
    share = FairShare(2)
    assert all([(await waiting_turn(share, "a")).done() for _ in range(2)])


async def test_a_provider_past_its_share_is_refused_and_another_is_admitted():
    share = FairShare(2, per_provider=2, retry_after_s=7)
    await waiting_turn(share, "a")
    await waiting_turn(share, "a")
    with pytest.raises(ProviderParsesBusy, match="'a' already has 2 payloads") as refused:
        share.admit("a")
    assert refused.value.retry_after_s == 7
    b = await waiting_turn(share, "b")  # admitted: it waits for a worker
    share.finished("a")
    await asyncio.sleep(0)
    assert b.done()
    share.admit("a")  # one of a's answered: room again


async def test_a_full_queue_refuses_what_would_wait_but_not_what_can_start():
    share = FairShare(2, spare=1, max_waiting=2)
    await waiting_turn(share, "a")  # running
    await waiting_turn(share, "a")  # waiting
    await waiting_turn(share, "c")  # running
    await waiting_turn(share, "c")  # waiting
    with pytest.raises(ParseQueueFull):
        share.admit("d")


async def test_a_caller_that_gives_up_while_waiting_never_gets_a_worker():
    share = FairShare(1, per_provider=2)
    a1 = await waiting_turn(share, "a")
    a2 = await waiting_turn(share, "a")
    a2.cancel()
    await asyncio.sleep(0)
    assert share.waiting == 0 and share.admitted["a"] == 1
    b = await waiting_turn(share, "b")
    share.finished("a")
    await asyncio.sleep(0)
    assert a1.done() and a2.cancelled() and b.done()
    assert dict(share.running) == {"b": 1}


async def test_closing_fails_the_parses_still_waiting():
    share = FairShare(1)
    await waiting_turn(share, "a")
    waiting = await waiting_turn(share, "b")
    share.close("closing")
    await asyncio.sleep(0)
    with pytest.raises(ParseWorkerLost, match="closing"):
        await waiting
    assert "b" not in share.admitted


ARTICLE = b"Harbour strike ends\n\nDock workers returned to work on Monday after a week-long strike.\n"


async def test_a_parse_whose_caller_gives_up_while_it_runs_ends_in_its_worker_and_counts_until_then(tmp_path):
    # one worker, one parse per provider: the worker is not killed (a new one costs far
    # more than the parse), and the provider's share is taken until the parse is over
    pool = ParsePool(workers=1, timeout_s=60, parse_fn=parse_held, max_per_provider=1, warm=False)
    try:
        running = asyncio.ensure_future(pool.parse(held(tmp_path, "a", ARTICLE), "text/plain", provider="a"))
        await eventually(lambda: started(tmp_path) == {"a"}, what="the held parse on its worker")
        workers = {p.pid for p in psutil.Process().children()}
        running.cancel()
        with pytest.raises(ProviderParsesBusy):
            await pool.parse(ARTICLE, "text/plain", provider="a")
        release(tmp_path)
        await eventually(lambda: not pool.share.running, what="the parse to end in its worker")
        [item] = await pool.parse(ARTICLE, "text/plain", provider="a")
        assert item.article.headline == "Harbour strike ends"
        assert {p.pid for p in psutil.Process().children()} == workers
    finally:
        pool.close()
