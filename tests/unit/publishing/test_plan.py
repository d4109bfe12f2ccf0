"""Publishing's decision, with no Redis and no Kafka: plan(event, snapshot, subscriptions)."""
from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta

import orjson
import pytest

from services.publishing.actions import Rules
from services.publishing.plan import family_root, plan
from services.publishing.snapshot import Snapshot
from shared.cache import Keys
from shared.events import (Article, ArticleEvent, EnrichmentInfo, Envelope, Signal, TextBlock, TranslationInfo,
                           article_id_for, utcnow)
from shared.identity import NotOwner
from shared.read_model import StoredItem
from shared.subscriptions import Outputs, Subscription, SubscriptionFilter, Webhook
from shared.trends import COUNTED

KEYS = Keys("t.").subscriptions
RULES = Rules(keys=KEYS, published_topic="t.articles.published", topic_prefix="t.",
              embargoed_topic="t.articles.embargoed")
CONFLICT = "http://cv.iptc.org/newscodes/mediatopic/16000000"
SPORT = "http://cv.iptc.org/newscodes/mediatopic/15000000"
CONFLICT_DESK = Subscription(name="conflict", filter=SubscriptionFilter(subjects=["medtop:16000000"]),
                             outputs=Outputs(webhook=Webhook(url="https://example.com/hook")))
SPORT_DESK = Subscription(name="sport", filter=SubscriptionFilter(subjects=["medtop:15000000"]))
SUBSCRIPTIONS = [CONFLICT_DESK, SPORT_DESK]


def event(uri: str = "urn:test:1", *, version: str = "1", signal: Signal = Signal.NEW, subject: str = CONFLICT,
          **fields) -> ArticleEvent:
    article = Article(uri=uri, version=version, language="en", headlines=[TextBlock(role="main", value="Troops")],
                      bodies=[TextBlock(contentType="text/plain", value="A second wave is expected.")],
                      subjects=[{"uri": subject}], **fields)
    if signal is Signal.KILL:
        article.pubStatus = "canceled"
    envelope = Envelope(article_id=article_id_for(uri), provider="wire", received_at=utcnow(), source_format="ninjs",
                        content_type="application/json", signal=signal, traceparent="00-" + "1" * 32 + "-" + "2" * 16
                        + "-01")
    return ArticleEvent(envelope=envelope, article=article)


def decide(e: ArticleEvent, snapshot: Snapshot = Snapshot(), subscriptions=SUBSCRIPTIONS, **kw):
    return plan(e, snapshot, subscriptions, item=e.article.to_ninjs(), rules=kw.pop("rules", RULES),
                now=kw.pop("now", time.time()), **kw)


def stored_of(e: ArticleEvent, *, killed: bool = False, digest: str = "other", **meta) -> StoredItem:
    return StoredItem(version=e.article.version, item_json=orjson.dumps(e.article.to_ninjs()), meta={"provider": "wire", **meta},
                      digest=digest, killed=killed, root=e.envelope.article_id)


def topics(p) -> list[str]:
    return [r.topic for r in p.records]


def test_a_new_story_goes_to_the_read_model_the_matching_subscriptions_and_kafka():
    p = decide(event())
    assert p.outcome == "published" and p.hold is None and p.drop_held is None
    [write] = p.writes
    assert not write.killed and write.item["uri"] == "urn:test:1" and write.root == article_id_for("urn:test:1")
    assert [d.feed for d in write.deliveries] == [KEYS.items("conflict")]
    assert write.deliveries[0].outbox == KEYS.outbox("conflict") and write.deliveries[0].live == KEYS.live("conflict")
    assert topics(p) == ["t.articles.published", "t.published.conflict"]
    assert p.fanout == ["conflict"]


def test_no_subscription_takes_an_item_outside_its_filter():
    p = decide(event(subject=SPORT), subscriptions=[CONFLICT_DESK])
    assert p.outcome == "published" and p.writes[0].deliveries == [] and topics(p) == ["t.articles.published"]


def test_an_older_version_than_the_stored_one_is_ignored():
    stored = stored_of(event(version="3"))
    p = decide(event(version="2"), Snapshot(stored=stored))
    assert p.outcome == "stale" and p.records == [] and p.writes == []


def test_an_update_replaces_the_stored_version_and_leaves_feeds_it_no_longer_fits():
    before = event(version="1")
    p = decide(event(version="2", signal=Signal.UPDATE, subject=SPORT), Snapshot(stored=stored_of(before)))
    assert p.outcome == "published" and p.signal is Signal.UPDATE
    modes = {d.feed: d.feed_mode for d in p.writes[0].deliveries}
    assert modes == {KEYS.items("sport"): "a", KEYS.items("conflict"): "r"}


