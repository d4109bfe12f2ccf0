"""A subscription's read limit against the session's real redis-server: a request
counts one read, and what it loaded one more per MiB, so a subscriber paging through
large items is refused sooner than one reading small ones; every token of the
subscription shares the count, and the operator is never counted."""
from __future__ import annotations

import time
import uuid
from types import SimpleNamespace

import pytest
from fastapi import HTTPException
from redis.asyncio import Redis

from services.gateway.deps import Reader
from services.gateway.read_limit import MIB, charge_read, count_loaded
from services.gateway.settings import GatewaySettings
from shared.cache import Keys
from shared.subscriptions import Subscription
from tests.e2e.client import ADMIN
from tests.gateway_helpers import in_process_gateway, published
from tests.publishing_helpers import CONFLICT, SPORT

pytestmark = pytest.mark.integration


async def test_megabytes_loaded_count_as_reads_and_the_next_request_is_refused(redis_server):
    redis = Redis.from_url(redis_server.url)
    keys = Keys(f"reads{uuid.uuid4().hex[:6]}.")
    request = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(
        settings=GatewaySettings(read_rate_limit_per_minute=10), keys=keys, redis=redis)))
    big, small = Reader(Subscription(name="big-pages")), Reader(Subscription(name="small-pages"))
    if time.time() % 60 > 55:  # every count below in one minute's window
        time.sleep(61 - time.time() % 60)
    try:
        await charge_read(request, "big-pages")  # 1
        await count_loaded(request, big, 8 * MIB + MIB // 2)  # 9: whole MiB only
        await charge_read(request, "big-pages")  # 10: the limit
        with pytest.raises(HTTPException) as refused:
            await charge_read(request, "big-pages")
        assert refused.value.status_code == 429 and refused.value.detail["error"] == "read_rate_limited"
        assert 0 < int(refused.value.headers["Retry-After"]) <= 61

        for _ in range(5):  # small pages: a read each
            await charge_read(request, "small-pages")
            await count_loaded(request, small, MIB - 1)
        await count_loaded(request, Reader(), 100 * MIB)  # the operator
        counted = sorted(k.decode()[len(keys.prefix):].split(":")[1] for k in await redis.keys(f"{keys.prefix}reads:*"))
        assert counted == ["big-pages", "small-pages"]
        [small_count] = [int(await redis.get(k)) for k in await redis.keys(f"{keys.prefix}reads:small-pages:*")]
        assert small_count == 5
    finally:
        await redis.aclose()


@pytest.fixture
async def gateway(settings):
    """The app in-process, 12 reads a minute per subscription."""
    async with in_process_gateway(settings, read_rate_limit_per_minute=12) as running:
        yield running


@pytest.mark.parametrize("path", ["/v1/articles/{id}", "/v1/articles/{id}/enrichment", "/v1/articles?uri={uri}",
                                  "/v1/articles/{id}/languages"])
@pytest.mark.parametrize("entitled", [True, False], ids=["its-slice", "outside-its-slice"])
async def test_a_large_item_read_one_way_or_another_counts_its_mib(gateway, path, entitled):
    """A 3 MiB item costs a read and three more, whichever route loads it and whatever it
    answers: through ``/enrichment`` or a list by ``uri`` it cost one, and so did any
    route refusing it (it is loaded to decide): a subscriber could load 3 MiB thousands of
    times a minute on the gateway's event loop."""
    app, client = gateway
    uri = f"urn:test:reads:{uuid.uuid4().hex}"
    article_id = await published(app, uri, subjects=(SPORT,), body="word " * (3 * MIB // 5))
    made = await client.post("/v1/subscriptions", headers=ADMIN, json={
        "name": f"r-{uuid.uuid4().hex[:8]}", "filter": {"subjects": [SPORT if entitled else CONFLICT]},
        "outputs": {"topic": False, "feeds": True}})
    assert made.status_code == 201, made.text
    reader = {"Authorization": f"Bearer {made.json()['token']}"}
    if time.time() % 60 > 50:  # every read below in one minute's window
        time.sleep(61 - time.time() % 60)
    answers = [await client.get(path.format(id=article_id, uri=uri), headers=reader) for _ in range(4)]
    assert [a.status_code for a in answers[:3]] == [200 if entitled else (200 if "uri=" in path else 404)] * 3
    assert answers[3].status_code == 429  # 4 reads each: 12 after three
    assert (uri in answers[0].text) == entitled
