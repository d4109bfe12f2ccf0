"""Rebuild the Redis read model from Kafka after Redis lost its data (``wire
rebuild-read-model`` runs :func:`rebuild`).

Reads, to their current end: ``wire.subscriptions`` (the subscriptions),
``articles.published`` (the latest version of every story; a kill notice followed
by a tombstone means killed) and ``articles.embargoed`` (items still waiting for
their embargo). It then writes back the story registry's entry of every story (its
owner and latest version: :mod:`services.publishing.read_model.registry`), every
subscription, every live item (with its language family, the feeds of the
subscriptions that take it, what the trends counted for it, so that a kill after the
rebuild still takes those counts back, and the subscriptions it reached, so that
such a kill still reaches a subscriber whose filter was narrowed since), every
killed item (410, with the subscriptions its kill was sent to: they see 410, the
others 404; a language version of it that arrives later is decided by its kill's
time, as before), the trend counts publishing itself added for stories released from
embargo, and the embargo queue. Webhooks, topics and live streams are not replayed:
subscribers already had those. Enrichment's trend windows are not written here:
enrichment's table is their source, and it copies them to Redis itself.
What the records do not say cannot be restored: a story whose latest record predates
``wire_recipients`` is rebuilt without them (its kill goes only to the
subscriptions whose filter takes it then), and a killed story's digest is not
kept (its kill re-delivered afterwards re-notifies no one).
Safe to run while publishing runs (a newer version in Redis is never replaced, nor
a registry entry's owner) and to run twice. ``WIRE_RELAYS`` must be ingest's: it
tells a relay from an owner in records published before they named the owner.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from services.publishing.embargo import EmbargoQueue, embargo_until
from services.publishing.links import link_associations
from services.publishing.meta import KILLED_AT, RELEASED
from services.publishing.outputs import TREND_COUNTED, translation_links
from services.publishing.recipients import RECIPIENTS, RECIPIENTS_HEADER, from_header, highest_number
from services.publishing.settings import PublishingSettings
from shared.cache import Keys, connect
from shared.cloudevents import read_headers
from shared.codec import decode
from shared.events import ArticleEvent, EnrichmentInfo, article_id_for
from services.publishing.read_model.registry import Provenance, restore_owners
from services.publishing.read_model.writer import ReadModelWriter
from shared.identity import StoryRegistry
from shared.read_model import KILLED
from shared.subscriptions import NUMBER_HEADER, STORED, Subscription, SubscriptionStore
from shared.topics import Topics
from shared.trends import COUNTED, count_released


async def read_to_end(bootstrap: str, topic: str) -> list:
    """Every record of ``topic`` from the beginning to its end as of now, in offset
    order per partition (an absent topic reads as empty)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        found = [t for t in await admin.describe_topics([topic]) if t.get("error_code") == 0]
    finally:
        await admin.close()
    tps = [TopicPartition(topic, p["partition"]) for t in found for p in t["partitions"]]
    if not tps:
        return []
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    await consumer.start()
    try:
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        records = []
        while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
            for part in (await consumer.getmany(timeout_ms=500)).values():
                records += [r for r in part if r.offset < ends[TopicPartition(r.topic, r.partition)]]
        return records
    finally:
        await consumer.stop()


@dataclass
class Story:
    """The last word ``articles.published`` holds about one uri."""

    item: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    killed: bool = False
    live_item: dict[str, Any] | None = None  # its last live version (a kill notice has no links)
    live_at: float = 0.0  # when that was published (epoch seconds)
    # Every record of the uri, for its registry entry.
    provenance: Provenance = field(default_factory=Provenance)

    @property
    def published_at(self) -> float:
        try:
            return float(self.headers.get("wire_published_at", 0))
        except ValueError:
            return 0.0


def latest_stories(records) -> dict[str, Story]:
    """``articles.published``'s records (offset order) as the last word on each uri."""
    stories: dict[str, Story] = {}
    for record in records:
        uri = record.key.decode() if record.key else None
        if uri is None:
            continue
        story, headers = stories.setdefault(uri, Story()), read_headers(record.headers)
        if record.value is None:
            # a tombstone alone (compaction took the kill notice) still says whose and which
            story.killed, story.headers = True, story.headers or headers
            version = headers.get("wire_version")
        else:
            story.item, story.headers = orjson.loads(record.value), headers
            story.killed = story.item.get("pubStatus") == "canceled" or headers.get("wire_signal") == "kill"
            if not story.killed:
                story.live_item, story.live_at = story.item, story.published_at
            version = str(story.item.get("version", "1"))
        story.provenance.saw(version=version, sender=headers.get("wire_provider"), owner=headers.get("wire_owner"),
                             killed=story.killed, role=headers.get("wire_translation_role"))
    return stories


