"""Parsing off the event loop: a small pool of worker processes with a time budget
per payload, shared fairly among providers.

A parser is CPU-bound and, on hostile input, can be slow; run on a service's event
loop it would freeze every other request (``/healthz`` included). In a worker process
it only costs that worker, and a payload over its budget gets its worker killed and
replaced (pebble does both), so a runaway parse never keeps a worker busy.

The workers are few, so who gets the next one matters: :class:`FairShare` hands them
out round-robin among the providers waiting (never first come, first served: one
provider's backlog would hold everyone else's payloads behind it), can keep workers
spare for the other providers, and bounds what is admitted (a provider's parses in
flight, the payloads waiting overall) so a flood is refused at once instead of queued.
A payload whose caller gave up while it waited is never parsed.
"""
from __future__ import annotations

import asyncio
import math
import multiprocessing
from collections import Counter, deque
from collections.abc import Callable
from typing import TypeVar
from concurrent.futures import CancelledError
from concurrent.futures.process import BrokenProcessPool

import psutil
from pebble import ProcessExpired, ProcessPool

from shared.errors import ParseError, RetriableError, WireError
from shared.formats import PARSERS, parse, parser_for
from shared.formats.base import ParsedItem

T = TypeVar("T")


class ParseTimeout(ParseError):
    """A payload its parser could not read within the time budget (not retriable:
    the same payload would take as long again)."""

    code = "too_complex"


class ParseWorkerLost(RetriableError):
    """The worker died under the payload (e.g. killed by the OS); trying again may work."""

    code = "parse_worker_lost"


class ParseBusy(RetriableError):
    """Not admitted for parsing now (nothing was parsed): trying again later may work,
    after about ``retry_after_s`` (one parse's time budget: a worker frees by then)."""

    code = "parse_busy"

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class ProviderParsesBusy(ParseBusy):
    """The provider already has as many payloads admitted for parsing as it may."""

    code = "too_many_parses"


class ParseQueueFull(ParseBusy):
    """As many payloads wait for a worker as the pool admits, from every provider."""

    code = "parse_queue_full"


