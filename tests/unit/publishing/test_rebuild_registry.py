"""The rebuild's account of who owns each story, from ``articles.published`` and
``articles.embargoed`` records alone (no Kafka, no Redis): the registry's owner as
publishing named it, else worked out from the senders and the relays."""
from __future__ import annotations

import orjson
from aiokafka import ConsumerRecord

from services.publishing.read_model.rebuild import held_copies, latest_stories
from services.publishing.read_model.registry import Provenance
from services.publishing.settings import PublishingSettings
from shared.codec import encode
from tests.publishing_helpers import article_event

RELAYS = PublishingSettings(relays={"aggregator": ["ap"]})


def published(offset: int, uri: str, version: str | None, sender: str, *, owner: str | None = None,
              kill: bool = False, tombstone: bool = False, role: str | None = None) -> ConsumerRecord:
    """A record as publishing produces it on ``articles.published`` (``owner`` None: as
    records were before they named the owner; ``version`` None: a tombstone of then)."""
    headers = {"wire_provider": sender, "wire_signal": "kill" if kill or tombstone else "new",
               **({"wire_version": version} if version and tombstone else {}),
               **({"wire_owner": owner} if owner else {}), **({"wire_translation_role": role} if role else {})}
    value = None if tombstone else orjson.dumps({"uri": uri, "version": version,
                                                 "pubStatus": "canceled" if kill else "usable"})
    return ConsumerRecord(topic="t.articles.published", partition=0, offset=offset, timestamp=0, timestamp_type=0,
                          key=uri.encode(), value=value, checksum=None, serialized_key_size=len(uri),
                          serialized_value_size=len(value or b""), headers=[(k, v.encode()) for k, v in headers.items()])


def owner_of(*records: ConsumerRecord) -> str | None:
    [story] = latest_stories(records).values()
    return story.provenance.owner_under(RELAYS.acts_for)


def test_the_owner_is_the_one_publishing_named_not_the_relay_that_sent_the_latest_version():
    records = [published(0, "urn:a:1", "1", "ap", owner="ap"), published(1, "urn:a:1", "2", "aggregator", owner="ap")]
    [story] = latest_stories(records).values()
    assert story.headers["wire_provider"] == "aggregator"
    assert (story.provenance.owner_under(RELAYS.acts_for), story.provenance.version) == ("ap", "2")


def test_without_the_owner_header_the_owner_is_the_sender_every_sender_acted_for():
    """Records from before ``wire_owner``: the first sender owns a uri and every later
    one had to act for it; a relay alone is taken as the owner (refusing the real owner
    until an operator steps in is better than handing the story to a guess)."""
    assert owner_of(published(0, "urn:a:1", "1", "aggregator"), published(1, "urn:a:1", "2", "ap")) == "ap"
    assert owner_of(published(0, "urn:a:1", "1", "ap"), published(1, "urn:a:1", "2", "aggregator")) == "ap"
    assert owner_of(published(0, "urn:a:1", "2", "aggregator")) == "aggregator"
    assert owner_of(published(0, "urn:a:1", "1", "dpa"), published(1, "urn:a:1", "2", "ap")) == "dpa"
    assert owner_of(published(0, "urn:a:1", "1", "aggregator", owner="ap")) == "ap"


def test_a_killed_story_keeps_its_kill_version_even_when_only_its_tombstone_is_left():
    kill = [published(0, "urn:a:1", "1", "ap", owner="ap"), published(1, "urn:a:1", "2", "ap", owner="ap", kill=True),
            published(2, "urn:a:1", "2", "ap", owner="ap", tombstone=True)]
    [story] = latest_stories(kill).values()
    assert (story.killed, story.provenance.version, story.provenance.killed) == (True, "2", True)

    [alone] = latest_stories([published(0, "urn:a:1", "3", "aggregator", owner="ap", tombstone=True)]).values()
    assert alone.killed and alone.headers["wire_version"] == "3"
    assert (alone.provenance.owner_under(RELAYS.acts_for), alone.provenance.version, alone.provenance.killed) == (
        "ap", "3", True)
    [old] = latest_stories([published(0, "urn:a:1", None, "ap", tombstone=True)]).values()
    assert (old.provenance.owner_under(RELAYS.acts_for), old.provenance.version, old.provenance.killed) == (
        "ap", None, True)


def test_the_newest_version_wins_and_a_kill_wins_at_its_own_version():
    seen = Provenance()
    seen.saw(version="10", sender="ap", owner="ap", killed=False)
    seen.saw(version="9", sender="ap", owner="ap", killed=False)  # "10" > "9": by value, not as text
    assert (seen.version, seen.killed) == ("10", False)
    seen.saw(version="10", sender="ap", owner="ap", killed=True)
    seen.saw(version="10", sender="ap", owner="ap", killed=False)  # e.g. its held copy, read after the kill
    assert (seen.version, seen.killed) == ("10", True)
    seen.saw(version="11", sender="ap", owner="ap", killed=False)
    assert (seen.version, seen.killed) == ("11", False)


def test_a_machine_translation_gets_no_entry_of_its_own():
    [story] = latest_stories([published(0, "urn:a:1:translation:pt", "1", "ap", owner=None,
                                        role="translation")]).values()
    assert story.provenance.machine_translation and story.provenance.owner_under(RELAYS.acts_for) is None


def test_a_story_still_under_embargo_counts_with_its_owner_and_version():
    event = article_event("urn:a:held", version="4")
    event.envelope.provider = "aggregator"
    copy = ConsumerRecord(topic="t.articles.embargoed", partition=0, offset=0, timestamp=0, timestamp_type=0,
                          key=b"urn:a:held", value=encode(event), checksum=None, serialized_key_size=1,
                          serialized_value_size=1, headers=[("wire_owner", b"ap")])
    provenance = {"urn:a:held": Provenance(senders=["ap"], owner="ap", version="3")}
    held = held_copies([copy], provenance)
    assert held["urn:a:held"].article.version == "4"
    assert (provenance["urn:a:held"].owner, provenance["urn:a:held"].version) == ("ap", "4")
    assert provenance["urn:a:held"].senders == ["ap", "aggregator"]
