"""Segment batching: concurrent requests for one engine and pair become one call.

Articles of a consumed batch are translated concurrently; each asks for its
segments, and while the engine is busy the requests queue up and go out together
(duplicates once) in the next call, urgent articles' segments first. An idle
engine is called at once, so batching adds no latency when there is no load.
"""
from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

Call = Callable[[list[str]], Awaitable[list[str]]]


@dataclass(order=True)
class _Request:
    priority: int
    seq: int
    segments: list[str] = field(compare=False)
    done: asyncio.Future = field(compare=False)


class SegmentBatcher:
    """Feeds one engine call at a time with up to ``max_segments`` queued segments."""

    def __init__(self, call: Call, *, max_segments: int = 256) -> None:
        self._call = call
        self.max_segments = max(1, max_segments)
        self._queue: list[_Request] = []
        self._seq = itertools.count()
        self._worker: asyncio.Task | None = None

    async def translate(self, segments: list[str], *, priority: int = 5) -> list[str]:
        """The engine's output for ``segments`` (lower ``priority`` goes first).
        Raises what the engine call raised."""
        if not segments:
            return []
        request = _Request(priority, next(self._seq), segments, asyncio.get_running_loop().create_future())
        self._queue.append(request)
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain())
        return await request.done

    async def _drain(self) -> None:
        while self._queue:
            self._queue.sort()
            taken, size = [], 0
            while self._queue and (not taken or size + len(self._queue[0].segments) <= self.max_segments):
                request = self._queue.pop(0)
                taken.append(request)
                size += len(request.segments)
            unique = list(dict.fromkeys(s for request in taken for s in request.segments))
            try:
                table = dict(zip(unique, await self._call(unique), strict=True))
            except Exception as exc:  # noqa: BLE001 - handed to every waiting article
                for request in taken:
                    if not request.done.done():
                        request.done.set_exception(exc)
                continue
            for request in taken:
                if not request.done.done():
                    request.done.set_result([table[s] for s in request.segments])
