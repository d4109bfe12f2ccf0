"""Publishing's handler: validate the item as ninjs 3.1, store it in the read model
and emit it on ``articles.published`` (keyed by uri, the latest version kept)."""
from __future__ import annotations

import time
from datetime import datetime, timezone

import orjson
from aiokafka import ConsumerRecord

from shared.bus import Outgoing
from shared.cloudevents import event_headers
from shared.codec import decode
from shared.events import ArticleEvent, Stage
from shared.ninjs import ensure_valid
from shared.read_model import ReadModel
from shared.stage import bind_article_context, event_id
from shared.telemetry import END_TO_END_SECONDS
from shared.tracing import child_traceparent, trace_id

SERVICE = "publishing"


def published_meta(event: ArticleEvent, published_at: float) -> dict:
    """What the read model keeps beside the item: pipeline data for the API and ops."""
    env = event.envelope
    return {
        "article_id": env.article_id,
        "uri": event.article.uri,
        "version": event.article.version,
        "provider": env.provider,
        "signal": env.signal,
        "source_format": env.source_format,
        "received_at": env.received_at.isoformat(),
        "published_at": datetime.fromtimestamp(published_at, timezone.utc).isoformat(),
        "stage_timings": {k: v.model_dump() for k, v in env.stage_timings.items()},
        "notes": [n.model_dump() for n in env.notes],
        "enrichment": env.enrichment,
        "trace_id": trace_id(env.traceparent),
    }


async def publish(record: ConsumerRecord, *, read_model: ReadModel, out_topic: str) -> list[Outgoing]:
    """One ``articles.translated`` record in; the published ninjs record out.

    Raises InvalidNinjs (to the DLQ) for an item that is not valid ninjs 3.1, and
    Redis errors (retried) when the read model cannot be written.
    """
    started = time.time()
    event = decode(ArticleEvent, record.value)
    bind_article_context(event)
    item = event.article.to_ninjs()
    ensure_valid(item)
    published_at = time.time()
    meta = published_meta(event, published_at)
    meta["stage_timings"][Stage.PUBLISHED.value] = {"started_at": started, "finished_at": published_at}
    await read_model.store(event.envelope.article_id, item, meta)
    END_TO_END_SECONDS.labels(event.article.language or "und").observe(
        published_at - event.envelope.received_at.timestamp()
    )
    key = event.idempotency_key(Stage.PUBLISHED)
    headers = event_headers(
        type=Stage.PUBLISHED.event_type,
        source=f"wirestream/{SERVICE}",
        time=datetime.fromtimestamp(published_at, timezone.utc),
        traceparent=child_traceparent(event.envelope.traceparent),
        idempotency_key=key,
        id=event_id(key),
        extra={"wire_article_id": event.envelope.article_id, "wire_signal": event.envelope.signal,
               "wire_received_at": event.envelope.received_at.isoformat()},
    )
    return [Outgoing(topic=out_topic, key=event.article.uri.encode(), value=orjson.dumps(item), headers=headers)]
