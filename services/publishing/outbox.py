"""Webhook delivery: one worker per subscription, draining that subscription's
outbox (a Redis stream written in the same transaction as the item).

A worker runs in its own task, so a slow or failing endpoint never slows the
consume loop or the other subscribers. An entry leaves the outbox only once it was
delivered, refused (4xx other than 408/429: not retried) or dead-lettered after the
last attempt; a worker stopped mid-way re-reads its pending entries on start, so a
restart loses nothing (a receiver may see an item twice: ``X-Wire-Delivery`` is
stable, dedupe on it). Every attempt is written to the delivery log. After
``webhook_breaker_threshold`` deliveries in a row failed for good, the endpoint is
paused for ``webhook_breaker_cooldown_s`` (circuit breaker) and its items wait.
Whatever goes wrong within one attempt (an answer no parser expected, a URL sealed
under another key) is a failed attempt like a 503: retried, then dead-lettered with
the error; the worker never dies on an entry only to read it again.
Before each POST the worker makes sure it holds the subscription as it is now (one
read of the version counter): an entry queued under a filter narrowed since is
dropped, however recently the change was made.

An outbox holds about ``outbox_max`` entries and ``outbox_max_bytes`` bytes of items at
most (the bytes are counted by the write that queues an entry and the acknowledgement
that takes it out): past either, the newest but the one being delivered go to the
webhook DLQ (reason ``outbox_full``) and leave it,
checked before every attempt and every second of a wait (Retry-After, backoff, an
open circuit); it may pass the bound by what arrives during one attempt. A receiver
that stays down or slow cannot fill Redis for everyone, and nothing leaves the
outbox unrecorded: every entry is delivered, refused, dropped for a filter narrowed
since, or dead-lettered with its reason.

With several publishing replicas every one runs a worker per subscription, but
only the holder of the subscription's lease (:mod:`services.publishing.lease`) delivers: one
replica at a time drains a queue, so a story's versions reach the endpoint in
order. The holder checks the lease before each POST and acknowledges under it
(fenced), renews it while working and releases it on shutdown; when it dies the
lease expires after ``lease_ms`` and another replica takes the queue over,
starting with the entries the dead one had read but not acknowledged.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from urllib.parse import quote

import httpx
import orjson
from redis.exceptions import ResponseError

from services.publishing.metrics import BREAKER_OPEN, WEBHOOK_ATTEMPTS, WEBHOOK_DEAD, WEBHOOK_SECONDS
from services.publishing.settings import PublishingSettings
from shared.credentials import signing_secret
from shared.outbound.redact import without_url
from services.publishing.webhooks import Attempt, Outcome, backoff_s, post, target_url
from services.publishing.lease import Lease
from shared.replica import process_identity
from shared.stopping import sleep_until
from shared.subscriptions import Subscription, SubscriptionKeys, SubscriptionStore

log = logging.getLogger(__name__)

GROUP = b"webhooks"
# One consumer name for every replica: the lease makes its user exclusive, and a
# new holder's "pending" entries are exactly those its predecessor left in flight.
CONSUMER = b"publishing"
# Takes an entry out of the outbox (KEYS[2]) and its body's bytes (ARGV[4]) off the
# count (KEYS[3]), once however often it is acknowledged. The count never goes below
# zero (entries queued before it was kept were never counted) and starts again from
# nothing whenever the outbox is empty: whatever it lost or gained on the way (an ack
# by a replica of an older release, which does not count) does not outlive the backlog.
_ACK = """
redis.call('XACK', KEYS[2], ARGV[2], ARGV[3])
if redis.call('XDEL', KEYS[2], ARGV[3]) == 1 and redis.call('DECRBY', KEYS[3], ARGV[4]) < 0 then
  redis.call('SET', KEYS[3], 0)
