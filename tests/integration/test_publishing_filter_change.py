"""A narrowed filter takes effect for every item routed after the gateway acknowledged
it, on the session's real redis-server (and real HTTP for the webhook): the change
may land while publishing is between reading the subscriptions for an item and
writing it, or while a webhook worker still holds the subscription as it was.

The moment is made exact, not waited for: publishing's own cache, subclassed only to
make the admin's change (a real write through ``SubscriptionStore.put``, as the
gateway's ``PUT`` makes it) right after publishing read the subscriptions for the
item. A downgraded subscriber must then get none of it: no live-stream event (the
gateway has just emptied that stream), no feed entry, no webhook delivery, no record
on its topic.

The same moment serves for another publishing replica writing the same story between
this one's read and write (the embargo lease's holder releasing, the partition's owner
publishing or killing): what was decided on the old read must not land. A kill is also
caught later, between its check and its transaction, and a publication between its
decision and its write (``ChangedAsWritten``).

Two replicas' embargo schedulers run here too: each held item released once."""
from __future__ import annotations

import asyncio

import pytest
from aiokafka.structs import ConsumerRecord

from services.publishing.embargo import EmbargoQueue, release_loop
from services.publishing.handlers import Publisher
from services.publishing.outbox import WebhookWorker
from services.publishing.outputs import Notice
from services.publishing.read_model import Delivery, ReadModelWriter
from services.publishing.settings import PublishingSettings
from services.publishing.subscriptions import SubscriptionCache
from shared.cache import Keys, connect
from shared.cloudevents import read_headers
from shared.events import Signal, TranslationInfo
from shared.outbound import OutboundClient, OutboundLimits, OutboundPolicy
from shared.subscriptions import Subscription, SubscriptionFilter, SubscriptionStore
from shared.topics import Topics
from tests.publishing_helpers import SPORT, Receiver, article_event, record_of
from tests.waiting import eventually

pytestmark = pytest.mark.integration

WHOLE_WIRE = SubscriptionFilter()
NARROWED = SubscriptionFilter(subjects=[SPORT])  # the downgraded customer keeps sport only


class ChangedRightAfterRead(SubscriptionCache):
    """Publishing's subscription cache; ``change`` (once) is the admin's change, landing
    right after publishing read the subscriptions for an item, before it is written."""

    def __init__(self, store: SubscriptionStore, change=None) -> None:
        super().__init__(store)
        self.change = change

    async def refresh(self, version: int | None = None) -> bool:
        reloaded = await super().refresh(version)
        if self.change is not None:
            change, self.change = self.change, None
            await change()
        return reloaded


class ChangedAsWritten(ReadModelWriter):
    """Publishing's read-model writer; ``change`` (once) is another replica's write, landing
    as this one's first write of kind ``on`` is queued: a kill ("killed", after it was
    checked against what it was decided on) or a publication ("live", decided already)."""

    change = None

    def __init__(self, redis, keys: Keys, *, on: str) -> None:
        super().__init__(redis, keys)
        self.on = on

    async def _change_first(self, kind: str) -> None:
        if self.change is not None and kind == self.on:
            change, self.change = self.change, None
            await change()

    async def stage_killed(self, pipe, *args, **kwargs) -> None:
        await self._change_first("killed")
        await super().stage_killed(pipe, *args, **kwargs)

    async def stage_live(self, pipe, *args, **kwargs) -> None:
        await self._change_first("live")
        await super().stage_live(pipe, *args, **kwargs)


@pytest.fixture
def pub_settings(settings) -> PublishingSettings:
    return PublishingSettings(**{**settings.model_dump(), "outbound_allowed_networks": ["127.0.0.0/8"]},
                              webhook_backoff_s=0.05, webhook_backoff_max_s=0.2)


@pytest.fixture
async def redis(pub_settings):
    client = connect(pub_settings.redis_url)
    yield client
    await client.aclose()


