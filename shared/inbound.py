"""The ``wire.inbound`` record: a submission exactly as a source sent it.

Written by the gateway and by ingest's pollers (feeds, drop folder), read by
ingest. CloudEvents binary mode: the raw payload is the value, the rest headers.
"""
from __future__ import annotations

from datetime import datetime

from aiokafka import ConsumerRecord

from shared.bus import Outgoing
from shared.cloudevents import event_headers, read_headers
from shared.errors import MalformedEvent
from shared.events import ArticleReceived, Stage, utcnow
from shared.stage import event_id
from shared.tracing import new_traceparent


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
