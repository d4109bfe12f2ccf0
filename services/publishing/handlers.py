"""Publishing's handler: an ``articles.translated`` record (``articles.enriched`` in a
deployment that does not translate) in; the published item
(or its kill notice) out to the read model, the subscriptions and Kafka.

Read it in three steps: :func:`~services.publishing.snapshot.read_snapshot` (what
Redis holds about the story), :func:`~services.publishing.plan.plan` (pure: what
to write and produce) and :func:`~services.publishing.apply.apply` (does it). The
Kafka records come back to the runner, which produces them before it commits. When
a subscription changed between the read and the write, the write is refused and the
three steps run again with the subscriptions as they are now.
"""
from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager

from aiokafka import ConsumerRecord
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from services.publishing.actions import Rules
from services.publishing.apply import DecideAgain, Produce, TrendWindows, apply
from services.publishing.embargo import EmbargoQueue
from services.publishing.links import link_associations
from services.publishing.outputs import SERVICE
from services.publishing.plan import plan
from services.publishing.read_model import ReadModelWriter
from services.publishing.settings import PublishingSettings
from services.publishing.snapshot import read_snapshot
from services.publishing.subscriptions import SubscriptionCache
from shared.bus import Outgoing
from shared.errors import RetriableError
from shared.events import ArticleEvent
from shared.ninjs import ensure_valid
from shared.stage import read_article_event

__all__ = ["SERVICE", "Publisher"]

# Rounds of reading, deciding and writing one item while the subscriptions (or the
# story, written by another replica) keep changing under it, before it is handed back
# to the runner's retry policy.
ROUTING_ROUNDS = 10


@asynccontextmanager
async def _redis_errors_retriable():
    try:
        yield
    except (RedisConnectionError, RedisTimeoutError) as exc:
        raise RetriableError(f"redis unreachable: {exc}") from exc


class Publisher:
    def __init__(self, *, view: ReadModelWriter, subscriptions: SubscriptionCache, embargo: EmbargoQueue,
                 settings: PublishingSettings, published_topic: str) -> None:
        self.view = view
        self.subscriptions = subscriptions
        self.embargo = embargo
        self.settings = settings
        self.rules = Rules(keys=view.keys.subscriptions, published_topic=published_topic,
                           topic_prefix=settings.topic_prefix, embargoed_topic=embargo.topic,
                           recipients_max=settings.recipients_max, family_max=settings.family_max)
        # the most language versions a kill walks: a full family and its machine translations
        self.family_walk = settings.family_max + len(settings.target_languages)
        self.trends = TrendWindows(window_s=settings.trend_window_s,
                                   keep_s=settings.trend_window_s * settings.trend_windows_kept)
        # The consume loop (several stories at once) and the embargo scheduler both
        # publish: one at a time per story, so its versions reach Redis and Kafka in the
        # order they were decided.
        self._locks = [asyncio.Lock() for _ in range(256)]

    def lock(self, article_id: str) -> asyncio.Lock:
        return self._locks[hash(article_id) % len(self._locks)]

    async def handle(self, record: ConsumerRecord) -> list[Outgoing]:
        """The runner's handler. Raises MalformedEvent / InvalidNinjs (DLQ) for a
        record that can never be published, RetriableError when Redis is down."""
        started = time.time()
        event = read_article_event(record)
        item = link_associations(event.article.to_ninjs(), self.settings.public_url)
        ensure_valid(item)
        return await self._publish(event, item, started=started)

    async def release_held(self, event: ArticleEvent, produce: Produce) -> None:
        """Publish an item whose embargo has ended: ``produce(outputs)`` must return
        once Kafka acknowledged them; only then is it dropped from the queue."""
        item = link_associations(event.article.to_ninjs(), self.settings.public_url)
        await self._publish(event, item, started=time.time(), releasing=True, produce=produce)

    async def _publish(self, event: ArticleEvent, item: dict, *, started: float | None = None,
                       releasing: bool = False, produce: Produce | None = None) -> list[Outgoing]:
        async with self.lock(event.envelope.article_id), _redis_errors_retriable():
            for _ in range(ROUTING_ROUNDS):
                snapshot = await read_snapshot(event, item, view=self.view, subscriptions=self.subscriptions,
                                               family_walk=self.family_walk)
                # the list and its version as one (a reload replaces both at once, never between these)
                subscriptions, version = self.subscriptions.all, self.subscriptions.version
                decided = plan(event, snapshot, subscriptions, item=item, rules=self.rules, now=time.time(),
                               started=started, releasing=releasing)
                decided.routed_by = version
                try:
                    return await apply(decided, writer=self.view, embargo=self.embargo, trends=self.trends,
                                       produce=produce)
                except DecideAgain:
                    continue  # a subscription or the story changed while this item was decided: again
            raise RetriableError(f"the subscriptions or the story changed {ROUTING_ROUNDS} times while "
                                 f"{event.article.uri} was decided")
