"""The live stream of a subscription as Server-Sent Events.

Each event is one published item, correction or kill notice:
``id: <stream id>``, ``event: new|update|correction|kill``, ``data: <ninjs JSON>``.
A client that reconnects with ``Last-Event-ID`` (browsers do it by themselves)
gets every event after that id that is still kept (``WIRE_LIVE_STREAM_MAX`` per
subscription); without it, events from now on. A stream whose token is revoked (or
whose subscription is deleted) ends within ``RECHECK_S`` with ``event: revoked``,
whether or not its client is reading (services/gateway/event_stream.py).

Events are read from Redis by size, not only by count: one read takes the events
that add up to at most ``READ_BUDGET_BYTES`` (always at least one), so a backlog of
large items never lands in the gateway's memory at once.
"""
from __future__ import annotations

import re
import time

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse

from services.gateway.deps import ReaderDep, StoreDep
from services.gateway.event_stream import EventStream
from services.gateway.metrics import REJECTED
from services.gateway.problems import errors
from shared.read_model import READ_BUDGET_BYTES
from shared.subscriptions import NAME_PATTERN, SubscriptionKeys

router = APIRouter(tags=["stream"])

_STREAM_ID = re.compile(r"^\d+(-\d+)?$")
BLOCK_MS = 2_000
KEEPALIVE_S = 15.0
# How often an open stream checks that its token is still valid and its subscription
# still there: a revoked token or a deleted subscription ends the stream this soon.
RECHECK_S = 5.0
REVOKED = b'event: revoked\ndata: {"error": "unauthorized", "detail": "the token was revoked or the subscription deleted"}\n\n'
READ_COUNT = 100
# The entries after ARGV[1] (exclusive), at most ARGV[2] of them, whose fields add up to
# at most ARGV[3] bytes (always the first one): taken one by one on the server, so what
# crosses to the gateway is bounded by bytes, not only by count.
_READ_BY_SIZE = """
local taken, used, cursor = {}, 0, ARGV[1]
for _ = 1, tonumber(ARGV[2]) do
  local rows = redis.call('XRANGE', KEYS[1], '(' .. cursor, '+', 'COUNT', 1)
  if #rows == 0 then break end
  local size = 0
  for i = 2, #rows[1][2], 2 do size = size + #rows[1][2][i] end
  if #taken > 0 and used + size > tonumber(ARGV[3]) then break end
  used = used + size
  taken[#taken + 1] = rows[1]
  cursor = rows[1][1]
end
return taken
"""


def _entries(rows: list) -> list[tuple[bytes, dict[bytes, bytes]]]:
    """(id, fields) of each stream entry as the script returns it (fields as a flat list)."""
    return [(entry_id, dict(zip(flat[::2], flat[1::2]))) for entry_id, flat in rows]


def sse_event(entry_id: str, fields: dict[bytes, bytes]) -> bytes:
    """One SSE event from a live-stream entry (the JSON body is one line)."""
    return b"id: " + entry_id.encode() + b"\nevent: " + fields[b"signal"] + b"\ndata: " + fields[b"body"] + b"\n\n"


def stream_id(text: str) -> bool:
    """Whether ``text`` is an id a Redis stream can read after: ``<ms>`` or ``<ms>-<seq>``,
    each below 2^64, and not the largest id (nothing follows it). Past these Redis
    refuses the read, after the stream's answer has begun."""
    if _STREAM_ID.fullmatch(text) is None or any(len(part) > 20 for part in text.split("-")):  # int() stays cheap
        return False
    parts = [int(part) for part in text.split("-")]
    return all(part < 2 ** 64 for part in parts) and parts != [2 ** 64 - 1, 2 ** 64 - 1]


# What a stream entry id looks like, so the schema says which ids exist.
EVENT_ID_PATTERN = r"^[0-9]+(-[0-9]+)?$"


@router.get("/v1/stream", response_class=StreamingResponse, responses={
    200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}, "description": "the event stream"},
    **errors(400, 401, 403, 404, 422, 429, 431, 503,
             notes={400: "no subscription named (and the token names none), or a bad event id",
                    404: "no such subscription (or it has no feeds)",
                    503: "too many open streams (overall, per token or per subscription), or Redis is down"})})
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
    if resume is not None and not stream_id(resume):
        return JSONResponse({"error": "bad_event_id",
                             "detail": "Last-Event-ID must look like 1718000000000-0, each number below 2^64"},
                            status_code=400)
    key = SubscriptionKeys(request.app.state.keys.prefix).live(subscription)
    if resume is None:
        newest = await redis.xrevrange(key, count=1)
        resume = newest[0][0].decode() if newest else "0-0"
    settings = request.app.state.settings
    release = request.app.state.subscription_streams.take(subscription)
    if release is None:
        REJECTED.labels("503", "too_many_streams").inc()
        return JSONResponse({"error": "too_many_streams",
                             "detail": f"at most {settings.stream_max_per_subscription} concurrent streams per "
                                       f"subscription, and {subscription!r} has them"},
                            status_code=503, headers={"Retry-After": str(settings.retry_after_s)})
    read_by_size = redis.register_script(_READ_BY_SIZE)

    async def still_entitled() -> bool:
        if reader.token_sha256 is None:  # the admin key: only the subscription can go
            now = await store.get(subscription)
        else:
            now = await store.by_token_digest(reader.token_sha256)
        return now is not None and now.name == subscription and bool(now.outputs.feeds)

    async def events():
        cursor = resume
        yield b"retry: 3000\n\n"
        quiet_since = time.monotonic()
        while True:
            entries = _entries(await read_by_size(keys=[key], args=[cursor, READ_COUNT, READ_BUDGET_BYTES]))
            if not entries:
                # nothing yet: wait for the next one (short blocks: the Redis client's
                # socket timeout must not cut the wait)
                rows = await redis.xread({key: cursor}, count=1, block=BLOCK_MS)
                entries = rows[0][1] if rows else []
            if not entries:
                if time.monotonic() - quiet_since >= KEEPALIVE_S:
                    quiet_since = time.monotonic()
                    yield b": keepalive\n\n"
                continue
            for entry_id, fields in entries:
                cursor = entry_id.decode()
                yield sse_event(cursor, fields)
            quiet_since = time.monotonic()

    return EventStream(events(), still_entitled=still_entitled, revoked=REVOKED, recheck_s=RECHECK_S,
                       send_timeout_s=settings.stream_send_timeout_s, release=release,
                       headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
