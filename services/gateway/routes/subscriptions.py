"""Subscriptions, managed with the admin key: create, read, replace, delete, and
each one's webhook delivery log.

A change is written to the compacted Kafka topic ``wire.subscriptions`` (the
durable copy ``wire rebuild-read-model`` restores from) and then to Redis, whose
version counter publishing watches: it applies to the next published item.
"""
from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Annotated

from aiokafka.errors import KafkaError
from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from services.gateway.deps import ProducerDep, SettingsDep
from services.gateway.webhook_check import refuse_unreachable_webhook
from shared.subscriptions import (SUBSCRIPTIONS_TOPIC, Outputs, Subscription, SubscriptionFilter, SubscriptionStore,
                                  ensure_topics, now_iso, subscription_record)
from shared.topics import COMPACTED

log = logging.getLogger(__name__)
_bearer = HTTPBearer(auto_error=False)


def require_admin(settings: SettingsDep,
                  credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
    """401 unless the request carries ``Authorization: Bearer <WIRE_ADMIN_KEY>``."""
    if credentials is None or not hmac.compare_digest(credentials.credentials.encode(),
                                                      (settings.admin_key or "").encode()):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "this needs the admin key (Authorization: Bearer …)",
                            headers={"WWW-Authenticate": "Bearer"})


router = APIRouter(prefix="/v1/subscriptions", tags=["subscriptions"], dependencies=[Depends(require_admin)])


def get_store(request: Request) -> SubscriptionStore:
    return SubscriptionStore(request.app.state.redis, request.app.state.keys.prefix)


StoreDep = Annotated[SubscriptionStore, Depends(get_store)]


class SubscriptionSpec(BaseModel):
    """A subscription's filter and outputs (the name is in the path)."""

    filter: SubscriptionFilter = Field(default_factory=SubscriptionFilter)
    outputs: Outputs = Field(default_factory=Outputs)


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
    """Kafka first (durable), then Redis (live). 503 when Kafka does not take it."""
    topic = f"{settings.topic_prefix}{SUBSCRIPTIONS_TOPIC}"
    try:
        if not getattr(request.app.state, "subscriptions_topic_ready", False):
            await ensure_topics(settings.kafka_bootstrap, {topic: COMPACTED}, partitions=1,
                                replication=settings.topic_replication)
            request.app.state.subscriptions_topic_ready = True
        await asyncio.wait_for(producer.send_and_wait(topic, subscription_record(sub), key=name.encode()),
                               timeout=settings.kafka_timeout_s)
    except (KafkaError, asyncio.TimeoutError) as exc:
        log.error("subscription not saved: Kafka unavailable", extra={"error": repr(exc)})
        raise HTTPException(503, {"error": "kafka_unavailable", "detail": "the change was not saved; try again"},
                            headers={"Retry-After": "5"}) from exc
    if sub is None:
        await store.delete(name)
    else:
        await store.put(sub)


def _shown(request: Request, sub: Subscription, prefix: str, *, with_secret: bool) -> dict:
    data = sub.model_dump(mode="json") if with_secret else sub.public()
    return {**data, "links": _links(request, sub, prefix)}


@router.post("", status_code=201)
async def create_subscription(request: Request, subscription: Subscription, store: StoreDep,
                              producer: ProducerDep, settings: SettingsDep) -> JSONResponse:
    """Create a subscription. 409 when the name is taken. The answer is the only one
    that shows the webhook secret (generated when not given)."""
    await refuse_unreachable_webhook(subscription.outputs, settings)
    if await store.get(subscription.name) is not None:
        return JSONResponse({"error": "exists", "detail": f"subscription {subscription.name!r} exists; "
                                                          "PUT replaces it"}, status_code=409)
    subscription.created_at = subscription.updated_at = now_iso()
    await _save(request, store, subscription, subscription.name, producer, settings)
    return JSONResponse(_shown(request, subscription, settings.topic_prefix, with_secret=True), status_code=201,
                        headers={"Location": f"/v1/subscriptions/{subscription.name}"})


@router.get("")
async def list_subscriptions(request: Request, store: StoreDep, settings: SettingsDep) -> dict:
    """Every subscription (webhook secrets masked)."""
    return {"subscriptions": [_shown(request, s, settings.topic_prefix, with_secret=False)
                              for s in await store.all()]}


async def _existing(store: SubscriptionStore, name: str) -> Subscription:
    sub = await store.get(name)
    if sub is None:
        raise HTTPException(404, {"error": "not_found", "detail": f"no subscription {name!r}"})
    return sub


@router.get("/{name}")
async def get_subscription(request: Request, name: str, store: StoreDep, settings: SettingsDep) -> dict:
    """One subscription, with its webhook's queue length and circuit-breaker state."""
    sub = await _existing(store, name)
    shown = _shown(request, sub, settings.topic_prefix, with_secret=False)
    if sub.outputs.webhook is not None:
        shown["webhook_status"] = await store.webhook_status(name)
    return shown


@router.put("/{name}")
async def replace_subscription(request: Request, name: str, spec: SubscriptionSpec, store: StoreDep,
                               producer: ProducerDep, settings: SettingsDep) -> JSONResponse:
    """Create or replace a subscription. A webhook given without a secret keeps the
    current secret (or gets a new one)."""
    await refuse_unreachable_webhook(spec.outputs, settings)
    current = await store.get(name)
    webhook = spec.outputs.webhook
    if webhook is not None and "secret" not in webhook.model_fields_set and current and current.outputs.webhook:
        webhook.secret = current.outputs.webhook.secret
    try:
        sub = Subscription(name=name, filter=spec.filter, outputs=spec.outputs,
                           created_at=current.created_at if current else now_iso(), updated_at=now_iso())
    except ValueError as exc:
        return JSONResponse({"error": "invalid_name", "detail": str(exc)}, status_code=422)
    await _save(request, store, sub, name, producer, settings)
    return JSONResponse(_shown(request, sub, settings.topic_prefix, with_secret=True),
                        status_code=200 if current else 201)


@router.delete("/{name}", status_code=204)
async def delete_subscription(request: Request, name: str, store: StoreDep, producer: ProducerDep,
                              settings: SettingsDep) -> Response:
    """Delete a subscription with its feed, live stream, pending webhooks and log."""
    await _existing(store, name)
    await _save(request, store, None, name, producer, settings)
    return Response(status_code=204)


@router.get("/{name}/deliveries")
async def deliveries(name: str, store: StoreDep, limit: int = Query(50, ge=1, le=1000)) -> dict:
    """The newest webhook delivery attempts (outcome delivered, retrying, rejected or
    dead_lettered, with HTTP status and error), newest first."""
    await _existing(store, name)
    return {"subscription": name, "deliveries": await store.deliveries(name, limit)}
