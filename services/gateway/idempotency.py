"""Idempotency-Key: a client retrying a submission gets the first answer again
instead of a second submission. The key is kept with a fingerprint of what it was
sent with, so a different article under a reused key is refused (422) instead of
being answered as the first one and silently dropped."""
from __future__ import annotations

import hashlib

import orjson
from fastapi import Request
from fastapi.responses import JSONResponse

from services.gateway.metrics import REJECTED


def fingerprint(payload: bytes, content_type: str) -> str:
    """SHA-256 of a submission as sent: its media type and its bytes."""
    digest = hashlib.sha256(content_type.encode("latin-1", "replace"))
    digest.update(b"\0")
    digest.update(payload)
    return digest.hexdigest()


async def replayed(request: Request, provider: str, sent: str) -> JSONResponse | None:
    """The stored answer for this request's Idempotency-Key, if there is one and it was
    given to the same submission (fingerprint ``sent``); 422 when the key was used for
    another one; None when the key is new (or absent)."""
    key = request.headers.get("idempotency-key")
    if not key:
        return None
    stored = await request.app.state.redis.get(request.app.state.keys.idempotency(provider, key))
    if stored is None:
        return None
    answer = orjson.loads(stored)
    if answer.get("fingerprint", sent) != sent:  # kept before fingerprints were: replayed as it was
        REJECTED.labels("422", "idempotency_key_reused").inc()
        return JSONResponse({"error": "idempotency_key_reused",
                             "detail": "this Idempotency-Key was used for a different article (another body or "
                                       "Content-Type): a new article needs a new key; the first one's answer is "
                                       "replayed only for the same article"}, status_code=422)
    return JSONResponse(answer["body"], status_code=answer["status"], headers={"Idempotency-Replayed": "true"})


async def remember(request: Request, provider: str, status: int, body: dict, ttl_s: int, sent: str) -> None:
    """Keep the answer to the submission of fingerprint ``sent`` under its Idempotency-Key."""
    key = request.headers.get("idempotency-key")
    if key:
        await request.app.state.redis.set(request.app.state.keys.idempotency(provider, key),
                                          orjson.dumps({"status": status, "body": body, "fingerprint": sent}),
                                          ex=ttl_s)
