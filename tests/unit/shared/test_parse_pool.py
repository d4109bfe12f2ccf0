"""Parsing in worker processes with a time budget: a runaway parse is killed and its
worker replaced."""
from __future__ import annotations

import os
import time
import uuid

import psutil
import pytest

from shared.errors import ParseError
from shared.parse_pool import ParsePool, ParseTimeout


_KEPT: list[bytes] = []


def slow_or_pid(payload: bytes, content_type, *, provider: str):
    """A stand-in parser (module level, so workers import it): sleeps on b"slow";
    b"grow" leaves 160 MiB behind in the worker, resident."""
    if payload == b"slow":
        time.sleep(60)
    if payload == b"grow":
        _KEPT.append(b"x" * (160 << 20))
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


async def test_other_work_runs_in_a_worker_with_the_same_budget_and_its_errors(pool):
    """``run``: a bulk body's JSON is read there (services/gateway/bulk_body.py)."""
    from services.gateway.bulk_body import read_bulk
    from services.gateway.json_text import BodyError

    body = b'{"articles": [{"contentType": "text/plain", "body": "caf\\u00e9"}]}'
    submission = await pool.run(read_bulk, body, "application/json", 5, provider="p")
    assert submission.articles[0].body == "caf\u00e9"
    with pytest.raises(BodyError) as refused:
        await pool.run(read_bulk, b'{"articles": [[]', "application/json", 5, provider="p")
    assert refused.value.status == 422 and refused.value.errors[0]["type"] == "json_invalid"
    with pytest.raises(ParseTimeout):
        await pool.run(time.sleep, 60, provider="p")
    assert await pool.run(os.getpid, provider="p") != os.getpid()


async def test_the_real_parser_runs_in_the_pool(example_article):
    pool = ParsePool(workers=1, timeout_s=30)
    try:
        items = await pool.parse(example_article, "text/plain", provider="p")
    finally:
        pool.close()
    assert items[0].article.headline


async def test_a_pool_not_warmed_holds_no_process_until_its_first_payload():

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


async def test_a_worker_left_larger_than_its_cap_by_a_payload_is_replaced_after_answering_it():
    # a worker (the real parsers loaded: ~100 MiB) under a 200 MiB cap
    pool = ParsePool(workers=1, timeout_s=30, parse_fn=slow_or_pid, max_rss_mb=200, warm=False)
    try:
        first = (await pool.parse(b"ok", "text/plain", provider="p"))[0]
        assert (await pool.parse(b"ok", "text/plain", provider="p"))[0] == first  # under its cap: kept
        assert (await pool.parse(b"grow", "text/plain", provider="p"))[0] == first  # answered, then retired
        second = (await pool.parse(b"ok", "text/plain", provider="p"))[0]
        assert second != first and not psutil.pid_exists(first)
        assert (await pool.parse(b"ok", "text/plain", provider="p"))[0] == second
    finally:
        pool.close()


def _unseen_names(count: int) -> bytes:
    """A small NITF story whose body holds ``count`` elements of names never seen before:
    lxml keeps every name it has seen for the life of the process."""
    tags = "".join(f"<n{uuid.uuid4().hex}/>" for _ in range(count))
    return (f'<?xml version="1.0"?><nitf><head><title>Harbour strike</title></head><body><body.head><hedline>'
            f'<hl1>Harbour strike ends</hl1></hedline></body.head><body.content><p>Dock workers returned.</p>'
            f'{tags}</body.content></body></nitf>').encode()


async def test_payloads_of_unseen_names_cannot_grow_a_real_parse_worker_past_its_cap():
    me = psutil.Process()
    others = {p.pid for p in me.children()}  # a test session's own (its Kafka broker, say)
    pool = ParsePool(workers=1, timeout_s=30, max_rss_mb=150, warm=False)
    try:
        workers, peak = set(), 0
        for _ in range(30):
            items = await pool.parse(_unseen_names(60_000), "application/xml", provider="p")
            assert items[0].article.headline == "Harbour strike ends"  # every payload answered
            for worker in me.children():  # none for a moment while one is replaced
                try:
                    if worker.pid not in others and "spawn_main" in " ".join(worker.cmdline()):
                        workers.add(worker.pid)
                        peak = max(peak, worker.memory_info().rss)
                except psutil.NoSuchProcess:
                    continue
            if len(workers) > 1:
                break
        assert len(workers) > 1, "the worker grew by every payload and was never replaced"
        assert peak < (150 + 40) << 20  # at most the cap and what the one payload past it added
    finally:
        pool.close()


def test_how_many_payloads_and_how_much_memory_a_parse_worker_may_take_are_settings(monkeypatch):
    from shared.settings import WireSettings

    assert WireSettings().parse_max_tasks == 10_000
    monkeypatch.setenv("WIRE_PARSE_MAX_TASKS", "500")
    assert WireSettings().parse_max_tasks == 500
    monkeypatch.setenv("WIRE_PARSE_MAX_TASKS", "0")
    with pytest.raises(ValueError):
        WireSettings()
    monkeypatch.setenv("WIRE_PARSE_MAX_TASKS", "500")
    assert WireSettings().parse_worker_max_mb == 256
    monkeypatch.setenv("WIRE_PARSE_WORKER_MAX_MB", "64")  # under what a worker starts with: refused
    with pytest.raises(ValueError):
        WireSettings()