def publisher_on(redis, settings: PublishingSettings, cache: SubscriptionCache) -> Publisher:
    keys = Keys(settings.topic_prefix)
    return Publisher(view=ReadModelWriter(redis, keys), subscriptions=cache, settings=settings,
                     embargo=EmbargoQueue(redis, keys.prefix, topic=settings.embargoed_topic),
                     published_topic=Topics(settings.topic_prefix).published)


def consumed(event, offset: int = 0) -> ConsumerRecord:
    """``event`` as the consume loop hands it to publishing."""
    key, value, headers = record_of(event)
    return ConsumerRecord("articles.translated", 0, offset, 0, 0, key, value, None, len(key), len(value), headers)


async def surfaces(redis, settings, name: str, article_id: str) -> dict[str, bool]:
    """Whether ``article_id`` is on each of subscription ``name``'s Redis surfaces."""
    keys = Keys(settings.topic_prefix).subscriptions
    in_stream = {key: any(f.get(b"article_id") == article_id.encode() for _, f in await redis.xrange(key))
                 for key in (keys.live(name), keys.outbox(name))}
    return {"live": in_stream[keys.live(name)], "outbox": in_stream[keys.outbox(name)],
            "feed": await redis.zscore(keys.items(name), article_id) is not None}


def on_topic_of(records, name: str) -> bool:
    return any(read_headers(r.headers).get("wire_subscription") == name for r in records)


async def test_an_item_routed_while_the_filter_is_narrowed_reaches_none_of_the_old_slice(redis, pub_settings):
    store = SubscriptionStore(redis, Keys(pub_settings.topic_prefix).prefix)
    webhook = {"webhook": {"url": "http://127.0.0.1:9/hook"}}
    downgraded = Subscription(name="downgraded", filter=WHOLE_WIRE, outputs=webhook)
    await store.put(downgraded)
    await store.put(Subscription(name="everything", filter=WHOLE_WIRE, outputs=webhook))
    cache = ChangedRightAfterRead(store)
    publisher = publisher_on(redis, pub_settings, cache)
    await publisher.handle(consumed(article_event("urn:test:narrowing:warm-up")))  # the cache is warm
    assert [s.name for s in cache.all] == ["downgraded", "everything"]

    cache.change = lambda: store.put(downgraded.model_copy(update={"filter": NARROWED}))
    conflict = article_event("urn:test:narrowing:conflict")  # the old filter takes it, the new one does not
    records = await publisher.handle(consumed(conflict, offset=1))

    article_id = conflict.envelope.article_id
    assert await surfaces(redis, pub_settings, "downgraded", article_id) == {
        "live": False, "outbox": False, "feed": False}
    assert not on_topic_of(records, "downgraded")
    # published all the same, to the subscription whose filter still takes it
    assert await surfaces(redis, pub_settings, "everything", article_id) == {"live": True, "outbox": True,
                                                                             "feed": True}
    assert on_topic_of(records, "everything")


async def test_a_story_routed_again_away_from_a_narrowed_filter_does_not_count_it_among_who_had_it(
        redis, pub_settings):
    """The story's kill goes to every subscriber it was sent to: the one whose filter was
    narrowed while the story was routed was sent nothing, so it is not told of the kill
    either (nor learns that the story existed)."""
    store = SubscriptionStore(redis, Keys(pub_settings.topic_prefix).prefix)
    downgraded = Subscription(name="downgraded", filter=WHOLE_WIRE, outputs={"webhook": {"url": "http://127.0.0.1:9/"}})
    await store.put(downgraded)
    await store.put(Subscription(name="everything", filter=WHOLE_WIRE))
    cache = ChangedRightAfterRead(store)
    publisher = publisher_on(redis, pub_settings, cache)
    cache.change = lambda: store.put(downgraded.model_copy(update={"filter": NARROWED}))
    conflict = article_event("urn:test:narrowing:killed")
    assert not on_topic_of(await publisher.handle(consumed(conflict)), "downgraded")

    killed = await publisher.handle(consumed(article_event(conflict.article.uri, version="2", signal=Signal.KILL),
                                             offset=1))
    assert not on_topic_of(killed, "downgraded") and on_topic_of(killed, "everything")
    assert await surfaces(redis, pub_settings, "downgraded", conflict.envelope.article_id) == {
        "live": False, "outbox": False, "feed": False}


