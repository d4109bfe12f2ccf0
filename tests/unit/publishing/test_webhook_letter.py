"""A webhook's dead letter always fits in what Kafka takes: one the producer refused
was tried again every second, and the subscription's queue waited behind it for ever."""
from __future__ import annotations

import hashlib

from services.publishing.webhook_workers import webhook_letter
from services.publishing.webhooks import Attempt, Outcome
from shared.bus import record_bytes
from shared.cloudevents import read_headers
from shared.subscriptions import Outputs, Subscription, Webhook

MAX = 64 * 1024
SUB = Subscription(name="desk", outputs=Outputs(webhook=Webhook(url="https://example.com/hook?token=s3cret")))
REJECTED = Attempt(Outcome.REJECTED, 400, "HTTP 400", None, 12.0)


def entry(body: bytes) -> dict[bytes, bytes]:
    return {b"signal": b"new", b"article_id": b"a1", b"uri": b"urn:x:1", b"version": b"1", b"body": body}


def test_a_small_body_travels_whole_with_the_reason_and_without_the_urls_secret():
    letter = webhook_letter(SUB, entry(b'{"uri":"urn:x:1"}'), 1, REJECTED, "rejected", topic="dlq", max_bytes=MAX)
    assert (letter.topic, letter.key, letter.value) == ("dlq", b"urn:x:1", b'{"uri":"urn:x:1"}')
    reason = read_headers(letter.headers)
    assert (reason["wire_dlq_reason"], reason["wire_dlq_http_status"], reason["wire_dlq_subscription"]) == (
        "rejected", "400", "desk")
    assert "s3cret" not in str(letter.headers)


def test_a_body_near_the_limit_travels_as_its_size_and_digest():
    body = b"b" * (MAX - 300)  # fits alone, not with the reason's headers beside it
    letter = webhook_letter(SUB, entry(body), 5, REJECTED, "exhausted", topic="dlq", max_bytes=MAX)
    assert record_bytes(letter) <= MAX and letter.value is None and letter.key == b"urn:x:1"
    reason = read_headers(letter.headers)
    assert reason["wire_dlq_value_dropped"] == f"{len(body)} bytes, sha256 {hashlib.sha256(body).hexdigest()}"
    assert (reason["wire_dlq_reason"], reason["wire_article_id"]) == ("exhausted", "a1")
