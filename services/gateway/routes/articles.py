"""Push articles in; read the published item back."""
from __future__ import annotations

import base64
import binascii
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError

from services.gateway.answers import BulkAnswer, NinjsItem, Submitted, SubmittedFeed
from services.gateway.deps import ReadModelDep, ReaderDep, SettingsDep, TopicsDep
from services.gateway.idempotency import fingerprint, remember, replayed
from services.gateway import bulk_body
from services.gateway.bulk_body import BulkArticle, BulkSubmission
from services.gateway.json_body import as_http, documents
from services.gateway.json_text import BodyError
from services.gateway.problems import errors
from services.gateway.ratelimit import RateLimitedProvider, charge
from services.gateway.read_limit import count_loaded, loaded_size
from services.gateway.submissions import (CLIENT_GONE, Answer, ClientGone, accept, not_parsed, parse_while_connected,
                                          problem)
from shared.formats import MEDIA_TYPES
from shared.parse_pool import ParseBusy, ParseTimeout, ParseWorkerLost

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1/articles", tags=["articles"])

_FORMATS = "\n".join(f"- `{kind}`: {what}" for kind, what in MEDIA_TYPES.items())
_SUBMIT_DOC = f"""Submit one article (or a feed: every item in it) exactly as the wire sent it,
with its Content-Type. The format is detected from the Content-Type and by sniffing the
payload. Accepted:

{_FORMATS}

Answers **202** with the story's `id` (for `GET /v1/articles/{{id}}`), `uri` and `status`
once the payload is durably on Kafka — or, for a story already known with the same content,
`"duplicate": true` (or `"stale": true` for an older version) and nothing is processed again;
a feed answers `{{"items": [...]}}`. **401** without a valid key, **413** over the size limit,
**415** for a media type or payload no parser reads, **422** when the payload cannot be read
(the message names the problem and `where`: line, byte or field), **429** over the key's rate
limit, counted in articles (`rate_limited`), or while the provider already has
`WIRE_PARSE_MAX_PER_PROVIDER` payloads being parsed (`too_many_parses`; see Retry-After),
**503** when the article was not accepted (Kafka or Redis unavailable, or too many payloads
from every provider waiting to be parsed: `parse_queue_full`; see Retry-After): it will not be
published unless sent again.
An `Idempotency-Key` header makes a retry of the same article (same body and Content-Type) get
the first answer again; the key sent with a different article answers **422**
`idempotency_key_reused`."""

_BODY = {"requestBody": {"required": True, "content": {kind: {"schema": {"type": "string"}} for kind in MEDIA_TYPES}},
         "parameters": [
             {"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string"},
              "description": "a retry of the same article with the same key gets the first answer again "
                             "(Idempotency-Replayed: true); another article with it answers 422"},
             # any value: one that is no W3C traceparent starts a new trace
             {"name": "traceparent", "in": "header", "required": False, "schema": {"type": "string"},
              "description": "W3C trace context of the sender; the article's trace continues it"}]}


def _json(answer: Answer, settings) -> JSONResponse:
    headers = dict(answer.headers)
    if answer.status == 202 and "href" in answer.body:
        headers["Location"] = answer.body["href"]
    if answer.status == 503:
        headers["Retry-After"] = str(settings.retry_after_s)
    return JSONResponse(answer.body, status_code=answer.status, headers=headers)


async def _submit(request: Request, payload: bytes, content_type: str, provider: str, settings,
                  topics, *, alone: bool = False) -> Answer:
    """``alone``: the record waits for no other submission's (a bulk request's entry)."""
    state = request.app.state
    sender = state.shared_requests.start(alone=alone)  # the producer, lingering only while others are under way
    try:
        return await accept(payload, content_type, provider=provider, producer=sender, registry=state.registry,
                            topic=topics.inbound, traceparent=request.headers.get("traceparent"),
                            kafka_timeout_s=settings.kafka_timeout_s,
                            parse_with=parse_while_connected(request, state.parse_pool.parse),
                            withdrawals=state.withdrawals, charge=lambda n: charge(request, provider, n),
                            acts_for=settings.acts_for(provider), seal=state.payload_seal)
    finally:
        sender.settle()


