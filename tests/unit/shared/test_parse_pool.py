"""Parsing in worker processes with a time budget: a runaway parse is killed and its
worker replaced."""
from __future__ import annotations

import os
import time

import pytest

from shared.errors import ParseError
from shared.parse_pool import ParsePool, ParseTimeout


def slow_or_pid(payload: bytes, content_type, *, provider: str):
    """A stand-in parser (module level, so workers import it): sleeps on b"slow"."""
    if payload == b"slow":
        time.sleep(60)
    if payload == b"bad":
        raise ParseError("unreadable", where="line 3")
    return [os.getpid()]


@pytest.fixture
def pool():
    pool = ParsePool(workers=1, timeout_s=1.0, parse_fn=slow_or_pid)
    yield pool
    pool.close()


async def test_a_parse_over_budget_answers_too_complex_and_the_worker_is_replaced(pool):
    first_worker = (await pool.parse(b"ok", "text/plain", provider="p"))[0]
    with pytest.raises(ParseTimeout, match="too complex to parse within 1 s"):
        await pool.parse(b"slow", "text/plain", provider="p")
    second_worker = (await pool.parse(b"ok", "text/plain", provider="p"))[0]
    assert second_worker != first_worker
    with pytest.raises(ProcessLookupError):
        os.kill(first_worker, 0)


async def test_parse_errors_come_back_with_where(pool):
    with pytest.raises(ParseError) as refused:
        await pool.parse(b"bad", "text/plain", provider="p")
    assert refused.value.where == "line 3"


async def test_the_real_parser_runs_in_the_pool(example_article):
    pool = ParsePool(workers=1, timeout_s=30)
    try:
        items = await pool.parse(example_article, "text/plain", provider="p")
    finally:
        pool.close()
    assert items[0].article.headline


async def test_a_pool_not_warmed_holds_no_process_until_its_first_payload():
    import psutil

    me = psutil.Process()
    before = {child.pid for child in me.children(recursive=True)}
    pool = ParsePool(workers=1, timeout_s=30, parse_fn=slow_or_pid, warm=False)
    try:
        time.sleep(1.0)  # a warmed pool would be spawning its worker by now
        assert {child.pid for child in me.children(recursive=True)} == before
        worker = (await pool.parse(b"ok", "text/plain", provider="p"))[0]
        assert worker in {child.pid for child in me.children(recursive=True)}
    finally:
        pool.close()


async def test_a_worker_is_replaced_after_max_tasks_payloads_and_not_before():
    pool = ParsePool(workers=1, timeout_s=30, parse_fn=slow_or_pid, max_tasks=3, warm=False)
    try:
        pids = [(await pool.parse(b"ok", "text/plain", provider="p"))[0] for _ in range(7)]
    finally:
        pool.close()
    assert pids[0] == pids[1] == pids[2] != pids[3]
    assert pids[3] == pids[4] == pids[5] != pids[6]


def test_how_many_payloads_a_parse_worker_takes_is_a_setting_of_at_least_one(monkeypatch):
    from shared.settings import WireSettings

    assert WireSettings().parse_max_tasks == 10_000
    monkeypatch.setenv("WIRE_PARSE_MAX_TASKS", "500")
    assert WireSettings().parse_max_tasks == 500
    monkeypatch.setenv("WIRE_PARSE_MAX_TASKS", "0")
    with pytest.raises(ValueError):
        WireSettings()
