"""Polling RSS/Atom feeds with conditional GET; the per-feed cursor lives in Redis.

Every fetch goes through the outbound guard (``shared.outbound``): a feed (or a
redirect it answers with) that leads to an internal address is refused, the body is
capped as received and decoded, and one deadline covers the whole poll. Nothing of a
refused or oversized answer is submitted or stored.

A feed server is not trusted with more than its feed: validators it answers with are
kept only when they can be sent back as they are, an item of another provider's story
is refused alone (the rest of the feed goes on), and a failure nobody foresaw is
recorded in that feed's cursor, never let out to stop the other feeds or ingest.

The feed's URL may carry its credentials, in its user info, its query or its path
(``https://wire.example/feeds/<token>/rss``): nothing the poller logs or stores shows
more of it than its ``url_reference`` — scheme, host and the first 16 hex digits of
the URL's SHA-256 (``shared.outbound.redact``) — beside the feed's provider. The
cursor's key is the whole digest (``Keys.feed_cursor``), so an operator tells the
feeds apart by host, provider and digest, and finds a configured feed's cursor with
``printf %s URL | sha256sum``. Errors quoting the URL have its secret pieces masked.

Every ingest replica runs every poller, and a feed is fetched by one of them per
interval: the first whose turn comes claims the round in Redis (:func:`claim_round`),
the others skip it. A feed is not asked N times as often because ingest runs N
replicas, and what it refuses is dead-lettered once, not once per replica. A poll that
fails gives its round up, for the next replica due to try.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import traceback
from collections.abc import Awaitable, Callable

import httpx
from prometheus_client import Counter
from redis.asyncio import Redis

from services.ingest.settings import FeedSource, IngestSettings
from shared.cache import Keys
from shared.errors import WireError, is_outage
from shared.heartbeat import record_error
from shared.inbound import Submission, refusal
from shared.outbound import (OutboundClient, OutboundError, OutboundLimits, OutboundPolicy, OutboundRefused,
                             ResponseTooLarge)
from shared.outbound.redact import name_library_urls, url_reference, without_url_secrets
from shared.rate_window import RateLimited, TooManyArticles
from shared import replica
from shared.replica import process_identity
from shared.stopping import sleep_until

log = logging.getLogger(__name__)
POLLS = Counter("wire_ingest_feed_polls_total", "Feed polls by outcome", ["outcome"])
REFUSED = Counter("wire_ingest_feed_items_refused_total", "Feed items refused: they change another provider's story")
CRASHES = Counter("wire_ingest_feed_crashes_total", "Feed polls ended by an unforeseen error, by whether a store "
                  "was unreachable", ["outage"])
# Longest wait between polls of a feed that keeps failing in an unforeseen way
# (its own interval when that is longer).
MAX_BACKOFF_S = 300.0
# Shortest time between two polls of a feed, whatever its interval says (its round's
# claim is given back once 0.9 of a tiny interval passed: it does not space them).
MIN_POLL_GAP_S = 1.0
# A validator longer than this is no ETag or date a server means to have sent back.
VALIDATOR_MAX_CHARS = 1024
# A feed's payload dead-lettered for its refused items alone, at most this often.
REFUSAL_LETTER_EVERY_S = 3600.0

Submit = Callable[[bytes, str, str], Awaitable[Submission]]
# Sends a payload whose only items to tell of are refused ones, for ingest to
# dead-letter (shared.inbound.send_submission with refusals_alone).
DeadLetter = Callable[[bytes, str, str, Submission], Awaitable[None]]


def _seconds(value: bytes | None) -> float:
    """A time stamp from the cursor (0 when absent or unreadable)."""
    try:
        return float(value or 0)
    except ValueError:
        return 0.0


def feed_client(settings: IngestSettings) -> OutboundClient:
    """The guarded client feed polling uses, with the settings' limits. httpx logs each
    request's URL at INFO: from here on it logs the URL's reference instead."""
    name_library_urls()
    return OutboundClient(OutboundPolicy.allowing(settings.outbound_allowed_networks),
                          OutboundLimits(deadline_s=settings.feed_timeout_s, max_bytes=settings.feed_max_bytes,
                                         max_raw_bytes=settings.feed_max_bytes),
                          user_agent="Wirestream feed poller")


class FeedPollCrashed(WireError):
    """A poll ended by an error nobody foresaw (recorded for ``wire status``; its
    message names the feed by its reference and gives the original error, scrubbed)."""

    code = "feed_poll_crashed"


def usable_validator(value: str | bytes | None) -> str:
    """``value`` when it can be sent back as a request header as it is — printable
    ASCII, at most VALIDATOR_MAX_CHARS — else "". The feed server chooses its ETag and
    Last-Modified; one that cannot be sent back would fail every later poll of the
    feed, and a validator is only an optimisation: without one the feed is fetched whole."""
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")  # a not-ASCII byte becomes U+FFFD: refused below
    if not value or len(value) > VALIDATOR_MAX_CHARS or not (value.isascii() and value.isprintable()):
        return ""
    return value


async def poll_feed(feed: FeedSource, *, client: OutboundClient, redis: Redis, keys: Keys,
                    submit: Submit, dead_letter: DeadLetter | None = None) -> str:
    """Fetch ``feed`` once and submit it when it changed. Returns the outcome:
    "not_modified" (304), "submitted", "fetch_failed", "refused" (an internal
    address, also via a redirect), "too_large" or "unreadable".

    The cursor (ETag, Last-Modified) advances only after Kafka acknowledged the
    submission, so a crash re-fetches rather than skips. Items that change another
    provider's story, or that cannot be a story (a uri or a list too long), are refused alone:
    the cursor's ``items_refused`` and ``last_error`` name them, the rest of the feed
    goes on (ingest dead-letters the refused ones when the feed is sent with them).
    A feed whose only new items are refused is sent anyway with ``dead_letter``, for
    ingest to dead-letter, unless its refusals are the ones this feed's last poll
    already gave the DLQ (``refusal_digest`` in the cursor), and at most once an hour
    (``refusal_lettered_at``): a feed flapping between versions, or making up a new
    absurd guid at every poll, does not put a payload in the DLQ at every poll.
    Never raises for a bad feed; Redis errors (and whatever ``submit`` raises beyond
    the errors named) do raise.
    """
    cursor_key = keys.feed_cursor(feed.url)
    shown = url_reference(feed.url)
    etag, modified, reported, letter_at = await redis.hmget(cursor_key, "etag", "last_modified", "refusal_digest",
                                                            "refusal_lettered_at")
    etag, modified = usable_validator(etag), usable_validator(modified)
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if modified:
        headers["If-Modified-Since"] = modified
    outcome = "submitted"
    try:
        answer = await client.fetch("GET", feed.url, headers=headers, follow_redirects=True)
        if answer.status == 304:
            outcome = "not_modified"
        elif not 200 <= answer.status < 300:
            outcome = "fetch_failed"
            await redis.hset(cursor_key, "last_error", f"fetch failed: HTTP {answer.status}")
        else:
            content_type = answer.headers.get("content-type", "")
            submission = await submit(answer.body, content_type, feed.provider)
            refused, unfit, digest = submission.refused, submission.unfit, submission.refusal_digest
            lettered = bool(digest and submission.sent)  # sent with them: ingest dead-letters them
            if (dead_letter is not None and digest and not submission.sent
                    and digest != (reported or b"").decode("ascii", "replace")
                    and time.time() - _seconds(letter_at) >= REFUSAL_LETTER_EVERY_S):
                await dead_letter(answer.body, content_type, feed.provider, submission)
                lettered = True
            why = refusal(feed.provider, [uri[:200] for uri in refused[:20]], unfit)
            cursor = {"etag": usable_validator(answer.headers.get("etag")),
                      "last_modified": usable_validator(answer.headers.get("last-modified")),
                      "items_sent": len(submission.sent), "items_refused": len(refused) + len(unfit),
                      "last_error": f"{len(refused) + len(unfit)} item(s) refused: {why.code}: {why}"[:500]
                      if why else ""}
            if lettered:  # what the DLQ was last given, and when
                cursor |= {"refusal_digest": digest, "refusal_lettered_at": str(time.time())}
            await redis.hset(cursor_key, mapping=cursor)
            if refused or unfit:
                REFUSED.inc(len(refused) + len(unfit))
                log.warning("feed items refused: they change another provider's story, or cannot be a story",
                            extra={"feed": shown, "provider": feed.provider,
                                   "refused": [uri[:200] for uri in refused[:20]], "unfit": unfit[:5],
                                   "sent": len(submission.sent)})
    except (httpx.HTTPError, OutboundError) as exc:
        outcome = ("refused" if isinstance(exc, OutboundRefused) else
                   "too_large" if isinstance(exc, ResponseTooLarge) else "fetch_failed")
        error = f"{outcome.replace('_', ' ')}: {type(exc).__name__}: {exc}"
        await redis.hset(cursor_key, "last_error", without_url_secrets(error, feed.url)[:500])
    except (RateLimited, TooManyArticles) as exc:  # nothing sent nor advanced: the next poll fetches it again
        outcome = "rate_limited"
        await redis.hset(cursor_key, "last_error", f"{exc.code}: {exc}"[:500])
    except WireError as exc:
        outcome = "unreadable"
        await redis.hset(cursor_key, "last_error", without_url_secrets(f"{exc.code}: {exc}", feed.url)[:500])
    # what names the feed, at every poll: it replaces what an older poller wrote there
    await redis.hset(cursor_key, mapping={"feed": shown, "provider": feed.provider, "last_polled": str(time.time())})
    POLLS.labels(outcome).inc()
    if outcome not in ("submitted", "not_modified"):
        log.warning("feed poll failed", extra={"feed": shown, "provider": feed.provider, "outcome": outcome})
    return outcome


async def take_over_legacy_cursor(feed: FeedSource, *, redis: Redis, keys: Keys) -> None:
    """Clear what older pollers left of ``feed``'s URL in Redis: a cursor kept under
    the URL in clear (before cursors were named by a digest) has its validators moved
    to the feed's cursor, unless that has its own, and is deleted whatever it holds
    (its very name holds the URL's credentials); the cursor's ``feed`` and
    ``last_error``, written with the URL's path in clear, are rewritten without it.
    Raises what Redis raises."""
    legacy = keys.legacy_feed_cursor(feed.url)
    cursor_key = keys.feed_cursor(feed.url)
    old = await redis.hgetall(legacy)
    if old:
        etag, modified = old.get(b"etag"), old.get(b"last_modified")
        if (etag is not None or modified is not None) \
                and await redis.hmget(cursor_key, "etag", "last_modified") == [None, None]:
            await redis.hset(cursor_key, mapping={"etag": usable_validator(etag),
                                                  "last_modified": usable_validator(modified)})
        await redis.delete(legacy)
    shown, error = await redis.hmget(cursor_key, "feed", "last_error")
    cleaned = {}
    if shown is not None and shown != url_reference(feed.url).encode():
        cleaned["feed"] = url_reference(feed.url)
    if error:
        scrubbed = without_url_secrets(error.decode("utf-8", "replace"), feed.url)
        if scrubbed.encode() != error:
            cleaned["last_error"] = scrubbed
    if cleaned:
        await redis.hset(cursor_key, mapping=cleaned)


async def record_crash(feed: FeedSource, exc: Exception, *, redis: Redis, keys: Keys) -> None:
    """Log an unforeseen failure of polling ``feed`` (named by its reference, the
    error scrubbed of the URL's secrets) and, when Redis lets it, make it the feed's
    ``last_error``. Never raises."""
    outage = is_outage(exc)
    CRASHES.labels(str(outage).lower()).inc()
    shown = url_reference(feed.url)
    error = without_url_secrets(f"{type(exc).__name__}: {exc}", feed.url)
    record_error("ingest", FeedPollCrashed(f"feed {shown} ({feed.provider}): {error}"))
    if outage:  # Redis or Kafka down: no fault of the feed, and no cursor to write to
        log.warning("feed not polled: a store is unreachable",
                    extra={"feed": shown, "provider": feed.provider, "error": error})
        return
    log.error("feed poll crashed", extra={
        "feed": shown, "provider": feed.provider, "error": error,
        "traceback": without_url_secrets("".join(traceback.format_exception(exc)), feed.url)})
    try:
        await redis.hset(keys.feed_cursor(feed.url), mapping={"last_error": f"crashed: {error}"[:500],
                                                              "last_polled": str(time.time())})
    except Exception as again:  # noqa: BLE001 - the log above already says what happened
        log.warning("feed failure not recorded in its cursor",
                    extra={"feed": shown, "provider": feed.provider,
                           "error": without_url_secrets(repr(again), feed.url)})


# A round's claim lasts this share of the feed's interval from when it was taken: the
# replica that polled comes back after a whole interval and finds it expired (so one
# replica alone polls at its interval, as before), and the others, due at other
# moments, find it held.
CLAIM_SHARE = 0.9
# While a poll runs its claim is held for the fetch's deadline and this much more (the
# parse and Kafka's acknowledgement of the submission), however short the interval: no
# other replica fetches the feed with the cursor this poll is about to advance.
SUBMIT_ALLOWANCE_S = 60.0
# Outcomes after which the round is kept (the feed answered; a rate-limited one would only be
# fetched and parsed again by the next replica due, to the same end).
GOOD_OUTCOMES = ("submitted", "not_modified", "rate_limited")


async def claim_round(feed: FeedSource, *, redis: Redis, keys: Keys, owner: str, hold_s: float) -> bool:
    """Whether this replica (``owner``) polls ``feed`` now: the first to ask does, and
    the round is its own for ``hold_s`` (the poll's longest) or ``CLAIM_SHARE`` of the
    interval, whichever is longer, until :func:`end_round` cuts it."""
    return await replica.claim(redis, keys.feed_claim(feed.url), owner,
                               ttl_ms=int(max(feed.interval_s * CLAIM_SHARE, hold_s) * 1000))


async def end_round(feed: FeedSource, *, redis: Redis, keys: Keys, owner: str, claimed_at: float,
                    polled: bool) -> None:
    """After this replica's poll: a good one keeps the round to ``CLAIM_SHARE`` of the
    interval from ``claimed_at`` (monotonic); a failed one gives it up at once, so the
    next replica due tries the feed (the failure may be this replica's: its network, its
    DNS). A claim that expired and was taken by another replica meanwhile is left alone."""
    left_ms = int((claimed_at + feed.interval_s * CLAIM_SHARE - time.monotonic()) * 1000)
    await replica.renew(redis, keys.feed_claim(feed.url), owner, ttl_ms=left_ms if polled else 0)


async def poll_feeds_forever(feeds: list[FeedSource], stop: asyncio.Event, *, client: OutboundClient,
                             redis: Redis, keys: Keys, submit: Submit, dead_letter: DeadLetter | None = None,
                             concurrency: int = 8) -> None:
    """Poll every feed at its own interval until ``stop`` is set. Each feed has its own
    loop, and at most ``concurrency`` polls run at once: a feed server that answers
    slowly (up to the fetch's deadline) holds one of them, not every other feed's turn.
    A feed whose poll fails in a way nobody foresaw (a Redis outage included) has it
    logged and recorded and is polled again later, backing off while it keeps failing;
    the other feeds and ingest go on. Never raises but for cancellation."""
    if not feeds:
        return
    owner = process_identity()
    hold_s = client.limits.deadline_s + SUBMIT_ALLOWANCE_S
    taken_over: set[str] = set()
    # Every old cursor goes before the first poll (an old key's very name holds its URL
    # in clear); one that fails here is tried again, and recorded, before that feed's poll.
    for feed in feeds:
        try:
            await take_over_legacy_cursor(feed, redis=redis, keys=keys)
            taken_over.add(feed.url)
        except Exception:  # noqa: BLE001 - retried in the loop, where a failure is recorded
            pass
    slots = asyncio.Semaphore(max(1, concurrency))

    async def poll_once(feed: FeedSource) -> None:
        if feed.url not in taken_over:
            await take_over_legacy_cursor(feed, redis=redis, keys=keys)
            taken_over.add(feed.url)
        claimed_at = time.monotonic()
        if await claim_round(feed, redis=redis, keys=keys, owner=owner, hold_s=hold_s):
            try:
                outcome = await poll_feed(feed, client=client, redis=redis, keys=keys, submit=submit,
                                          dead_letter=dead_letter)
            except BaseException:
                with contextlib.suppress(Exception):
                    await end_round(feed, redis=redis, keys=keys, owner=owner, claimed_at=claimed_at, polled=False)
                raise
            await end_round(feed, redis=redis, keys=keys, owner=owner, claimed_at=claimed_at,
                            polled=outcome in GOOD_OUTCOMES)

    async def keep_polling(feed: FeedSource) -> None:
        failures = 0
        while not stop.is_set():
            delay = feed.interval_s
            try:
                async with slots:
                    if stop.is_set():
                        return
                    await poll_once(feed)
                failures = 0
            except Exception as exc:  # noqa: BLE001 - one feed must never stop the others, nor ingest
                failures += 1
                delay = min(feed.interval_s * 2 ** (failures - 1), max(feed.interval_s, MAX_BACKOFF_S))
                await record_crash(feed, exc, redis=redis, keys=keys)
            await sleep_until(stop, max(delay, MIN_POLL_GAP_S))

    async with asyncio.TaskGroup() as polls:
        for feed in feeds:
            polls.create_task(keep_polling(feed))
