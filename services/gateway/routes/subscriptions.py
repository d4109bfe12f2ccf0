"""Subscriptions, managed with the admin key: create, read, replace, delete, and
each one's webhook delivery log.

A change is written to the compacted Kafka topic ``wire.subscriptions`` (the
durable copy ``wire rebuild-read-model`` restores from) and then to Redis, whose
version counter publishing checks as it writes each item: once the change is
answered, no item reaches the subscription by the filter it replaced. A webhook's
URL and secret are stored sealed (the URL may hold the receiver's secret); the API
shows the URL by its reference only.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Annotated

from aiokafka.errors import KafkaError
from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import OutOfMemoryError as RedisFull
from redis.exceptions import TimeoutError as RedisTimeoutError

from services.gateway.answers import Deliveries, IssuedToken, SubscriptionList, SubscriptionView
from services.gateway.deps import AdminOnly, ProducerDep, SettingsDep, StoreDep
from services.gateway.json_body import json_body
from services.gateway.metrics import REJECTED
from services.gateway.problems import errors
from services.gateway.webhook_check import refuse_unreachable_webhook
from shared.credentials import SecretBox, digest, new_read_token, new_webhook_secret
from shared.outbound.redact import is_url_reference, url_reference
from shared.subscriptions import (NAME_PATTERN, Outputs, ReadToken, Subscription, SubscriptionFilter,
                                  SubscriptionStore, now_iso, number_headers, subscription_record)
from shared.topics import COMPACTED, Topics, ensure_topics

log = logging.getLogger(__name__)

# 401/403 come from require_admin, 429 from auth throttling, 503 from Kafka or Redis.
router = APIRouter(prefix="/v1/subscriptions", tags=["subscriptions"], dependencies=[AdminOnly],
                   responses=errors(401, 403, 429, 503))
# The name in the path obeys the same pattern as a new subscription's name, so the
# schema itself says which names can exist.
NameInPath = Annotated[str, Path(pattern=NAME_PATTERN, description="the subscription's name")]
_WITH_BODY = (400, 413, 422)
# What a body that cannot be read answers (services/gateway/json_body.py): bytes that
# are no text are 400, text that is no JSON is 422 like any invalid field.
_BODY_NOTES = {400: "the body's bytes are not text (not UTF-8, nor the UTF-16/32 JSON allows): `bad_request`",
               413: "the body is over the size limit of a subscription (`WIRE_MAX_SUBSCRIPTION_BODY_BYTES`, "
                    "64 KiB): `payload_too_large`",
               422: "the body is not JSON or does not fit the schema: `invalid_request`, with `errors` naming each "
                    "field (type `json_invalid` for JSON that does not parse); or the webhook URL is refused: "
                    "`webhook_url_refused`"}


class SubscriptionSpec(BaseModel):
    """A subscription's filter and outputs (the name is in the path)."""

    model_config = ConfigDict(extra="forbid")
    filter: SubscriptionFilter = Field(default_factory=SubscriptionFilter)
    outputs: Outputs = Field(default_factory=Outputs)


class NewSubscription(SubscriptionSpec):
    """A subscription to create: its name, filter and outputs."""

    name: str = Field(pattern=NAME_PATTERN, description="lower-case letters, digits, '-' and '_'")


def _body_cap(request: Request) -> int:
    return request.app.state.settings.max_subscription_body_bytes


# Read once the admin key is checked (a body is never parsed for a caller without it).
NewSubscriptionBody = json_body(NewSubscription, after=AdminOnly, max_bytes=_body_cap)
SubscriptionSpecBody = json_body(SubscriptionSpec, after=AdminOnly, max_bytes=_body_cap)


def _links(request: Request, sub: Subscription, prefix: str) -> dict:
    base = str(request.base_url).rstrip("/")
    links = {"self": f"{base}/v1/subscriptions/{sub.name}",
             "deliveries": f"{base}/v1/subscriptions/{sub.name}/deliveries"}
    if sub.outputs.feeds:
        links.update({kind: f"{base}/v1/feeds/{sub.name}.{kind}" for kind in ("rss", "atom", "json")})
        links["stream"] = f"{base}/v1/stream?subscription={sub.name}"
        links["articles"] = f"{base}/v1/articles?subscription={sub.name}"
    if sub.outputs.topic:
        links["topic"] = sub.topic(prefix)
    return links


