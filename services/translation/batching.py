"""Segment batching: concurrent requests for one engine and pair become few calls,
and the engine is kept busy.

Articles of a consumed batch are translated concurrently; each asks for its
segments, the requests queue up and go out together (duplicates once, urgent
articles' segments first). Three things keep the engine from idling:

- up to ``in_flight`` calls run at once, so the next call is queued in the engine
  (its thread pool, its process's pipe) while one is still running, instead of
  starting only after it returned; when several slots are free the queue is
  spread over them, so the first results (and any re-asks they cause, like the
  desk's unmasked retry) come back while the rest is still being translated;
- an article announces itself with :meth:`SegmentBatcher.expect` before its memory
  lookup: a call waits for the articles still looking up, so the first article of
  a batch is not sent alone while the others are a Redis round trip behind it
  (at most ``hold_s``: a stuck lookup does not hold the others back for long);
- a request that comes while every slot is busy simply joins the next call.

Nobody announced and a slot free: the call starts at once, so batching adds no
latency when there is no load.

Each call's answer is checked (``sentences.translate_checked``): an output
implausibly shorter than its segment is asked again in smaller pieces in the same
slot, and what stays short is logged and counted rather than passed on silently.
"""
from __future__ import annotations

import asyncio
import itertools
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from services.translation.sentences import translate_checked

Call = Callable[[list[str]], Awaitable[list[str]]]


@dataclass(order=True)
class _Request:
    priority: int
    seq: int
    segments: list[str] = field(compare=False)
    done: asyncio.Future = field(compare=False)
    queued_at: float = field(compare=False, default=0.0)


class Expected:
    """An article that will ask for segments soon (see :meth:`SegmentBatcher.expect`),
    closed on leaving the ``with`` block around the work before its request."""

    def __init__(self, batcher: SegmentBatcher) -> None:
        self._batcher = batcher
        self.open = True

    def close(self) -> None:
        if self.open:
            self.open = False
            self._batcher._expected -= 1
            self._batcher._changed.set()

    def __enter__(self) -> Expected:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class SegmentBatcher:
    """Feeds up to ``in_flight`` concurrent engine calls of at most ``max_segments``
    queued segments each (one request alone may exceed it: it is never split)."""

    def __init__(self, call: Call, *, max_segments: int = 256, in_flight: int = 2, hold_s: float = 0.25) -> None:
        self._call = call
        self.max_segments = max(1, max_segments)
        self.in_flight = max(1, in_flight)
        self.hold_s = hold_s
        self._queue: list[_Request] = []
        self._seq = itertools.count()
        self._calls: set[asyncio.Task] = set()
        self._expected = 0
        self._changed = asyncio.Event()
        self._dispatcher: asyncio.Task | None = None

    def expect(self) -> Expected:
        """Announce a request to come: a context manager around the work that precedes
        it, the request queued before the task next awaits after the block."""
        self._expected += 1
        return Expected(self)

    async def translate(self, segments: list[str], *, priority: int = 5) -> list[str]:
        """The engine's output for ``segments`` (lower ``priority`` goes first).
        Raises what the engine call raised."""
        if not segments:
            return []
        loop = asyncio.get_running_loop()
        request = _Request(priority, next(self._seq), segments, loop.create_future(), loop.time())
        self._queue.append(request)
        self._changed.set()
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = asyncio.create_task(self._dispatch())
        return await request.done

    async def _dispatch(self) -> None:
        loop = asyncio.get_running_loop()
        while self._queue:
            free = self.in_flight - len(self._calls)
            queued = sum(len(r.segments) for r in self._queue)
            held = loop.time() - min(r.queued_at for r in self._queue)
            if free > 0 and (not self._expected or queued >= self.max_segments or held >= self.hold_s):
                self._start(self._take(min(self.max_segments, math.ceil(queued / free))))
                continue
            self._changed.clear()
            wait = self.hold_s - held if free > 0 else None  # no slot: only a finished call helps
            try:
                await asyncio.wait_for(self._changed.wait(), wait)
            except asyncio.TimeoutError:
                pass

    def _take(self, limit: int) -> list[_Request]:
        self._queue.sort()
        taken, size = [], 0
        while self._queue and (not taken or size + len(self._queue[0].segments) <= limit):
            request = self._queue.pop(0)
            taken.append(request)
            size += len(request.segments)
        return taken

    def _start(self, taken: list[_Request]) -> None:
        task = asyncio.create_task(self._send(taken))
        self._calls.add(task)

        def finished(done: asyncio.Task) -> None:
            self._calls.discard(done)
            self._changed.set()

        task.add_done_callback(finished)

    async def _send(self, taken: list[_Request]) -> None:
        unique = list(dict.fromkeys(s for request in taken for s in request.segments))
        try:
            table = dict(zip(unique, await translate_checked(self._call, unique), strict=True))
        except asyncio.CancelledError:  # shutting down: nobody may wait forever
            for request in taken:
                request.done.cancel()
            raise
        except Exception as exc:  # noqa: BLE001 - handed to every waiting article
            for request in taken:
                if not request.done.done():
                    request.done.set_exception(exc)
            return
        for request in taken:
            if not request.done.done():
                request.done.set_result([table[s] for s in request.segments])
