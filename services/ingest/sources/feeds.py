"""Polling RSS/Atom feeds with conditional GET; the per-feed cursor lives in Redis.

Every fetch goes through the outbound guard (``shared.outbound``): a feed (or a
redirect it answers with) that leads to an internal address is refused, the body is
capped as received and decoded, and one deadline covers the whole poll. Nothing of a
refused or oversized answer is submitted or stored.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import httpx
from prometheus_client import Counter
from redis.asyncio import Redis

from services.ingest.settings import FeedSource, IngestSettings
from shared.cache import Keys
from shared.errors import WireError
from shared.inbound import Submission
from shared.outbound import (OutboundClient, OutboundError, OutboundLimits, OutboundPolicy, OutboundRefused,
                             ResponseTooLarge)
from shared.stopping import sleep_until

log = logging.getLogger(__name__)
POLLS = Counter("wire_ingest_feed_polls_total", "Feed polls by outcome", ["outcome"])

Submit = Callable[[bytes, str, str], Awaitable[Submission]]


def feed_client(settings: IngestSettings) -> OutboundClient:
    """The guarded client feed polling uses, with the settings' limits."""
    return OutboundClient(OutboundPolicy.allowing(settings.outbound_allowed_networks),
                          OutboundLimits(deadline_s=settings.feed_timeout_s, max_bytes=settings.feed_max_bytes,
                                         max_raw_bytes=settings.feed_max_bytes),
                          user_agent="Wirestream feed poller")


async def poll_feed(feed: FeedSource, *, client: OutboundClient, redis: Redis, keys: Keys,
                    submit: Submit) -> str:
    """Fetch ``feed`` once and submit it when it changed. Returns the outcome:
    "not_modified" (304), "submitted", "fetch_failed", "refused" (an internal
    address, also via a redirect), "too_large" or "unreadable".

    The cursor (ETag, Last-Modified) advances only after Kafka acknowledged the
    submission, so a crash re-fetches rather than skips. Never raises for a bad feed.
    """
    cursor_key = keys.feed_cursor(feed.url)
    etag, modified = await redis.hmget(cursor_key, "etag", "last_modified")
    headers = {}
    if etag:
        headers["If-None-Match"] = etag.decode()
    if modified:
        headers["If-Modified-Since"] = modified.decode()
    outcome = "submitted"
    try:
        answer = await client.fetch("GET", feed.url, headers=headers, follow_redirects=True)
        if answer.status == 304:
            outcome = "not_modified"
        elif not 200 <= answer.status < 300:
            outcome = "fetch_failed"
            await redis.hset(cursor_key, "last_error", f"fetch failed: HTTP {answer.status}")
        else:
            submission = await submit(answer.body, answer.headers.get("content-type", ""), feed.provider)
            cursor = {"etag": answer.headers.get("etag", ""),
                      "last_modified": answer.headers.get("last-modified", ""),
                      "items_sent": len(submission.sent), "last_error": ""}
            await redis.hset(cursor_key, mapping=cursor)
    except (httpx.HTTPError, OutboundError) as exc:
        outcome = ("refused" if isinstance(exc, OutboundRefused) else
                   "too_large" if isinstance(exc, ResponseTooLarge) else "fetch_failed")
        await redis.hset(cursor_key, "last_error", f"{outcome.replace('_', ' ')}: {type(exc).__name__}: {exc}"[:500])
    except WireError as exc:
        outcome = "unreadable"
        await redis.hset(cursor_key, "last_error", f"{exc.code}: {exc}")
    await redis.hset(cursor_key, "last_polled", str(time.time()))
    POLLS.labels(outcome).inc()
    if outcome not in ("submitted", "not_modified"):
        log.warning("feed poll failed", extra={"feed": feed.url, "outcome": outcome})
    return outcome


async def poll_feeds_forever(feeds: list[FeedSource], stop: asyncio.Event, *, client: OutboundClient,
                             **deps) -> None:
    """Poll every feed at its own interval until ``stop`` is set."""
    if not feeds:
        return
    next_due = {feed.url: 0.0 for feed in feeds}
    while not stop.is_set():
        for feed in feeds:
            if time.monotonic() >= next_due[feed.url]:
                await poll_feed(feed, client=client, **deps)
                next_due[feed.url] = time.monotonic() + feed.interval_s
        await sleep_until(stop, 1.0)
