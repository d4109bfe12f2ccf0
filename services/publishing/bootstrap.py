"""Publishing's composition root: builds the clients and wires the consume loop,
the embargo scheduler and the webhook workers together."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import httpx

from services.publishing.embargo import EmbargoQueue, release_loop
from services.publishing.handlers import SERVICE, Publisher
from services.publishing.webhook_workers import WebhookDispatcher, kafka_dead_letter
from services.publishing.settings import PublishingSettings
from services.publishing.subscriptions import SubscriptionCache
from shared.batching import PerStory
from shared.bus import Outgoing, make_producer
from shared.cache import Keys, connect
from shared.outbound import OutboundClient, OutboundLimits, OutboundPolicy
from services.publishing.read_model import ReadModelWriter
from shared.runner import StageRunner
from shared.stopping import sleep_until
from shared.subscriptions import Subscription, SubscriptionKeys, SubscriptionStore
from shared.topics import Topics, ensure_topics

log = logging.getLogger(__name__)


async def serve(settings: PublishingSettings, stop: asyncio.Event) -> None:
    """Run publishing until ``stop`` is set, then finish the batch in hand and close."""
    topics = Topics(settings.topic_prefix)
    sizing = dict(partitions=settings.topic_partitions, replication=settings.topic_replication,
                  max_record_bytes=settings.max_record_bytes)
    await ensure_topics(settings.kafka_bootstrap, topics, **sizing)
    await ensure_topics(settings.kafka_bootstrap, settings.own_topics(), **sizing)
    redis = connect(settings.redis_url)
    producer = make_producer(settings)
    client = OutboundClient(OutboundPolicy.allowing(settings.outbound_allowed_networks),
                            OutboundLimits(deadline_s=settings.webhook_timeout_s,
                                           max_bytes=settings.webhook_max_response_bytes,
                                           max_raw_bytes=settings.webhook_max_response_bytes),
                            user_agent="wirestream-webhooks/1",
                            pool=httpx.Limits(max_connections=200, max_keepalive_connections=50))
    await producer.start()
    keys = Keys(settings.topic_prefix)
    dispatcher = WebhookDispatcher(redis=redis, keys=SubscriptionKeys(keys.prefix), client=client,
                                   dead_letter=kafka_dead_letter(producer, settings.webhook_dlq_topic,
                                                                 settings.max_record_bytes),
                                   settings=settings)
    known_topics: set[str] = set()

    async def subscriptions_changed(subscriptions: list[Subscription]) -> None:
        wanted = {s.topic(settings.topic_prefix): {} for s in subscriptions if s.outputs.topic}
        missing = {name: cfg for name, cfg in wanted.items() if name not in known_topics}
        if missing:
            try:
                await ensure_topics(settings.kafka_bootstrap, missing, **sizing)
                known_topics.update(missing)
            except Exception as exc:  # noqa: BLE001 - the broker creates them on first produce anyway
                log.warning("could not create subscription topics", extra={"error": repr(exc)})
        await dispatcher.sync(subscriptions)

    cache = SubscriptionCache(SubscriptionStore(redis, keys.prefix), on_change=subscriptions_changed)
    embargo = EmbargoQueue(redis, keys.prefix, topic=settings.embargoed_topic)
    view = ReadModelWriter(redis, keys, live_max=settings.live_stream_max, feed_size=settings.feed_size,
                           live_per_story=settings.live_entries_per_story)
    publisher = Publisher(view=view, subscriptions=cache, embargo=embargo, settings=settings,
                          published_topic=topics.published)

    async def produce(outputs: Sequence[Outgoing]) -> None:
        acks = [await producer.send(o.topic, o.value, key=o.key, headers=o.headers) for o in outputs]
        await asyncio.gather(*acks)

    async def release(event) -> None:
        await publisher.release_held(event, produce)

    async def watch_subscriptions() -> None:
        # Items trigger a reload too; this starts webhook workers while nothing flows.
        while not stop.is_set():
            try:
                await cache.refresh()
            except Exception as exc:  # noqa: BLE001 - Redis down: try again shortly
                log.warning("subscriptions not reloaded", extra={"error": repr(exc)})
            await sleep_until(stop, 1.0)

    # Publishing mostly waits on Redis: stories overlap, each story's versions in order.
    # Reading enriched (no translation), it starts past what translation read there
    # before the deployment stopped translating.
    runner = StageRunner(stage=SERVICE, topic=topics.publishing_input(settings.translates),
                         group_id=topics.group(SERVICE), handle=publisher.handle,
                         settings=settings, strategy=PerStory(settings.concurrency),
                         catch_up_with=None if settings.translates else topics.group(Topics.enriched_reader(True)))
    try:
        await asyncio.gather(runner.run(stop), watch_subscriptions(),
                             release_loop(embargo, release, stop, poll_s=settings.embargo_poll_s,
                                          lease_ms=settings.lease_ms))
    finally:
        await dispatcher.close()
        await client.aclose()
        await producer.stop()
        await redis.aclose()
