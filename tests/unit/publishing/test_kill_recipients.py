"""A kill reaches every subscription that was sent any version of the story, whatever
its filter says by then (a downgraded customer), and no one else: plan() with no
Redis and no Kafka, the story's stored meta carried from one decision to the next as
the read model would keep it."""
from __future__ import annotations

from dataclasses import replace

import orjson

from services.gateway.deps import Reader
from services.publishing.recipients import (EVERYONE, NUMBERS, NUMBERS_MAX_BYTES, RECIPIENTS, RECIPIENTS_HEADER,
                                            from_header, had_it, highest_number, known, recipients_after)
from services.publishing.snapshot import Snapshot
from shared.events import Signal
from shared.read_model import StoredItem
from shared.subscriptions import Outputs, Subscription, SubscriptionFilter, Webhook
from tests.unit.publishing.test_plan import (CONFLICT_DESK, KEYS, RULES, SPORT, SPORT_DESK, decide, event,
                                             headers_of, stored_of, topics)

HOOK = Outputs(webhook=Webhook(url="https://example.com/downgraded"))
WHOLE_WIRE = Subscription(name="downgraded", filter=SubscriptionFilter(), outputs=HOOK)
NARROWED = WHOLE_WIRE.model_copy(update={"filter": SubscriptionFilter(subjects=["medtop:15000000"])})


def stored_after(p, e) -> StoredItem:
    """What the read model holds once plan ``p`` (of event ``e``) was written."""
    [write] = [w for w in p.writes if w.article_id == e.envelope.article_id]
    return StoredItem(version=e.article.version, item_json=orjson.dumps(write.item), meta=write.meta,
                      digest=write.digest, killed=write.killed, root=e.envelope.article_id)


def reaches(p, name: str) -> dict[str, bool]:
    """What the plan ``p`` sends subscription ``name``: its topic, webhook, live stream."""
    sent = [d for w in p.writes for d in w.deliveries if d.feed == KEYS.items(name) or d.outbox == KEYS.outbox(name)]
    return {"topic": f"t.published.{name}" in topics(p), "webhook": any(d.outbox for d in sent),
            "live": any(d.live for d in sent)}


NOTHING = {"topic": False, "webhook": False, "live": False}
EVERY_OUTPUT = {"topic": True, "webhook": True, "live": True}


def test_a_subscriber_downgraded_after_it_had_the_story_is_told_of_its_kill_on_every_output():
    v1 = event(version="1")
    first = decide(v1, subscriptions=[WHOLE_WIRE, SPORT_DESK])
    assert reaches(first, "downgraded") == EVERY_OUTPUT
    # the operator narrows its filter to sport; an update of the story no longer reaches it
    v2 = event(version="2", signal=Signal.UPDATE)
    update = decide(v2, Snapshot(stored=stored_after(first, v1)), subscriptions=[NARROWED, SPORT_DESK])
    assert reaches(update, "downgraded") == NOTHING
    assert {d.feed: d.feed_mode for d in update.writes[0].deliveries}[KEYS.items("downgraded")] == "r"

    kill = decide(event(version="3", signal=Signal.KILL), Snapshot(stored=stored_after(update, v2)),
                  subscriptions=[NARROWED, SPORT_DESK])
    assert kill.outcome == "killed" and reaches(kill, "downgraded") == EVERY_OUTPUT
    [delivery] = [d for d in kill.writes[0].deliveries if d.outbox]
    assert delivery.feed_mode == "r"  # its feed only loses the item
    assert kill.writes[0].meta["notified"] == ["downgraded"]  # the gateway answers it 410, not 404
    assert reaches(kill, "sport") == NOTHING  # never had it: not told
    notice = next(r for r in kill.records if r.topic == "t.published.downgraded")
    assert orjson.loads(notice.value) == {"uri": "urn:test:1", "version": "3", "pubStatus": "canceled"}


def test_a_subscription_deleted_since_it_had_the_story_gets_nothing():
    v1 = event()
    gone = Subscription(name="gone", outputs=HOOK)
    first = decide(v1, subscriptions=[gone, CONFLICT_DESK])
    assert first.writes[0].meta[RECIPIENTS] == ["conflict", "gone"]
    kill = decide(event(version="2", signal=Signal.KILL), Snapshot(stored=stored_after(first, v1)),
                  subscriptions=[CONFLICT_DESK])
    assert kill.writes[0].meta["notified"] == ["conflict"] and "t.published.gone" not in topics(kill)
    assert all(KEYS.outbox("gone") != d.outbox and KEYS.live("gone") != d.live
               for w in kill.writes for d in w.deliveries)


def test_the_name_of_a_deleted_subscription_is_dropped_at_the_next_version():
    """A new subscription of that name never had the story: its kill is not its business."""
    v1 = event()
    first = decide(v1, subscriptions=[Subscription(name="gone"), CONFLICT_DESK])
    later = decide(event(version="2", signal=Signal.UPDATE), Snapshot(stored=stored_after(first, v1)),
                   subscriptions=[CONFLICT_DESK])
    assert later.writes[0].meta[RECIPIENTS] == ["conflict"]


