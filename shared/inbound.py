"""The ``wire.inbound`` record: a submission exactly as a source sent it.

Written by the gateway and by ingest's pollers (feeds, drop folder), read by
ingest. CloudEvents binary mode: the raw payload is the value, the rest headers.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

from aiokafka import AIOKafkaProducer, ConsumerRecord
from aiokafka.errors import KafkaError

from shared.bus import Outgoing
from shared.cloudevents import event_headers, read_headers
from shared.errors import MalformedEvent, RetriableError
from shared.events import ArticleReceived, Stage, article_id_for, utcnow
from shared.formats import parse
from shared.identity import Decision, NotOwner, StoryRegistry
from shared.stage import event_id
from shared.tracing import child_traceparent, new_traceparent


def submission_record(
    *,
    topic: str,
    payload: bytes,
    content_type: str,
    provider: str,
    uri: str,
    article_id: str,
    source: str,
    traceparent: str | None = None,
    received_at: datetime | None = None,
    idempotency_key: str | None = None,
) -> Outgoing:
    """The record announcing one received payload (keyed by the story's uri)."""
    received_at = received_at or utcnow()
    key = idempotency_key or f"{uri}:{Stage.RECEIVED.value}:{received_at.timestamp()}"
    headers = event_headers(
        type=Stage.RECEIVED.event_type,
        source=source,
        time=received_at,
        traceparent=traceparent or new_traceparent(),
        idempotency_key=key,
        id=event_id(key),
        content_type=content_type,
        extra={"wire_article_id": article_id, "wire_uri": uri, "wire_provider": provider},
    )
    return Outgoing(topic=topic, key=uri.encode(), value=payload, headers=headers)


def received_from_record(record: ConsumerRecord) -> ArticleReceived:
    """Rebuild a submission from a ``wire.inbound`` record.

    Raises MalformedEvent (to the DLQ) when a header the contract requires is missing.
    """
    headers = read_headers(record.headers)
    try:
        return ArticleReceived(
            event_id=headers["ce_id"],
            article_id=headers["wire_article_id"],
            uri=headers["wire_uri"],
            provider=headers["wire_provider"],
            content_type=headers["content-type"],
            received_at=datetime.fromisoformat(headers["ce_time"]),
            traceparent=headers.get("traceparent", ""),
            payload=record.value or b"",
        )
    except (KeyError, ValueError) as exc:
        raise MalformedEvent(f"wire.inbound record lacks a valid header: {exc}") from exc


class KafkaUnavailable(RetriableError):
    """Kafka did not acknowledge a submission in time: it was not accepted."""

    code = "kafka_unavailable"


@dataclass
class Submission:
    """What happened to one submitted payload: each item's identity and whether it
    is new work, an exact duplicate or an older version (both of which are not sent)."""

    items: list[dict] = field(default_factory=list)

    @property
    def sent(self) -> list[dict]:
        return [i for i in self.items if i["status"] == "accepted"]


async def submit(
    payload: bytes,
    content_type: str,
    *,
    provider: str,
    producer: AIOKafkaProducer,
    registry: StoryRegistry,
    topic: str,
    source: str,
    traceparent: str | None = None,
    timeout_s: float = 10.0,
    acts_for: list[str] | None = None,
) -> Submission:
    """Parse ``payload`` and, unless every item in it is already known, put the raw
    payload on ``topic`` and wait for Kafka's acknowledgement.

    Raises UnsupportedFormat / ParseError for unreadable input and NotOwner when an
    item changes a story owned by a provider outside ``acts_for`` (default: the
    provider alone) — nothing is sent then — and KafkaUnavailable when Kafka does not
    acknowledge within ``timeout_s``.
    """
    submission = Submission()
    refused = []
    for item in parse(payload, content_type, provider=provider):
        article = item.article
        known = await registry.peek(article, source_version=item.source_version, acts_for=acts_for or [provider])
        if known is Decision.NOT_OWNER:
            refused.append(article.uri)
            continue
        status = {Decision.DUPLICATE: "duplicate", Decision.OLDER: "stale"}.get(known, "accepted")
        entry = {"id": article_id_for(article.uri), "uri": article.uri, "format": item.source_format,
                 "status": status, "duplicate": status == "duplicate", "stale": status == "stale"}
        if item.source_version:
            entry["version"] = item.source_version
        submission.items.append(entry)
    if refused:
        raise NotOwner(f"provider {provider!r} may not change stories another provider owns: {', '.join(refused)}")
    if submission.sent:
        first = submission.sent[0]
        record = submission_record(topic=topic, payload=payload, content_type=content_type or "text/plain",
                                   provider=provider, uri=first["uri"], article_id=first["id"], source=source,
                                   traceparent=child_traceparent(traceparent))
        try:
            await asyncio.wait_for(
                producer.send_and_wait(record.topic, record.value, key=record.key, headers=record.headers),
                timeout=timeout_s)
        except (KafkaError, asyncio.TimeoutError) as exc:
            raise KafkaUnavailable(f"Kafka did not acknowledge the submission: {exc!r}") from exc
    return submission
