"""One HTTP submission → an HTTP answer (status and JSON body)."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer

from services.gateway.metrics import ACCEPTED, IGNORED, REJECTED
from shared.errors import ParseError, UnsupportedFormat
from shared.identity import NotOwner, StoryRegistry
from shared.inbound import KafkaUnavailable, submit

log = logging.getLogger(__name__)


@dataclass
class Answer:
    status: int
    body: dict


def problem(status: int, code: str, detail: str, **extra) -> Answer:
    REJECTED.labels(str(status), code).inc()
    return Answer(status, {"error": code, "detail": detail, **extra})


async def accept(payload: bytes, content_type: str, *, provider: str, producer: AIOKafkaProducer,
                 registry: StoryRegistry, topic: str, traceparent: str | None, kafka_timeout_s: float,
                 acts_for: list[str] | None = None) -> Answer:
    """202 with each item's id/uri/status (a feed answers ``{"items": [...]}``); 403 when
    it changes another provider's story; 415 or 422 when unreadable; 503 when Kafka
    does not acknowledge in time."""
    try:
        submission = await submit(payload, content_type, provider=provider, producer=producer, registry=registry,
                                  topic=topic, source=f"wirestream/gateway/{provider}", traceparent=traceparent,
                                  timeout_s=kafka_timeout_s, acts_for=acts_for)
    except NotOwner as exc:
        return problem(403, exc.code, str(exc))
    except UnsupportedFormat as exc:
        return problem(415, exc.code, str(exc))
    except ParseError as exc:
        return problem(422, exc.code, str(exc), where=exc.where)
    except KafkaUnavailable as exc:
        log.error("could not hand the submission to Kafka", extra={"error": str(exc)})
        return problem(503, exc.code, "the article was not accepted; try again")
    ACCEPTED.labels(provider).inc(len(submission.sent))
    for item in submission.items:
        if item["status"] != "accepted":
            IGNORED.labels(item["status"]).inc()
        item["href"] = f"/v1/articles/{item['id']}"
    items = submission.items
    return Answer(202, dict(items[0]) if len(items) == 1 else {"items": items})
