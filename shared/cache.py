"""Redis client helpers and the key names shared by the services that use Redis."""
from __future__ import annotations

import hashlib

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError


def connect(url: str, *, timeout_s: float | None = None, retries: int = 3,
            max_connections: int | None = None) -> Redis:
    """An asyncio Redis client (bytes in, bytes out; pooled). A command that meets a
    dropped connection (e.g. after a Redis restart) is retried on a fresh one.

    ``timeout_s`` bounds connecting and each reply (a paused Redis then raises
    TimeoutError instead of stalling the caller); None waits forever, for workers
    whose blocking reads wait longer. ``max_connections`` caps the pool (a command
    past it raises ConnectionError "Too many connections")."""
    return Redis.from_url(
        url,
        decode_responses=False,
        health_check_interval=30,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), retries=retries),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        **({"max_connections": max_connections} if max_connections else {}),
    )


class Keys:
    """Every Redis key name the services use, namespaced by the deployment's prefix
    like the topics (``<topic prefix>wire:…``). Build keys here only: a key spelt in
    two places drifts, and Lua scripts get theirs through KEYS built from these."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = f"{prefix}wire:"

    @classmethod
    def with_key_prefix(cls, key_prefix: str) -> "Keys":
        """The registry whose ``prefix`` is ``key_prefix`` (a ``Keys(p).prefix``)."""
        keys = cls()
        keys.prefix = key_prefix
        return keys

    # --- stories and submissions (gateway, ingest) -------------------------------

    def story(self, uri: str) -> str:
        """Hash: the story registry's state of ``uri`` (version, content hash, owner)."""
        return f"{self.prefix}story:{uri}"

    def rate(self, provider: str, window: int) -> str:
        return f"{self.prefix}rate:{provider}:{window}"

    def reads(self, subscription: str, window: int) -> str:
        return f"{self.prefix}reads:{subscription}:{window}"

    def idempotency(self, provider: str, key: str) -> str:
        return f"{self.prefix}idem:{provider}:{key}"

    def inbound_fate(self, event_id: str) -> str:
        """String: whether ingest claimed or the gateway withdrew a submission."""
        return f"{self.prefix}inbound-fate:{event_id}"

    def auth_failures(self, address: str, minute: int) -> str:
        return f"{self.prefix}authfail:{address}:{minute}"

    def feed_cursor(self, url: str) -> str:
        """Hash: a polled feed's cursor (etag, last_modified, last_polled, last_error…).
        Named by a digest of the URL: the URL may carry the feed's credentials."""
        return f"{self.prefix}feed:sha256:{hashlib.sha256(url.encode()).hexdigest()}"

    def drop_claim(self, digest: str) -> str:
        """String: which ingest replica reads a drop-folder file (by a digest of the
        folder, the name and the file's size and mtime)."""
        return f"{self.prefix}drop-claim:{digest}"

    def feed_claim(self, url: str) -> str:
        """String: which ingest replica polls the feed this round (expires within its interval)."""
        return f"{self.prefix}feed-claim:sha256:{hashlib.sha256(url.encode()).hexdigest()}"

    def legacy_feed_cursor(self, url: str) -> str:
        """The cursor's name before it was a digest (the URL in clear): read once by
        the poller, which takes its validators over and deletes it."""
        return f"{self.prefix}feed:{url}"

    # --- the read model (publishing writes, the gateway reads) --------------------

    def article(self, article_id: str) -> str:
        """Hash: version, item, meta, digest, state ("live" | "killed"), root."""
        return f"{self.prefix}article:{article_id}"

    def recent(self) -> str:
        return f"{self.prefix}recent"

    def published(self) -> str:
        """Sorted set of live item ids, score = ms published (the query index)."""
        return f"{self.prefix}published"

    def changes(self) -> str:
        """Counter bumped by every read-model write: the ETag of lists and feeds."""
        return f"{self.prefix}changes"

    def family(self, root: str) -> str:
        """Set of the ids of every language version of a story (root = the original)."""
        return f"{self.prefix}family:{root}"

    # --- embargo queue (publishing) -----------------------------------------------

    def embargo_due(self) -> str:
        """Sorted set of held article ids, score = ms of release."""
        return f"{self.prefix}embargo:due"

    def embargo_events(self) -> str:
        """Hash of held article id → the held event."""
        return f"{self.prefix}embargo:events"

    def embargo_lease(self) -> str:
        return f"{self.prefix}embargo:lease"

    # --- translation memory, heartbeats --------------------------------------------

    def translation_memory(self, digest: str) -> str:
        return f"{self.prefix}tm:{digest}"

    def status(self, service: str, host: str, pid: int) -> str:
        return f"{self.prefix}status:{service}:{host}:{pid}"

    def status_pattern(self, service: str = "*") -> str:
        return f"{self.prefix}status:{service}:*"

    # --- trends (enrichment writes, publishing adds released stories) -------------

    def trend_windows(self) -> str:
        """Sorted set of the trend windows ("<start>:<end>", score start) enrichment wrote."""
        return f"{self.prefix}trends"

    def trend_window(self, start: int) -> str:
        """Sorted set of entity → article count in the trend window starting at ``start``."""
        return f"{self.prefix}trends:{start}"

    def trend_released(self, start: int) -> str:
        """Sorted set of entity → what publishing adds to enrichment's counts of that window:
        +1 per story released from embargo, −1 per counted story killed since."""
        return f"{self.prefix}trends-released:{start}"

    def trend_killed_stories(self) -> str:
        """Set of the killed story uris whose trend counts were taken back (once each)."""
        return f"{self.prefix}trends-killed"

    def trend_released_stories(self) -> str:
        """Set of the story uris whose deferred trend counts were added."""
        return f"{self.prefix}trends-released"

    # --- subscriptions ----------------------------------------------------------------

    @property
    def subscriptions(self) -> SubscriptionKeys:
        return SubscriptionKeys(self.prefix)