async def test_a_redelivered_item_routed_while_the_filter_is_narrowed_is_not_put_on_its_topic(redis, pub_settings):
    store = SubscriptionStore(redis, Keys(pub_settings.topic_prefix).prefix)
    downgraded = Subscription(name="downgraded", filter=WHOLE_WIRE)
    await store.put(downgraded)
    cache = ChangedRightAfterRead(store)
    publisher = publisher_on(redis, pub_settings, cache)
    conflict = article_event("urn:test:narrowing:again")
    assert on_topic_of(await publisher.handle(consumed(conflict)), "downgraded")  # taken by the filter then

    cache.change = lambda: store.put(downgraded.model_copy(update={"filter": NARROWED}))
    # Kafka delivers the same record again (a restart before the offset was committed)
    again = await publisher.handle(consumed(conflict, offset=1))
    assert again and not on_topic_of(again, "downgraded")


async def test_a_queued_delivery_the_narrowed_filter_excludes_is_not_sent_by_a_worker_holding_the_old_copy(
        redis, pub_settings):
    """The webhook worker was handed the subscription before the change (publishing's
    cache reloads it within a second or with the next item); the entry queued under
    the old filter must not be POSTed after the gateway acknowledged the new one."""
    keys = Keys(pub_settings.topic_prefix)
    store, writer = SubscriptionStore(redis, keys.prefix), ReadModelWriter(redis, keys)
    with Receiver() as receiver:
        held = Subscription(name="downgraded", filter=WHOLE_WIRE, outputs={"webhook": {"url": receiver.url}})
        await store.put(held)
        queued = [article_event("urn:test:narrowing:queued"),
                  article_event("urn:test:narrowing:sentinel", subjects=(SPORT,))]  # the new filter takes this
        for event in queued:  # written as publishing writes them, routed by the old filter
            notice = Notice(article_id=event.envelope.article_id, item=event.article.to_ninjs(), signal=Signal.NEW,
                            provider="test-wire", published_at=0.0, received_at="", traceparent="")
            async with redis.pipeline(transaction=True) as pipe:
                await writer.stage_live(pipe, notice.article_id, notice.item, {}, digest=notice.digest, root="",
                                        score_ms=1, entry=notice.entry(),
                                        deliveries=[Delivery(
                                            outbox=keys.subscriptions.outbox("downgraded"),
                                            outbox_bytes=keys.subscriptions.outbox_bytes("downgraded"))])
                await pipe.execute()
        await store.put(held.model_copy(update={"filter": NARROWED}))  # acknowledged to the admin

        client = OutboundClient(OutboundPolicy.allowing(["127.0.0.0/8"]), OutboundLimits(deadline_s=5),
                                user_agent="test")
        worker = WebhookWorker(held, redis=redis, keys=keys.subscriptions, client=client, settings=pub_settings,
                               dead_letter=None)
        stop = asyncio.Event()
        task = asyncio.create_task(worker.run(stop))
        try:
            await eventually(lambda: receiver.delivered, timeout=30, what="the sentinel at the receiver")
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)
            await client.aclose()
    assert [r["headers"]["x-wire-uri"] for r in receiver.requests] == ["urn:test:narrowing:sentinel"]



