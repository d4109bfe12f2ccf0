"""Liveness, readiness and Prometheus metrics."""
from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from services.gateway.answers import Liveness, Readiness
from services.gateway.deps import AdminOnly

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Liveness)
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


async def _check(coro) -> str:
    try:
        await asyncio.wait_for(coro, timeout=2.0)
        return "ok"
    except Exception as exc:  # noqa: BLE001 - readiness reports any failure
        return f"unreachable: {type(exc).__name__}"


# How long one check's answer is given to every /readyz: the route needs no key (load
# balancers probe it), so a flood of probes must not become a flood of Kafka metadata
# requests and Redis pings.
READINESS_TTL_S = 1.0


class ReadinessCheck:
    """The last check's answer while it is under READINESS_TTL_S old; concurrent
    probes past that share one new check."""

    def __init__(self) -> None:
        self._checked_at = float("-inf")
        self._checks: dict[str, str] = {}
        self._running: asyncio.Future[dict[str, str]] | None = None

    async def checks(self, state) -> dict[str, str]:
        loop = asyncio.get_running_loop()
        if loop.time() - self._checked_at < READINESS_TTL_S:
            return self._checks
        if self._running is None:
            self._running = asyncio.ensure_future(self._check(state))
        return await asyncio.shield(self._running)  # a probe that leaves does not cancel the others'

    async def _check(self, state) -> dict[str, str]:
        try:
            self._checks = {"kafka": await _check(state.producer.client.fetch_all_metadata()),
                            "redis": await _check(state.read_model.redis.ping())}
            self._checked_at = asyncio.get_running_loop().time()
            return self._checks
        finally:
            self._running = None


@router.get("/readyz", responses={200: {"model": Readiness},
                                  503: {"model": Readiness, "description": "not ready: `checks` names what is not"}})
async def readyz(request: Request) -> JSONResponse:
    """200 when Kafka and Redis are both reachable, else 503 naming which is not (as
    checked at most a second ago: probes share one check a second)."""
    state = request.app.state
    checks = await state.readiness.checks(state)
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ready" if ready else "not ready", "checks": checks}, status_code=200 if ready else 503)


@router.get("/metrics", include_in_schema=False, dependencies=[AdminOnly])
async def metrics(request: Request) -> Response:
    """The gateway's Prometheus metrics; they name providers and subscriptions, so they
    need the admin key (Prometheus: ``authorization: {credentials: …}``). The pipeline's
    lag and DLQ depth are measured while someone asks (:mod:`ops_monitor`)."""
    monitor = getattr(request.app.state, "ops", None)
    if monitor is not None:
        await monitor.asked()
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
