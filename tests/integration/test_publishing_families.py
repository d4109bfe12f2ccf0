"""How large one story's language family can grow, with the publishing service
in-process against the session's real Kafka and redis-server. A provider links its
own items to a story as its translations (associations rel "translation"); past
``WIRE_FAMILY_MAX`` versions, an item linked to the story is published as an original
of its own, so the story's kill (and ``/languages``) walk a bounded family. A family
that grew before the cap is walked no further than the bound by a kill."""
from __future__ import annotations

import uuid

import orjson
import pytest

from services.cli.rebuild import rebuild
from services.gateway.deps import Reader
from services.gateway.routes.articles_query import languages
from services.publishing.settings import PublishingSettings
from shared.cache import Keys
from shared.events import Signal, article_id_for
from shared.read_model import ReadModel
from tests.publishing_helpers import Publishing, article_event
from tests.waiting import eventually

pytestmark = pytest.mark.integration

PROVIDER = "test-wire"


@pytest.fixture
def pub_settings(settings) -> PublishingSettings:
    return PublishingSettings(**settings.model_dump(), family_max=3)


def linked(uri: str, to: str, **fields):
    """``uri``, a language version of the story ``to`` as its provider links it."""
    return article_event(uri, language="de", associations=[{"name": "original", "rel": "translation", "uri": to,
                                                            "language": "en"}], **fields)


async def registered(registry, *events) -> None:
    """The story registry's entry of each event's uri, as ingest makes it: one owner."""
    for event in events:
        await registry.classify(event.article, event_id=uuid.uuid4().hex, source_version=event.article.version,
                                hint=None, provider=PROVIDER, acts_for=[PROVIDER])


async def _state(view: ReadModel, uri: str) -> str | None:
    stored = await view.stored(article_id_for(uri))
    return None if stored is None else "killed" if stored.killed else "live"


async def publish_one_by_one(service: Publishing, view: ReadModel, *events) -> None:
    for event in events:  # each after the one before is stored: its links find the family
        await service.publish(event)
        await eventually(lambda event=event: _state(view, event.article.uri), what=f"{event.article.uri} stored")


async def test_an_item_linked_to_a_full_family_is_an_original_of_its_own_and_outlives_its_kill(
        publishing, pub_settings, registry):
    view = ReadModel(publishing.redis, Keys(pub_settings.topic_prefix))
    root = "urn:test:family:story"
    original, members = article_event(root), [linked(f"urn:test:family:story:{i}", root) for i in range(3)]
    await registered(registry, original, *members)
    await publish_one_by_one(publishing, view, original, *members)

    family = await view.family_ids(article_id_for(root))
    assert sorted(family) == sorted(article_id_for(u) for u in (root, members[0].article.uri, members[1].article.uri))
    outsider = await view.stored(members[2].envelope.article_id)
    assert outsider.root == members[2].envelope.article_id
    [note] = [n for n in outsider.meta["notes"] if n["code"] == "family_full"]
    assert note["data"] == {"family": article_id_for(root), "size": 3}

    await publishing.publish(article_event(root, version="2", signal=Signal.KILL))
    await eventually(lambda: _all_killed(view, root, members[0].article.uri, members[1].article.uri),
                     what="the story and its two language versions killed")
    assert await _state(view, members[2].article.uri) == "live"  # not of the family: its own story


async def test_a_rebuild_keeps_an_item_out_of_the_family_that_was_full(publishing, pub_settings, registry):
    """Redis lost the read model: the rebuild links the language versions again from the
    items' associations, in the order they were published, and a full family takes no
    more there either (its kill would otherwise take the item along)."""
    view = ReadModel(publishing.redis, Keys(pub_settings.topic_prefix))
    root = "urn:test:family:rebuilt"
    original, members = article_event(root), [linked(f"urn:test:family:rebuilt:{i}", root) for i in range(3)]
    await registered(registry, original, *members)
    await publish_one_by_one(publishing, view, original, *members)
    before = sorted(await view.family_ids(article_id_for(root)))
    assert len(before) == 3
    await publishing.stop()

    lost = [k async for k in publishing.redis.scan_iter(match=f"{pub_settings.topic_prefix}*")]
    await publishing.redis.delete(*lost)
    assert (await rebuild(pub_settings))["live"] == 4
    assert sorted(await view.family_ids(article_id_for(root))) == before
    assert (await view.stored(members[2].envelope.article_id)).root == members[2].envelope.article_id


async def _all_killed(view: ReadModel, *uris: str) -> bool:
    return all([await _state(view, uri) == "killed" for uri in uris])


