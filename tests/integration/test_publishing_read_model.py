"""What publishing writes, run in-process against the session's real Kafka and
redis-server: embargoes, corrections, kills with their translations, stale
versions, and the rebuild of the read model (and of the story registry) from Kafka."""
from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone

import orjson
import pytest

from services.cli.rebuild import rebuild
from services.publishing.embargo import EmbargoQueue
from services.publishing.outputs import Notice
from services.publishing.settings import PublishingSettings
from shared.cache import Keys
from shared.cloudevents import read_headers
from services.gateway.deps import Reader
from services.gateway.routes.enrichment import _top
from shared.events import ArticleEvent, EnrichmentInfo, Signal, article_id_for
from shared.identity import Classification, Decision, StoryRegistry
from shared.read_model import ReadModel
from shared.subscriptions import SubscriptionFilter, SubscriptionKeys, subscription_record
from shared.topics import COMPACTED, Topics, ensure_topics
from shared.trends import window_of
from tests.kafka_helpers import committed, produce, read_topic
from tests.publishing_helpers import SPORT, article_event
from tests.story_helpers import article
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
    assert counts == {"subscriptions": 1, "live": 3, "killed": 1, "embargoed": 1, "skipped_newer_in_redis": 0,
                      "registry_restored": 5, "registry_owner_conflicts": 0, "trends_released": 0}
    for article_id, was in before.items():
        now = await view.stored(article_id)
        assert now.item == was.item and now.killed == was.killed and now.version == was.version
    assert await publishing.redis.zrange(SubscriptionKeys(view.keys.prefix).items("all"), 0, -1) == feed_before
    assert [s.name for s in await publishing.store.all()] == ["all"]
    assert (await EmbargoQueue(publishing.redis, view.keys.prefix, topic="").held(
        later.envelope.article_id)).article.uri == "urn:test:rebuild:later"
    # again: same result, nothing breaks
    assert await rebuild(pub_settings) == {**counts, "embargoed": 1, "registry_restored": 0}


async def test_the_rebuild_drops_a_providers_own_wire_link_published_before_it_was_dropped(publishing, pub_settings,
                                                                                          monkeypatch):
    """Clients follow the wirestream-ninjs link with their read token. An item published
    before publishing dropped a provider's own (here: linked as it was then, not at all)
    is restored from Kafka with the wire's link only."""
    import services.publishing.handlers as handlers
    monkeypatch.setattr(handlers, "link_associations", lambda item, public_url: item)
    evil = {"name": "wirestream-ninjs", "href": "https://evil.example/steal", "contentType": "application/json"}
    event = article_event(f"urn:test:rebuild:linked:{uuid.uuid4().hex}",
                          associations=[{"name": "related", "uri": "urn:test:other", "renditions": [evil]}])
    view = ReadModel(publishing.redis, Keys(pub_settings.topic_prefix))
    await publishing.publish(event)
    await eventually(lambda: _stored(view, event.envelope.article_id))
    assert "evil.example" in str((await view.stored(event.envelope.article_id)).item)  # as published then
    await publishing.stop()
    await publishing.redis.delete(*[k async for k in publishing.redis.scan_iter(match=f"{pub_settings.topic_prefix}*")])

    await rebuild(pub_settings)
    [association] = (await view.stored(event.envelope.article_id)).item["associations"]
    assert [r["href"] for r in association["renditions"]] == [
        f"{pub_settings.public_url}/v1/articles?uri=urn%3Atest%3Aother"]


async def _stored(view: ReadModel, article_id: str) -> bool:
    return await view.stored(article_id) is not None


