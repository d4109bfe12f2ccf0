"""Parsing off the event loop: a small pool of worker processes with a time budget
per payload.

A parser is CPU-bound and, on hostile input, can be slow; run on a service's event
loop it would freeze every other request (``/healthz`` included). In a worker process
it only costs that worker, and a payload over its budget gets its worker killed and
replaced (pebble does both), so a runaway parse never keeps a worker busy.
"""
from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable
from concurrent.futures import CancelledError
from concurrent.futures.process import BrokenProcessPool

import psutil
from pebble import ProcessExpired, ProcessPool

from shared.errors import ParseError, RetriableError, WireError
from shared.formats import PARSERS, parse, parser_for
from shared.formats.base import ParsedItem


class ParseTimeout(ParseError):
    """A payload its parser could not read within the time budget (not retriable:
    the same payload would take as long again)."""

    code = "too_complex"


class ParseWorkerLost(RetriableError):
    """The worker died under the payload (e.g. killed by the OS); trying again may work."""

    code = "parse_worker_lost"


_SAMPLE = b"Harbour strike ends\n\nDock workers returned to work on Monday after a week-long strike.\n"


def _warm_up() -> None:
    # Import every parser and load the models they load lazily, once per worker, so
    # the first payload's budget is not spent on that.
    for fmt in PARSERS:
        parser_for(fmt)
    try:
        parse(_SAMPLE, "text/plain", provider="warm-up")
    except WireError:
        pass  # only the loading mattered


def _start_worker(max_rss_bytes: int) -> None:
    """A worker's initializer: the warm-up, and its memory cap."""
    _warm_up()
    _retire_past(max_rss_bytes)


def _retire_past(max_rss_bytes: int) -> None:
    """Make this worker stop taking payloads once its resident memory passes
    ``max_rss_bytes`` after one: it exits as at ``max_tasks``, between payloads (none
    is lost), and pebble starts a fresh one. What a payload leaves behind (lxml's name
    dictionary keeps every element and attribute name it ever saw, the allocator keeps
    freed memory) is then given back however the payloads were crafted.

    pebble (pinned) has no per-worker memory limit; its worker loop takes its tasks
    from the module-level generator ``worker_get_next_task``, which this wraps in the
    worker process only (``tests/unit/shared/test_parse_pool.py`` holds it to that)."""
    from pebble.pool import process as pebble_worker

    take, me = pebble_worker.worker_get_next_task, psutil.Process()

    def next_task(channel, max_tasks):
        for task in take(channel, max_tasks):
            yield task  # the payload is parsed and its answer sent before this resumes
            if me.memory_info().rss > max_rss_bytes:
                return

    pebble_worker.worker_get_next_task = next_task


class ParsePool:
    """``await pool.parse(payload, content_type, provider=...)`` runs
    :func:`shared.formats.parse` in a worker process.

    ``workers`` processes (spawned, not forked: the service's threads and sockets
    stay out of them), each replaced after ``max_tasks`` payloads or, sooner, after
    the payload that took its resident memory past ``max_rss_mb``. ``warm``: start
    them now (in the background), not on the first payload; without it a pool that
    may never be used holds no process (~100 MB each). Call :meth:`close` when done.
    """

    def __init__(self, *, workers: int = 2, timeout_s: float = 5.0, max_tasks: int = 10_000, max_rss_mb: int = 256,
                 parse_fn: Callable[..., list[ParsedItem]] = parse, warm: bool = True) -> None:
        self.timeout_s = timeout_s
        self._parse_fn = parse_fn  # a module-level function: the workers import it by name
        self._pool = ProcessPool(max_workers=workers, max_tasks=max_tasks, initializer=_start_worker,
                                 initargs=(max_rss_mb * 1024 * 1024,), context=multiprocessing.get_context("spawn"))
        if warm:
            self._pool.schedule(_warm_up)

    async def parse(self, payload: bytes, content_type: str | None, *, provider: str) -> list[ParsedItem]:
        """The payload's items, as :func:`shared.formats.parse` returns them.

        Raises what ``parse`` raises (UnsupportedFormat, ParseError), ParseTimeout
        past the time budget (counted from when a worker starts on it, not while it
        waits for one) and ParseWorkerLost when the worker died.
        """
        future = self._pool.schedule(self._parse_fn, args=(payload, content_type), kwargs={"provider": provider},
                                     timeout=self.timeout_s)
        try:
            return await asyncio.wrap_future(future)
        except TimeoutError as exc:
            raise ParseTimeout(f"the payload is too complex to parse within {self.timeout_s:g} s") from exc
        except (ProcessExpired, BrokenProcessPool, CancelledError) as exc:
            raise ParseWorkerLost(f"the parse worker ended before answering: {exc}") from exc

    def close(self) -> None:
        """Stop the workers (a running parse is killed) and wait for them to exit."""
        self._pool.stop()
        self._pool.join(timeout=10)
