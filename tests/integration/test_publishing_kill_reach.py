"""A kill reaches every subscriber that was sent any version of the story, whatever its
filter says by then, run with the publishing service in-process against the session's
real Kafka and redis-server and a local HTTP receiver: a customer downgraded after it
had a story may still run it in its own CMS, and must learn of its kill on its
webhook, its topic and its live stream. A subscription deleted since gets nothing,
and one that never had the story is not told it existed."""
from __future__ import annotations

import pytest

from services.gateway.deps import Reader
from services.publishing.settings import PublishingSettings
from shared.cache import Keys
from shared.cloudevents import read_headers
from shared.events import Signal
from shared.read_model import ReadModel
from shared.subscriptions import SubscriptionFilter, SubscriptionKeys
from tests.kafka_helpers import read_topic
from tests.publishing_helpers import SPORT, Publishing, Receiver, article_event
from tests.waiting import eventually

pytestmark = pytest.mark.integration

URI = "urn:test:kill-reach:1"


@pytest.fixture
def pub_settings(settings) -> PublishingSettings:
    # the receiver listens on 127.0.0.1, which outbound HTTP refuses unless allowed
    return PublishingSettings(**{**settings.model_dump(), "outbound_allowed_networks": ["127.0.0.0/8"]},
                              webhook_backoff_s=0.05, webhook_backoff_max_s=0.2)


async def test_a_kill_reaches_a_subscriber_downgraded_after_it_had_the_story(publishing, pub_settings):
    keys = SubscriptionKeys(Keys(pub_settings.topic_prefix).prefix)
    view = ReadModel(publishing.redis, Keys(pub_settings.topic_prefix))
    redis = publishing.redis
    with Receiver() as receiver:
        downgraded = await publishing.subscribe("downgraded", receiver.url)  # the whole wire, for now
        await publishing.subscribe("sport", None, subjects=[SPORT])  # never takes the story
        await publishing.subscribe("cancelled", None)  # has it, then is deleted
        first = article_event(URI)
        await publishing.publish(first)
        await eventually(lambda: receiver.delivered, timeout=60, what="the story at the webhook")

        # the operator downgrades the customer to sport, and cancels another one
        await publishing.store.put(downgraded.model_copy(update={"filter": SubscriptionFilter(subjects=[SPORT])}))
        await publishing.store.delete("cancelled")
        await publishing.publish(article_event(URI, version="2", signal=Signal.UPDATE, body="Twelve ships sailed."))
        await eventually(lambda: _version(view, first.envelope.article_id, "2"), what="the update stored")
        await publishing.publish(article_event(URI, version="3", signal=Signal.KILL))
        await eventually(lambda: [r for r in receiver.delivered if r["headers"]["x-wire-signal"] == "kill"],
                         timeout=60, what="the kill notice at the webhook")

    # webhook: the story, then its kill (not the update its new filter does not take)
    assert [(r["headers"]["x-wire-signal"], r["headers"]["x-wire-version"]) for r in receiver.requests] == [
        ("new", "1"), ("kill", "3")]
    assert receiver.requests[-1]["body"] == b'{"uri":"urn:test:kill-reach:1","version":"3","pubStatus":"canceled"}'
    # live stream (the filter change emptied it): the kill notice; the feed: no more the story
    assert [(f[b"signal"], f[b"uri"]) for _, f in await redis.xrange(keys.live("downgraded"))] == [
        (b"kill", URI.encode())]
    assert await redis.zscore(keys.items("downgraded"), first.envelope.article_id) is None
    # its topic: the story, then its kill
    topic = await read_topic(pub_settings.kafka_bootstrap, f"{pub_settings.topic_prefix}published.downgraded",
                             expect=2)
    assert [(r.key.decode(), read_headers(r.headers)["wire_signal"]) for r in topic] == [(URI, "new"), (URI, "kill")]
    # its API answers 410 Gone for the story (it was told), another subscriber 404
    stored = await view.stored(first.envelope.article_id)
    narrowed, sport = await publishing.store.get("downgraded"), await publishing.store.get("sport")
    assert stored.killed and Reader(subscription=narrowed).saw_killed(stored.meta)
    assert not Reader(subscription=sport).saw_killed(stored.meta)
    assert await redis.xrange(keys.live("sport")) == []
    # nothing is written for the deleted subscription: no stream, outbox or feed comes back
    assert await redis.exists(keys.live("cancelled"), keys.outbox("cancelled"), keys.items("cancelled")) == 0


async def _version(view: ReadModel, article_id: str, version: str) -> bool:
    stored = await view.stored(article_id)
    return stored is not None and stored.version == version


async def test_past_the_recipients_bound_a_kill_reaches_exactly_who_had_the_story(pub_settings):
    """More recipients than a meta keeps names of (here 2): kept as the subscriptions'
    numbers, the kill still goes to those that had it, not to everyone."""
    service = Publishing(PublishingSettings(**{**pub_settings.model_dump(), "recipients_max": 2}))
    service.start()
    try:
        keys = SubscriptionKeys(Keys(pub_settings.topic_prefix).prefix)
        view = ReadModel(service.redis, Keys(pub_settings.topic_prefix))
        desks = [await service.subscribe(f"desk-{i}", None) for i in range(3)]  # the whole wire
        await service.subscribe("sport", None, subjects=[SPORT])  # never takes the story
        first = article_event(URI)
        await service.publish(first)
        await eventually(lambda: _version(view, first.envelope.article_id, "1"), what="the story stored")
        # one desk is narrowed to sport; another is deleted and a new one made under its name
        await service.store.put(desks[0].model_copy(update={"filter": SubscriptionFilter(subjects=[SPORT])}))
        await service.store.delete("desk-2")
        await service.subscribe("desk-2", None, subjects=[SPORT])
        await service.publish(article_event(URI, version="2", signal=Signal.KILL))
        await eventually(lambda: _killed(view, first.envelope.article_id), what="the kill stored")
        stored = await view.stored(first.envelope.article_id)
        assert stored.meta["notified"] == ["desk-0", "desk-1"]
        told = {name: [f[b"signal"] for _, f in await service.redis.xrange(keys.live(name))]
                for name in ("desk-0", "desk-1", "desk-2", "sport")}
        # (the kill takes the story's own entries out of the streams, and adds its notice)
        assert told == {"desk-0": [b"kill"], "desk-1": [b"kill"], "desk-2": [], "sport": []}
    finally:
        await service.stop()
        await service.redis.aclose()


async def _killed(view: ReadModel, article_id: str) -> bool:
    stored = await view.stored(article_id)
    return stored is not None and stored.killed