class SubscriptionKeys:
    """The subscriptions' key names (part of :class:`Keys`; ``Keys(p).subscriptions``)."""

    def __init__(self, key_prefix: str) -> None:
        # ``key_prefix`` is Keys(prefix).prefix ("<topic prefix>wire:").
        self.p = key_prefix

    @property
    def all(self) -> str:
        return f"{self.p}sub:all"

    @property
    def version(self) -> str:
        return f"{self.p}sub:version"

    @property
    def numbers(self) -> str:
        """Counter of the numbers given to subscriptions (never reused: see
        services/publishing/recipients.py)."""
        return f"{self.p}sub:numbers"

    @property
    def numbered(self) -> str:
        """Hash of subscription name → its number and creation time ("<n> <created_at>")."""
        return f"{self.p}sub:numbered"

    @property
    def tokens(self) -> str:
        """Hash of read-token SHA-256 → subscription name."""
        return f"{self.p}sub:tokens"

    def items(self, name: str) -> str:
        """Sorted set of the article ids in the subscription's feeds (score: ms published)."""
        return f"{self.p}sub:{name}:items"

    def live(self, name: str) -> str:
        """Redis stream of the subscription's live events (the SSE source)."""
        return f"{self.p}sub:{name}:live"

    def outbox(self, name: str) -> str:
        """Redis stream of webhook deliveries still to make (survives restarts)."""
        return f"{self.p}sub:{name}:outbox"

    def outbox_bytes(self, name: str) -> str:
        """Bytes of the items in the subscription's outbox (its entries' bodies summed),
        kept by the writes that add them and the acknowledgements that take them out."""
        return f"{self.p}sub:{name}:outbox:bytes"

    def outbox_lease(self, name: str) -> str:
        """The lease of the replica draining the subscription's outbox."""
        return f"{self.p}sub:{name}:outbox:lease"

    def log(self, name: str) -> str:
        """Redis stream of the subscription's webhook delivery attempts."""
        return f"{self.p}sub:{name}:log"

    def breaker(self, name: str) -> str:
        return f"{self.p}sub:{name}:breaker"

    def per_subscription(self, name: str) -> list[str]:
        return [self.items(name), self.live(name), self.outbox(name), self.outbox_bytes(name), self.log(name),
                self.breaker(name)]