def held_copies(records, provenance: dict[str, Provenance]) -> dict[str, ArticleEvent | None]:
    """``articles.embargoed``'s records (offset order) as the last copy held of each uri
    (None: released); every copy is also added to its story's ``provenance``. Raises
    MalformedEvent for a record that is no ArticleEvent."""
    held: dict[str, ArticleEvent | None] = {}
    for record in records:
        uri = record.key.decode()
        event = held[uri] = decode(ArticleEvent, record.value) if record.value is not None else None
        if event is not None:
            info = event.envelope.translation
            provenance.setdefault(uri, Provenance()).saw(
                version=event.article.version, sender=event.envelope.provider,
                owner=read_headers(record.headers).get("wire_owner"), killed=False,
                role=info.role if info is not None else None)
    return held


async def rebuild(settings: PublishingSettings) -> dict[str, int]:
    """Rebuild the read model of ``settings``' deployment; returns what was written."""
    topics = Topics(settings.topic_prefix)
    keys = Keys(settings.topic_prefix)
    redis = connect(settings.redis_url)
    counts = {"subscriptions": 0, "live": 0, "killed": 0, "embargoed": 0, "skipped_newer_in_redis": 0,
              "registry_restored": 0, "registry_owner_conflicts": 0, "trends_released": 0}
    try:
        subs_latest: dict[str, Subscription | None] = {}
        numbers: dict[tuple[str, str], int] = {}  # (name, created_at) → number, from any record
        for record in await read_to_end(settings.kafka_bootstrap, settings.subscriptions_topic):
            sub = subs_latest[record.key.decode()] = _subscription(record) if record.value else None
            if sub is not None and sub.number is not None:
                numbers[(sub.name, sub.created_at or "")] = sub.number
        # a subscription saved last by a gateway from before numbers (no header) keeps the
        # number its earlier record carried
        subscriptions = [sub if sub.number is not None else sub.model_copy(
                             update={"number": numbers.get((sub.name, sub.created_at or ""))})
                         for sub in subs_latest.values() if sub is not None]
        store = SubscriptionStore(redis, keys.prefix)
        await store.restore(subscriptions)
        counts["subscriptions"] = len(subscriptions)

        view, sub_keys = ReadModelWriter(redis, keys), keys.subscriptions
        stories = latest_stories(await read_to_end(settings.kafka_bootstrap, topics.published))
        provenance = {uri: story.provenance for uri, story in stories.items()}
        # a subscription deleted before Redis was lost is on the topic no more, but its number
        # may be in stories' recipients: no new subscription gets it
        await store.numbers_past(max((highest_number(from_header(story.headers.get(RECIPIENTS_HEADER)))
                                      for story in stories.values()), default=0))
        held = held_copies(await read_to_end(settings.kafka_bootstrap, settings.embargoed_topic), provenance)
        counts.update(await restore_owners(StoryRegistry(redis, keys, settings.uri_owners), provenance, acts_for=settings.acts_for))
        owners = {uri: seen.owner_under(settings.acts_for) for uri, seen in provenance.items()}

        for uri, story in sorted(stories.items(), key=lambda kv: kv[1].published_at):
            article_id = story.headers.get("wire_article_id") or article_id_for(uri)
            # linked again: an item published before the wire dropped a provider's own
            # wirestream-ninjs rendition would otherwise keep it (link_associations is idempotent)
            item = (link_associations(story.item, settings.public_url) if story.item else
                    {"uri": uri, "version": story.headers.get("wire_version", "1"), "pubStatus": "canceled"})
            stored = await view.stored(article_id)
            if stored is not None and stored.is_newer_than_me(str(item.get("version", "1"))):
                counts["skipped_newer_in_redis"] += 1
                continue
            meta = {"article_id": article_id, "uri": uri, "version": item.get("version", "1"),
                    "language": item.get("language"), "provider": story.headers.get("wire_provider"),
                    "signal": story.headers.get("wire_signal", "new"),
                    "received_at": story.headers.get("wire_received_at"),
                    "published_at": _iso(story.published_at), "rebuilt": True}
            if story.headers.get("wire_translation_role"):
                meta["translation_role"] = story.headers["wire_translation_role"]
            trend_counted = _trend_counted(story) if not story.killed else None
            if trend_counted is not None:
                meta[COUNTED] = trend_counted
            had_it = from_header(story.headers.get(RECIPIENTS_HEADER))
            if had_it is not None and not story.killed:
                meta[RECIPIENTS] = had_it
            async with redis.pipeline(transaction=True) as pipe:
                if story.killed:
                    notified = {"notified": had_it} if isinstance(had_it, list) else {}
                    await view.stage_killed(pipe, article_id, {**item, "pubStatus": "canceled"},
                                            {**meta, "signal": "kill", "was_public": True, **notified,
                                             KILLED_AT: meta["received_at"] or meta["published_at"]},
                                            digest="rebuilt")
                    # its family's root, for what links to it (one Redis still has stays): a
                    # version reaching publishing after the rebuild finds the killed story and
                    # its kill's time. An original's own id; a linked version's from the links
                    # of its last live version (or its own, where compaction left none)
                    role = meta.get("translation_role")
                    links = [] if role == "original" else _links(story.live_item or {}, role, uri, owners, stories)
                    root = await view.root_for(article_id, links) if links else article_id
                    root = links[0] if root == article_id and links else root
                    if role is None and root != article_id and await _killed_before(redis, keys, root, story.live_at):
                        root = article_id  # published after that story's kill: it was an original of its own
                    pipe.hsetnx(keys.article(article_id), "root", root)
                    counts["killed"] += 1
                else:
                    role = meta.get("translation_role")
                    links = _links(item, role, uri, owners, stories)
                    root = (links[0] if role == "translation" and links else article_id if role == "original"
                            else await view.root_for(article_id, links))
                    if role is None and root != article_id and (
                            await _full(redis, keys.family(root), article_id, settings.family_max)
                            or await redis.hget(keys.article(root), "state") == KILLED.encode()):
                        # as publishing decided: a full family takes no more links, and a live
                        # version linked to a killed story was received after its kill (one
                        # received before was killed with it): an original of its own
                        root = article_id
                    score = int(story.published_at * 1000) or int(time.time() * 1000)
                    await view.stage_live(pipe, article_id, item, meta, digest="rebuilt", root=root, score_ms=score)
                    for sub in subscriptions:
                        if sub.outputs.feeds and sub.filter.matches(item, meta["provider"]):
                            pipe.zadd(sub_keys.items(sub.name), {article_id: score})
                    counts["live"] += 1
                await pipe.execute()
            if trend_counted is not None and trend_counted.get(RELEASED):
                counts["trends_released"] += await _count_released(redis, keys, uri, trend_counted, settings)

        queue = EmbargoQueue(redis, keys.prefix, topic=settings.embargoed_topic)
        for event in held.values():
            if event is None:
                continue
            stored = await view.stored(event.envelope.article_id)
            version = event.article.version
            if stored is not None and (stored.version == version or stored.is_newer_than_me(version)):
                continue  # released (or superseded) already
            await queue.hold(event, embargo_until(event.article.to_ninjs()) or time.time())
            counts["embargoed"] += 1
    finally:
        await redis.aclose()
    return counts