async def _save(request: Request, store: SubscriptionStore, sub: Subscription | None, name: str, producer,
                settings) -> None:
    """Kafka first (durable), then Redis (live). 503 when Kafka does not confirm it,
    or Redis does not apply it after Kafka took it: either way the answer asks for the
    same request again, which writes both (never "nothing was changed", which a send
    that timed out, or a Redis failing between the two, would make untrue). A
    subscription saved without a number is given one first (a new one, or one saved
    before numbers were given)."""
    topic = Topics(settings.topic_prefix).subscriptions
    if sub is not None:
        sub = await store.numbered(sub)
    try:
        if not getattr(request.app.state, "subscriptions_topic_ready", False):
            await ensure_topics(settings.kafka_bootstrap, {topic: COMPACTED}, partitions=1,
                                replication=settings.topic_replication)
            request.app.state.subscriptions_topic_ready = True
        await asyncio.wait_for(producer.send_and_wait(topic, subscription_record(sub), key=name.encode(),
                                                      headers=number_headers(sub)),
                               timeout=settings.kafka_timeout_s)
    except (KafkaError, asyncio.TimeoutError) as exc:
        # a send that timed out may still land: the client is told to send it again, which
        # writes the same key once more (the compacted topic keeps the last)
        REJECTED.labels("503", "kafka_unavailable").inc()
        log.error("subscription change not confirmed: Kafka unavailable", extra={"error": repr(exc)})
        raise HTTPException(503, {"error": "kafka_unavailable",
                                  "detail": "Kafka did not confirm the change and it is not applied; "
                                            "send the same request again"},
                            headers={"Retry-After": str(settings.retry_after_s)}) from exc
    try:
        if sub is None:
            await store.delete(name)
        else:
            await store.put(sub)
    except (RedisConnectionError, RedisTimeoutError, RedisFull) as exc:
        # Kafka has the change (a rebuild would restore it), Redis does not (or its answer
        # was lost): not "nothing was changed". The same request again writes both.
        code = "redis_full" if isinstance(exc, RedisFull) else "redis_unavailable"
        REJECTED.labels("503", code).inc()
        log.error("subscription change in Kafka but not applied: Redis failed", extra={"error": repr(exc)})
        raise HTTPException(503, {"error": code, "detail": "the change is saved in Kafka but Redis did not apply "
                                                           "it; send the same request again"},
                            headers={"Retry-After": str(settings.retry_after_s)}) from exc


def _shown(request: Request, sub: Subscription, prefix: str, *, token: str | None = None,
           secret: str | None = None) -> dict:
    """The subscription as the API shows it. Shown in this answer only: a new read
    ``token``, and a webhook ``secret`` the server generated (or the client set on creation)."""
    shown = sub.public()
    if token is not None:
        shown["token"] = token
    if secret is not None:
        shown["outputs"]["webhook"]["secret"] = secret
    return {**shown, "links": _links(request, sub, prefix)}


def _issue_token() -> tuple[str, ReadToken]:
    token, token_id = new_read_token()
    return token, ReadToken(id=token_id, sha256=digest(token), created_at=now_iso())


def _seal_webhook(outputs: Outputs, current: Subscription | None, settings) -> str | None:
    """Seal the webhook's URL and secret in place (neither is stored in clear: a URL may
    hold the receiver's secret). Returns the secret when the server generated it, for
    the one answer that shows it; a webhook given without a secret keeps the current
    one, and one given the URL reference the API showed keeps the URL it names."""
    webhook = outputs.webhook
    if webhook is None:
        return None
    box = SecretBox(settings.secret_key)
    kept = current.outputs.webhook if current is not None else None
    if kept is not None and webhook.url == kept.reference:
        webhook.sealed_url = kept.sealed_url or box.seal(kept.url)
    elif is_url_reference(webhook.url):
        raise HTTPException(422, {"error": "webhook_url_refused",
                                  "detail": "the webhook url is the reference of a URL this subscription does not "
                                            "have; send the URL itself"})
    else:
        webhook.sealed_url = box.seal(webhook.url)
        webhook.url = url_reference(webhook.url)
    generated = None
    if webhook.secret is None:
        if kept is not None and kept.sealed_secret:
            webhook.sealed_secret = kept.sealed_secret
            return None
        webhook.secret = generated = new_webhook_secret()
    webhook.sealed_secret = box.seal(webhook.secret)
    webhook.secret = None
    return generated


@router.post("", status_code=201, responses={
    201: {"model": SubscriptionView, "description": "created; the only answer that shows its read token and the "
                                                    "webhook secret",
          "headers": {"Location": {"schema": {"type": "string"}}}},
    **errors(*_WITH_BODY, 409, notes={**_BODY_NOTES, 409: "the name is taken (PUT replaces)"})})
async def create_subscription(request: Request, spec: NewSubscriptionBody, store: StoreDep,
                              producer: ProducerDep, settings: SettingsDep) -> JSONResponse:
    """Create a subscription. 409 when the name is taken. The answer is the only one
    that shows its read ``token`` and the webhook ``secret`` (generated when not given)."""
    await refuse_unreachable_webhook(spec.outputs, settings)
    if await store.get(spec.name) is not None:
        return JSONResponse({"error": "exists", "detail": f"subscription {spec.name!r} exists; "
                                                          "PUT replaces it"}, status_code=409)
    secret = spec.outputs.webhook.secret if spec.outputs.webhook else None
    generated = _seal_webhook(spec.outputs, None, settings)
    token, record = _issue_token()
    sub = Subscription(name=spec.name, filter=spec.filter, outputs=spec.outputs, created_at=now_iso(),
                       updated_at=now_iso(), tokens=[record])
    await _save(request, store, sub, sub.name, producer, settings)
    return JSONResponse(_shown(request, sub, settings.topic_prefix, token=token, secret=generated or secret),
                        status_code=201,
                        headers={"Location": f"/v1/subscriptions/{sub.name}"})