async def test_two_replicas_release_each_embargoed_item_once_however_slow_the_release(redis, pub_settings,
                                                                                       caplog):
    """The embargo scheduler runs on every replica; the lease's holder releases. A
    release waits for Kafka's acknowledgement, which may outlast the lease: the holder
    keeps it renewed meanwhile, so the other replica does not take over and release the
    items still in the queue again."""
    queue = EmbargoQueue(redis, Keys(pub_settings.topic_prefix).prefix, topic="")
    events = [article_event(f"urn:test:replicas:embargo:{i}") for i in range(3)]
    for event in events:
        await queue.hold(event, until=0)
    released: list[tuple[str, str]] = []
    stop = asyncio.Event()

    def releasing(replica: str):
        async def release(event) -> None:
            released.append((replica, event.envelope.article_id))
            await asyncio.sleep(0.8)  # Kafka slow to acknowledge: longer than the 0.3 s lease
            await queue.drop(event.envelope.article_id)
        return release

    loops = [release_loop(queue, releasing(name), stop, poll_s=0.05, owner=name, lease_ms=300) for name in "ab"]
    asyncio.get_running_loop().call_later(4.0, stop.set)
    await asyncio.wait_for(asyncio.gather(*loops), timeout=30)
    assert sorted(a for _, a in released) == sorted(e.envelope.article_id for e in events)  # each once
    assert "embargo release failed" not in caplog.text


async def two_replicas(redis, settings, view_a: ReadModelWriter | None = None
                       ) -> tuple[ChangedRightAfterRead, Publisher, Publisher]:
    """Two publishing replicas on one Redis and one subscription taking the whole wire:
    A with a cache whose ``change`` lands right after A's read (and ``view_a``), B plain."""
    store = SubscriptionStore(redis, Keys(settings.topic_prefix).prefix)
    await store.put(Subscription(name="everything", filter=WHOLE_WIRE))
    cache = ChangedRightAfterRead(store)
    a = publisher_on(redis, settings, cache)
    if view_a is not None:
        a.view = view_a
    return cache, a, publisher_on(redis, settings, SubscriptionCache(store))


async def test_a_story_killed_by_another_replica_between_read_and_write_stays_killed(redis, pub_settings):
    """Replica A reads the story (v1 live) to publish v2; before A writes, replica B kills
    it (v3). A's write, decided on v1, would have put v2 live over the kill: a killed story
    back on every surface. It is decided again instead, and v2 is stale."""
    cache, replica_a, replica_b = await two_replicas(redis, pub_settings)
    uri = "urn:test:replicas:killed-meanwhile"
    await replica_a.handle(consumed(article_event(uri, version="1")))
    killed = article_event(uri, version="3", signal=Signal.KILL)
    cache.change = lambda: replica_b.handle(consumed(killed, offset=7))  # B's kill lands after A's read
    records = await replica_a.handle(consumed(article_event(uri, version="2"), offset=1))
    stored = await replica_a.view.stored(killed.envelope.article_id)
    assert stored.killed and stored.version == "3"
    assert records == []  # v2 is older than the kill: nothing of it goes out
    assert not await redis.zscore(Keys(pub_settings.topic_prefix).subscriptions.items("everything"),
                                  killed.envelope.article_id)


async def test_a_kill_decided_before_another_replica_published_a_newer_version_is_decided_again(
        redis, pub_settings):
    """A reads v1 to kill it (a kill of version 1); B publishes v2 before A writes. A's
    kill, decided on v1, is decided again on v2, as one replica would have decided it
    with v2 published first: an older version than the one stored is ignored."""
    cache, replica_a, replica_b = await two_replicas(redis, pub_settings)
    uri = "urn:test:replicas:updated-meanwhile"
    await replica_a.handle(consumed(article_event(uri, version="1")))
    cache.change = lambda: replica_b.handle(consumed(article_event(uri, version="2"), offset=3))
    records = await replica_a.handle(consumed(article_event(uri, version="1", signal=Signal.KILL), offset=1))
    stored = await replica_a.view.stored(article_event(uri).envelope.article_id)
    assert not stored.killed and stored.version == "2"
    assert records == []


