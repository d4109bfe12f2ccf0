"""What a kill costs Redis and what it takes out of the live streams, with the
publishing service in-process against the session's real Kafka and redis-server.

A kill deletes the story's entries from the subscribers' live streams (the SSE
history a client replays) by the ids its writes remembered: it never reads a stream.
Redis counts every command it runs, those of scripts included (INFO commandstats):
a kill, even of a uri never published, runs no XRANGE over anyone's history."""
from __future__ import annotations

import pytest

from services.publishing.settings import PublishingSettings
from shared.cache import Keys
from shared.events import Signal, article_id_for
from shared.read_model import ReadModel
from shared.subscriptions import SubscriptionKeys
from tests.publishing_helpers import SPORT, article_event
from tests.waiting import eventually

pytestmark = pytest.mark.integration


@pytest.fixture
def pub_settings(settings) -> PublishingSettings:
    return PublishingSettings(**settings.model_dump(), live_entries_per_story=3)


async def stream_reads(redis) -> int:
    """How many XRANGE and XREVRANGE Redis ran so far (in scripts too)."""
    stats = await redis.info("commandstats")
    return sum(stats.get(f"cmdstat_{name}", {}).get("calls", 0) for name in ("xrange", "xrevrange"))


async def history(publishing, name: str) -> list[tuple[str, str, str]]:
    """(signal, uri, version) of each entry of the subscription's live stream."""
    keys = SubscriptionKeys(Keys(publishing.settings.topic_prefix).prefix)
    return [(f[b"signal"].decode(), f[b"uri"].decode(), f[b"version"].decode())
            for _, f in await publishing.redis.xrange(keys.live(name))]


async def _killed(view: ReadModel, uri: str) -> bool:
    stored = await view.stored(article_id_for(uri))
    return stored is not None and stored.killed


async def _stored(view: ReadModel, uri: str, version: str) -> bool:
    stored = await view.stored(article_id_for(uri))
    return stored is not None and stored.version == version


async def test_a_kill_of_a_uri_never_published_reads_no_stream_and_changes_none(publishing, pub_settings):
    view = ReadModel(publishing.redis, Keys(pub_settings.topic_prefix))
    await publishing.subscribe("all", None)
    await publishing.subscribe("sport", None, subjects=[SPORT])
    await publishing.publish(*(article_event(f"urn:test:purge:live:{i}") for i in range(3)))
    for i in range(3):
        await eventually(lambda i=i: _stored(view, f"urn:test:purge:live:{i}", "1"))
    before = await history(publishing, "all")
    assert len(before) == 3

    reads = await stream_reads(publishing.redis)
    await publishing.publish(article_event("urn:x:never-published", signal=Signal.KILL))
    await eventually(lambda: _killed(view, "urn:x:never-published"), what="the kill handled")
    assert await stream_reads(publishing.redis) == reads  # no stream was read, in full or in part
    assert await history(publishing, "all") == before
    assert await history(publishing, "sport") == []


async def test_a_kill_deletes_every_version_of_the_story_from_each_stream_and_nothing_else(publishing, pub_settings):
    view = ReadModel(publishing.redis, Keys(pub_settings.topic_prefix))
    await publishing.subscribe("all", None)
    await publishing.subscribe("conflict", None)
    uri, other = "urn:test:purge:story", "urn:test:purge:other"
    await publishing.publish(article_event(uri, body="The informant is named."), article_event(other),
                             article_event(uri, version="2", signal=Signal.CORRECTION, body="Named, corrected."))
    await eventually(lambda: _stored(view, uri, "2"))
    await eventually(lambda: _stored(view, other, "1"))
    for name in ("all", "conflict"):
        assert sorted(await history(publishing, name)) == sorted([
            ("new", uri, "1"), ("new", other, "1"), ("correction", uri, "2")])

    reads = await stream_reads(publishing.redis)
    await publishing.publish(article_event(uri, version="3", signal=Signal.KILL))
    await eventually(lambda: _killed(view, uri), what="the kill handled")
    assert await stream_reads(publishing.redis) == reads
    for name in ("all", "conflict"):
        # the story's text left the replayable history; its kill notice and the other story stay
        assert sorted(await history(publishing, name)) == sorted([("new", other, "1"), ("kill", uri, "3")])
    fields = await publishing.redis.hkeys(Keys(pub_settings.topic_prefix).article(article_id_for(uri)))
    assert not [f for f in fields if f.startswith(b"live:")]  # nothing left to remember


async def test_a_story_keeps_its_latest_entries_in_a_stream_and_its_kill_takes_them_all(publishing, pub_settings):
    """Past ``live_entries_per_story`` (3 here) versions in one stream, a story's oldest
    entry there leaves it: what its kill must delete stays bounded and known."""
    view = ReadModel(publishing.redis, Keys(pub_settings.topic_prefix))
    await publishing.subscribe("all", None)
    uri, other = "urn:test:purge:many", "urn:test:purge:bystander"
    await publishing.publish(article_event(other), *(
        article_event(uri, version=str(v), signal=Signal.NEW if v == 1 else Signal.UPDATE, body=f"Draft {v}.")
        for v in range(1, 6)))
    await eventually(lambda: _stored(view, uri, "5"))
    await eventually(lambda: _stored(view, other, "1"))
    assert sorted(await history(publishing, "all")) == sorted([
        ("new", other, "1"), ("update", uri, "3"), ("update", uri, "4"), ("update", uri, "5")])

    await publishing.publish(article_event(uri, version="6", signal=Signal.KILL))
    await eventually(lambda: _killed(view, uri), what="the kill handled")
    assert sorted(await history(publishing, "all")) == sorted([("new", other, "1"), ("kill", uri, "6")])
