"""What one provider's items can make publishing do stays bounded, with no Redis and
no Kafka: plan(event, snapshot, subscriptions). A kill of a story never published
purges no live stream; a provider's links gather at most ``family_max`` language
versions in one story (a machine translation always joins its original's)."""
from __future__ import annotations

from dataclasses import replace

from services.publishing.snapshot import Snapshot
from shared.events import Signal, TranslationInfo, article_id_for
from tests.unit.publishing.test_plan import KEYS, RULES, decide, event, stored_of

SMALL = replace(RULES, family_max=3)


def test_a_kill_of_a_uri_never_published_purges_no_live_stream():
    """Nothing of it is in any stream: a fresh uri killed must not make Redis look."""
    [write] = decide(event("urn:x:never", signal=Signal.KILL)).writes
    assert write.killed and write.purge_live == []


def test_a_kill_of_a_published_story_purges_it_from_every_subscription_stream():
    p = decide(event(version="2", signal=Signal.KILL), Snapshot(stored=stored_of(event())))
    assert p.writes[0].purge_live == [KEYS.live("conflict"), KEYS.live("sport")]


def linking(uri: str = "urn:test:1-de"):
    return event(uri, associations=[{"rel": "translation", "uri": "urn:test:1"}])


def test_an_item_linked_to_a_full_family_is_published_as_an_original_of_its_own():
    root = article_id_for("urn:test:1")
    e = linking()
    room = decide(e, Snapshot(roots=[None, root], owners=["wire", "wire"], family_sizes={root: 2}), rules=SMALL)
    assert room.writes[0].root == root and room.writes[0].family_full == ""
    assert not any(n["code"] == "family_full" for n in room.writes[0].meta["notes"])

    full = decide(e, Snapshot(roots=[None, root], owners=["wire", "wire"], family_sizes={root: 3}), rules=SMALL)
    [write] = full.writes
    assert full.outcome == "published" and write.root == e.envelope.article_id and write.family_full == root
    [note] = [n for n in write.meta["notes"] if n["code"] == "family_full"]
    assert note["stage"] == "publishing" and note["data"] == {"family": root, "size": 3}


def test_a_later_version_of_a_member_stays_in_its_family_however_full():
    root = article_id_for("urn:test:1")
    p = decide(linking(), Snapshot(roots=[root, root], owners=["wire", "wire"], family_sizes={root: 99}),
               rules=SMALL)
    assert p.writes[0].root == root and p.writes[0].family_full == ""


def test_a_machine_translation_joins_its_original_however_full_the_family():
    e = event("urn:test:1:translation:pt")
    e.envelope.translation = TranslationInfo(role="translation", of_article_id="the-original")
    p = decide(e, Snapshot(family_sizes={"the-original": 99}), rules=SMALL)
    assert p.writes[0].root == "the-original" and p.writes[0].family_full == ""