def test_each_language_version_killed_with_the_original_goes_to_whoever_had_that_version():
    original, translation = event(version="1"), event("urn:test:1:translation:pt")
    had_translation = Subscription(name="portuguese", filter=SubscriptionFilter(languages=["pt"]))
    snapshot = Snapshot(stored=stored_of(original, translation_role="original", **{RECIPIENTS: ["conflict"]}),
                        family=[(translation.envelope.article_id,
                                 stored_of(translation, translation_role="translation",
                                           **{RECIPIENTS: ["portuguese"]}))])
    # neither filter takes its story now (the test items are "en"; the conflict desk went sport)
    now = [had_translation, CONFLICT_DESK.model_copy(update={"filter": SubscriptionFilter(subjects=[SPORT])})]
    kill = decide(event(version="2", signal=Signal.KILL), snapshot, subscriptions=now)
    told = {uri: sorted(r.topic for r in kill.records if r.key.decode() == uri and r.topic.startswith("t.published."))
            for uri in ("urn:test:1", "urn:test:1:translation:pt")}
    assert told == {"urn:test:1": ["t.published.conflict"],
                    "urn:test:1:translation:pt": ["t.published.portuguese"]}
    assert [w.meta["notified"] for w in kill.writes] == [["conflict"], ["portuguese"]]


def test_a_redelivered_kill_tells_the_downgraded_subscriber_again():
    v1 = event()
    first = decide(v1, subscriptions=[WHOLE_WIRE])
    kill_event = event(version="2", signal=Signal.KILL)
    kill = decide(kill_event, Snapshot(stored=stored_after(first, v1)), subscriptions=[NARROWED])
    again = decide(kill_event, Snapshot(stored=stored_after(kill, kill_event)), subscriptions=[NARROWED])
    assert again.outcome == "duplicate" and again.writes == []
    assert "t.published.downgraded" in topics(again)


def test_a_redelivered_item_goes_again_only_where_it_went_the_first_time():
    """A subscription whose filter took the item only after it was written had no webhook
    POST nor feed entry of it: the re-delivery gives it no topic record either, so every
    output that had it is among its recipients."""
    v1 = event()
    first = decide(v1, subscriptions=[CONFLICT_DESK])
    widened = SPORT_DESK.model_copy(update={"filter": SubscriptionFilter()})
    again = decide(v1, Snapshot(stored=stored_after(first, v1)), subscriptions=[CONFLICT_DESK, widened])
    assert again.outcome == "duplicate" and topics(again) == ["t.articles.published", "t.published.conflict"]


def test_past_the_bound_a_story_keeps_its_recipients_as_numbers_and_its_kill_reaches_exactly_them():
    v1 = event()
    many = [Subscription(name=f"desk-{i}", number=10 + i) for i in range(3)]
    bounded = replace(RULES, recipients_max=2)
    first = decide(v1, subscriptions=many, rules=bounded)
    assert set(first.writes[0].meta[RECIPIENTS]) == {NUMBERS}  # a bitmap, not three names
    # the next version reaches a desk that joined; one of the three narrows its filter
    late = Subscription(name="late-desk", number=40)
    narrowed = many[0].model_copy(update={"filter": SubscriptionFilter(subjects=[SPORT])})
    v2 = event(version="2", signal=Signal.UPDATE)
    now = [narrowed, *many[1:], late, SPORT_DESK.model_copy(update={"number": 7})]
    update = decide(v2, Snapshot(stored=stored_after(first, v1)), subscriptions=now, rules=bounded)
    assert reaches(update, "desk-0") == NOTHING and reaches(update, "late-desk") != NOTHING
    # and one is deleted, then created again under its name: another subscription
    again = Subscription(name="desk-2", number=41, filter=SubscriptionFilter(subjects=[SPORT]))
    now = [narrowed, many[1], again, late, SPORT_DESK.model_copy(update={"number": 7})]
    kill = decide(event(version="3", signal=Signal.KILL), Snapshot(stored=stored_after(update, v2)),
                  subscriptions=now, rules=bounded)
    assert kill.writes[0].meta["notified"] == ["desk-0", "desk-1", "late-desk"]
    assert reaches(kill, "sport") == NOTHING and reaches(kill, "desk-2") == NOTHING  # never had it
    assert reaches(kill, "desk-0") == {"topic": True, "webhook": False, "live": True}  # no webhook


def test_the_numbers_travel_on_the_published_record_for_a_rebuild():
    many = [Subscription(name=f"desk-{i}", number=i) for i in range(3)]
    first = decide(event(), subscriptions=many, rules=replace(RULES, recipients_max=2))
    kept = from_header(headers_of(first.records[0])[RECIPIENTS_HEADER])
    assert kept == first.writes[0].meta[RECIPIENTS]
    assert [s.name for s in had_it({RECIPIENTS: kept}, {"uri": "x"}, "wire", [*many, SPORT_DESK])] == \
        ["desk-0", "desk-1", "desk-2"]