_LOCATION = {"Location": {"description": "the story's href (single-story answers)", "schema": {"type": "string"}}}
# The body is read raw, whatever its bytes: 400 is only about the headers.
SUBMIT_ERRORS = errors(400, 401, 403, 413, 415, 422, 429, 431, 503,
                       notes={400: "a header is malformed (e.g. an Idempotency-Key over its length limit)"})


@router.post("", status_code=202, description=_SUBMIT_DOC, openapi_extra=_BODY, responses={
    202: {"model": Submitted | SubmittedFeed, "description": "accepted (or a duplicate/older version of a known story)",
          "headers": _LOCATION}, **SUBMIT_ERRORS})
async def submit_article(request: Request, provider: RateLimitedProvider, settings: SettingsDep,
                         topics: TopicsDep) -> JSONResponse:
    # The body is already bounded (RequestLimits middleware) and in memory.
    payload, content_type = await request.body(), request.headers.get("content-type", "")
    sent = fingerprint(payload, content_type) if request.headers.get("idempotency-key") else ""
    if (again := await replayed(request, provider, sent)) is not None:
        return again
    answer = await _submit(request, payload, content_type, provider, settings, topics)
    if answer.status < 500 and answer.status not in (429, CLIENT_GONE):
        try:
            await remember(request, provider, answer.status, answer.body, settings.idempotency_ttl_s, sent)
        except RedisError:  # the answer stands (the article may be on its way): only its replay is lost
            log.warning("could not store the Idempotency-Key's answer", exc_info=True)
    return _json(answer, settings)


def _too_many(settings) -> HTTPException:
    return HTTPException(413, {"error": "too_many_articles",
                               "detail": f"at most {settings.max_bulk_articles} articles per request"})


def _raised(answer: Answer) -> HTTPException:
    return HTTPException(answer.status, answer.body, headers=answer.headers or None)


@documents(BulkSubmission)
async def read_bulk(request: Request, provider: RateLimitedProvider, settings: SettingsDep) -> BulkSubmission:
    """The bulk body, read only once the key is checked (and the failed-auth throttle and
    the rate limit have had their say): nobody without a key gets a body parsed.

    Its entries are counted first in the raw bytes, so a body of a hundred thousand
    tiny entries is refused unparsed (413 past ``WIRE_MAX_BULK_ARTICLES``). It is then
    read in a parse worker, never on the event loop (bulk_body.py), with the answers of
    a single submission's parse: 400/422 for a body that cannot be read (json_body.py),
    422 ``too_complex`` past the time budget, 429/503 with Retry-After when the
    provider's share of the workers, or the queue, is full."""
    body = await request.body()  # in memory already, and within WIRE_MAX_BODY_BYTES
    if body.count(b'"contentType"') > settings.max_bulk_articles:
        raise _too_many(settings)
    pool = request.app.state.parse_pool

    async def read(payload: bytes, content_type: str | None, *, provider: str) -> BulkSubmission:
        return await pool.run(bulk_body.read_bulk, payload, content_type, settings.max_bulk_articles,
                              provider=provider)

    try:
        return await parse_while_connected(request, read)(body, request.headers.get("content-type"),
                                                          provider=provider)
    except BodyError as exc:
        raise as_http(exc) from None
    except bulk_body.TooManyArticles:
        raise _too_many(settings) from None
    except ParseTimeout as exc:
        raise _raised(problem(422, exc.code, str(exc))) from None
    except (ParseBusy, ClientGone) as exc:
        raise _raised(not_parsed(exc, "the request")) from None
    except ParseWorkerLost as exc:
        lost = problem(503, exc.code, "the request was not read; nothing was accepted: send it again")
        lost.headers["Retry-After"] = str(settings.retry_after_s)
        raise _raised(lost) from None


BulkBody = Annotated[BulkSubmission, Depends(read_bulk)]


