"""Accepting one submission: parse, check identity, hand the raw payload to Kafka."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from services.gateway.metrics import ACCEPTED, IGNORED, REJECTED
from shared.errors import ParseError, UnsupportedFormat
from shared.events import article_id_for, utcnow
from shared.formats import parse
from shared.identity import Decision, StoryRegistry
from shared.inbound import submission_record
from shared.tracing import child_traceparent

log = logging.getLogger(__name__)


@dataclass
class Answer:
    status: int
    body: dict


def problem(status: int, code: str, detail: str, **extra) -> Answer:
    REJECTED.labels(str(status), code).inc()
    return Answer(status, {"error": code, "detail": detail, **extra})


async def accept(
    payload: bytes,
    content_type: str,
    *,
    provider: str,
    producer: AIOKafkaProducer,
    registry: StoryRegistry,
    topic: str,
    traceparent: str | None,
    kafka_timeout_s: float,
) -> Answer:
    """Parse ``payload`` and, unless every item in it is already known, put it on
    ``topic``. 202 with each item's id/uri (and ``duplicate``/``stale`` flags); 415 or
    422 when unreadable; 503 when Kafka does not acknowledge in time."""
    try:
        items = parse(payload, content_type, provider=provider)
    except UnsupportedFormat as exc:
        return problem(415, exc.code, str(exc))
    except ParseError as exc:
        return problem(422, exc.code, str(exc), where=exc.where)

    results, flowing = [], []
    for item in items:
        article = item.article
        known = await registry.peek(article, source_version=item.source_version)
        result = {"id": article_id_for(article.uri), "uri": article.uri, "format": item.source_format,
                  "duplicate": known is Decision.DUPLICATE, "stale": known is Decision.OLDER}
        if item.source_version:
            result["version"] = item.source_version
        if known is None:
            flowing.append(result)
        else:
            IGNORED.labels(known.value).inc()
        results.append(result)

    if flowing:
        first = flowing[0]
        record = submission_record(topic=topic, payload=payload, content_type=content_type or "text/plain",
                                   provider=provider, uri=first["uri"], article_id=first["id"],
                                   source=f"wirestream/gateway/{provider}",
                                   traceparent=child_traceparent(traceparent), received_at=utcnow())
        try:
            await asyncio.wait_for(
                producer.send_and_wait(record.topic, record.value, key=record.key, headers=record.headers),
                timeout=kafka_timeout_s,
            )
        except (KafkaError, asyncio.TimeoutError) as exc:
            log.error("could not hand the submission to Kafka", extra={"error": repr(exc)})
            return problem(503, "kafka_unavailable", "the article was not accepted; try again")
        ACCEPTED.labels(provider).inc(len(flowing))

    for result in results:
        result["status"] = "duplicate" if result["duplicate"] else "stale" if result["stale"] else "accepted"
        result["href"] = f"/v1/articles/{result['id']}"
    body = dict(results[0]) if len(results) == 1 else {"items": results}
    return Answer(202, body)