async def test_a_kill_after_the_rebuild_still_reaches_a_subscriber_downgraded_before_it(publishing, pub_settings):
    """Redis lost who had each story with the read model. ``articles.published`` says it
    (``wire_recipients``): after the rebuild, a story killed still reaches the customer
    downgraded after it had the story, and one killed before still answers it 410."""
    sub = await publishing.subscribe("downgraded", None)  # the whole wire, for now
    narrowed = sub.model_copy(update={"filter": SubscriptionFilter(subjects=[SPORT])})
    view = ReadModel(publishing.redis, Keys(pub_settings.topic_prefix))
    live, killed = article_event("urn:test:reach:live"), article_event("urn:test:reach:killed")
    await publishing.publish(live, killed)
    await eventually(lambda: _live_count(publishing, "downgraded", 2))
    await publishing.store.put(narrowed)  # as the gateway's PUT: Redis, then wire.subscriptions
    await produce(pub_settings.kafka_bootstrap, pub_settings.subscriptions_topic,
                  [(b"downgraded", subscription_record(narrowed), [])])
    await publishing.publish(article_event("urn:test:reach:killed", version="2", signal=Signal.KILL))
    await eventually(lambda: _killed(view, killed.envelope.article_id))
    await publishing.stop()

    lost = [k async for k in publishing.redis.scan_iter(match=f"{pub_settings.topic_prefix}*")]
    await publishing.redis.delete(*lost)
    await rebuild(pub_settings)
    assert Reader(subscription=narrowed).saw_killed((await view.stored(killed.envelope.article_id)).meta)

    publishing.start()
    await publishing.publish(article_event("urn:test:reach:live", version="2", signal=Signal.KILL))
    await eventually(lambda: _kills(publishing, "downgraded", 1), timeout=60, what="the kill on its live stream")
    topic = await read_topic(pub_settings.kafka_bootstrap, f"{pub_settings.topic_prefix}published.downgraded",
                             expect=4)
    assert sorted((r.key.decode(), read_headers(r.headers)["wire_signal"]) for r in topic) == [
        ("urn:test:reach:killed", "kill"), ("urn:test:reach:killed", "new"),
        ("urn:test:reach:live", "kill"), ("urn:test:reach:live", "new")]


def named(uri: str, person: str, *, deferred: bool = False, **fields) -> ArticleEvent:
    """A story naming ``person``, as enrichment hands it on (``deferred``: left out of
    enrichment's trend counts by its embargo, for publishing to count at its release)."""
    event = article_event(uri, **fields)
    event.envelope.enrichment = EnrichmentInfo(entities=[{"type": "person", "name": person}],
                                               trendsDeferred=deferred or None)
    return event


async def trending(redis, keys: Keys, window_s: int, *events: ArticleEvent) -> dict[str, int]:
    """The people /v1/trends ranks in the windows of ``events``, with their counts."""
    starts = {window_of(e.envelope.received_at.timestamp(), window_s)[0] for e in events}
    return {e["name"]: e["count"] for start in starts
            for e in await _top(redis, keys, start, limit=50, kind="person")}


async def test_a_story_killed_after_the_rebuild_leaves_the_trends(publishing, pub_settings):
    """Redis lost the read model and the trend windows with it. The rebuild gives every
    live story back what the trends counted for it, and puts back publishing's own
    counts of stories released from embargo: a kill after the rebuild takes the story's
    entities out of /v1/trends as it did before."""
    redis, keys = publishing.redis, Keys(pub_settings.topic_prefix)
    view = ReadModel(redis, keys)
    counted = named("urn:test:trends:counted", "Ana Lima")  # enrichment counted it
    released = named("urn:test:trends:released", "Ben Okafor", deferred=True,  # publishing counts it, at release
                     embargoedUntil=iso(time.time() + 2))

    async def enrichment_copies_its_table():
        """What enrichment's copier writes from its table, which counts the first story."""
        start, end = window_of(counted.envelope.received_at.timestamp(), pub_settings.trend_window_s)
        await redis.zadd(keys.trend_window(start), {"person\tAna Lima": 1})
        await redis.zadd(keys.trend_windows(), {f"{start}:{end}": start})

    await enrichment_copies_its_table()
    await publishing.publish(counted, released)
    before = {"Ana Lima": 1, "Ben Okafor": 1}
    await eventually(lambda: _trending_now(redis, keys, pub_settings, before, counted, released), timeout=60,
                     what="both stories in the trends, the second once released")
    await publishing.stop()

    lost = [k async for k in redis.scan_iter(match=f"{pub_settings.topic_prefix}*")]
    await redis.delete(*lost)
    counts = await rebuild(pub_settings)
    await enrichment_copies_its_table()  # enrichment's part is enrichment's to copy again
    assert await trending(redis, keys, pub_settings.trend_window_s, counted, released) == before
    assert (counts["live"], counts["trends_released"]) == (2, 1)

    publishing.start()
    await publishing.publish(named("urn:test:trends:counted", "Ana Lima", signal=Signal.KILL),
                             named("urn:test:trends:released", "Ben Okafor", signal=Signal.KILL))
    for event in (counted, released):
        await eventually(lambda event=event: _killed(view, event.envelope.article_id), timeout=60)
    assert await trending(redis, keys, pub_settings.trend_window_s, counted, released) == {}