class FairShare:
    """Who parses next, on ``workers`` workers.

    A worker that frees goes to the provider waiting with the fewest parses running,
    among those the one served longest ago (round-robin), to its oldest payload: a
    provider's backlog never holds another provider's payload. One provider runs at most
    ``workers - spare`` parses at once (at least one), so with ``spare`` workers kept
    another provider's payload finds a worker even while one provider has its whole
    share busy. Admitted at most: ``per_provider`` parses of one provider, running or
    waiting (else ProviderParsesBusy), and ``max_waiting`` payloads waiting overall
    (else ParseQueueFull); None is no bound. Runs on one event loop (not thread-safe:
    call :meth:`finished` through ``loop.call_soon_threadsafe`` from other threads).
    """

    def __init__(self, workers: int, *, spare: int = 0, per_provider: int | None = None,
                 max_waiting: int | None = None, retry_after_s: int = 5) -> None:
        self.workers = workers
        self.retry_after_s = retry_after_s
        self.per_provider_running = max(1, workers - spare)
        self.per_provider = per_provider
        self.max_waiting = max_waiting
        self.admitted: Counter[str] = Counter()  # running or waiting, per provider
        self.running: Counter[str] = Counter()
        self._queues: dict[str, deque[asyncio.Future[None]]] = {}  # waiting turns, oldest first
        # when each provider last got a worker (a count of workers handed out): the
        # providers are the configured feeds, a bounded set
        self._served: dict[str, int] = {}
        self._handed = 0

    @property
    def waiting(self) -> int:
        return sum(1 for queue in self._queues.values() for turn in queue if not turn.done())

    def admit(self, provider: str) -> None:
        """Count one more parse of ``provider``, or refuse it (ParseBusy)."""
        if self.per_provider is not None and self.admitted[provider] >= self.per_provider:
            raise ProviderParsesBusy(f"provider {provider!r} already has {self.admitted[provider]} payloads being "
                                     f"parsed or waiting for it, at most {self.per_provider} at once",
                                     retry_after_s=self.retry_after_s)
        if self.max_waiting is not None and self.waiting >= self.max_waiting and not self._may_start(provider):
            raise ParseQueueFull(f"{self.max_waiting} payloads are waiting for a parse worker already",
                                 retry_after_s=self.retry_after_s)
        self.admitted[provider] += 1

    async def turn(self, provider: str) -> None:
        """Wait until ``provider`` (admitted) may use a worker; then :meth:`finished` must
        follow. Cancelled while waiting, the parse leaves the queue and is not admitted."""
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queues.setdefault(provider, deque()).append(turn)
        self._hand_out()
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled() and turn.exception() is None:  # given a worker as its caller left
                self.finished(provider)
            else:
                turn.cancel()
                self._leave(provider)
            raise
        except BaseException:  # the pool closed while it waited
            self._leave(provider)
            raise

    def finished(self, provider: str) -> None:
        """``provider``'s parse gave its worker back: the next in turn gets it."""
        self.running[provider] -= 1
        if self.running[provider] <= 0:
            del self.running[provider]
        self._leave(provider)
        self._hand_out()

    def close(self, reason: str) -> None:
        """Fail every parse still waiting: ParseWorkerLost(``reason``) (the pool is closing)."""
        for queue in self._queues.values():
            for turn in queue:
                if not turn.done():
                    turn.set_exception(ParseWorkerLost(reason))
        self._queues.clear()

    def _leave(self, provider: str) -> None:
        self.admitted[provider] -= 1
        if self.admitted[provider] <= 0:
            del self.admitted[provider]

    def _may_start(self, provider: str) -> bool:
        return sum(self.running.values()) < self.workers and self.running[provider] < self.per_provider_running

    def _hand_out(self) -> None:
        while sum(self.running.values()) < self.workers:
            for provider, queue in list(self._queues.items()):
                while queue and queue[0].done():  # its caller gave up
                    queue.popleft()
                if not queue:
                    del self._queues[provider]
            ready = [provider for provider in self._queues if self._may_start(provider)]
            if not ready:
                return
            # the fewest parses running first, then the one served longest ago
            provider = min(ready, key=lambda p: (self.running[p], self._served.get(p, 0)))
            queue = self._queues[provider]
            queue.popleft().set_result(None)
            if not queue:
                del self._queues[provider]
            self.running[provider] += 1
            self._handed += 1
            self._served[provider] = self._handed


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
    ``spare_workers``, ``max_per_provider``, ``max_waiting``: how the workers are
    shared among providers (:class:`FairShare`; by default, without bounds).
    """

    def __init__(self, *, workers: int = 2, timeout_s: float = 5.0, max_tasks: int = 10_000, max_rss_mb: int = 256,
                 parse_fn: Callable[..., list[ParsedItem]] = parse, warm: bool = True, spare_workers: int = 0,
                 max_per_provider: int | None = None, max_waiting: int | None = None) -> None:
        self.timeout_s = timeout_s
        self.share = FairShare(workers, spare=spare_workers, per_provider=max_per_provider, max_waiting=max_waiting,
                               retry_after_s=max(1, math.ceil(timeout_s)))
        self._parse_fn = parse_fn  # a module-level function: the workers import it by name
        self._pool = ProcessPool(max_workers=workers, max_tasks=max_tasks, initializer=_start_worker,
                                 initargs=(max_rss_mb * 1024 * 1024,), context=multiprocessing.get_context("spawn"))
        if warm:
            self._pool.schedule(_warm_up)

    async def parse(self, payload: bytes, content_type: str | None, *, provider: str) -> list[ParsedItem]:
        """The payload's items, as :func:`shared.formats.parse` returns them.

        Raises what ``parse`` raises (UnsupportedFormat, ParseError), ParseTimeout
        past the time budget (counted from when a worker starts on it, not while it
        waits for one), ParseWorkerLost when the worker died, and ParseBusy when it
        is not admitted (see :class:`FairShare`). Cancelled while it waits for a
        worker, the payload is never parsed; cancelled while parsing, the parse ends
        in its worker (killing it would cost a new worker) and its answer is dropped.
        """
        return await self._run(self._parse_fn, (payload, content_type), {"provider": provider}, provider)

    async def run(self, fn: Callable[..., T], *args: object, provider: str) -> T:
        """``fn(*args)`` in a worker, as :meth:`parse` parses a payload: for other work
        on a provider's input that must not run on the event loop (reading a bulk
        request's JSON), with the same time budget, fair share and errors. ``fn`` and
        what it returns or raises must pickle (a module-level function)."""
        return await self._run(fn, args, {}, provider)

    async def _run(self, fn: Callable[..., T], args: tuple, kwargs: dict, provider: str) -> T:
        self.share.admit(provider)
        await self.share.turn(provider)  # cancelled while it waits: it leaves the queue, unparsed
        loop = asyncio.get_running_loop()
        try:
            future = self._pool.schedule(fn, args=args, kwargs=kwargs, timeout=self.timeout_s)
        except BaseException:
            self.share.finished(provider)
            raise
        future.add_done_callback(lambda _: _call_soon(loop, self.share.finished, provider))
        answer = asyncio.wrap_future(future)
        answer.add_done_callback(lambda f: f.cancelled() or f.exception())  # read even if nobody awaits it
        try:
            return await asyncio.shield(answer)
        except TimeoutError as exc:
            raise ParseTimeout(f"the payload is too complex to parse within {self.timeout_s:g} s") from exc
        except (ProcessExpired, BrokenProcessPool, CancelledError) as exc:
            raise ParseWorkerLost(f"the parse worker ended before answering: {exc}") from exc

    def close(self) -> None:
        """Stop the workers (a running parse is killed; one still waiting for a worker
        raises ParseWorkerLost) and wait for them to exit."""
        self.share.close("the parse pool closed before a worker was free")
        self._pool.stop()
        self._pool.join(timeout=10)


def _call_soon(loop: asyncio.AbstractEventLoop, callback: Callable[..., object], *args: object) -> None:
    """``callback(*args)`` on ``loop`` from any thread; nothing once the loop is closed."""
    try:
        loop.call_soon_threadsafe(callback, *args)
    except RuntimeError:  # the loop is closed: the service is gone, and its share with it
        pass