def test_past_the_bound_a_recipient_saved_before_numbers_makes_the_story_reached_by_everyone():
    v1 = event()
    many = [Subscription(name="desk-0", number=0), Subscription(name="desk-1", number=1), Subscription(name="old")]
    bounded = replace(RULES, recipients_max=2)
    first = decide(v1, subscriptions=many, rules=bounded)
    assert first.writes[0].meta[RECIPIENTS] == EVERYONE
    # it stays so, whoever the next version reaches
    v2 = event(version="2", signal=Signal.UPDATE)
    update = decide(v2, Snapshot(stored=stored_after(first, v1)), subscriptions=[*many, SPORT_DESK], rules=bounded)
    assert update.writes[0].meta[RECIPIENTS] == EVERYONE
    kill = decide(event(version="3", signal=Signal.KILL), Snapshot(stored=stored_after(update, v2)),
                  subscriptions=[*many, SPORT_DESK], rules=bounded)
    assert kill.writes[0].meta["notified"] == ["desk-0", "desk-1", "old", "sport"]


def test_a_story_kept_before_its_recipients_were_is_killed_for_those_its_filter_takes():
    kill = decide(event(version="2", signal=Signal.KILL), Snapshot(stored=stored_of(event())),
                  subscriptions=[NARROWED, CONFLICT_DESK])
    assert kill.writes[0].meta["notified"] == ["conflict"]


def test_who_had_the_story_travels_on_articles_published_only():
    """For a rebuild of the read model: a live item's record says who had the story so
    far, a kill notice's (and its tombstone's) who was told; a subscriber's topic never
    names the other subscribers."""
    v1 = event()
    first = decide(v1, subscriptions=[WHOLE_WIRE, CONFLICT_DESK])
    published = {r.topic: headers_of(r) for r in first.records}
    assert orjson.loads(published["t.articles.published"]["wire_recipients"]) == ["conflict", "downgraded"]
    assert all("wire_recipients" not in published[t] for t in ("t.published.conflict", "t.published.downgraded"))
    kill = decide(event(version="2", signal=Signal.KILL), Snapshot(stored=stored_after(first, v1)),
                  subscriptions=[NARROWED, CONFLICT_DESK])
    notice, tombstone = kill.records[:2]
    assert tombstone.value is None
    for record in (notice, tombstone):
        assert sorted(orjson.loads(headers_of(record)["wire_recipients"])) == ["conflict", "downgraded"]
    assert RECIPIENTS not in kill.writes[0].meta  # "notified" says it once killed


def test_a_subscription_created_again_under_a_deleted_ones_name_is_not_told_of_what_that_one_had():
    """By name (under the bound) as by number: the new one is another customer."""
    v1 = event()
    first = decide(v1, subscriptions=[Subscription(name="desk", created_at="2020-01-01T00:00:00+00:00")])
    assert first.writes[0].meta[RECIPIENTS] == ["desk"]
    made_again = Subscription(name="desk", created_at="2999-01-01T00:00:00+00:00",
                              filter=SubscriptionFilter(subjects=[SPORT]))  # after the story was published
    kill_event = event(version="2", signal=Signal.KILL)
    kill = decide(kill_event, Snapshot(stored=stored_after(first, v1)), subscriptions=[made_again])
    assert kill.writes[0].meta["notified"] == [] and reaches(kill, "desk") == NOTHING
    # nor by a re-delivered kill, nor by the 410 that tells who had it
    told_then = stored_after(kill, kill_event)
    told_then.meta["notified"] = ["desk"]  # as if the old desk had been told
    again = decide(kill_event, Snapshot(stored=told_then), subscriptions=[made_again])
    assert again.outcome == "duplicate" and "t.published.desk" not in topics(again)
    assert not Reader(subscription=made_again).saw_killed(told_then.meta)
    # nor does the next version carry the old one's name over to it
    update = decide(event(version="2", signal=Signal.UPDATE), Snapshot(stored=stored_after(first, v1)),
                    subscriptions=[made_again])
    assert update.writes[0].meta[RECIPIENTS] == []


def test_a_bitmap_keeps_far_numbers_exactly_and_one_not_ours_is_unreadable():
    far = Subscription(name="far", number=3_000_000)
    kept_numbers = recipients_after(None, [far, *[Subscription(name=f"d{i}", number=i) for i in range(3)]], [],
                                    most=2)
    assert known({RECIPIENTS: kept_numbers}) == {0, 1, 2, 3_000_000}
    assert highest_number(kept_numbers) == 3_000_000
    beyond = Subscription(name="beyond", number=8 * NUMBERS_MAX_BYTES)
    assert recipients_after(None, [beyond, *[Subscription(name=f"d{i}", number=i) for i in range(3)]], [],
                            most=2) == EVERYONE
    assert known({RECIPIENTS: {NUMBERS: "A" * (2 * NUMBERS_MAX_BYTES)}}) is None
    assert known({RECIPIENTS: {NUMBERS: "not base64!"}}) is None