def test_the_same_item_again_is_a_duplicate_that_writes_nothing_but_reproduces_its_records():
    first = decide(event())
    again = decide(event(), Snapshot(stored=stored_of(event(), digest=first.writes[0].digest)))
    assert again.outcome == "duplicate" and again.writes == [] and topics(again) == topics(first)


def test_an_embargoed_item_is_held_until_its_time():
    until = time.time() + 3600
    e = event(embargoedUntil=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(until)))
    p = decide(e)
    assert p.outcome == "embargoed" and p.writes == [] and p.hold[0] is e and abs(p.hold[1] - until) < 1
    [copy] = p.records
    assert copy.topic == "t.articles.embargoed" and orjson.loads(copy.value)["article"]["uri"] == e.article.uri


def test_a_newer_version_supersedes_the_held_one_and_takes_it_out_of_the_queue():
    held = event(version="1", embargoedUntil="2999-01-01T00:00:00Z")
    p = decide(event(version="2"), Snapshot(held=held))
    assert p.outcome == "published" and p.drop_held == (held.envelope.article_id, None)
    assert p.records[-1].topic == "t.articles.embargoed" and p.records[-1].value is None


def test_an_older_version_than_the_held_one_is_ignored():
    held = event(version="3", embargoedUntil="2999-01-01T00:00:00Z")
    assert decide(event(version="2"), Snapshot(held=held)).outcome == "stale"


def test_a_released_item_is_published_and_leaves_the_queue_only_at_its_version():
    e = event(version="2", embargoedUntil="2999-01-01T00:00:00Z")
    p = decide(e, releasing=True)
    assert p.outcome == "published" and p.drop_held == (e.envelope.article_id, "2")
    assert p.records[-1].value is None  # the durable copy's tombstone


def test_a_kill_takes_the_story_and_its_translations_and_tells_who_had_it():
    original = event(version="1")
    translation = event("urn:test:1?translation=pt", subject=CONFLICT)
    snapshot = Snapshot(stored=stored_of(original, translation_role="original"),
                        family=[(translation.envelope.article_id, stored_of(translation, translation_role="translation")),
                                (original.envelope.article_id, stored_of(original))])
    p = decide(event(version="2", signal=Signal.KILL), snapshot)
    assert p.outcome == "killed" and p.count == 2
    assert [w.article_id for w in p.writes] == [original.envelope.article_id, translation.envelope.article_id]
    assert all(w.killed and w.item["pubStatus"] == "canceled" and "bodies" not in w.item for w in p.writes)
    assert all(w.purge_live == [KEYS.live("conflict"), KEYS.live("sport")] for w in p.writes)
    assert all(w.meta["notified"] == ["conflict"] and w.meta["was_public"] for w in p.writes)
    assert "enrichment" not in p.writes[0].meta
    assert topics(p).count("t.published.conflict") == 2 and "t.published.sport" not in topics(p)


def test_a_kill_of_a_story_never_published_leaves_only_a_tombstone():
    p = decide(event(signal=Signal.KILL))
    assert p.outcome == "killed" and [(r.topic, r.value) for r in p.records] == [("t.articles.published", None)]


def test_a_redelivered_kill_writes_nothing_and_tells_the_same_subscribers_again():
    kill = event(version="2", signal=Signal.KILL)
    first = decide(kill, Snapshot(stored=stored_of(event())))
    stored = replace(stored_of(kill, killed=True, digest=first.writes[0].digest), meta=first.writes[0].meta)
    again = decide(kill, Snapshot(stored=stored))
    assert again.outcome == "duplicate" and again.writes == [] and topics(again) == topics(first)


def test_the_killed_version_coming_back_is_stale():
    stored = stored_of(event(version="2"), killed=True)
    assert decide(event(version="2", signal=Signal.UPDATE), Snapshot(stored=stored)).outcome == "stale"


def test_a_subscription_without_feeds_gets_no_feed_entry_but_its_topic():
    topic_only = Subscription(name="wire", outputs=Outputs(feeds=False))
    p = decide(event(), subscriptions=[topic_only])
    [delivery] = p.writes[0].deliveries
    assert delivery.feed is None and delivery.live is None and delivery.outbox is None
    assert "t.published.wire" in topics(p)


def test_a_story_deferred_from_the_trends_is_counted_when_it_goes_live():
    e = event()
    e.envelope.enrichment = EnrichmentInfo(entities=[{"type": "person", "name": "Kim"}], trendsDeferred=True)
    assert decide(e).trend_count.uri == e.article.uri
    assert decide(event()).trend_count is None