async def test_a_translation_joining_a_story_while_its_kill_is_written_is_killed_with_it(redis, pub_settings):
    """A kills an original, having found its family (itself alone); as A's transaction is
    queued, B publishes a machine translation of it. The kill must take the translation
    too, or the killed story stays readable in another language."""
    view_a = ChangedAsWritten(redis, Keys(pub_settings.topic_prefix), on="killed")
    _, replica_a, replica_b = await two_replicas(redis, pub_settings, view_a)
    uri = "urn:test:replicas:family-grows"
    original, translation = await published_with_translation(replica_a, uri)
    view_a.change = lambda: replica_b.handle(consumed(translation, offset=5))
    await replica_a.handle(consumed(article_event(uri, version="2", signal=Signal.KILL), offset=1))
    assert view_a.change is None  # B did publish in between
    await assert_killed_everywhere(replica_a, pub_settings, original, translation)


async def published_with_translation(replica: Publisher, uri: str):
    """``uri``'s version 1, published by ``replica``, and translation's French output for it
    (tagged with its family, not handled yet)."""
    original = article_event(uri, version="1")
    await replica.handle(consumed(original))
    translation = article_event(f"{uri}:translation:fr", language="fr")
    translation.envelope.translation = TranslationInfo(role="translation", of_article_id=original.envelope.article_id)
    return original, translation


async def assert_killed_everywhere(replica: Publisher, settings, *events) -> None:
    for event in events:
        stored = await replica.view.stored(event.envelope.article_id)
        assert stored.killed, event.article.uri
        assert not await replica.view.redis.zscore(Keys(settings.topic_prefix).subscriptions.items("everything"),
                                                   event.envelope.article_id)


async def test_a_translation_decided_before_its_originals_kill_and_written_after_it_is_killed_with_it(
        redis, pub_settings):
    """A decides a machine translation of an original that is live; before A's write
    lands, B kills the original, walking a family the translation is not in yet. A's
    write would put the killed story back, in French: it is decided again, and the
    translation is killed with its original."""
    view_a = ChangedAsWritten(redis, Keys(pub_settings.topic_prefix), on="live")
    _, replica_a, replica_b = await two_replicas(redis, pub_settings, view_a)
    uri = "urn:test:replicas:translated-meanwhile"
    original, translation = await published_with_translation(replica_a, uri)
    view_a.change = lambda: replica_b.handle(consumed(article_event(uri, version="2", signal=Signal.KILL), offset=9))
    records = await replica_a.handle(consumed(translation, offset=1))
    assert view_a.change is None  # B's kill did land between A's decision and A's write
    await assert_killed_everywhere(replica_a, pub_settings, original, translation)
    assert not on_topic_of(records, "everything")  # never public: no subscriber is sent it


async def test_a_providers_own_language_version_and_its_originals_kill_crossing_in_publishing(redis, pub_settings):
    """The provider sends its French version (linked to its English original), then kills
    the original; another replica (the French story's partition) writes the French one
    after the kill landed. Sent before the kill, it is killed with its story. A version
    sent after the kill is a story of its own: published, outside the killed family."""
    view_a = ChangedAsWritten(redis, Keys(pub_settings.topic_prefix), on="live")
    _, replica_a, replica_b = await two_replicas(redis, pub_settings, view_a)
    uri = "urn:test:replicas:own-version"
    keys = Keys(pub_settings.topic_prefix)
    for owned in (uri, f"{uri}-fr", f"{uri}-fr-later"):  # one owner in the story registry: links count
        await redis.hset(keys.story(owned), "owner", "test-wire")
    original = article_event(uri)
    await replica_a.handle(consumed(original))
    french = article_event(f"{uri}-fr", language="fr", associations=[{"name": "en", "rel": "translation", "uri": uri}])
    kill = article_event(uri, version="2", signal=Signal.KILL)  # received after the French version
    view_a.change = lambda: replica_b.handle(consumed(kill, offset=9))
    records = await replica_a.handle(consumed(french, offset=1))
    assert view_a.change is None  # the kill landed between A's decision and A's write
    stored = await replica_a.view.stored(french.envelope.article_id)
    assert stored.killed and [n["code"] for n in stored.meta["notes"]] == ["story_killed"]
    assert not on_topic_of(records, "everything")
    assert not await redis.zscore(keys.subscriptions.items("everything"), french.envelope.article_id)

    later = article_event(f"{uri}-fr-later", language="fr",
                          associations=[{"name": "en", "rel": "translation", "uri": uri}])
    assert on_topic_of(await replica_a.handle(consumed(later, offset=2)), "everything")
    stored = await replica_a.view.stored(later.envelope.article_id)
    assert not stored.killed and stored.root == later.envelope.article_id
    assert later.envelope.article_id not in await replica_a.view.family_ids(original.envelope.article_id)


