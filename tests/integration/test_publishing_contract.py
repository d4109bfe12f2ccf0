"""The event contract on a real stage: publishing, in-process against the session's
real Kafka and redis-server, refuses an envelope whose schema_version it does not
know — to the DLQ with the reason — and carries on with the next record."""
from __future__ import annotations

import orjson
import pytest

from shared.cache import Keys
from shared.codec import encode
from shared.read_model import ReadModel
from shared.topics import Topics
from tests.kafka_helpers import eventually, produce, read_topic
from tests.publishing_helpers import article_event

pytestmark = pytest.mark.integration


async def test_an_unknown_schema_version_goes_to_the_dlq_with_its_reason(publishing, settings):
    future = orjson.loads(encode(article_event("urn:test:contract:future")))
    future["envelope"]["schema_version"] = 999
    known = article_event("urn:test:contract:known")
    topics = Topics(settings.topic_prefix)
    await produce(settings.kafka_bootstrap, topics.translated,
                  [(b"urn:test:contract:future", orjson.dumps(future), []),
                   (b"urn:test:contract:known", encode(known), [])])
    [letter] = await read_topic(settings.kafka_bootstrap, topics.dlq(topics.translated), expect=1, timeout=60)
    reason = {k: v.decode() for k, v in letter.headers if k.startswith("wire_dlq_")}
    assert reason["wire_dlq_error_class"] == "UnknownSchemaVersion"
    assert "schema_version 999" in reason["wire_dlq_error_message"]
    assert orjson.loads(letter.value)["envelope"]["schema_version"] == 999  # the record as it came
    view = ReadModel(publishing.redis, Keys(settings.topic_prefix))
    assert (await eventually(lambda: view.stored(known.envelope.article_id), timeout=60)).version == "1"
    assert await view.stored(article_event("urn:test:contract:future").envelope.article_id) is None
