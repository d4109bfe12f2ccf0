"""Publishing's handler: an ``articles.translated`` record in; the published item
(or its kill notice) out to the read model, the subscriptions and Kafka.

Each item is validated as ninjs 3.1, held when under embargo, and otherwise
published: the read model, every matching subscription's feed list, live stream
and webhook outbox are written in one Redis transaction, and the Kafka records
(``articles.published`` keyed by uri, the subscriptions' topics) are returned for
the runner to produce before it commits. A re-delivered item is recognised by its
digest and fans out no second time; an older version than the one stored (or held
under embargo) is ignored.
"""
from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from aiokafka import ConsumerRecord
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from services.publishing.embargo import EmbargoQueue, embargo_until
from services.publishing.links import link_associations
from services.publishing.metrics import FANOUT, ITEMS
from services.publishing.outputs import SERVICE, Notice, kafka_records, translation_links
from services.publishing.retraction import PURGE_LIVE, kill_notice, retracted_meta
from services.publishing.settings import PublishingSettings
from services.publishing.subscriptions import SubscriptionCache
from shared.bus import Outgoing
from shared.codec import decode
from shared.errors import RetriableError
from shared.events import ArticleEvent, Signal, Stage, article_id_for
from shared.ninjs import ensure_valid
from shared.read_model import Delivery, ReadModel, StoredItem
from shared.stage import read_article_event
from shared.subscriptions import SubscriptionKeys
from shared.telemetry import END_TO_END_SECONDS
from shared.trends import DEFERRED, count_released
from shared.tracing import child_traceparent, trace_id

__all__ = ["SERVICE", "Publisher", "published_meta"]


def published_meta(event: ArticleEvent, published_at: float, started: float | None = None) -> dict:
    """What the read model keeps beside the item: pipeline data for the API and ops."""
    env = event.envelope
    meta = {
        "article_id": env.article_id,
        "uri": event.article.uri,
        "version": event.article.version,
        "language": event.article.language,
        "provider": env.provider,
        "signal": env.signal,
        "source_format": env.source_format,
        "received_at": env.received_at.isoformat(),
        "published_at": datetime.fromtimestamp(published_at, timezone.utc).isoformat(),
        "stage_timings": {k: v.model_dump() for k, v in env.stage_timings.items()},
        "notes": [n.model_dump() for n in env.notes],
        "enrichment": env.enrichment,
        "trace_id": trace_id(env.traceparent),
    }
    if env.translation:
        meta["translation_role"] = env.translation.get("role")
    if started is not None:
        meta["stage_timings"][Stage.PUBLISHED.value] = {"started_at": started, "finished_at": published_at}
    return meta


@asynccontextmanager
async def _redis_errors_retriable():
    try:
        yield
    except (RedisConnectionError, RedisTimeoutError) as exc:
        raise RetriableError(f"redis unreachable: {exc}") from exc


@dataclass
class Snapshot:
    """What Redis holds about a story when an event for it comes in (one round trip)."""

    stored: StoredItem | None
    held: ArticleEvent | None
    root: str