async def test_a_version_sent_after_its_storys_kill_leaves_the_killed_family(redis, pub_settings):
    """The French version was live in the story and killed with it; the provider then
    sends a new version of it: a story of its own now, out of the killed family (whose
    /languages would list it, and a later kill of the original take it along)."""
    _, replica, _ = await two_replicas(redis, pub_settings)
    uri, keys = "urn:test:replicas:leaves", Keys(pub_settings.topic_prefix)
    for owned in (uri, f"{uri}-fr"):
        await redis.hset(keys.story(owned), "owner", "test-wire")
    original = article_event(uri)
    links = [{"name": "en", "rel": "translation", "uri": uri}]
    await replica.handle(consumed(original))
    await replica.handle(consumed(article_event(f"{uri}-fr", language="fr", associations=links), offset=1))
    family = original.envelope.article_id
    french_id = article_event(f"{uri}-fr").envelope.article_id
    assert french_id in await replica.view.family_ids(family)
    await replica.handle(consumed(article_event(uri, version="2", signal=Signal.KILL), offset=2))
    assert (await replica.view.stored(french_id)).killed  # taken along by the kill

    again = article_event(f"{uri}-fr", version="2", language="fr", associations=links)
    assert on_topic_of(await replica.handle(consumed(again, offset=3)), "everything")
    stored = await replica.view.stored(french_id)
    assert not stored.killed and stored.root == french_id
    assert french_id not in await replica.view.family_ids(family)


async def test_a_version_sent_before_a_kill_that_took_its_original_along_is_killed_too(redis, pub_settings):
    """Killing a provider's own French version takes its whole story along, the English
    original included. A German version, sent after the original but before that kill,
    reaches publishing after it: the time it is compared with is the kill's, not the
    original's own receipt (hours earlier, on a real wire)."""
    view_a = ChangedAsWritten(redis, Keys(pub_settings.topic_prefix), on="live")
    _, replica_a, replica_b = await two_replicas(redis, pub_settings, view_a)
    uri, keys = "urn:test:replicas:taken-along", Keys(pub_settings.topic_prefix)
    for owned in (uri, f"{uri}-fr", f"{uri}-de"):
        await redis.hset(keys.story(owned), "owner", "test-wire")
    links = [{"name": "en", "rel": "translation", "uri": uri}]
    original = article_event(uri)
    await replica_a.handle(consumed(original))
    await replica_a.handle(consumed(article_event(f"{uri}-fr", language="fr", associations=links), offset=1))
    german = article_event(f"{uri}-de", language="de", associations=links)  # after the original, before the kill
    kill = article_event(f"{uri}-fr", version="2", language="fr", signal=Signal.KILL, associations=links)
    view_a.change = lambda: replica_b.handle(consumed(kill, offset=9))
    await replica_a.handle(consumed(german, offset=2))
    assert view_a.change is None
    assert (await replica_a.view.stored(original.envelope.article_id)).killed  # taken along by the French kill
    stored = await replica_a.view.stored(german.envelope.article_id)
    assert stored.killed and [n["code"] for n in stored.meta["notes"]] == ["story_killed"]
