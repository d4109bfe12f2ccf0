"""Idempotency-Key: a client retrying a submission gets the first answer again
instead of a second submission."""
from __future__ import annotations

import orjson
from fastapi import Request
from fastapi.responses import JSONResponse


async def replayed(request: Request, provider: str) -> JSONResponse | None:
    """The stored answer for this request's Idempotency-Key, if there is one."""
    key = request.headers.get("idempotency-key")
    if not key:
        return None
    stored = await request.app.state.redis.get(request.app.state.keys.idempotency(provider, key))
    if stored is None:
        return None
    answer = orjson.loads(stored)
    return JSONResponse(answer["body"], status_code=answer["status"], headers={"Idempotency-Replayed": "true"})


async def remember(request: Request, provider: str, status: int, body: dict, ttl_s: int) -> None:
    key = request.headers.get("idempotency-key")
    if key:
        await request.app.state.redis.set(request.app.state.keys.idempotency(provider, key),
                                          orjson.dumps({"status": status, "body": body}), ex=ttl_s)
