"""What the read model keeps beside each published item: its pipeline data, for
the API (``/v1/articles/{id}/enrichment``, language versions) and ops views."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from shared.events import ArticleEvent, Stage
from shared.tracing import trace_id

# Set in a story's COUNTED record (shared.trends) when publishing, not enrichment, counted
# it, at the end of its embargo: those counts are publishing's to restore after Redis lost them.
RELEASED = "released"
# In a killed item's meta: when the kill that took it was received (ISO 8601), the same
# for the original and every version its kill took along. A language version received
# before it is killed too if it reaches publishing after it (services/publishing/plan.py).
KILLED_AT = "killed_at"


def published_meta(event: ArticleEvent, published_at: float, started: float | None = None) -> dict[str, Any]:
    """The meta of ``event`` published at ``published_at`` (``started``: when publishing
    began on it, recorded as its stage timing)."""
    env = event.envelope
    meta = {
        "article_id": env.article_id,
        "uri": event.article.uri,
        "version": event.article.version,
        "language": event.article.language,
        "provider": env.provider,
        "signal": env.signal,
        "source_format": env.source_format,
        "received_at": env.received_at.isoformat(),
        "published_at": datetime.fromtimestamp(published_at, timezone.utc).isoformat(),
        "stage_timings": {k: v.model_dump() for k, v in env.stage_timings.items()},
        "notes": [n.model_dump() for n in env.notes],
        "enrichment": env.enrichment.as_json(),
        "trace_id": trace_id(env.traceparent),
    }
    if env.translation:
        meta["translation_role"] = env.translation.role
    if started is not None:
        meta["stage_timings"][Stage.PUBLISHED.value] = {"started_at": started, "finished_at": published_at}
    return meta
