"""Polling RSS/Atom feeds with conditional GET; the per-feed cursor lives in Redis."""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import httpx
from prometheus_client import Counter
from redis.asyncio import Redis

from services.ingest.settings import FeedSource
from shared.cache import Keys
from shared.errors import WireError
from shared.inbound import Submission

log = logging.getLogger(__name__)
POLLS = Counter("wire_ingest_feed_polls_total", "Feed polls by outcome", ["outcome"])

Submit = Callable[[bytes, str, str], Awaitable[Submission]]


async def poll_feed(feed: FeedSource, *, client: httpx.AsyncClient, redis: Redis, keys: Keys,
                    submit: Submit) -> str:
    """Fetch ``feed`` once and submit it when it changed. Returns the outcome:
    "not_modified" (304), "submitted", "fetch_failed" or "unreadable".

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
        response = await client.get(feed.url, headers=headers)
        if response.status_code == 304:
            outcome = "not_modified"
        else:
            response.raise_for_status()
            submission = await submit(response.content, response.headers.get("content-type", ""), feed.provider)
            cursor = {"etag": response.headers.get("etag", ""),
                      "last_modified": response.headers.get("last-modified", ""),
                      "items_sent": len(submission.sent), "last_error": ""}
            await redis.hset(cursor_key, mapping=cursor)
    except httpx.HTTPError as exc:
        outcome = "fetch_failed"
        await redis.hset(cursor_key, "last_error", f"fetch failed: {exc!r}")
    except WireError as exc:
        outcome = "unreadable"
        await redis.hset(cursor_key, "last_error", f"{exc.code}: {exc}")
    await redis.hset(cursor_key, "last_polled", str(time.time()))
    POLLS.labels(outcome).inc()
    if outcome in ("fetch_failed", "unreadable"):
        log.warning("feed poll failed", extra={"feed": feed.url, "outcome": outcome})
    return outcome


async def poll_feeds_forever(feeds: list[FeedSource], stop: asyncio.Event, **deps) -> None:
    """Poll every feed at its own interval until ``stop`` is set."""
    if not feeds:
        return
    async with httpx.AsyncClient(timeout=20, follow_redirects=True,
                                 headers={"User-Agent": "Wirestream feed poller"}) as client:
        next_due = {feed.url: 0.0 for feed in feeds}
        while not stop.is_set():
            for feed in feeds:
                if time.monotonic() >= next_due[feed.url]:
                    await poll_feed(feed, client=client, **deps)
                    next_due[feed.url] = time.monotonic() + feed.interval_s
            try:
                await asyncio.wait_for(stop.wait(), timeout=1.0)
            except asyncio.TimeoutError:
                pass
