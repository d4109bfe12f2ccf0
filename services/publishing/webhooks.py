"""Signed webhook requests and what their answers mean.

Every POST carries the ninjs JSON as its body and
``X-Wire-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + body)>``, where
``timestamp`` is the ``X-Wire-Timestamp`` header (Unix seconds, ASCII digits) and
``+`` is plain byte concatenation. A receiver recomputes the HMAC over the exact
bytes it got and refuses timestamps too far from its clock (replays).

Deliveries go through the outbound guard (``shared.outbound``): an endpoint that
resolves to an internal address is refused (not retried), the whole exchange has
one deadline, and of the answer only the status and its first
``EXCERPT_BYTES`` bytes are kept.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import random
import re
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from enum import StrEnum

import httpx

from shared.credentials import SecretBox
from shared.outbound import DeadlineExceeded, OutboundClient, OutboundError, OutboundRefused

SIGNATURE = "X-Wire-Signature"
TIMESTAMP = "X-Wire-Timestamp"
# What the delivery log keeps of an answer: enough to debug a receiver, too little
# to turn a webhook into a way of reading an internal service.
EXCERPT_BYTES = 256
log = logging.getLogger(__name__)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Wire-Signature`` value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, tolerance_s: float = 300,
           now: float | None = None) -> bool:
    """Whether ``signature`` is this secret's for (timestamp, body) and the timestamp
    is within ``tolerance_s`` of ``now``. What a receiver does; used by the tests."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs((now or time.time()) - sent) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


class Outcome(StrEnum):
    DELIVERED = "delivered"   # 2xx
    RETRY = "retry"           # network error, timeout, 5xx, 408, 429
    REJECTED = "rejected"     # any other answer: retrying cannot help


def target_url(webhook, settings) -> str:
    """The URL in clear a webhook's items are POSTed to (``webhook`` is a
    :class:`shared.subscriptions.Webhook`; ``settings`` carries ``secret_key``): opened
    from its seal, or as stored before URLs were sealed. Raises ValueError when it was
    sealed with another ``WIRE_SECRET_KEY``."""
    if webhook.sealed_url:
        return SecretBox(settings.secret_key).open(webhook.sealed_url)
    return webhook.url


def outcome_of(status: int | None) -> Outcome:
    """What an HTTP status (None: no answer at all) means for the delivery."""
    if status is None or status in (408, 429) or status >= 500:
        return Outcome.RETRY
    if 200 <= status < 300:
        return Outcome.DELIVERED
    return Outcome.REJECTED


def retry_after_s(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or an HTTP date);
    None when absent or unreadable. Never raises: the value is the receiver's to
    choose, and httpx decodes a header that is not ASCII as Latin-1 (``\xb2`` is "²",
    which ``str.isdigit`` takes and ``float`` refuses)."""
    if not value:
        return None
    value = value.strip()
    if _DELAY_SECONDS.fullmatch(value):
        return float(value)  # inf past a float's range: the caller caps the wait
    try:
        when = parsedate_to_datetime(value)
        return None if when is None else max(0.0, when.timestamp() - (now or time.time()))
    except (TypeError, ValueError, OverflowError, IndexError):
        return None


_DELAY_SECONDS = re.compile(r"[0-9]+")  # ASCII digits only (RFC 9110 delay-seconds)


def backoff_s(attempt: int, *, base: float, cap: float) -> float:
    """Wait before attempt ``attempt + 1``: ``base`` doubled per attempt, capped, ±20 % jitter."""
    return min(cap, base * 2 ** (attempt - 1)) * random.uniform(0.8, 1.2)


@dataclass(frozen=True)
class Attempt:
    outcome: Outcome
    status: int | None
    error: str | None
    retry_after: float | None
    duration_ms: float


async def post(client: OutboundClient, url: str, secret: str, body: bytes, *,
               headers: dict[str, str]) -> Attempt:
    """One signed POST of ``body`` to ``url`` under the client's limits. Never raises
    for network trouble: the error is in the returned Attempt (an endpoint the guard
    refuses is REJECTED; a missed deadline is retried)."""
    timestamp = str(int(time.time()))
    request_headers = {"Content-Type": "application/json", TIMESTAMP: timestamp,
                       SIGNATURE: sign(secret, timestamp, body), "User-Agent": "wirestream-webhooks/1", **headers}
    started = time.perf_counter()

    def failed(outcome: Outcome, error: str) -> Attempt:
        return Attempt(outcome, None, error[:300], None, (time.perf_counter() - started) * 1000)

    try:
        answer = await client.fetch("POST", url, content=body, headers=request_headers, truncate=True)
    except OutboundRefused as exc:
        return failed(Outcome.REJECTED, f"refused: {exc}")
    except DeadlineExceeded as exc:
        return failed(Outcome.RETRY, f"timeout: {exc}")
    except (httpx.HTTPError, OutboundError) as exc:
        return failed(Outcome.RETRY if getattr(exc, "retriable", True) else Outcome.REJECTED,
                      f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # noqa: BLE001 - a delivery that can never be made must not stop the outbox
        log.warning("webhook delivery failed unexpectedly", extra={"error": repr(exc)}, exc_info=True)
        return failed(Outcome.REJECTED, f"{type(exc).__name__}: {exc}")
    elapsed = (time.perf_counter() - started) * 1000
    outcome = outcome_of(answer.status)
    excerpt = answer.body[:EXCERPT_BYTES].decode("utf-8", "replace")
    error = None if outcome is Outcome.DELIVERED else f"HTTP {answer.status}: {excerpt}"
    return Attempt(outcome, answer.status, error, retry_after_s(answer.headers.get("retry-after")), elapsed)
