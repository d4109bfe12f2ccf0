"""What publishing writes, run in-process against the session's real Kafka and
redis-server: embargoes, corrections, kills with their translations, stale
versions, and the rebuild of the read model from Kafka."""
from __future__ import annotations

import time
from datetime import datetime, timezone

import orjson
import pytest

from services.cli.rebuild import rebuild
from services.publishing.embargo import EmbargoQueue
from services.publishing.settings import PublishingSettings
from shared.cache import Keys
from shared.cloudevents import read_headers
from shared.events import Signal, article_id_for
from shared.read_model import ReadModel
from shared.subscriptions import SubscriptionKeys, subscription_record
from tests.kafka_helpers import committed, produce, read_topic
from tests.publishing_helpers import SPORT, article_event
from tests.waiting import eventually

pytestmark = pytest.mark.integration


@pytest.fixture
def pub_settings(settings) -> PublishingSettings:
    return PublishingSettings(**settings.model_dump(), embargo_poll_s=0.2)


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


async def published(settings, expect: int, timeout: float = 30):
    records = await read_topic(settings.kafka_bootstrap, f"{settings.topic_prefix}articles.published",
                               expect=expect, timeout=timeout)
    return [(r.key.decode(), orjson.loads(r.value) if r.value else None, read_headers(r.headers)) for r in records]


async def live_events(publishing, name: str) -> list[tuple[str, str]]:
    keys = SubscriptionKeys(Keys(publishing.settings.topic_prefix).prefix)
    return [(f[b"signal"].decode(), f[b"uri"].decode()) for _, f in await publishing.redis.xrange(keys.live(name))]


async def test_an_embargoed_item_appears_nowhere_until_its_time_then_everywhere(publishing, pub_settings):
    await publishing.subscribe("all", None)
    until = float(int(time.time()) + 8)  # whole seconds, as embargoedUntil says it
    event = article_event("urn:test:embargo:1", embargoedUntil=iso(until))
    view = ReadModel(publishing.redis, Keys(pub_settings.topic_prefix))
    await publishing.publish(event)
    [held] = await read_topic(pub_settings.kafka_bootstrap, pub_settings.embargoed_topic, expect=1)
    assert held.key == b"urn:test:embargo:1"
    if time.time() < until - 1:  # (on a very slow machine the embargo may be over already)
        assert await view.stored(event.envelope.article_id) is None
        assert await live_events(publishing, "all") == []
        assert await published(pub_settings, expect=1, timeout=1) == []
        assert await EmbargoQueue(publishing.redis, view.keys.prefix, topic="").size() == 1
    stored = await eventually(lambda: view.stored(event.envelope.article_id), timeout=60)
    assert not stored.killed and stored.item["embargoedUntil"] == iso(until)
    assert time.time() >= until  # released on time, never before
    assert await live_events(publishing, "all") == [("new", "urn:test:embargo:1")]
    [(key, item, headers)] = await published(pub_settings, expect=1)
    assert key == "urn:test:embargo:1" and item["uri"] == key
    released = await read_topic(pub_settings.kafka_bootstrap, pub_settings.embargoed_topic, expect=2)
    assert released[-1].value is None  # the durable copy is tombstoned


async def test_a_correction_replaces_the_item_with_its_signal_and_older_versions_are_ignored(publishing,
                                                                                              pub_settings):
    await publishing.subscribe("all", None)
    view = ReadModel(publishing.redis, Keys(pub_settings.topic_prefix))
    first = article_event("urn:test:correction:1", version="1", body="Ten ships sailed.")
    corrected = article_event("urn:test:correction:1", version="2", signal=Signal.CORRECTION,
                              body="Twelve ships sailed.")
    stale = article_event("urn:test:correction:1", version="1", body="An old draft re-delivered.")
    await publishing.publish(first, corrected, stale)
    await eventually(lambda: _live_count(publishing, "all", 2))
    # publishing commits a record only once it is handled: all three committed, the
    # stale one has had its chance to overwrite the correction
    topics = publishing.topics
    await eventually(lambda: _committed_all(pub_settings, topics.group("publishing"),
                                             topics.publishing_input(pub_settings.translates), 3),
                     what="publishing to commit the stale version")
    stored = await view.stored(first.envelope.article_id)
    assert stored.version == "2" and stored.item["bodies"][0]["value"] == "Twelve ships sailed."
    assert stored.meta["signal"] == "correction"
    assert await live_events(publishing, "all") == [("new", "urn:test:correction:1"),
                                                    ("correction", "urn:test:correction:1")]
    records = await published(pub_settings, expect=2)
    assert [h["wire_signal"] for _, _, h in records] == ["new", "correction"]


async def _committed_all(settings, group: str, topic: str, n: int) -> bool:
    return await committed(settings.kafka_bootstrap, group, topic, settings.topic_partitions) >= n


async def _live_count(publishing, name, n):
    return len(await live_events(publishing, name)) >= n