async def _trending_now(redis, keys, settings, expected: dict[str, int], *events) -> bool:
    return await trending(redis, keys, settings.trend_window_s, *events) == expected


async def _killed(view: ReadModel, article_id: str) -> bool:
    stored = await view.stored(article_id)
    return stored is not None and stored.killed


async def sent(registry: StoryRegistry, uri: str, provider: str, *, version: str, kill: bool = False,
               acts_for: list[str] | None = None, **fields) -> tuple[Classification, ArticleEvent]:
    """What ingest makes of ``provider`` sending ``uri`` at ``version``: the registry's
    verdict, and the event publishing then gets."""
    event = article_event(uri, version=version, signal=Signal.KILL if kill else Signal.NEW, **fields)
    verdict = await registry.classify(event.article, event_id=uuid.uuid4().hex, source_version=version,
                                      hint=Signal.KILL if kill else None, provider=provider,
                                      acts_for=acts_for or [provider])
    event.article.version, event.envelope.provider = verdict.version, provider
    event.envelope.signal = verdict.decision.signal
    return verdict, event


async def attempt(registry: StoryRegistry, uri: str, provider: str, *, version: str, body: str = "defaced",
                  kill: bool = False, acts_for: list[str] | None = None) -> tuple[Decision, str, str | None]:
    """``provider`` sends ``uri``: the registry's (decision, version, owner)."""
    verdict = await registry.classify(article(uri, body), event_id=uuid.uuid4().hex, source_version=version,
                                      hint=Signal.KILL if kill else None, provider=provider,
                                      acts_for=acts_for or [provider])
    return verdict.decision, verdict.version, verdict.owner


