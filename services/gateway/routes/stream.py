"""The live stream of a subscription as Server-Sent Events.

Each event is one published item, correction or kill notice:
``id: <stream id>``, ``event: new|update|correction|kill``, ``data: <ninjs JSON>``.
A client that reconnects with ``Last-Event-ID`` (browsers do it by themselves)
gets every event after that id that is still kept (``WIRE_LIVE_STREAM_MAX`` per
subscription); without it, events from now on. A stream whose token is revoked (or
whose subscription is deleted) ends within ``RECHECK_S`` with ``event: revoked``.
"""
from __future__ import annotations

import re
import time

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse

from services.gateway.deps import ReaderDep, StoreDep
from services.gateway.problems import errors
from shared.subscriptions import NAME_PATTERN, SubscriptionKeys

router = APIRouter(tags=["stream"])

_STREAM_ID = re.compile(r"^\d+(-\d+)?$")
BLOCK_MS = 2_000
KEEPALIVE_S = 15.0
# How often an open stream checks that its token is still valid and its subscription
# still there: a revoked token or a deleted subscription ends the stream this soon.
RECHECK_S = 5.0
REVOKED = b'event: revoked\ndata: {"error": "unauthorized", "detail": "the token was revoked or the subscription deleted"}\n\n'


def sse_event(entry_id: str, fields: dict[bytes, bytes]) -> bytes:
    """One SSE event from a live-stream entry (the JSON body is one line)."""
    return b"id: " + entry_id.encode() + b"\nevent: " + fields[b"signal"] + b"\ndata: " + fields[b"body"] + b"\n\n"


# What a stream entry id looks like, so the schema says which ids exist.
EVENT_ID_PATTERN = r"^[0-9]+(-[0-9]+)?$"


@router.get("/v1/stream", response_class=StreamingResponse, responses={
    200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}, "description": "the event stream"},
    **errors(400, 401, 403, 404, 422, 429, 431, 503,
             notes={400: "no subscription named (and the token names none), or a bad event id",
                    404: "no such subscription (or it has no feeds)", 503: "too many open streams, or Redis is down"})})
async def stream(request: Request, reader: ReaderDep, store: StoreDep,
                 subscription: str | None = Query(None, description="the subscription's name (default: the token's)",
                                                  pattern=NAME_PATTERN),
                 last_event_id: str | None = Header(None, alias="Last-Event-ID", pattern=EVENT_ID_PATTERN),
                 since: str | None = Query(None, description="resume after this event id (like Last-Event-ID)",
                                           pattern=EVENT_ID_PATTERN)):
    """Server-Sent Events of ``subscription``, resuming after ``Last-Event-ID``. Needs
    that subscription's read token (``?token=`` for clients that cannot send headers)
    or the admin key."""
    redis = request.app.state.stream_redis  # streams' own pool, capped by StreamSlots
    subscription = subscription or (reader.subscription.name if reader.subscription else None)
    if subscription is None:
        return JSONResponse({"error": "missing_subscription", "detail": "name the subscription: ?subscription="},
                            status_code=400)
    sub = await store.get(subscription)
    if sub is None or not sub.outputs.feeds or not reader.may_follow(subscription):
        return JSONResponse({"error": "not_found", "detail": f"no stream for subscription {subscription!r}"},
                            status_code=404)
    resume = last_event_id or since
    if resume is not None and not _STREAM_ID.match(resume):
        return JSONResponse({"error": "bad_event_id", "detail": "Last-Event-ID must look like 1718000000000-0"},
                            status_code=400)
    key = SubscriptionKeys(request.app.state.keys.prefix).live(subscription)
    if resume is None:
        newest = await redis.xrevrange(key, count=1)
        resume = newest[0][0].decode() if newest else "0-0"

    async def still_entitled() -> bool:
        if reader.token_sha256 is None:  # the admin key: only the subscription can go
            now = await store.get(subscription)
        else:
            now = await store.by_token_digest(reader.token_sha256)
        return now is not None and now.name == subscription and bool(now.outputs.feeds)

    async def events():
        cursor = resume
        yield b"retry: 3000\n\n"
        quiet_since = checked = time.monotonic()
        while not await request.is_disconnected():
            if time.monotonic() - checked >= RECHECK_S:
                checked = time.monotonic()
                if not await still_entitled():
                    yield REVOKED
                    return
            # short blocks: the Redis client's socket timeout (5 s) must not cut the wait
            rows = await redis.xread({key: cursor}, count=100, block=BLOCK_MS)
            if not rows:
                if time.monotonic() - quiet_since >= KEEPALIVE_S:
                    quiet_since = time.monotonic()
                    yield b": keepalive\n\n"
                continue
            for entry_id, fields in rows[0][1]:
                cursor = entry_id.decode()
                yield sse_event(cursor, fields)
            quiet_since = time.monotonic()

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
