"""Ingest's pure handler: a received submission in, a canonical article out."""
from __future__ import annotations

from datetime import datetime

from aiokafka import ConsumerRecord

from shared.cloudevents import read_headers
from shared.errors import MalformedEvent
from shared.events import ArticleEvent, ArticleReceived, Envelope, article_id_for
from shared.formats import media_type, parse


def received_from_record(record: ConsumerRecord) -> ArticleReceived:
    """Rebuild the gateway's submission from a ``wire.inbound`` record (CloudEvents
    binary mode: metadata in headers, the raw payload as the value)."""
    headers = read_headers(record.headers)
    try:
        return ArticleReceived(
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


async def ingest(received: ArticleReceived) -> ArticleEvent:
    """Parse the raw payload into a canonical ninjs-shaped article with its envelope.

    Raises ParseError / UnsupportedFormat (not retriable: the record goes to the DLQ)
    when the payload cannot be read.
    """
    article = parse(received.payload, received.content_type, provider=received.provider)
    envelope = Envelope(
        article_id=article_id_for(article.uri),
        provider=received.provider,
        received_at=received.received_at,
        source_format=media_type(received.content_type)[0],
        content_type=received.content_type,
        traceparent=received.traceparent,
    )
    return ArticleEvent(envelope=envelope, article=article)