class Publisher:
    def __init__(self, *, view: ReadModel, subscriptions: SubscriptionCache, embargo: EmbargoQueue,
                 settings: PublishingSettings, published_topic: str) -> None:
        self.view = view
        self.redis = view.redis
        self.subscriptions = subscriptions
        self.embargo = embargo
        self.settings = settings
        self.published_topic = published_topic
        self.sub_keys = SubscriptionKeys(view.keys.prefix)
        # The consume loop (several stories at once) and the embargo scheduler both
        # publish: one at a time per story, so its versions reach Redis and Kafka in the
        # order they were decided.
        self._locks = [asyncio.Lock() for _ in range(256)]
        self._purge_live = self.redis.register_script(PURGE_LIVE)

    def lock(self, article_id: str) -> asyncio.Lock:
        return self._locks[hash(article_id) % len(self._locks)]

    async def handle(self, record: ConsumerRecord) -> list[Outgoing]:
        """The runner's handler. Raises MalformedEvent / InvalidNinjs (DLQ) for a
        record that can never be published, RetriableError when Redis is down."""
        started = time.time()
        event = read_article_event(record)
        item = link_associations(event.article.to_ninjs(), self.settings.public_url)
        ensure_valid(item)
        signal = event.envelope.signal
        async with self.lock(event.envelope.article_id), _redis_errors_retriable():
            now = await self._snapshot(event, item)
            if _stale(event, now.stored) or (now.held is not None
                                             and _older(event.article.version, now.held.article.version)):
                ITEMS.labels(signal.value, "stale").inc()
                return []
            until = embargo_until(item)
            if signal is not Signal.KILL and until is not None and until > time.time():
                ITEMS.labels(signal.value, "embargoed").inc()
                return await self.embargo.hold(event, until)
            outputs = await self._release(event, item, now, started)
            if now.held is not None:  # superseded (or killed) before its embargo ended
                await self.embargo.drop(event.envelope.article_id)
                outputs.append(self.embargo.released(now.held))
            return outputs

    async def release_held(self, event: ArticleEvent, produce) -> None:
        """Publish an item whose embargo has ended: ``produce(outputs)`` must return
        once Kafka acknowledged them; only then is it dropped from the queue."""
        item = link_associations(event.article.to_ninjs(), self.settings.public_url)
        async with self.lock(event.envelope.article_id), _redis_errors_retriable():
            now = await self._snapshot(event, item)
            outputs = [] if _stale(event, now.stored) else await self._release(event, item, now, time.time())
            await produce([*outputs, self.embargo.released(event)])
            await self.embargo.drop(event.envelope.article_id, version=event.article.version)

    async def _snapshot(self, event: ArticleEvent, item: dict) -> Snapshot:
        """Subscriptions' version, the stored item, a held embargoed version and the
        family roots — read in one pipeline; the subscriptions reload if they changed."""
        article_id = event.envelope.article_id
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.get(self.sub_keys.version)
            self.view.queue_stored(pipe, article_id)
            pipe.hget(self.embargo.events_key, article_id)
            self.view.queue_roots(pipe, [article_id, *(article_id_for(u) for u in translation_links(item))])
            version, row, held, *roots = await pipe.execute()
        await self.subscriptions.refresh(int(version or 0))
        translation = event.envelope.translation or {}
        if translation.get("role") == "translation" and translation.get("of_article_id"):
            root = translation["of_article_id"]  # translation says which item is the original
        elif translation.get("role") == "original":
            root = article_id
        else:
            root = self.view.pick_root(article_id, roots)
        return Snapshot(stored=self.view.parse_stored(row), held=decode(ArticleEvent, held) if held else None,
                        root=root)

    def _deliveries(self, notice: Notice, chosen: set[str], *, known: bool) -> list[Delivery]:
        """Where ``notice`` goes: every chosen subscription's outputs; the others only
        lose the item from their feed (an update that left their slice, a kill)."""
        out = []
        kill = notice.signal is Signal.KILL
        for sub in self.subscriptions.all:
            feeds = sub.outputs.feeds
            if sub.name in chosen:
                FANOUT.labels(sub.name).inc()
                out.append(Delivery(feed=self.sub_keys.items(sub.name) if feeds else None,
                                    feed_mode="r" if kill else "a",
                                    live=self.sub_keys.live(sub.name) if feeds else None,
                                    outbox=self.sub_keys.outbox(sub.name) if sub.outputs.webhook else None))
            elif known and feeds:
                out.append(Delivery(feed=self.sub_keys.items(sub.name), feed_mode="r"))
        return out

    async def _release(self, event: ArticleEvent, item: dict, now: Snapshot, started: float) -> list[Outgoing]:
        published_at = time.time()
        env = event.envelope
        notice = Notice(article_id=env.article_id, item=item, signal=env.signal, provider=env.provider,
                        published_at=published_at, received_at=env.received_at.isoformat(),
                        traceparent=child_traceparent(env.traceparent),
                        role=(env.translation or {}).get("role"))
        meta = published_meta(event, published_at, started)
        if notice.signal is Signal.KILL or item.get("pubStatus") == "canceled":
            return await self._kill(replace(notice, signal=Signal.KILL, item=kill_notice(item)), retracted_meta(meta),
                                    now.stored)
        matched = self.subscriptions.matching(item, env.provider)
        records = kafka_records(notice, matched, published_topic=self.published_topic,
                                topic_prefix=self.settings.topic_prefix)
        if now.stored is not None and now.stored.digest == notice.digest:
            ITEMS.labels(notice.signal.value, "duplicate").inc()
            return records
        deliveries = self._deliveries(notice, {s.name for s in matched}, known=now.stored is not None)
        async with self.redis.pipeline(transaction=True) as pipe:
            await self.view.stage_live(pipe, env.article_id, item, meta, digest=notice.digest, root=now.root,
                                 score_ms=int(published_at * 1000), entry=notice.entry(), deliveries=deliveries)
            await pipe.execute()
        ITEMS.labels(notice.signal.value, "published").inc()
        if env.enrichment.get(DEFERRED):  # held out of the trends until it went live
            await count_released(self.redis, self.view.keys, uri=event.article.uri, enrichment=env.enrichment,
                                 received_at=env.received_at, window_s=self.settings.trend_window_s,
                                 keep_s=self.settings.trend_window_s * self.settings.trend_windows_kept)
        END_TO_END_SECONDS.labels(event.article.language or "und").observe(published_at - env.received_at.timestamp())
        return records

    async def _kill(self, notice: Notice, meta: dict, stored: StoredItem | None) -> list[Outgoing]:
        """Kill the story and, when it is the original, every language version of it:
        gone from the API (410) and feeds; a kill notice to every subscription that
        had it, on webhooks, topics and the live stream; a tombstone on
        ``articles.published``. A re-delivered kill writes nothing again and only
        re-produces its Kafka records (the subscriptions notified are kept in meta)."""
        if stored is not None and stored.killed:  # killed already (re-delivered, or by its original)
            ITEMS.labels(Signal.KILL.value, "duplicate").inc()
            if stored.digest != notice.digest or not stored.meta.get("was_public"):
                return [notice.tombstone(self.published_topic)]
            had_it = [s for s in self.subscriptions.all if s.name in stored.meta.get("notified", [])]
            return kafka_records(notice, had_it, published_topic=self.published_topic,
                                 topic_prefix=self.settings.topic_prefix)
        victims = [(notice, meta, stored.item if stored is not None else None)]
        # The original's kill takes every language version with it; a translation's
        # only itself. (Translation tags its items; an untagged item counts as original.)
        if stored is not None and stored.meta.get("translation_role") != "translation":
            for member in await self.view.family_ids(stored.root or notice.article_id):
                other = await self.view.stored(member) if member != notice.article_id else None
                if other is None or other.killed or other.item is None:
                    continue
                victims.append((replace(notice, article_id=member, item=kill_notice(other.item),
                                        provider=other.meta.get("provider", notice.provider),
                                        role=other.meta.get("translation_role")),
                                {**retracted_meta(other.meta), "signal": Signal.KILL.value,
                                 "published_at": meta["published_at"]},
                                other.item))
        records: list[Outgoing] = []
        live_streams = [self.sub_keys.live(s.name) for s in self.subscriptions.all if s.outputs.feeds]
        async with self.redis.pipeline(transaction=True) as pipe:
            for victim, victim_meta, before in victims:
                if live_streams:  # the story's earlier events leave every replayable stream
                    await self._purge_live(keys=live_streams, args=[victim.article_id], client=pipe)
                had_it = self.subscriptions.matching(before, victim.provider) if before is not None else []
                if before is None:  # never public: nothing to take back, let compaction forget it
                    records.append(victim.tombstone(self.published_topic))
                else:
                    records += kafka_records(victim, had_it, published_topic=self.published_topic,
                                             topic_prefix=self.settings.topic_prefix)
                victim_meta = {**victim_meta, "was_public": before is not None,
                               "notified": [s.name for s in had_it]}
                await self.view.stage_killed(pipe, victim.article_id, victim.item, victim_meta, digest=victim.digest,
                                       entry=victim.entry(),
                                       deliveries=self._deliveries(victim, set(victim_meta["notified"]), known=True))
            await pipe.execute()
        ITEMS.labels(Signal.KILL.value, "killed").inc(len(victims))
        return records


def _older(version: str, than: str) -> bool:
    return StoredItem(than, None, {}, "", False, None).is_newer_than_me(version)


def _stale(event: ArticleEvent, stored: StoredItem | None) -> bool:
    """Older than what is stored, or a non-kill re-delivery of the version that was killed."""
    if stored is None:
        return False
    if stored.is_newer_than_me(event.article.version):
        return True
    return stored.killed and event.envelope.signal is not Signal.KILL and event.article.version == stored.version
