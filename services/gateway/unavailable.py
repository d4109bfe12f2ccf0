"""Redis or Kafka trouble answers 503 with Retry-After on every route, never a 500."""
from __future__ import annotations

import logging

from aiokafka.errors import KafkaError
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import OutOfMemoryError as RedisFull
from redis.exceptions import TimeoutError as RedisTimeoutError

from services.gateway.metrics import REJECTED

log = logging.getLogger(__name__)


def install(app: FastAPI, *, retry_after_s: int) -> None:
    """Register the 503 answers on ``app``."""

    def unavailable(code: str, what: str, why: str = "is unavailable"):
        async def handle(request: Request, exc: Exception) -> JSONResponse:
            REJECTED.labels("503", code).inc()
            log.warning(f"{what} {why}", extra={"error": repr(exc), "path": request.url.path})
            return JSONResponse({"error": code, "detail": f"{what} {why}; nothing was changed, try again"},
                                status_code=503, headers={"Retry-After": str(retry_after_s)})
        return handle

    for redis_error in (RedisConnectionError, RedisTimeoutError):
        app.add_exception_handler(redis_error, unavailable("redis_unavailable", "Redis"))
    # maxmemory reached with noeviction: until an operator gives it room, Redis refuses
    # every write and (Redis 7) every command of a MULTI, reads too; what it refused
    # changed nothing (a script is refused at its first write)
    app.add_exception_handler(RedisFull, unavailable("redis_full", "Redis", "is full"))
    app.add_exception_handler(KafkaError, unavailable("kafka_unavailable", "Kafka"))
