"""One HTTP submission → an HTTP answer (status, JSON body, headers)."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiokafka import AIOKafkaProducer
from fastapi import HTTPException, Request

from services.gateway.metrics import ACCEPTED, IGNORED, REJECTED
from shared.errors import ParseError, UnsupportedFormat
from shared.identity import NotOwner, StoryRegistry
from shared.inbound import KafkaUnavailable, Parse, RecordTooLarge, read_submission, send_submission
from shared.parse_pool import ParseBusy, ParseQueueFull, ParseWorkerLost
from shared.parsed_payload import PayloadSeal
from shared.withdrawals import Withdrawals

log = logging.getLogger(__name__)

Charge = Callable[[int], Awaitable[None]]


@dataclass
class Answer:
    status: int
    body: dict
    headers: dict[str, str] = field(default_factory=dict)


def problem(status: int, code: str, detail: str, **extra) -> Answer:
    REJECTED.labels(str(status), code).inc()
    return Answer(status, {"error": code, "detail": detail, **extra})


# What a request whose client went away "answers" (nginx's code): nobody reads it.
CLIENT_GONE = 499


class ClientGone(Exception):
    """The client disconnected before its payload was parsed: it was not, and will not be."""


async def _disconnected(request: Request) -> None:
    """Returns once the client has gone (the body is read already: the server's next
    message is the disconnect, sent when the connection closes)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


def parse_while_connected(request: Request, parse: Parse) -> Parse:
    """``parse`` (a ParsePool's), given up when the client disconnects: a payload still
    waiting for a parse worker then leaves the queue unparsed (ClientGone), so a client
    that sends and goes cannot keep the workers busy for nothing."""
    async def parse_for_client(payload: bytes, content_type: str | None, *, provider: str):
        parsing = asyncio.ensure_future(parse(payload, content_type, provider=provider))
        gone = asyncio.ensure_future(_disconnected(request))
        try:
            await asyncio.wait({parsing, gone}, return_when=asyncio.FIRST_COMPLETED)
        except BaseException:  # the request itself is cancelled: its payload goes with it
            parsing.cancel()
            raise
        finally:
            gone.cancel()
        if not parsing.done():
            parsing.cancel()
            raise ClientGone()
        return parsing.result()

    return parse_for_client


def not_parsed(exc: ParseBusy | ClientGone, what: str) -> Answer:
    """The answer when ``what`` ("the article", "the request") was not parsed: the
    parse queue is full (503), the provider has its share of the workers (429), each
    with Retry-After, or its client went away (499)."""
    if isinstance(exc, ClientGone):
        return problem(CLIENT_GONE, "client_gone", f"the client went away before {what} was parsed")
    if isinstance(exc, ParseQueueFull):
        answer = problem(503, exc.code, f"{exc}; {what} was not accepted: send it again later")
    else:  # this provider's own share of the parse workers is taken
        answer = problem(429, exc.code, f"{exc}; {what} was not accepted: send it again once an earlier one "
                                        "is answered")
    answer.headers["Retry-After"] = str(exc.retry_after_s)
    return answer


async def accept(payload: bytes, content_type: str, *, provider: str, producer: AIOKafkaProducer,
                 registry: StoryRegistry, topic: str, traceparent: str | None, kafka_timeout_s: float,
                 parse_with: Parse, withdrawals: Withdrawals, charge: Charge,
                 acts_for: list[str] | None = None, seal: PayloadSeal | None = None) -> Answer:
    """202 with each item's id/uri/status (a feed answers ``{"items": [...]}``); 403 when
    it changes another provider's story (``acts_for``: whose stories it may change); 415 or
    422 when unreadable (422 too when too complex to parse in time); 413 when Kafka
    refuses the record's size; 429 when the payload's articles pass the rate limit
    (``charge`` counts all but the first, which the route counted), or when the
    provider has its share of the parse workers (``too_many_parses``, with Retry-After);
    503 when the article was not accepted (Kafka did not acknowledge in time, the parse
    worker died, or the parse queue is full): it will not be published unless sent
    again; 499 (answered to nobody) when the client went away before the parse.
    ``seal``: the parsed items travel sealed beside the payload, so ingest does not
    parse it again."""
    try:
        submission = await read_submission(payload, content_type, provider=provider, registry=registry,
                                           parse_with=parse_with, acts_for=acts_for,
                                           charge=lambda parsed: charge(parsed - 1))
        await send_submission(submission, payload, content_type, provider=provider, producer=producer, topic=topic,
                              source=f"wirestream/gateway/{provider}", traceparent=traceparent,
                              timeout_s=kafka_timeout_s, withdrawals=withdrawals, seal=seal)
    except NotOwner as exc:
        return problem(403, exc.code, str(exc))
    except UnsupportedFormat as exc:
        return problem(415, exc.code, str(exc))
    except ParseError as exc:
        return problem(422, exc.code, str(exc), where=exc.where)
    except RecordTooLarge as exc:
        return problem(413, exc.code, str(exc))
    except HTTPException as exc:  # the rate limit
        return Answer(exc.status_code, exc.detail, dict(exc.headers or {}))
    except (ParseBusy, ClientGone) as exc:
        return not_parsed(exc, "the article")
    except (KafkaUnavailable, ParseWorkerLost) as exc:
        log.error("submission not accepted", extra={"error": str(exc)})
        return problem(503, exc.code, "the article was not accepted and will not be published; send it again")
    ACCEPTED.labels(provider).inc(len(submission.sent))
    for item in submission.items:
        if item.status != "accepted":
            IGNORED.labels(item.status).inc()
        item.href = f"/v1/articles/{item.id}"
    items = [item.answer() for item in submission.items]
    return Answer(202, items[0] if len(items) == 1 else {"items": items})