async def test_after_a_rebuild_another_provider_still_cannot_replace_or_kill_a_story(publishing, pub_settings,
                                                                                     registry):
    """Redis lost the story registry with the read model. Before the rebuild gave it
    back, the first provider to send a story's uri again became its owner: "dpa" could
    send "ap"'s story at version 999, or kill it, and "ap"'s own updates were refused."""
    relay = ["aggregator", "ap"]  # the aggregator relays ap's copy: its version names ap as owner
    story, killed, held = (f"urn:ap:{name}:{uuid.uuid4().hex[:6]}" for name in ("story", "killed", "held"))
    flows = [await sent(registry, story, "ap", version="1"),
             await sent(registry, story, "aggregator", version="2", acts_for=relay),
             await sent(registry, killed, "ap", version="1"),
             await sent(registry, killed, "ap", version="2", kill=True),
             await sent(registry, held, "ap", version="1", embargoedUntil=iso(time.time() + 3600))]
    assert [v.decision for v, _ in flows] == [Decision.NEW, Decision.UPDATE, Decision.NEW, Decision.KILL,
                                              Decision.NEW]
    await publishing.publish(*(event for _, event in flows))
    records = await published(pub_settings, expect=5)  # killed: its item, the kill notice, the tombstone
    assert {(uri, h["wire_provider"], h.get("wire_owner")) for uri, _, h in records} == {
        (story, "ap", "ap"), (story, "aggregator", "ap"), (killed, "ap", "ap")}
    [copy] = await read_topic(pub_settings.kafka_bootstrap, pub_settings.embargoed_topic, expect=1)
    assert read_headers(copy.headers)["wire_owner"] == "ap"
    await publishing.stop()

    lost = [k async for k in publishing.redis.scan_iter(match=f"{pub_settings.topic_prefix}*")]
    await publishing.redis.delete(*lost)
    assert await registry.peek(article(story, "defaced"), source_version="999", acts_for=["dpa"]) is None

    counts = await rebuild(pub_settings)
    assert (counts["registry_restored"], counts["registry_owner_conflicts"]) == (3, 0)
    for uri, version in ((story, "2"), (killed, "2"), (held, "1")):
        for kill in (False, True):
            assert await attempt(registry, uri, "dpa", version="999", kill=kill) == (Decision.NOT_OWNER, version, "ap")
        assert await registry.peek(article(uri, "defaced"), source_version="999",
                                   acts_for=["dpa"]) is Decision.NOT_OWNER
    # what was last sent is not on Kafka: the same item re-sent is an update (it flows), never dropped
    again, _ = await sent(registry, story, "aggregator", version="2", acts_for=relay)
    assert (again.decision, again.version, again.owner) == (Decision.UPDATE, "2", "ap")
    assert await attempt(registry, story, "ap", version="1") == (Decision.OLDER, "2", "ap")
    assert await attempt(registry, story, "aggregator", version="3", acts_for=relay) == (Decision.UPDATE, "3", "ap")
    entry = await registry.redis.hmget(registry.keys.story(killed), "owner", "version", "decision")
    assert entry == [b"ap", b"2", b"kill"]  # killed at its kill's version: "1" re-sent is older
    assert await attempt(registry, killed, "ap", version="1") == (Decision.OLDER, "2", "ap")


async def test_a_rebuild_fills_missing_registry_entries_and_never_replaces_an_owner(pub_settings, registry):
    """Redis kept some entries (or got some back before the rebuild): an entry at the
    same or a newer version is left as it is, an older one takes Kafka's version and
    keeps its owner, and an owner that is not Kafka's (someone sent the uri between
    the loss and the rebuild) is never replaced, only counted."""
    topic = Topics(pub_settings.topic_prefix).published
    await ensure_topics(pub_settings.kafka_bootstrap, {topic: COMPACTED}, partitions=2)
    uris = {name: f"urn:ap:{name}:{uuid.uuid4().hex[:6]}" for name in ("missing", "newer", "older", "taken")}
    await produce(pub_settings.kafka_bootstrap, topic, [
        (uri.encode(), notice.body, notice.headers())
        for uri in uris.values()
        for notice in [Notice(article_id=article_id_for(uri), item=article_event(uri, version="2").article.to_ninjs(),
                              signal=Signal.UPDATE, provider="aggregator", published_at=time.time(),
                              received_at=iso(time.time()), traceparent="", owner="ap")]])
    assert (await attempt(registry, uris["newer"], "ap", version="5", body="kept"))[0] is Decision.NEW
    assert (await attempt(registry, uris["older"], "ap", version="1"))[0] is Decision.NEW
    assert (await attempt(registry, uris["taken"], "dpa", version="999"))[0] is Decision.NEW

    counts = await rebuild(pub_settings)
    assert (counts["registry_restored"], counts["registry_owner_conflicts"]) == (2, 1)

    async def entry(name):
        return await registry.redis.hmget(registry.keys.story(uris[name]), "owner", "version")

    assert [await entry(name) for name in uris] == [[b"ap", b"2"], [b"ap", b"5"], [b"ap", b"2"], [b"dpa", b"999"]]
    assert await registry.peek(article(uris["newer"], "kept"), source_version="5") is Decision.DUPLICATE
    assert await attempt(registry, uris["missing"], "dpa", version="999") == (Decision.NOT_OWNER, "2", "ap")