end
if redis.call('XLEN', KEYS[2]) == 0 then redis.call('DEL', KEYS[3]) end
return 1
"""
# Longest sleep between two looks at the outbox's length while a worker waits.
SHED_EVERY_S = 1.0
# Overflowing entries dead-lettered per look (then it looks again).
SHED_BATCH = 100


class WebhookWorker:
    def __init__(self, subscription: Subscription, *, redis, keys: SubscriptionKeys, client: httpx.AsyncClient,
                 dead_letter, settings: PublishingSettings, owner: str | None = None) -> None:
        self.subscription = subscription  # replaced in place when the subscription changes
        self.version: int | None = None  # the subscriptions' version ``subscription`` is known to be of
        self.redis = redis
        self.keys = keys
        self.store = SubscriptionStore(redis, keys.p)
        self.client = client
        self.dead_letter = dead_letter  # async (subscription, fields, attempt, reason) -> None
        self.settings = settings
        self.name = subscription.name
        self.failures = 0
        self.open_until = 0.0
        self._in_hand: bytes | None = None  # the entry being delivered
        self._shed: set[bytes] = set()      # entries of the batch in hand dead-lettered as overflow
        self.lease = Lease(redis, keys.outbox_lease(self.name), owner=owner or process_identity(settings.replica),
                           ttl_ms=settings.lease_ms)

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set, whenever this replica holds the queue's lease."""
        try:
            while not stop.is_set():
                if not await self.lease.acquire():
                    await sleep_until(stop, self.lease.ttl_ms / 3000)
                    continue
                lost = asyncio.Event()
                keeper = asyncio.create_task(self.lease.keep(stop, lost))
                try:
                    await self._drain(lost)
                finally:
                    lost.set()
                    keeper.cancel()
                    await asyncio.gather(keeper, return_exceptions=True)
        finally:
            await self.lease.release()

    async def _drain(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` (shutdown or a lost lease). Pending entries (read
        before a restart or a handover but never acknowledged) go first, then new
        ones in order."""
        outbox = self.keys.outbox(self.name)
        await self._create_group()
        await self._load_breaker()
        cursor = b"0"
        while not stop.is_set():
            try:
                batch = await self.redis.xreadgroup(GROUP, CONSUMER, {outbox: cursor}, count=20,
                                                    block=None if cursor == b"0" else 1000)
            except ResponseError as exc:
                if "NOGROUP" not in str(exc):
                    raise
                # the subscription was deleted and made again: a new, empty outbox
                await self._create_group()
                cursor = b"0"
                continue
            entries = batch[0][1] if batch else []
            self._shed.clear()
            if cursor == b"0" and not entries:
                cursor = b">"  # the backlog is done: from now on only new entries
                continue
            for entry_id, fields in entries:
                if stop.is_set():
                    return
                if entry_id in self._shed:  # read with the batch, since gone to the DLQ as overflow
                    continue
                if not fields:  # deleted from the stream while pending
                    await self.redis.xack(outbox, GROUP, entry_id)
                    continue
                # an entry read back from the pending list was in flight before a restart
                # or a handover: it may have reached the endpoint already
                await self.deliver(entry_id, fields, stop, in_flight_before=cursor == b"0")

    async def _create_group(self) -> None:
        try:
            await self.redis.xgroup_create(self.keys.outbox(self.name), GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def deliver(self, entry_id: bytes, fields: dict[bytes, bytes], stop: asyncio.Event, *,
                      in_flight_before: bool = False) -> None:
        """Deliver one outbox entry under the retry policy, then acknowledge it. A POST
        that may repeat an earlier one (a retry, or an entry left in flight by a dead
        or restarted holder) says so with ``X-Wire-Redelivery: true``."""
        attempt, self._in_hand = 0, entry_id
        while True:
            await self._wait_while_open(stop)
            if stop.is_set():
                return  # stays pending: re-read on the next start
            if not await self.lease.still_held():
                return  # another replica owns the queue now: it re-reads the entry
            await self._shed_overflow()
            attempt += 1
            sub = await self._current()
            if sub is None or sub.outputs.webhook is None:
                break  # the subscription or its webhook was removed meanwhile
            if not _still_taken(sub, fields):
                break  # queued under a filter since narrowed: the subscriber is no longer entitled to it
            result = await self._attempt(sub, fields, redelivery=in_flight_before or attempt > 1)
            WEBHOOK_ATTEMPTS.labels(self.name, result.outcome.value).inc()
            WEBHOOK_SECONDS.labels(self.name).observe(result.duration_ms / 1000)
            last = attempt >= self.settings.webhook_max_attempts
            if result.outcome is Outcome.DELIVERED:
                # acknowledged first: the window in which a death makes the next holder
                # send it again is one Redis round trip after the response
                await self._acknowledge(entry_id, fields)
                await self._log(fields, attempt, result, "delivered")
                await self._breaker(success=True)
                return
            if result.outcome is Outcome.REJECTED:
                await self._log(fields, attempt, result, "rejected")
                await self._dead_letter(fields, attempt, result, "rejected")
                break
            if last:
                await self._log(fields, attempt, result, "dead_lettered")
                await self._dead_letter(fields, attempt, result, "exhausted")
                await self._breaker(success=False)
                break
            delay = backoff_s(attempt, base=self.settings.webhook_backoff_s, cap=self.settings.webhook_backoff_max_s)
            if result.retry_after is not None:
                delay = min(max(delay, result.retry_after), self.settings.webhook_retry_after_max_s)
            await self._log(fields, attempt, result, "retrying", retry_in_s=round(delay, 3))
            if await self._pause(stop, delay):
                return  # stopping: the entry stays pending
        await self._acknowledge(entry_id, fields)

    async def _attempt(self, sub: Subscription, fields: dict[bytes, bytes], *, redelivery: bool) -> Attempt:
        """One signed POST of the entry to ``sub``'s webhook. Never raises: whatever goes
        wrong on the way (a URL or secret sealed under another key, an answer no parser
        expected) is a failed attempt with the error, retried and in the end dead-lettered,
        rather than a worker that dies on the entry and reads it again forever."""
        started, url = time.perf_counter(), None
        try:
            url = target_url(sub.outputs.webhook, self.settings)
            result = await post(self.client, url, signing_secret(sub.outputs.webhook, self.settings),
                                fields[b"body"], headers=_headers(fields, redelivery=redelivery))
        except Exception as exc:  # noqa: BLE001 - one entry's failure must not stop the outbox
            log.warning("webhook attempt failed unexpectedly", exc_info=True,
                        extra={"subscription": self.name, "article_uri": field_text(fields, b"uri")})
            result = Attempt(Outcome.RETRY, None, f"unexpected: {type(exc).__name__}: {exc}"[:300], None,
                             (time.perf_counter() - started) * 1000)
        # an error may quote the URL, which may hold the webhook's secret
        return replace(result, error=without_url(result.error, url)) if result.error and url else result

    async def _pause(self, stop: asyncio.Event, seconds: float) -> bool:
        """Wait ``seconds`` (a backoff, a Retry-After, an open circuit), keeping the outbox
        within its bound meanwhile. Returns True when ``stop`` was set."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if await sleep_until(stop, min(left, SHED_EVERY_S)):
                return True
            await self._shed_overflow()
        return stop.is_set()

    async def _shed_overflow(self) -> None:
        """Dead-letter (reason ``outbox_full``) the newest entries past ``outbox_max``
        (never the one being delivered) and take them out of the outbox; those read with
        the batch in hand are skipped when their turn comes. One queued under a filter
        narrowed since leaves without a DLQ record, as it would have at its turn."""
        outbox, most, most_bytes = self.keys.outbox(self.name), self.settings.outbox_max, self.settings.outbox_max_bytes
        while True:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.xlen(outbox)
                pipe.get(self.keys.outbox_bytes(self.name))
                length, size = await pipe.execute()
            excess, bytes_over = length - most, int(size or 0) - most_bytes
            if excess <= 0 and bytes_over <= 0:
                return
            # a few at a time: the entries may be 8 MiB each, and one or two often cover the bytes
            newest = await self.redis.xrevrange(outbox, count=min(SHED_BATCH, max(excess, 0) + 2))
            overflow = []
            for entry_id, fields in newest:  # the newest first, until both excesses are gone
                if excess <= 0 and bytes_over <= 0:
                    break
                if entry_id != self._in_hand:
                    overflow.append((entry_id, fields))
                    excess, bytes_over = excess - 1, bytes_over - len(fields.get(b"body", b""))
            overflow.reverse()
            sub = await self._current()
            if not overflow or sub is None or sub.outputs.webhook is None or not await self.lease.still_held():
                return
            full = Attempt(Outcome.REJECTED, None, f"outbox full: more than {most} entries or {most_bytes} bytes "
                           "of items queued", None, 0.0)
            for entry_id, fields in overflow:
                if _still_taken(sub, fields):
                    await self._log(fields, 0, full, "dead_lettered")
                    await self._dead_letter(fields, 0, full, "outbox_full")
                if not await self._acknowledge(entry_id, fields):
                    return  # the lease is lost: the new holder sees to the rest
                self._shed.add(entry_id)

    async def _current(self) -> Subscription | None:
        """The subscription as it is now (None: deleted), re-read when the subscriptions'
        version moved since the copy in hand: a filter narrowed a moment ago applies to
        the very next POST, not only once publishing's cache reloads."""
        version = await self.store.version()
        if version != self.version:
            current = await self.store.get(self.name)
            if current is None:
                return None
            self.subscription, self.version = current, version
        return self.subscription

    async def _acknowledge(self, entry_id: bytes, fields: dict[bytes, bytes]) -> bool:
        """Take the entry (its ``fields`` as read) out of the outbox under the lease; False
        when the lease was lost."""
        if await self.lease.fenced(_ACK, [self.keys.outbox(self.name), self.keys.outbox_bytes(self.name)],
                                   [GROUP, entry_id, len(fields.get(b"body", b""))]) is None:
            log.warning("lease lost before the acknowledgement; the new holder delivers again",
                        extra={"subscription": self.name, "entry": entry_id.decode()})
            return False
        return True

    async def _dead_letter(self, fields, attempt: int, result: Attempt, reason: str) -> None:
        WEBHOOK_DEAD.labels(self.name, reason).inc()
        while True:
            try:
                await self.dead_letter(self.subscription, fields, attempt, result, reason)
                return
            except Exception as exc:  # noqa: BLE001 - Kafka down: keep the entry, try again
                log.error("webhook DLQ unreachable, retrying", extra={"subscription": self.name, "error": repr(exc)})
                await asyncio.sleep(1.0)

    async def _log(self, fields, attempt: int, result: Attempt, outcome: str, **extra) -> None:
        entry = {"at": time.time(), "article_id": field_text(fields, b"article_id"),
                 "uri": field_text(fields, b"uri"), "version": field_text(fields, b"version"),
                 "signal": field_text(fields, b"signal"), "attempt": attempt,
                 "outcome": outcome, "http_status": result.status, "error": result.error,
                 "duration_ms": round(result.duration_ms, 2), **extra}
        await self.redis.xadd(self.keys.log(self.name), {"entry": orjson.dumps(entry)},
                              maxlen=self.settings.delivery_log_size, approximate=True)
        log.info("webhook attempt", extra={"subscription": self.name, **entry})

    async def _load_breaker(self) -> None:
        state = await self.redis.hgetall(self.keys.breaker(self.name))
        self.failures = int(state.get(b"failures", 0))
        self.open_until = float(state.get(b"open_until", 0) or 0)

    async def _breaker(self, *, success: bool) -> None:
        self.failures = 0 if success else self.failures + 1
        opened = not success and self.failures >= self.settings.webhook_breaker_threshold
        if opened:
            self.open_until = time.time() + self.settings.webhook_breaker_cooldown_s
            log.warning("webhook paused (circuit open)", extra={"subscription": self.name,
                                                                 "until": self.open_until})
        state = "open" if opened else "closed"
        BREAKER_OPEN.labels(self.name).set(1 if opened else 0)
        await self.redis.hset(self.keys.breaker(self.name), mapping={
            "state": state, "failures": self.failures, "open_until": self.open_until if opened else 0})

    async def _wait_while_open(self, stop: asyncio.Event) -> None:
        wait = self.open_until - time.time()
        if wait > 0:
            await self._pause(stop, wait)
            # half-open: the next attempt decides
            await self.redis.hset(self.keys.breaker(self.name), "state", "half-open")
            BREAKER_OPEN.labels(self.name).set(0)


def _still_taken(sub: Subscription, fields: dict[bytes, bytes]) -> bool:
    """Whether ``sub``'s filter, as it is now, still takes an outbox entry queued under
    its filter then. A kill notice goes to whoever was sent the story; an entry from
    before entries named their provider, or whose body is not a ninjs object, is
    delivered (or dead-lettered) as it was queued."""
    provider = fields.get(b"provider")
    if provider is None or fields.get(b"signal") == b"kill":
        return True
    try:
        return sub.filter.matches(orjson.loads(fields[b"body"]), provider.decode())
    except Exception:  # noqa: BLE001 - publishing wrote it: never expected, and never a reason to stop
        log.warning("outbox entry not readable by the filter", exc_info=True, extra={"subscription": sub.name})
        return True


def field_text(fields: dict[bytes, bytes], name: bytes) -> str:
    """A stored field as text ('' when absent): the log and the DLQ describe any entry."""
    return fields.get(name, b"").decode("utf-8", "replace")


def _header_value(raw: bytes) -> str:
    """A stored field as an HTTP header value: a uri may hold any character
    (``urn:x:café``, a Hangul guid) but a header only printable ASCII, so the rest
    is percent-encoded as UTF-8, the IRI-to-URI mapping of RFC 3987 (an ASCII uri
    is sent unchanged)."""
    return quote(raw.decode("utf-8", "replace"), safe=_PRINTABLE_ASCII)


_PRINTABLE_ASCII = "".join(chr(c) for c in range(0x21, 0x7F))


def _headers(fields: dict[bytes, bytes], *, redelivery: bool = False) -> dict[str, str]:
    signal, uri, version, article_id = (_header_value(fields.get(k, b"")) for k in (b"signal", b"uri", b"version",
                                                                                    b"article_id"))
    # The delivery id names the story by its article id (a digest of its exact uri): two
    # uris whose header forms are equal ("café" and "caf%C3%A9") never share one.
    return {"X-Wire-Redelivery": "true" if redelivery else "false", "X-Wire-Signal": signal,
            "X-Wire-Article-Id": article_id, "X-Wire-Uri": uri, "X-Wire-Version": version,
            "X-Wire-Delivery": f"{article_id}@{version}:{signal}"}
