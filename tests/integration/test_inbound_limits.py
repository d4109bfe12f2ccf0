"""The inbound send's limits against the session's real Kafka and Redis: a record too
large for Kafka is refused as such, and a withdrawn record is settled once."""
from __future__ import annotations

import pytest

from shared.bus import make_producer
from shared.cache import connect
from shared.events import SubmittedItem
from shared.inbound import RecordTooLarge, Submission, send_submission
from shared.topics import Topics
from shared.withdrawals import Withdrawals

pytestmark = pytest.mark.integration


async def test_a_record_over_the_size_limit_is_refused_as_too_large_not_retried(settings):
    small = settings.model_copy(update={"max_record_bytes": 10_000})
    producer = make_producer(small)
    await producer.start()
    accepted = Submission(items=[SubmittedItem.of(uri="urn:test:big", format="plaintext", status="accepted",
                                                  version=None)])
    try:
        with pytest.raises(RecordTooLarge):
            await send_submission(accepted, b"x" * 20_000, "text/plain", provider="p", producer=producer,
                                  topic=Topics(settings.topic_prefix).inbound, source="test", timeout_s=5)
        # the same producer still sends what fits
        await send_submission(accepted, b"x" * 1_000, "text/plain", provider="p", producer=producer,
                              topic=Topics(settings.topic_prefix).inbound, source="test", timeout_s=30)
    finally:
        await producer.stop()


async def test_a_record_is_either_withdrawn_by_the_gateway_or_claimed_by_ingest(settings):
    redis = connect(settings.redis_url)
    fates = Withdrawals(redis, settings.topic_prefix)
    try:
        assert await fates.withdraw("e1")
        assert not await fates.claim("e1")  # ingest drops it, however often it is redelivered
        assert not await fates.claim("e1")
        assert await fates.claim("e2")
        assert await fates.claim("e2")  # a redelivery after a crash goes on
        assert not await fates.withdraw("e2")  # too late: the gateway answers 202
    finally:
        await redis.aclose()
