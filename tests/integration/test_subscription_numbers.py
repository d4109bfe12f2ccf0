"""Each subscription gets a number of its own when the gateway first saves it
(in-process, on the session's real Kafka and redis-server): who had a story is kept
as these numbers past a few hundred recipients (services/publishing/recipients.py),
so a number is never given twice, not even to a subscription created again under a
deleted one's name, nor after a rebuild put the subscriptions back."""
from __future__ import annotations

import pytest

from services.cli.rebuild import rebuild
from services.publishing.settings import PublishingSettings
from shared.cache import Keys, connect
from shared.cloudevents import read_headers
from shared.read_model import ReadModel
from shared.subscriptions import NUMBER_HEADER, STORED, Subscription, SubscriptionStore, subscription_record
from shared.topics import Topics
from tests.gateway_helpers import in_process_gateway
from tests.kafka_helpers import produce, read_topic
from tests.publishing_helpers import Publishing, article_event
from tests.waiting import eventually

pytestmark = pytest.mark.integration

ADMIN = {"Authorization": "Bearer dev-admin-key"}


@pytest.fixture
async def gateway(settings):
    async with in_process_gateway(settings, parse_workers=1) as (_, client):
        client.headers.update(ADMIN)
        yield client


@pytest.fixture
async def store(settings):
    redis = connect(settings.redis_url)
    yield SubscriptionStore(redis, f"{settings.topic_prefix}wire:")
    await redis.aclose()


async def test_a_subscription_keeps_its_number_and_one_created_again_under_its_name_gets_another(gateway, store,
                                                                                                 settings):
    assert (await gateway.post("/v1/subscriptions", json={"name": "desk"})).status_code == 201
    assert (await gateway.post("/v1/subscriptions", json={"name": "other"})).status_code == 201
    first, other = (await store.get("desk")).number, (await store.get("other")).number
    assert first is not None and other is not None and first != other
    # replaced, given a token: the same subscription, the same number
    assert (await gateway.put("/v1/subscriptions/desk", json={"filter": {"languages": ["en"]}})).status_code == 200
    assert (await gateway.post("/v1/subscriptions/desk/tokens")).status_code == 201
    assert (await store.get("desk")).number == first
    # deleted, then made again: another subscription, which never had what the first one had
    assert (await gateway.delete("/v1/subscriptions/desk")).status_code == 204
    assert (await gateway.post("/v1/subscriptions", json={"name": "desk"})).status_code == 201
    assert (await store.get("desk")).number not in (first, other)
    # the number is the server's: not shown, and not the client's to choose
    assert "number" not in (await gateway.get("/v1/subscriptions/desk")).json()
    refused = await gateway.put("/v1/subscriptions/other", json={"number": first})
    assert refused.status_code == 422 and (await store.get("other")).number == other
    # it travels beside the subscription on its topic (a record header), which a rebuild
    # puts back; not in its JSON, which code from before numbers reads and would refuse
    records = await read_topic(settings.kafka_bootstrap, Topics(settings.topic_prefix).subscriptions, expect=6)
    saved = {(r.key.decode(), read_headers(r.headers).get(NUMBER_HEADER)) for r in records if r.value}
    assert saved >= {("desk", str(first)), ("other", str(other))}
    assert all(b'"number"' not in r.value for r in records if r.value)
    assert b'"number"' not in await store.redis.hget(store.keys.all, "other")
    Subscription.model_validate_json(await store.redis.hget(store.keys.all, "other"), context=STORED)


async def test_a_rebuild_puts_the_numbers_back_and_no_new_one_repeats_them(store):
    await store.restore([Subscription(name="restored", number=41), Subscription(name="old")])
    assert (await store.get("restored")).number == 41
    assert (await store.numbered(Subscription(name="new"))).number == 42
    # a subscription saved before numbers were given gets one at its next save, and keeps it
    old = await store.numbered(await store.get("old"))
    assert old.number == 43 and (await store.numbered(await store.get("old"))).number == 43


async def test_a_rebuild_gives_no_new_subscription_the_number_of_a_deleted_one_a_story_kept(settings):
    """Deleted before Redis was lost, a subscription is on its topic no more, but its
    number is in the recipients of a story it had: a subscription made after the
    rebuild must not get it (it would be told of that story's kill)."""
    pub_settings = PublishingSettings(**{**settings.model_dump(), "recipients_max": 2})
    service = Publishing(pub_settings)
    service.start()
    try:
        desks = [await service.subscribe(f"desk-{i}", None) for i in range(3)]
        story = article_event("urn:test:numbers:rebuilt")
        await service.publish(story)
        view = ReadModel(service.redis, Keys(pub_settings.topic_prefix))
        await eventually(lambda: view.stored(story.envelope.article_id), what="the story stored")
        await service.store.delete("desk-2")
    finally:
        await service.stop()
    await service.redis.delete(*[k async for k in service.redis.scan_iter(match=f"{pub_settings.topic_prefix}*")])
    await rebuild(pub_settings)
    try:
        made = await service.store.numbered(Subscription(name="new-desk"))
        assert made.number > max(d.number for d in desks)
    finally:
        await service.redis.aclose()


async def test_a_number_left_by_a_gateway_from_before_numbers_goes_to_no_new_subscription(gateway, store):
    """Such a gateway deletes a subscription and leaves its name's number behind: the
    number was that subscription's (created then), not the next one's of its name."""
    await store.redis.hset(store.keys.numbered, "ghost", "7 2020-01-01T00:00:00+00:00")
    assert (await gateway.post("/v1/subscriptions", json={"name": "ghost"})).status_code == 201
    assert (await store.get("ghost")).number not in (None, 7)
    # a subscription whose entry is another's has no number until it is saved
    await store.redis.hset(store.keys.numbered, "ghost", "7 2020-01-01T00:00:00+00:00")
    assert (await store.get("ghost")).number is None


async def test_a_rebuild_gives_each_subscription_back_its_number(gateway, store, settings):
    for name in ("desk", "other"):
        assert (await gateway.post("/v1/subscriptions", json={"name": name})).status_code == 201
    desk, other = await store.get("desk"), await store.get("other")
    # a gateway from before numbers saves "other" again: its latest record has no number
    topic = Topics(settings.topic_prefix).subscriptions
    await produce(settings.kafka_bootstrap, topic, [(b"other", subscription_record(other), [])])
    await store.redis.delete(*[k async for k in store.redis.scan_iter(match=f"{settings.topic_prefix}*")])
    assert (await rebuild(PublishingSettings(**settings.model_dump())))["subscriptions"] == 2
    assert ((await store.get("desk")).number, (await store.get("other")).number) == (desk.number, other.number)