async def _kills(publishing, name, n):
    return sum(signal == "kill" for signal, _ in await live_events(publishing, name)) >= n


async def test_a_kill_removes_the_story_and_its_translations_everywhere(publishing, pub_settings):
    await publishing.subscribe("all", None)
    await publishing.subscribe("sport", None, subjects=[SPORT])
    view = ReadModel(publishing.redis, Keys(pub_settings.topic_prefix))
    sub_keys = SubscriptionKeys(view.keys.prefix)
    original = article_event("urn:test:kill:1", language="en")
    translation = article_event("urn:test:kill:1:pt", language="pt", headline="Tropas avançam",
                                associations=[{"name": "original", "uri": "urn:test:kill:1", "rel": "translation",
                                               "language": "en"}])
    # as translation tags them (both may be handled at once: the tag, not the order, links them)
    original.envelope.translation = {"role": "original"}
    translation.envelope.translation = {"role": "translation", "of": "urn:test:kill:1",
                                        "of_article_id": original.envelope.article_id}
    await publishing.publish(original, translation)
    ids = [article_id_for("urn:test:kill:1"), article_id_for("urn:test:kill:1:pt")]
    await eventually(lambda: _live_count(publishing, "all", 2))
    assert sorted(await view.family_ids(ids[0])) == sorted(ids)

    await publishing.publish(article_event("urn:test:kill:1", version="1", signal=Signal.KILL))
    await eventually(lambda: _kills(publishing, "all", 2))
    for article_id in ids:
        stored = await view.stored(article_id)
        assert stored.killed and stored.item == {"uri": stored.item["uri"], "version": "1", "pubStatus": "canceled"}
        assert "enrichment" not in stored.meta
        assert (await view.current(article_id))[1] is True
    assert await publishing.redis.zcard(sub_keys.items("all")) == 0
    assert await publishing.redis.zcard(view.index) == 0
    # the replayable history keeps only the kill notices: the stories' text left it
    assert sorted(await live_events(publishing, "all")) == sorted([
        ("kill", "urn:test:kill:1"), ("kill", "urn:test:kill:1:pt")])
    assert await live_events(publishing, "sport") == []  # it never had the story
    records = await published(pub_settings, expect=6)
    for uri in ("urn:test:kill:1", "urn:test:kill:1:pt"):
        mine = [(item, h["wire_signal"]) for key, item, h in records if key == uri]
        assert [s for _, s in mine] == ["new", "kill", "kill"]
        assert mine[1][0]["pubStatus"] == "canceled" and mine[2][0] is None  # notice, then tombstone
    topic = await read_topic(pub_settings.kafka_bootstrap, f"{pub_settings.topic_prefix}published.all", expect=4)
    assert sorted(read_headers(r.headers)["wire_signal"] for r in topic) == ["kill", "kill", "new", "new"]


async def test_the_read_model_is_rebuilt_from_kafka_after_redis_lost_it(publishing, pub_settings):
    sub = await publishing.subscribe("all", None)
    await produce(pub_settings.kafka_bootstrap, pub_settings.subscriptions_topic,
                  [(b"all", subscription_record(sub), [])])
    view = ReadModel(publishing.redis, Keys(pub_settings.topic_prefix))
    live = [article_event(f"urn:test:rebuild:{i}") for i in range(3)]
    killed = article_event("urn:test:rebuild:killed")
    later = article_event("urn:test:rebuild:later", embargoedUntil=iso(time.time() + 3600))
    await publishing.publish(*live, killed, later)
    await eventually(lambda: _live_count(publishing, "all", 4))
    await publishing.publish(article_event("urn:test:rebuild:killed", signal=Signal.KILL))
    await eventually(lambda: _kills(publishing, "all", 1))
    await publishing.stop()
    before = {e.envelope.article_id: await view.stored(e.envelope.article_id) for e in [*live, killed]}
    feed_before = await publishing.redis.zrange(SubscriptionKeys(view.keys.prefix).items("all"), 0, -1)

    lost = [k async for k in publishing.redis.scan_iter(match=f"{pub_settings.topic_prefix}*")]
    await publishing.redis.delete(*lost)
    assert await view.stored(live[0].envelope.article_id) is None

    counts = await rebuild(pub_settings)
    assert counts == {"subscriptions": 1, "live": 3, "killed": 1, "embargoed": 1, "skipped_newer_in_redis": 0}
    for article_id, was in before.items():
        now = await view.stored(article_id)
        assert now.item == was.item and now.killed == was.killed and now.version == was.version
    assert await publishing.redis.zrange(SubscriptionKeys(view.keys.prefix).items("all"), 0, -1) == feed_before
    assert [s.name for s in await publishing.store.all()] == ["all"]
    assert (await EmbargoQueue(publishing.redis, view.keys.prefix, topic="").held(
        later.envelope.article_id)).article.uri == "urn:test:rebuild:later"
    assert await rebuild(pub_settings) == {**counts, "embargoed": 1}  # again: same result, nothing breaks