def test_what_the_trends_counted_is_kept_with_the_story_and_a_kill_takes_it_back():
    first = event()
    first.envelope.enrichment = EnrichmentInfo(entities=[{"type": "person", "name": "Kim"}])
    counted = decide(first).writes[0].meta[COUNTED]
    assert counted == {"entities": ["person\tKim"], "at": first.envelope.received_at.timestamp()}
    update = event(version="2")  # names someone else: the trends counted the first version
    update.envelope.enrichment = EnrichmentInfo(entities=[{"type": "person", "name": "Lee"}])
    assert decide(update, Snapshot(stored=stored_of(first, **{COUNTED: counted}))).writes[0].meta[COUNTED] == counted
    translation = event("urn:test:1?translation=pt")
    snapshot = Snapshot(stored=stored_of(first, translation_role="original", **{COUNTED: counted}),
                        family=[(translation.envelope.article_id, stored_of(translation, translation_role="translation"))])
    kill = decide(event(version="3", signal=Signal.KILL), snapshot)
    assert kill.count == 2 and kill.trend_takebacks == [(first.article.uri, counted)]
    assert decide(event(signal=Signal.KILL)).trend_takebacks == []  # never public, never counted
    assert COUNTED not in kill.writes[0].meta  # the entities leave the read model with the kill


def test_a_version_that_overtakes_a_held_deferred_one_is_counted_at_publication():
    """v1 under embargo was left out of the trends; enrichment counts a uri only the first
    time, so v2 (no embargo) came uncounted and unmarked: publishing counts it."""
    held = event(embargoedUntil="2999-01-01T00:00:00Z")
    held.envelope.enrichment = EnrichmentInfo(entities=[{"type": "person", "name": "Kim"}], trendsDeferred=True)
    v2 = event(version="2")
    v2.envelope.enrichment = EnrichmentInfo(entities=[{"type": "person", "name": "Kim"}])
    p = decide(v2, Snapshot(held=held))
    assert p.trend_count is not None and p.writes[0].meta[COUNTED]["entities"] == ["person\tKim"]


def test_what_the_trends_counted_travels_on_articles_published_for_a_rebuild_but_never_with_a_kill():
    """``articles.published`` keeps what the trends counted for a live story (the rebuild
    gives it back to the read model); a subscriber's topic never carries it, nor does
    any kill notice, whose story's entities must leave every surface."""
    first = event()
    first.envelope.enrichment = EnrichmentInfo(entities=[{"type": "person", "name": "Kim"}])
    published = decide(first)
    headers = {r.topic: dict(r.headers) for r in published.records}
    assert orjson.loads(headers["t.articles.published"]["wire_trend_counted"]) == published.writes[0].meta[COUNTED]
    assert "wire_trend_counted" not in headers["t.published.conflict"]
    snapshot = Snapshot(stored=stored_of(first, **{COUNTED: published.writes[0].meta[COUNTED]}))
    kill = decide(event(version="2", signal=Signal.KILL), snapshot)
    assert all("wire_trend_counted" not in dict(r.headers) for r in kill.records)


def test_counts_publishing_added_at_the_end_of_an_embargo_are_marked_as_its_own():
    held = event()
    held.envelope.enrichment = EnrichmentInfo(entities=[{"type": "person", "name": "Kim"}], trendsDeferred=True)
    assert decide(held, releasing=True).writes[0].meta[COUNTED]["released"] is True
    assert "released" not in decide(event()).writes[0].meta[COUNTED]  # enrichment counted that one


def test_the_family_root_is_what_translation_says_else_what_redis_knows_else_the_item():
    e = event("urn:test:1?translation=pt")
    assert family_root(e, Snapshot(roots=[None, "known-root"], owners=["wire", "wire"])) == "known-root"
    assert family_root(e, Snapshot(roots=[None])) == e.envelope.article_id
    e.envelope.translation = TranslationInfo(role="translation", of_article_id="the-original")
    assert family_root(e, Snapshot(roots=["known-root"])) == "the-original"
    e.envelope.translation = {"role": "original"}  # assigned as a dict, validated into the model
    assert family_root(e, Snapshot(roots=["known-root"])) == e.envelope.article_id


def test_a_link_to_another_owners_story_does_not_join_its_family():
    """A provider naming someone else's story as its translation stays a family of its
    own: the other's kill does not take it, nor its kill the other's story."""
    e = event("urn:b:1", associations=[{"rel": "translation", "uri": "urn:a:1"}])
    theirs = Snapshot(roots=[None, "a-root"], owners=["b", "a"])
    assert family_root(e, theirs) == e.envelope.article_id
    assert decide(e, theirs).writes[0].root == e.envelope.article_id
    assert family_root(e, Snapshot(roots=[None, "a-root"], owners=[None, None])) == e.envelope.article_id
    assert family_root(e, Snapshot(roots=[None, "a-root"], owners=["a", "a"])) == "a-root"


