"""``GET /v1/ops/summary``: what the dashboard shows, as JSON.

The router's lifespan starts the gateway's :class:`OpsMonitor` (lag, DLQ depth and
throughput, also exported on ``/metrics``) and the gateway's heartbeat.
"""
from __future__ import annotations

import asyncio
import contextlib
import math
import statistics
from datetime import datetime
from typing import Any

import orjson
from fastapi import APIRouter, FastAPI, Query, Request
from redis.exceptions import RedisError

from services.gateway.deps import AdminOnly
from services.gateway.ops_monitor import OpsMonitor
from services.gateway.problems import errors
from shared.heartbeat import Heartbeat, ProcessStatus, read_statuses
from shared.lag import stage_outputs

STAGES = ("ingested", "enriched", "translated", "published")
LATENCY_SAMPLE = 200


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI):
    settings = app.state.settings
    monitor = OpsMonitor(settings.kafka_bootstrap, app.state.topics, translates=settings.translates)
    heartbeat = Heartbeat(app.state.redis, app.state.keys, "gateway", metrics_port=settings.port)
    app.state.ops = monitor
    stop = asyncio.Event()
    tasks = [asyncio.create_task(monitor.run(stop)), asyncio.create_task(heartbeat.run(stop))]
    try:
        yield
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)


router = APIRouter(prefix="/v1/ops", tags=["operations"], lifespan=lifespan, dependencies=[AdminOnly])


@router.get("/summary", responses=errors(401, 403, 422, 429, 503))
async def summary(request: Request, recent: int = Query(20, ge=0, le=200)) -> dict[str, Any]:
    """Services (up/down, last error), consumer lag, DLQ depth with reasons, articles
    per minute per stage, end-to-end latency percentiles over the latest published
    articles, and the latest articles with their per-stage timings."""
    state = request.app.state
    await state.ops.asked()
    metas = await _recent_metas(state.read_model, max(recent, LATENCY_SAMPLE))
    return {
        "generated_at": datetime.now().astimezone().isoformat(),
        "services": await _services(state),
        **state.ops.snapshot(),
        "stages": list(stage_outputs(state.settings.translates)),
        "latency": latency(metas),
        "recent": [article_row(item, meta) for item, meta in metas[:recent]],
    }


async def _services(state) -> dict[str, Any]:
    try:
        statuses = await read_statuses(state.redis, state.keys)
    except (RedisError, OSError) as exc:
        return {"error": f"redis: {type(exc).__name__}", "services": []}
    by_service: dict[str, list[ProcessStatus]] = {}
    for s in statuses:
        by_service.setdefault(s.service, []).append(s)
    rows = []
    # the deployment's stages (translation only when it translates), then any other heartbeat
    for name in ("gateway", *stage_outputs(state.settings.translates), *sorted(by_service)):
        if any(r["service"] == name for r in rows):
            continue
        procs = by_service.get(name, [])
        errors = [p.last_error for p in procs if p.last_error]
        rows.append({
            "service": name,
            "state": "up" if any(p.up() for p in procs) else ("down" if procs else "unknown"),
            "processes": [{"host": p.host, "pid": p.pid, "state": p.state(), "last_seen": p.ts} for p in procs],
            "last_error": max(errors, key=lambda e: e.get("ts", 0)) if errors else None,
        })
    return {"error": None, "services": rows}


async def _recent_metas(read_model, limit: int) -> list[tuple[dict, dict]]:
    """(item, meta) of the latest published articles, newest first."""
    try:
        ids = await read_model.recent_ids(limit)
        pipe = read_model.redis.pipeline(transaction=False)
        for article_id in ids:
            pipe.hmget(read_model.keys.article(article_id), "item", "meta")
        rows = await pipe.execute()
    except (RedisError, OSError):
        return []
    return [(orjson.loads(item), orjson.loads(meta)) for item, meta in rows if item and meta]


def _ts(value: str | None) -> float | None:
    try:
        return datetime.fromisoformat(value).timestamp() if value else None
    except ValueError:
        return None


def article_row(item: dict, meta: dict) -> dict[str, Any]:
    """One line of "latest articles": headline, ids, and how long each stage took
    (``ms``, handler time) and waited before it (``waited_ms``, queueing)."""
    received = _ts(meta.get("received_at"))
    timings, previous = [], received
    for stage in STAGES:
        t = (meta.get("stage_timings") or {}).get(stage)
        if not t:
            continue
        waited = (t["started_at"] - previous) * 1000 if previous is not None else None
        timings.append({"stage": stage, "ms": round((t["finished_at"] - t["started_at"]) * 1000, 1),
                        "waited_ms": round(waited, 1) if waited is not None else None})
        previous = t["finished_at"]
    published = _ts(meta.get("published_at"))
    headline = next((h.get("value") for h in item.get("headlines", []) if h.get("role") in (None, "main")), "")
    return {
        "id": meta.get("article_id"), "uri": meta.get("uri"), "version": meta.get("version"),
        "headline": headline, "language": item.get("language"), "provider": meta.get("provider"),
        "signal": meta.get("signal"), "received_at": meta.get("received_at"),
        "published_at": meta.get("published_at"), "trace_id": meta.get("trace_id"),
        "end_to_end_ms": round((published - received) * 1000, 1) if published and received else None,
        "timings": timings, "href": f"/v1/articles/{meta.get('article_id')}",
    }


def _percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile: the smallest value with at least ``q`` of them at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def latency(metas: list[tuple[dict, dict]]) -> dict[str, Any]:
    """End-to-end (received → published) percentiles in ms over ``metas``, overall
    and per language, plus each stage's median handler time."""
    by_language: dict[str, list[float]] = {}
    stage_ms: dict[str, list[float]] = {}
    for item, meta in metas:
        received, published = _ts(meta.get("received_at")), _ts(meta.get("published_at"))
        if received is not None and published is not None:
            by_language.setdefault(item.get("language") or "und", []).append((published - received) * 1000)
        for stage, t in (meta.get("stage_timings") or {}).items():
            stage_ms.setdefault(stage, []).append((t["finished_at"] - t["started_at"]) * 1000)

    def pct(values: list[float]) -> dict[str, Any]:
        return {"count": len(values), **{f"p{int(q * 100)}": round(_percentile(values, q), 1)
                                         for q in (0.5, 0.95, 0.99)}}

    every = [v for values in by_language.values() for v in values]
    return {
        "sample": len(metas),
        "end_to_end_ms": pct(every) if every else {"count": 0},
        "by_language": {lang: pct(values) for lang, values in sorted(by_language.items())},
        "stage_median_ms": {s: round(statistics.median(v), 2) for s, v in stage_ms.items() if s in STAGES},
    }