async def test_a_kill_walks_no_more_of_a_family_that_grew_before_the_cap(pub_settings, registry):
    """Six language versions linked while the cap was larger; with the cap at 1 (and one
    target language, so a kill walks 2), the story's kill takes at most 2 of the others."""
    view = ReadModel(None, Keys(pub_settings.topic_prefix))
    root = "urn:test:family:legacy"
    original, members = article_event(root), [linked(f"urn:test:family:legacy:{i}", root) for i in range(5)]
    await registered(registry, original, *members)
    roomy = Publishing(pub_settings.model_copy(update={"family_max": 64}))
    roomy.start()
    try:
        view.redis = roomy.redis
        await publish_one_by_one(roomy, view, original, *members)
        assert len(await view.family_ids(article_id_for(root))) == 6
    finally:
        await roomy.stop()
        await roomy.redis.aclose()

    capped = Publishing(pub_settings.model_copy(update={"family_max": 1, "target_languages": ["pt"]}))
    capped.start()
    try:
        view.redis = capped.redis
        await capped.publish(article_event(root, version="2", signal=Signal.KILL))
        await eventually(lambda: _killed_root(view, root), what="the kill handled")
        states = [await _state(view, m.article.uri) for m in members]
        assert 3 <= states.count("live") <= 5 and states.count("killed") <= 2
    finally:
        await capped.stop()
        await capped.redis.aclose()


async def _killed_root(view: ReadModel, uri: str) -> bool:
    return await _state(view, uri) == "killed"


async def test_languages_lists_the_versions_within_the_read_budget_original_and_asked_first(
        publishing, pub_settings, registry):
    """``/languages`` loads no more of a family than a list page may (8 MiB) beside the
    version asked about: of three 4.5 MiB versions it lists that one and the original,
    and says the answer is not complete; small versions are all listed."""
    view = ReadModel(publishing.redis, Keys(pub_settings.topic_prefix))
    big = "The harbour reopened. " * (9 * 1024 * 1024 // 2 // 22)
    for size, body in (("small", "The harbour reopened."), ("big", big)):
        root = f"urn:test:family:{size}:{uuid.uuid4().hex[:6]}"
        original = article_event(root, body=body)
        members = [linked(f"{root}:{i}", root, body=body) for i in range(2)]
        await registered(registry, original, *members)
        await publish_one_by_one(publishing, view, original, *members)
        asked = members[1].envelope.article_id

        # the operator's read: no request is needed, none is counted
        answer = orjson.loads((await languages(None, asked, view, Reader())).body)

        ids = [v["id"] for v in answer["languages"]]
        if size == "small":
            assert sorted(ids) == sorted([original.envelope.article_id, asked, members[0].envelope.article_id])
            assert answer["complete"] is True
        else:
            assert sorted(ids) == sorted([original.envelope.article_id, asked])
            assert answer["complete"] is False
        assert [v["original"] for v in answer["languages"] if v["id"] == original.envelope.article_id] == [True]


async def test_after_a_rebuild_a_version_linked_to_a_killed_story_is_decided_by_the_kills_time(pub_settings,
                                                                                              registry):
    """Redis lost the read model after a story's kill. A language version sent before
    the kill that reaches publishing only now (another partition, a slow replica) is
    killed with it, as before the loss; one published after the kill stays an original
    of its own in the rebuilt model, out of the killed family."""
    root = "urn:test:family:killed-rebuilt"
    original, early = article_event(root), linked(f"{root}:early", root)  # early: received before the kill
    german = linked(f"{root}:de", root)  # published, then killed with its story
    service = Publishing(pub_settings)
    service.start()
    view = ReadModel(service.redis, Keys(pub_settings.topic_prefix))
    await registered(registry, original, german)
    await publish_one_by_one(service, view, original, german)
    await service.publish(article_event(root, version="2", signal=Signal.KILL))
    await eventually(lambda: _all_killed(view, root, german.article.uri), what="the story and its version killed")
    after, gone = linked(f"{root}:after", root), linked(f"{root}:gone", root)
    await registered(registry, after, gone)
    await publish_one_by_one(service, view, after, gone)
    assert await _state(view, after.article.uri) == "live"  # received after the kill: its own story
    await service.publish(article_event(gone.article.uri, version="2", signal=Signal.KILL))  # its own story, killed
    await eventually(lambda: _all_killed(view, gone.article.uri), what="the later version killed")
    await service.stop()

    await service.redis.delete(*[k async for k in service.redis.scan_iter(match=f"{pub_settings.topic_prefix}*")])
    assert (await rebuild(pub_settings))["killed"] == 3
    assert (await view.stored(after.envelope.article_id)).root == after.envelope.article_id
    assert (await view.stored(gone.envelope.article_id)).root == gone.envelope.article_id
    assert (await view.stored(german.envelope.article_id)).root == original.envelope.article_id  # its story's
    again = Publishing(pub_settings)
    again.start()
    try:
        await registered(registry, early)
        await publish_one_by_one(again, view, early)
        assert await _state(view, early.article.uri) == "killed"
        assert article_id_for(early.article.uri) not in await view.family_ids(after.envelope.article_id)
    finally:
        await again.stop()
        await again.redis.aclose()
        await service.redis.aclose()
