"""A list page's and a feed's ETag say whether what the reader gets changed, on the
gateway in-process (the session's real Redis): not whether anything changed on the
wire. A subscriber polling with If-None-Match got 200 at every provider's every write,
and could count them (the ETag hashed the wire's change counter with what it knows)."""
from __future__ import annotations

import uuid

import pytest

from tests.e2e.client import ADMIN
from tests.gateway_helpers import in_process_gateway, published
from tests.publishing_helpers import CONFLICT, SPORT

pytestmark = pytest.mark.integration


async def test_a_write_outside_a_subscribers_slice_leaves_its_etags_alone(settings):
    async with in_process_gateway(settings) as (app, client):
        name = f"sport-{uuid.uuid4().hex[:8]}"
        made = await client.post("/v1/subscriptions", headers=ADMIN, json={
            "name": name, "filter": {"subjects": [SPORT]}, "outputs": {"topic": False, "feeds": True}})
        assert made.status_code == 201, made.text
        reader = {"Authorization": f"Bearer {made.json()['token']}"}
        await published(app, f"urn:test:etags:{uuid.uuid4().hex}", subjects=(SPORT,), feeds=(name,))

        async def etags(expected: int) -> list[str]:
            answers = [await client.get(path, headers=reader) for path in ("/v1/articles", f"/v1/feeds/{name}.atom")]
            assert [a.status_code for a in answers] == [expected] * 2
            return [a.headers["etag"] for a in answers]

        first = await etags(200)
        await published(app, f"urn:test:etags:{uuid.uuid4().hex}", subjects=(CONFLICT,))  # not this reader's
        again = [await client.get(path, headers={**reader, "If-None-Match": etag})
                 for path, etag in zip(("/v1/articles", f"/v1/feeds/{name}.atom"), first)]
        assert [a.status_code for a in again] == [304, 304]
        await published(app, f"urn:test:etags:{uuid.uuid4().hex}", subjects=(SPORT,), feeds=(name,))
        changed = [await client.get(path, headers={**reader, "If-None-Match": etag})
                   for path, etag in zip(("/v1/articles", f"/v1/feeds/{name}.atom"), first)]
        assert [a.status_code for a in changed] == [200, 200]
        assert [a.headers["etag"] for a in changed] != first