def test_a_kill_never_takes_another_owners_item_from_the_family():
    """The family's members go with the original when they are machine translations or
    have its owner in the story registry, whoever sent their latest version (a relay)."""
    original = event(version="1")
    foreign, own, relayed, machine = (event("urn:other:1"), event("urn:test:1-de"), event("urn:test:1-fr"),
                                      event("urn:test:1:translation:pt"))
    ids = {e.article.uri: e.envelope.article_id for e in (foreign, own, relayed, machine)}
    snapshot = Snapshot(stored=stored_of(original, provider="relay"), owners=["wire"],
                        family=[(ids["urn:other:1"], stored_of(foreign, provider="other")),
                                (ids["urn:test:1-de"], stored_of(own)),
                                (ids["urn:test:1-fr"], stored_of(relayed, provider="relay")),
                                (ids["urn:test:1:translation:pt"], stored_of(machine, translation_role="translation"))],
                        family_owners={ids["urn:other:1"]: "other", ids["urn:test:1-de"]: "wire",
                                       ids["urn:test:1-fr"]: "wire"})
    p = decide(event(version="2", signal=Signal.KILL), snapshot)
    assert [w.article_id for w in p.writes] == [original.envelope.article_id, ids["urn:test:1-de"],
                                                ids["urn:test:1-fr"], ids["urn:test:1:translation:pt"]]


def test_a_provider_item_never_replaces_or_kills_a_machine_translation():
    """Its uri (``…:translation:pt``) is derived from the original's and owned by no
    provider: another provider's item there goes to the DLQ as not-owner."""
    translation = event("urn:test:1:translation:pt")
    stored = Snapshot(stored=stored_of(translation, translation_role="translation"))
    for squatter in (event("urn:test:1:translation:pt", version="99"),
                     event("urn:test:1:translation:pt", version="99", signal=Signal.KILL)):
        with pytest.raises(NotOwner):
            decide(squatter, stored)
    translation.envelope.translation = TranslationInfo(role="translation", of_article_id="the-original")
    assert decide(translation, stored).outcome in ("published", "duplicate")


def test_a_machine_translation_never_replaces_a_providers_own_story_at_its_uri():
    """A site's own page ``…?id=5&translation=en``, owned in the story registry, is where
    the machine translation of ``…?id=5`` (another provider's, sent later) would go: the
    translation goes to the DLQ as not-owner instead of replacing the page."""
    page = event("https://b.example/s?id=5&translation=en", version="1")
    translation = event("https://b.example/s?id=5&translation=en", version="9")
    translation.envelope.translation = TranslationInfo(role="translation", of_article_id="a-story")
    owned = Snapshot(stored=stored_of(page), owners=["site"])
    with pytest.raises(NotOwner, match="'site'"):
        decide(translation, owned)
    assert decide(translation, Snapshot(owners=[None])).outcome == "published"  # nobody's: the translation's
    # the machine translation was there first: an item its original's owner sent over it was
    # refused (registered all the same), and the translation's own next versions go on
    machine = Snapshot(stored=stored_of(translation, translation_role="translation"), owners=["site"])
    newer = event("https://b.example/s?id=5&translation=en", version="10")
    newer.envelope.translation = translation.envelope.translation
    assert decide(newer, machine).outcome == "published"


def headers_of(record) -> dict[str, str]:
    return {k: v.decode() for k, v in record.headers}


def test_the_records_name_the_story_registry_owner_not_the_relay_that_sent_the_version():
    """What the rebuild gives back to the registry when Redis lost it (the owner; a
    tombstone's version, for when compaction has taken the kill notice)."""
    relayed = event(version="2", signal=Signal.UPDATE)
    relayed.envelope.provider = "relay"
    p = decide(relayed, Snapshot(owners=["wire"]))
    assert {(headers_of(r)["wire_provider"], headers_of(r)["wire_owner"], headers_of(r)["wire_version"])
            for r in p.records} == {("relay", "wire", "2")}
    kill = decide(event(version="3", signal=Signal.KILL), Snapshot(stored=stored_of(event()), owners=["wire"]))
    tombstone = kill.records[1]
    assert tombstone.value is None and headers_of(tombstone)["wire_owner"] == "wire"
    assert headers_of(tombstone)["wire_version"] == "3"
    assert "wire_owner" not in headers_of(decide(event()).records[0])  # no owner known: none named
    [copy] = decide(event(embargoedUntil="2999-01-01T00:00:00Z"), Snapshot(owners=["wire"])).records
    assert headers_of(copy) == {"wire_owner": "wire"}


