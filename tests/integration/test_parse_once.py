"""Parse once (real Kafka and Redis): ingest uses the items the gateway parsed and
sealed beside the raw payload; a record anyone else put on ``wire.inbound`` — no
seal, a forged one, another payload's — is parsed in ingest as before."""
from __future__ import annotations

import asyncio
import uuid

import orjson
import pytest

from services.ingest.bootstrap import build_runner
from shared.bus import make_producer
from shared.cache import Keys, connect
from shared.identity import StoryRegistry
from shared.inbound import parse_here, read_submission, send_submission, submission_record
from shared.parsed_payload import ITEMS_HEADER, PayloadSeal
from shared.topics import Topics, ensure_topics
from tests.kafka_helpers import eventually, produce, read_topic

pytestmark = pytest.mark.integration

MiB = 1024 * 1024


def story(tag: str, headline: str) -> bytes:
    return (f"{headline}\n\nBy Ana Costa\n\nDock workers in {tag} returned to work on Monday after a "
            "week-long strike over pay, the port authority said.\n").encode()


class CountingParse:
    """``shared.inbound.parse_here``, counting its calls."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, payload, content_type, *, provider):
        self.calls += 1
        return await parse_here(payload, content_type, provider=provider)


@pytest.fixture
async def stack(settings):
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings.kafka_bootstrap, topics, partitions=settings.topic_partitions)
    redis = connect(settings.redis_url)
    producer = make_producer(settings)
    await producer.start()
    ingest_parse = CountingParse()
    stop = asyncio.Event()
    runner = asyncio.create_task(build_runner(settings, redis, parse_with=ingest_parse).run(stop))
    yield topics, redis, producer, ingest_parse
    stop.set()
    await runner
    await producer.stop()
    await redis.aclose()


async def headlines_ingested(settings, topics, expect: int) -> list[str]:
    records = await read_topic(settings.kafka_bootstrap, topics.ingested, expect=expect, timeout=60)
    return [orjson.loads(r.value)["article"]["headlines"][0]["value"] for r in records]


async def test_ingest_uses_the_items_the_gateway_parsed_and_does_not_parse_again(settings, stack):
    topics, redis, producer, ingest_parse = stack
    gateway_parse = CountingParse()
    seal = PayloadSeal(settings.secret_key, max_record_bytes=settings.max_record_bytes)
    registry = StoryRegistry(redis, Keys(settings.topic_prefix))
    for n in range(3):
        payload = story(f"port {n} {uuid.uuid4().hex}", f"Harbour strike {n} ends")
        submission = await read_submission(payload, "text/plain", provider="ap", registry=registry,
                                           parse_with=gateway_parse)
        await send_submission(submission, payload, "text/plain", provider="ap", producer=producer,
                              topic=topics.inbound, source="wirestream/gateway/ap", seal=seal)
    assert sorted(await headlines_ingested(settings, topics, 3)) == [f"Harbour strike {n} ends" for n in range(3)]
    assert (gateway_parse.calls, ingest_parse.calls) == (3, 0)


async def test_a_record_without_a_valid_seal_is_parsed_in_ingest(settings, stack):
    topics, redis, producer, ingest_parse = stack
    registry = StoryRegistry(redis, Keys(settings.topic_prefix))
    honest = story(f"Santos {uuid.uuid4().hex}", "Harbour strike ends")
    submission = await read_submission(honest, "text/plain", provider="ap", registry=registry)
    # items sealed with another key (or none, or sealed for another payload) claim another headline
    forged = PayloadSeal("not the deployment's key", max_record_bytes=8 * MiB)
    decoy = await parse_here(story("Lisbon", "Lisbon port reopens after storm"), "text/plain", provider="ap")
    genuine = PayloadSeal(settings.secret_key, max_record_bytes=8 * MiB)
    other_payload = genuine.headers(decoy, story("Lisbon", "Lisbon port reopens after storm"), "text/plain", "ap")
    unsealed = [(k, v) for k, v in forged.headers(decoy, honest, "text/plain", "ap") if k == ITEMS_HEADER]
    entry = submission.items[0]
    for headers in (forged.headers(decoy, honest, "text/plain", "ap"), other_payload, unsealed):
        record = submission_record(topic=topics.inbound, payload=honest, content_type="text/plain", provider="ap",
                                   uri=entry.uri, article_id=entry.id, source="someone-else",
                                   idempotency_key=uuid.uuid4().hex, extra_headers=headers)
        await produce(settings.kafka_bootstrap, topics.inbound, [(record.key, record.value, record.headers)])
    # the first is ingested from the payload itself; the two repeats are the same story's duplicates
    assert await headlines_ingested(settings, topics, 1) == ["Harbour strike ends"]

    async def parsed_all_three() -> bool:
        return ingest_parse.calls == 3

    await eventually(parsed_all_three)
