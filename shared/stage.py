"""Glue between the runner and a service's pure article handler.

A stage handler is ``async def handler(event: ArticleEvent) -> ArticleEvent | None``;
:func:`article_handler` decodes the record, stamps the stage's timing and trace
span, and encodes the result with its CloudEvents headers.
"""
from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable

from aiokafka import ConsumerRecord

from shared.bus import Handle, Outgoing
from shared.cloudevents import event_headers, read_headers
from shared.codec import decode, encode
from shared.events import ArticleEvent, Stage, StageTiming, utcnow
from shared.telemetry import log_context
from shared.tracing import child_traceparent, trace_id

ArticleTransform = Callable[[ArticleEvent], Awaitable[ArticleEvent | None]]


def event_id(idempotency_key: str) -> str:
    """A deterministic CloudEvents id: re-deliveries of one output share it."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, idempotency_key))


def article_output(
    event: ArticleEvent, *, stage: Stage, service: str, topic: str, started_at: float
) -> Outgoing:
    """Stamp ``event`` with this stage's timing and span and wrap it for Kafka."""
    event.envelope.stage_timings[stage.value] = StageTiming(
        started_at=started_at, finished_at=time.time()
    )
    event.envelope.traceparent = child_traceparent(event.envelope.traceparent)
    key = event.idempotency_key(stage)
    headers = event_headers(
        type=stage.event_type,
        source=f"wirestream/{service}",
        time=utcnow(),
        traceparent=event.envelope.traceparent,
        idempotency_key=key,
        id=event_id(key),
        extra={"wire_article_id": event.envelope.article_id, "wire_signal": event.envelope.signal},
    )
    return Outgoing(topic=topic, key=event.article.uri.encode(), value=encode(event), headers=headers)


def bind_article_context(event: ArticleEvent) -> None:
    """Add the article's uri and trace id to every log line of the current message."""
    log_context.set(
        {
            **log_context.get(),
            "article_uri": event.article.uri,
            "trace_id": trace_id(event.envelope.traceparent),
        }
    )


def read_article_event(record: ConsumerRecord) -> ArticleEvent:
    """Decode a stage topic's record (aiokafka's, or a faust message: anything with
    ``value`` and ``headers``) and tag the current log context with its article.

    Every stage reads its input through here. Raises MalformedEvent (not retriable:
    the record goes to the DLQ with the reason) when the value is not an ArticleEvent."""
    event = decode(ArticleEvent, record.value)
    if not event.envelope.traceparent:
        event.envelope.traceparent = read_headers(record.headers).get("traceparent", "")
    bind_article_context(event)
    return event


def article_handler(
    *, stage: Stage, service: str, out_topic: str, transform: ArticleTransform
) -> Handle:
    """A runner handler that applies ``transform`` to each :class:`ArticleEvent`.

    ``transform`` returning None means "nothing to emit". Undecodable records raise
    :class:`~shared.errors.MalformedEvent` and go to the DLQ.
    """

    async def handle(record: ConsumerRecord) -> list[Outgoing]:
        started_at = time.time()
        event = read_article_event(record)
        result = await transform(event)
        if result is None:
            return []
        return [article_output(result, stage=stage, service=service, topic=out_topic, started_at=started_at)]

    return handle
