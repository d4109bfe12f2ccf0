"""A Server-Sent Events response that ends on its own terms, whatever its client does.

Starlette's StreamingResponse writes each event as the generator yields it, and the
write waits while the client is not reading (TCP backpressure): a generator parked
there runs none of its own checks. So here the writing and the checking are separate:

- every write has ``send_timeout_s``: a client that takes no data for that long
  loses its stream (the connection is closed), and with it its stream slot;
- ``still_entitled()`` runs every ``recheck_s`` in a task of its own: a revoked token
  or a deleted subscription ends the stream within that time (and ``REVOKED_WRITE_S``)
  even while a write is stuck, with ``revoked`` as the last event when the client
  still takes it.

``release`` runs once the response is over, however it ends (the per-subscription
stream count, see :class:`SubscriptionStreams`).
"""
from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable

from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

log = logging.getLogger(__name__)
# How long a revoked stream's last event may wait for its client.
REVOKED_WRITE_S = 1.0


class SubscriptionStreams:
    """Open streams per subscription, at most ``per_subscription`` each: read tokens
    are many per subscription, so the per-token cap alone would let one subscription
    (its tokens, or the operator) take every stream slot."""

    def __init__(self, per_subscription: int) -> None:
        self.per_subscription = per_subscription
        self.open: Counter[str] = Counter()

    def take(self, subscription: str) -> Callable[[], None] | None:
        """A slot of ``subscription``'s (call the result to give it back), or None when all are in use."""
        if self.open[subscription] >= self.per_subscription:
            return None
        self.open[subscription] += 1
        given_back = False

        def give_back() -> None:
            nonlocal given_back
            if not given_back:
                given_back = True
                self.open[subscription] -= 1
                if not self.open[subscription]:
                    del self.open[subscription]

        return give_back


class EventStream(StreamingResponse):
    """``events`` (bytes of SSE) as ``text/event-stream``, ended by a write that takes
    longer than ``send_timeout_s`` or by ``still_entitled()`` turning False (then
    ``revoked`` is the last event written)."""

    def __init__(self, events: AsyncIterator[bytes], *, still_entitled: Callable[[], Awaitable[bool]],
                 revoked: bytes, recheck_s: float, send_timeout_s: float, release: Callable[[], None],
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(events, media_type="text/event-stream", headers=headers)
        self.still_entitled = still_entitled
        self.revoked = revoked
        self.recheck_s = recheck_s
        self.send_timeout_s = send_timeout_s
        self.release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.release()

    async def stream_response(self, send: Send) -> None:
        async def write(chunk: bytes, *, more: bool = True, within: float = self.send_timeout_s) -> None:
            # TimeoutError: the client took nothing for that long
            await asyncio.wait_for(send({"type": "http.response.body", "body": chunk, "more_body": more}), within)

        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        pump = asyncio.ensure_future(self._pump(write))
        watch = asyncio.ensure_future(self._watch())
        try:
            await asyncio.wait({pump, watch}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            pump.cancel()
            watch.cancel()
            await asyncio.gather(pump, watch, return_exceptions=True)
        ended = next((t.exception() for t in (pump, watch) if not t.cancelled() and t.exception()), None)
        revoked = ended is None and watch.done() and not watch.cancelled()
        if isinstance(ended, TimeoutError):
            log.warning("a stream's client took nothing for %g s: its connection is closed", self.send_timeout_s)
            return  # unfinished: the server closes the connection, nothing more reaches that client
        if ended is not None:
            log.warning("a stream ended on an error", exc_info=ended)
        try:
            # a revoked reader gets little time to take its last event: it may read no more
            within = min(self.send_timeout_s, REVOKED_WRITE_S) if revoked else self.send_timeout_s
            if revoked:
                await write(self.revoked, within=within)
            await write(b"", more=False, within=within)
        except TimeoutError:
            log.warning("a stream's client took nothing for %g s: its connection is closed", within)

    async def _pump(self, write: Callable[[bytes], Awaitable[None]]) -> None:
        try:
            async for chunk in self.body_iterator:
                await write(chunk)
        finally:
            await self.body_iterator.aclose()  # type: ignore[attr-defined]

    async def _watch(self) -> None:
        """Returns once the stream may no longer be read."""
        while True:
            await asyncio.sleep(self.recheck_s)
            if not await self.still_entitled():
                return