def _links(item: dict[str, Any], role: str | None, uri: str, owners: dict[str, str | None],
           stories: dict[str, Story]) -> list[str]:
    """The ids ``item`` (of ``uri``) links as its translations, as publishing counts them
    (plan.family_root): a provider's link joins only a story of the same owner, never
    another provider's family; a machine translation's, its original."""
    owner = owners.get(uri)
    return [article_id_for(u) for u in translation_links(item)
            if role == "translation" or (u in stories and owner is not None and owners.get(u) == owner)]


async def _killed_before(redis, keys: Keys, article_id: str, when: float) -> bool:
    """Whether ``article_id`` is killed, and its kill was published before ``when``."""
    state, raw = await redis.hmget(keys.article(article_id), "state", "meta")
    if state != KILLED.encode() or not when:
        return False
    try:
        killed = datetime.fromisoformat(orjson.loads(raw or b"{}").get("published_at") or "").timestamp()
    except (orjson.JSONDecodeError, TypeError, ValueError, AttributeError):
        return False
    return killed < when


def _subscription(record) -> Subscription:
    """A subscription as its record on the subscriptions' topic has it, with its number."""
    sub = Subscription.model_validate_json(record.value, context=STORED)
    return sub.with_number(read_headers(record.headers).get(NUMBER_HEADER, ""))


def _trend_counted(story: Story) -> dict[str, Any] | None:
    """What the trends counted for ``story`` as its latest record says (None: a record
    from before records said it, or a story not counted)."""
    raw = story.headers.get(TREND_COUNTED)
    if not raw:
        return None
    try:
        record = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return record if isinstance(record, dict) and isinstance(record.get("entities"), list) else None


async def _count_released(redis, keys: Keys, uri: str, record: dict[str, Any], settings: PublishingSettings) -> int:
    """Count again, once per uri, a story publishing counted at the end of its embargo
    (its ``record``): those counts lived only in Redis. Returns 1 when counted now."""
    entities = [{"type": kind, "name": name}
                for kind, _, name in (str(key).partition("\t") for key in record["entities"])]
    counted_now = await count_released(
        redis, keys, uri=uri, enrichment=EnrichmentInfo(entities=entities),
        received_at=datetime.fromtimestamp(float(record.get("at", 0)), timezone.utc),
        window_s=settings.trend_window_s, keep_s=settings.trend_window_s * settings.trend_windows_kept)
    return int(counted_now)


async def _full(redis, family: str, article_id: str, most: int) -> bool:
    """Whether ``family`` holds ``most`` language versions already, ``article_id`` not among them."""
    async with redis.pipeline(transaction=False) as pipe:
        pipe.sismember(family, article_id)
        pipe.scard(family)
        member, size = await pipe.execute()
    return not member and size >= most


def _iso(ts: float) -> str | None:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat() if ts else None
