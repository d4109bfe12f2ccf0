"""What enrichment found beyond ninjs, and the trending entities.

``GET /v1/articles/{id}/enrichment`` serves the ``envelope.enrichment`` publishing
keeps beside each item; ``GET /v1/trends`` serves the per-window entity counts the
enrichment worker copies from its faust windowed table to Redis.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from services.gateway.answers import Enrichment, Trends
from services.gateway.deps import ReadModelDep, ReaderDep
from services.gateway.problems import errors
from services.gateway.read_limit import count_loaded, loaded_size
from shared.subscriptions import SubscriptionFilter

router = APIRouter(tags=["enrichment"])

EntityType = Literal["person", "organisation", "place", "untyped"]


@router.get("/v1/articles/{article_id}/enrichment", responses={
    200: {"model": Enrichment},
    **errors(401, 403, 404, 410, 422, 429, 503, notes={404: "unknown, not yet published, or not yours to read"})})
async def get_enrichment(request: Request, article_id: str, read_model: ReadModelDep,
                         reader: ReaderDep) -> JSONResponse:
    """Enrichment data ninjs has no field for: entities with roles, confidences and
    character offsets (per field), quotes and their speakers, cited sources, dates
    mentioned (normalised), topics with their evidence, keywords, the summary
    sentences, word count, reading time and the story cluster id."""
    stored = await read_model.stored(article_id)
    await count_loaded(request, reader, loaded_size(stored))  # loaded to decide, whatever the answer
    if stored is not None and stored.killed and reader.saw_killed(stored.meta):
        return JSONResponse({"error": "gone", "detail": f"article {article_id!r} was killed"}, status_code=410)
    if (stored is None or stored.killed or not stored.meta
            or not reader.may_read(stored.item, stored.meta.get("provider"))):
        return JSONResponse({"error": "not_found", "detail": f"no published article with id {article_id!r} (yet)"},
                            status_code=404)
    meta = stored.meta
    return JSONResponse({"id": article_id, "uri": meta.get("uri"), "version": meta.get("version"),
                         "enrichment": meta.get("enrichment") or {}})


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat().replace("+00:00", "Z")


@router.get("/v1/trends", responses={200: {"model": Trends}, **errors(401, 403, 422, 429, 503)})
async def get_trends(
    request: Request, reader: ReaderDep,
    windows: Annotated[int, Query(ge=1, le=48, description="how many of the latest windows, newest first")] = 1,
    limit: Annotated[int, Query(ge=1, le=200, description="entities per window")] = 20,
    type: Annotated[EntityType | None, Query(description="only entities of this type")] = None,
) -> JSONResponse:
    """Trending entities: for each of the latest tumbling windows (by the articles'
    receive time), the entities named by the most stories, with their counts.
    A story counts once per entity, however many versions or copies it has; a story
    under embargo counts only once it is released. The counts span the whole wire:
    a subscription whose filter takes only a slice of it gets 403."""
    if reader.subscription is not None and reader.subscription.filter != SubscriptionFilter():
        return JSONResponse({"error": "forbidden", "detail": "trends count every story on the wire; this "
                                                             "subscription is entitled to a slice of it only"}, 403)
    redis, keys = request.app.state.redis, request.app.state.keys
    latest = await redis.zrevrange(keys.trend_windows(), 0, windows - 1)
    answer = []
    for member in latest:
        start, _, end = member.decode().partition(":")
        entities = await _top(redis, keys, int(start), limit=limit, kind=type)
        answer.append({"start": _iso(int(start)), "end": _iso(int(end)), "entities": entities})
    return JSONResponse({"windows": answer})


async def _top(redis, keys, start: int, *, limit: int, kind: str | None) -> list[dict]:
    """The ``limit`` entities (of ``kind``) named by most stories in the window starting
    at ``start``: enrichment's counts plus those of stories released from embargo since,
    less those of stories killed since, most first, ties by name. Summed in Redis with the counts negated, so the range in
    ascending order is that ranking and only the rows needed are read (a busy window
    holds thousands of entities; sorting all of them for each request held the event loop)."""
    union = f"{keys.trend_window(start)}:top:{uuid.uuid4().hex}"
    async with redis.pipeline(transaction=True) as pipe:
        pipe.zunionstore(union, {keys.trend_window(start): -1, keys.trend_released(start): -1}, aggregate="SUM")
        pipe.expire(union, 30)
        await pipe.execute()
    entities, offset, chunk = [], 0, max(limit, 100) if kind is None else 500
    try:
        while len(entities) < limit:
            rows = await redis.zrange(union, offset, offset + chunk - 1, withscores=True)
            for raw, negated in rows:
                if negated >= 0:  # what is left was counted only by stories killed since
                    return entities
                found, _, name = raw.decode().partition("\t")
                if kind is None or found == kind:
                    entities.append({"type": found, "name": name, "count": int(-negated)})
                    if len(entities) == limit:
                        break
            if len(rows) < chunk:
                break
            offset += chunk
    finally:
        await redis.delete(union)
    return entities