@router.get("", response_model=None, responses={200: {"model": SubscriptionList}})
async def list_subscriptions(request: Request, store: StoreDep, settings: SettingsDep) -> dict:
    """Every subscription (no webhook secrets, read tokens by id only)."""
    return {"subscriptions": [_shown(request, s, settings.topic_prefix)
                              for s in await store.all()]}


async def _existing(store: SubscriptionStore, name: str) -> Subscription:
    sub = await store.get(name)
    if sub is None:
        raise HTTPException(404, {"error": "not_found", "detail": f"no subscription {name!r}"})
    return sub


@router.get("/{name}", response_model=None, responses={200: {"model": SubscriptionView}, **errors(404, 422)})
async def get_subscription(request: Request, name: NameInPath, store: StoreDep, settings: SettingsDep) -> dict:
    """One subscription, with its webhook's queue length and circuit-breaker state."""
    sub = await _existing(store, name)
    shown = _shown(request, sub, settings.topic_prefix)
    if sub.outputs.webhook is not None:
        shown["webhook_status"] = await store.webhook_status(name)
    return shown


@router.put("/{name}", responses={
    200: {"model": SubscriptionView, "description": "replaced"},
    201: {"model": SubscriptionView, "description": "created"},
    **errors(*_WITH_BODY, notes=_BODY_NOTES)})
async def replace_subscription(request: Request, name: NameInPath, spec: SubscriptionSpecBody, store: StoreDep,
                               producer: ProducerDep, settings: SettingsDep) -> JSONResponse:
    """Create or replace a subscription; its read tokens stay valid. A webhook given
    without a secret keeps the current secret (or gets a new one, shown in this answer
    only). A secret the client sends is never echoed. Creating issues a read token."""
    await refuse_unreachable_webhook(spec.outputs, settings)
    current = await store.get(name)
    generated = _seal_webhook(spec.outputs, current, settings)
    tokens, token = list(current.tokens) if current else [], None
    if current is None:
        token, record = _issue_token()
        tokens.append(record)
    try:
        sub = Subscription(name=name, filter=spec.filter, outputs=spec.outputs,
                           created_at=current.created_at if current else now_iso(), updated_at=now_iso(),
                           tokens=tokens, number=current.number if current else None)
    except ValueError as exc:
        return JSONResponse({"error": "invalid_name", "detail": str(exc)}, status_code=422)
    await _save(request, store, sub, name, producer, settings)
    return JSONResponse(_shown(request, sub, settings.topic_prefix, token=token, secret=generated),
                        status_code=200 if current else 201)


@router.post("/{name}/tokens", status_code=201, responses={
    201: {"model": IssuedToken, "description": "the only answer that shows the token"}, **errors(404, 422)})
async def issue_token(request: Request, name: NameInPath, store: StoreDep, producer: ProducerDep,
                      settings: SettingsDep) -> JSONResponse:
    """Issue another read token (for rotation: issue, switch the reader, revoke the
    old one). The answer is the only one that shows it."""
    sub = await _existing(store, name)
    token, record = _issue_token()
    sub = sub.model_copy(update={"tokens": [*sub.tokens, record], "updated_at": now_iso()})
    await _save(request, store, sub, name, producer, settings)
    return JSONResponse({"id": record.id, "token": token, "created_at": record.created_at}, status_code=201)


@router.delete("/{name}/tokens/{token_id}", status_code=204,
               responses=errors(404, 422, notes={404: "no such subscription or token"}))
async def revoke_token(request: Request, name: NameInPath, token_id: str, store: StoreDep, producer: ProducerDep,
                       settings: SettingsDep) -> Response:
    """Revoke a read token by its id: from now on it answers 401."""
    sub = await _existing(store, name)
    kept = [t for t in sub.tokens if t.id != token_id]
    if len(kept) == len(sub.tokens):
        raise HTTPException(404, {"error": "not_found", "detail": f"no token {token_id!r} on {name!r}"})
    await _save(request, store, sub.model_copy(update={"tokens": kept, "updated_at": now_iso()}), name,
                producer, settings)
    return Response(status_code=204)


@router.delete("/{name}", status_code=204, responses=errors(404, 422))
async def delete_subscription(request: Request, name: NameInPath, store: StoreDep, producer: ProducerDep,
                              settings: SettingsDep) -> Response:
    """Delete a subscription with its feed, live stream, pending webhooks and log."""
    await _existing(store, name)
    await _save(request, store, None, name, producer, settings)
    return Response(status_code=204)


@router.get("/{name}/deliveries", response_model=None, responses={200: {"model": Deliveries}, **errors(404, 422)})
async def deliveries(name: NameInPath, store: StoreDep, limit: int = Query(50, ge=1, le=1000)) -> dict:
    """The newest webhook delivery attempts (outcome delivered, retrying, rejected or
    dead_lettered, with HTTP status and error), newest first."""
    await _existing(store, name)
    return {"subscription": name, "deliveries": await store.deliveries(name, limit)}
