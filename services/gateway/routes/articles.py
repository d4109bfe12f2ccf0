"""Push an article in; read the published item back."""
from __future__ import annotations

import asyncio
import logging

from aiokafka.errors import KafkaError
from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.responses import JSONResponse

from services.gateway.metrics import ACCEPTED, REJECTED
from services.gateway.deps import ProducerDep, ProviderDep, ReadModelDep, SettingsDep, TopicsDep
from shared.cloudevents import event_headers
from shared.errors import ParseError, UnsupportedFormat
from shared.events import Stage, article_id_for, utcnow
from shared.formats import media_type, parse, supported_media_types
from shared.tracing import child_traceparent

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1/articles", tags=["articles"])

_SUBMIT_DOC = f"""Submit one article. The body is the article exactly as the wire sent it,
with its Content-Type. Accepted media types: {", ".join(supported_media_types())}.

Answers 202 with the story's `id` (for `GET /v1/articles/{{id}}`) and `uri` once the
article is durably on Kafka; 401 without a valid key, 413 when the body is over the
size limit, 415 for a media type no parser reads, 422 when the payload cannot be
read (the message names the problem and where), 503 when Kafka is unreachable."""


def _problem(status_code: int, code: str, detail: str, **extra) -> HTTPException:
    if status_code != 404:
        REJECTED.labels(str(status_code), code).inc()
    return HTTPException(status_code, {"error": code, "detail": detail, **extra})


@router.post("", status_code=status.HTTP_202_ACCEPTED, description=_SUBMIT_DOC)
async def submit_article(
    request: Request,
    provider: ProviderDep,
    settings: SettingsDep,
    producer: ProducerDep,
    topics: TopicsDep,
) -> JSONResponse:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > settings.max_body_bytes:
        raise _problem(413, "payload_too_large", f"body is over the limit of {settings.max_body_bytes} bytes")
    payload = await request.body()
    if len(payload) > settings.max_body_bytes:
        raise _problem(413, "payload_too_large", f"body is over the limit of {settings.max_body_bytes} bytes")
    content_type = request.headers.get("content-type", "")
    try:
        article = parse(payload, content_type, provider=provider)
    except UnsupportedFormat as exc:
        raise _problem(415, exc.code, str(exc)) from exc
    except ParseError as exc:
        raise _problem(422, exc.code, str(exc), where=exc.where) from exc

    article_id = article_id_for(article.uri)
    received_at = utcnow()
    traceparent = child_traceparent(request.headers.get("traceparent"))
    headers = event_headers(
        type=Stage.RECEIVED.event_type,
        source=f"wirestream/gateway/{provider}",
        time=received_at,
        traceparent=traceparent,
        idempotency_key=f"{article.uri}@{article.version}:{Stage.RECEIVED.value}",
        content_type=content_type or media_type(content_type)[0],
        extra={"wire_article_id": article_id, "wire_uri": article.uri, "wire_provider": provider},
    )
    try:
        await asyncio.wait_for(
            producer.send_and_wait(topics.inbound, payload, key=article.uri.encode(), headers=headers),
            timeout=settings.kafka_timeout_s,
        )
    except (KafkaError, asyncio.TimeoutError) as exc:
        log.error("could not hand the article to Kafka", extra={"error": repr(exc), "article_uri": article.uri})
        problem = _problem(503, "kafka_unavailable", "the article was not accepted; try again")
        problem.headers = {"Retry-After": "5"}
        raise problem from exc
    ACCEPTED.labels(provider).inc()
    href = f"/v1/articles/{article_id}"
    return JSONResponse(
        {"id": article_id, "uri": article.uri, "version": article.version, "status": "accepted", "href": href},
        status_code=202,
        headers={"Location": href},
    )


@router.get("/{article_id}", responses={404: {"description": "unknown or not yet published"}})
async def get_article(article_id: str, read_model: ReadModelDep) -> Response:
    """The latest published ninjs 3.1 item of a story."""
    item = await read_model.item_json(article_id)
    if item is None:
        raise _problem(404, "not_found", f"no published article with id {article_id!r} (yet)")
    return Response(content=item, media_type="application/json")