def _lone_surrogate(text: str) -> int | None:
    """Where ``text`` has a lone surrogate (JSON may escape one, ``"\\ud800"``; no
    text has one, and it cannot be encoded), or None."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return exc.start
    return None


def _entry(index: int, article: BulkArticle) -> bytes | Answer:
    """The bytes of one bulk entry, or the 422 that this entry alone answers."""
    where = f"articles[{index}]"
    if (at := _lone_surrogate(article.contentType)) is not None:
        return problem(422, "parse_error", f"contentType is not text: a lone surrogate at character {at}",
                       where=f"{where}.contentType")
    if article.bodyBase64 is not None:
        try:
            return base64.b64decode(article.bodyBase64, validate=True)
        except (binascii.Error, ValueError):
            return problem(422, "parse_error", "bodyBase64 is not base64", where=f"{where}.bodyBase64")
    if article.body is None:
        return problem(422, "parse_error", "no body", where=where)
    if (at := _lone_surrogate(article.body)) is not None:
        return problem(422, "parse_error", f"body is not text: a lone surrogate at character {at}",
                       where=f"{where}.body")
    return article.body.encode("utf-8")


@router.post("/bulk", status_code=207, responses={
    207: {"model": BulkAnswer, "description": "each article's own status and answer"},
    **errors(400, 401, 403, 413, 422, 429, 503,
             notes={400: "the body's bytes are not text (not UTF-8, nor the UTF-16/32 JSON allows): `bad_request`",
                    413: "over the size limit (`payload_too_large`) or more entries than `WIRE_MAX_BULK_ARTICLES` "
                         "(`too_many_articles`)",
                    422: "the body is not JSON or does not fit the schema: `invalid_request`, with `errors` naming "
                         "each field, the first 20 (type `json_invalid` for JSON that does not parse); "
                         "`too_complex` when it cannot be read within the parse time budget",
                    429: "over the key's rate limit (`rate_limited`), or the provider already has "
                         "`WIRE_PARSE_MAX_PER_PROVIDER` payloads being parsed (`too_many_parses`); see Retry-After",
                    503: "nothing was accepted: Kafka or Redis unavailable, too many payloads waiting for a parse "
                         "worker (`parse_queue_full`) or the worker died (`parse_worker_lost`); see Retry-After"})})
async def submit_bulk(request: Request, provider: RateLimitedProvider, submission: BulkBody,
                      settings: SettingsDep, topics: TopicsDep) -> JSONResponse:
    """Submit many articles in one request. Each is handled exactly like a single
    submission and counts as one article (each item of a feed too) in the rate limit;
    the answer (207) lists each one's own status and body, in order. An entry that
    cannot be read (no body, bad base64, text that is no Unicode) answers 422 alone."""
    await charge(request, provider, len(submission.articles) - 1)
    results = []
    for index, article in enumerate(submission.articles):
        payload = _entry(index, article)
        if not isinstance(payload, bytes):
            results.append({"status": payload.status, "body": payload.body})
            continue
        answer = await _submit(request, payload, article.contentType, provider, settings, topics, alone=True)
        results.append({"status": answer.status, "body": answer.body})
    accepted = sum(1 for r in results if r["status"] == 202)
    return JSONResponse({"accepted": accepted, "failed": len(results) - accepted, "results": results},
                        status_code=207)


@router.get("/{article_id}", responses={200: {"model": NinjsItem, "description": "the ninjs 3.1 item"},
                                        **errors(401, 403, 404, 410, 422, 429, 503,
                                                 notes={404: "unknown, not yet published, or not yours to read"})})
async def get_article(request: Request, article_id: str, read_model: ReadModelDep, reader: ReaderDep) -> Response:
    """The latest published ninjs 3.1 item of a story (410 Gone once it was killed).
    A subscriber gets 404 for an item outside its subscription's filter."""
    stored = await read_model.stored(article_id)
    await count_loaded(request, reader, loaded_size(stored))  # loaded to decide, whatever the answer
    if stored is not None and stored.killed and reader.saw_killed(stored.meta):
        return JSONResponse({"error": "gone", "detail": f"article {article_id!r} was killed"}, status_code=410)
    if (stored is None or stored.killed or stored.item_json is None
            or not reader.may_read(stored.item, stored.meta.get("provider"))):
        return JSONResponse({"error": "not_found", "detail": f"no published article with id {article_id!r} (yet)"},
                            status_code=404)
    # The stored bytes are the item (publishing wrote them with orjson): no re-encoding.
    return Response(stored.item_json, media_type="application/json")