def test_a_machine_translation_killed_with_its_original_names_no_owner():
    original = event(version="1")
    machine = event("urn:test:1:translation:pt")
    snapshot = Snapshot(stored=stored_of(original, translation_role="original"), owners=["wire"],
                        family=[(machine.envelope.article_id, stored_of(machine, translation_role="translation"))])
    p = decide(event(version="2", signal=Signal.KILL), snapshot)
    owners = {r.key.decode(): headers_of(r).get("wire_owner") for r in p.records}
    assert owners == {"urn:test:1": "wire", "urn:test:1:translation:pt": None}


def test_a_language_version_sent_before_its_originals_kill_is_killed_with_it_when_it_comes_after():
    """A provider's own French version, linked to its original, sent before the original's
    kill but decided after that kill landed (another partition's replica, or another
    story of the same batch, killed the original meanwhile): the kill walked a family
    without it. Published, it would be the killed story, live in another language."""
    fr = event("urn:test:1-fr", associations=[{"rel": "translation", "uri": "urn:test:1"}])
    kill_received = (fr.envelope.received_at + timedelta(seconds=1)).isoformat()
    snapshot = Snapshot(roots=[None, "the-original"], owners=["wire", "wire"],
                        killed_roots={"the-original": kill_received})
    p = decide(fr, snapshot)
    assert p.outcome == "killed" and [w.killed for w in p.writes] == [True]
    assert p.records == [r for r in p.records if r.topic == RULES.published_topic]  # a tombstone: never public
    assert p.family is None  # not an original: its kill walks no family
    assert [n["code"] for n in p.writes[0].meta["notes"]] == ["story_killed"]

    machine = event("urn:test:1:translation:fr")
    machine.envelope.translation = TranslationInfo(role="translation", of_article_id="the-original")
    killed_before = Snapshot(killed_roots={"the-original": (fr.envelope.received_at - timedelta(hours=1)).isoformat()})
    assert decide(machine, killed_before).outcome == "killed"  # a machine translation goes with its original


def test_a_language_version_sent_after_its_originals_kill_is_published_as_an_original_of_its_own():
    """Sent after the kill, it is a story of its own: published, with a note, and out of
    the killed family (the killed story's family takes no new version)."""
    fr = event("urn:test:1-fr", associations=[{"rel": "translation", "uri": "urn:test:1"}])
    kill_received = (fr.envelope.received_at - timedelta(seconds=1)).isoformat()
    p = decide(fr, Snapshot(roots=[None, "the-original"], owners=["wire", "wire"],
                            killed_roots={"the-original": kill_received}))
    assert p.outcome == "published" and p.writes[0].root == fr.envelope.article_id
    assert [n["code"] for n in p.writes[0].meta["notes"]] == ["story_killed"]
    assert decide(fr, Snapshot(roots=[None, "the-original"], owners=["wire", "wire"])).writes[0].root == "the-original"


def test_a_version_killed_with_its_story_before_it_was_public_takes_back_what_the_trends_counted():
    """Enrichment counted it when it first saw it; never public, its kill is the only
    chance to take that back (a story's kill takes back what was counted for a stored one)."""
    fr = event("urn:test:1-fr", associations=[{"rel": "translation", "uri": "urn:test:1"}])
    fr.envelope.enrichment = EnrichmentInfo(entities=[{"type": "person", "name": "Park Won-gon"}])
    later = (fr.envelope.received_at + timedelta(seconds=1)).isoformat()
    p = decide(fr, Snapshot(roots=[None, "the-original"], owners=["wire", "wire"],
                            killed_roots={"the-original": later}))
    assert [uri for uri, _ in p.trend_takebacks] == ["urn:test:1-fr"]


def test_a_kill_time_that_cannot_be_read_counts_as_after_the_version():
    fr = event("urn:test:1-fr", associations=[{"rel": "translation", "uri": "urn:test:1"}])
    for unreadable in ("", "None", "yesterday"):
        snapshot = Snapshot(roots=[None, "the-original"], owners=["wire", "wire"],
                            killed_roots={"the-original": unreadable})
        assert decide(fr, snapshot).outcome == "killed", unreadable
    naive = (fr.envelope.received_at + timedelta(seconds=1)).replace(tzinfo=None).isoformat()
    snapshot = Snapshot(roots=[None, "the-original"], owners=["wire", "wire"], killed_roots={"the-original": naive})
    assert decide(fr, snapshot).outcome == "killed"
