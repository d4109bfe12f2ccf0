"""The pieces every stage's Kafka I/O is made of: the records a handler wants
produced, the idempotent producer, the retry policy of one record and its
dead-letter record. :class:`shared.runner.StageRunner` puts them together.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer, ConsumerRecord
from aiokafka.errors import KafkaError

from shared import kafka_fixes
from shared.cloudevents import Headers, header_items
from shared.errors import WireError, is_outage, is_retriable
from shared.heartbeat import record_error
from shared.settings import WireSettings
from shared.stopping import sleep_until
from shared.telemetry import FAILED, HANDLER_SECONDS, PROCESSED, RETRIED, log_context
from shared.topics import Topics

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outgoing:
    """One record a handler wants produced."""

    topic: str
    key: bytes | None
    value: bytes | None
    headers: Headers


Handle = Callable[[ConsumerRecord], Awaitable[Sequence[Outgoing]]]


def client_id(settings: WireSettings, service: str) -> str:
    """``<service>-<replica>``: what the group's member list and broker logs show."""
    return f"{service}-{settings.replica}"


# Bytes of one partition's batch. aiokafka's default, 16 KiB, holds one 10 KB article
# event: a producer could then send at most one record per partition in each
# request, one request at a time per broker (2,000 records/s of 9 KB through a
# consume -> produce loop here). Batches grow to what is waiting, never wait to
# fill: linger_ms still bounds the delay.
BATCH_BYTES = 256 * 1024


def batch_bytes(settings: WireSettings) -> int:
    """A partition's batch: :data:`BATCH_BYTES`, never more than a topic accepts
    (``max_record_bytes``): the broker refuses a larger batch whole, and aiokafka does
    not split it as the Java client does. A single larger record still goes alone."""
    return min(BATCH_BYTES, settings.max_record_bytes)


def make_producer(settings: WireSettings, **overrides) -> AIOKafkaProducer:
    """An idempotent producer (acks=all, no duplicates on retry, order kept); a
    request to a broker takes every batch waiting for it (:mod:`shared.kafka_fixes`)."""
    kafka_fixes.apply()
    options = dict(
        bootstrap_servers=settings.kafka_bootstrap,
        enable_idempotence=True,
        acks="all",
        linger_ms=2,
        max_batch_size=batch_bytes(settings),
        request_timeout_ms=30_000,
        max_request_size=settings.max_record_bytes,
    )
    options.update(overrides)
    return AIOKafkaProducer(**options)


def dead_letter(record: ConsumerRecord, exc: BaseException, *, stage: str, attempts: int,
                max_bytes: int | None = None) -> Outgoing:
    """The DLQ record for ``record``: its key, value and headers, plus the reason.

    ``max_bytes``: what Kafka takes (WIRE_MAX_RECORD_BYTES). An input near it does not
    fit with the reason beside it; a dead letter the producer refused would rewind the
    batch forever. It then carries the value's size and SHA-256 instead of the value
    (the input stays on its topic, at the offset it names), and if that is still too
    much, only the reason and the key's digest."""
    reason = {
        "wire_dlq_stage": stage,
        "wire_dlq_topic": record.topic,
        "wire_dlq_partition": str(record.partition),
        "wire_dlq_offset": str(record.offset),
        "wire_dlq_error_class": type(exc).__name__,
        "wire_dlq_error_code": str(getattr(exc, "code", "error")),
        "wire_dlq_error_message": str(exc)[:2000],
        "wire_dlq_attempts": str(attempts),
        "wire_dlq_failed_at": str(time.time()),
    }
    kept = [(k, v) for k, v in header_items(record.headers) if not k.startswith("wire_dlq_")]
    return fitted_letter(Topics.dlq(record.topic), record.key, record.value, kept, reason, max_bytes)


def value_fingerprint(value: bytes | None) -> str:
    """What a dead letter too large to carry its input says of it (``wire_dlq_value_dropped``):
    enough for a replay to tell the input from another record at its offset."""
    value = value or b""
    return f"{len(value)} bytes, sha256 {hashlib.sha256(value).hexdigest()}"


def fitted_letter(topic: str, key: bytes | None, value: bytes | None, kept: list[tuple[str, bytes]],
                  reason: dict[str, str], max_bytes: int | None) -> Outgoing:
    """A dead letter of (key, value, ``kept`` headers) with ``reason`` beside them, made
    to fit in ``max_bytes`` as :func:`dead_letter` says."""
    letter = Outgoing(topic=topic, key=key, value=value,
                      headers=kept + [(k, v.encode("utf-8")) for k, v in reason.items()])
    if max_bytes is None or record_bytes(letter) <= max_bytes:
        return letter
    value = value or b""
    reason = {**reason, "wire_dlq_value_dropped": value_fingerprint(value)}
    letter = Outgoing(topic=topic, key=key, value=None,
                      headers=kept + [(k, v.encode("utf-8")) for k, v in reason.items()])
    if record_bytes(letter) <= max_bytes:
        return letter
    digest = hashlib.sha256(key).hexdigest().encode() if key is not None else None
    return Outgoing(topic=topic, key=digest, value=None, headers=[(k, v.encode("utf-8")) for k, v in reason.items()])


class OutputTooLarge(WireError):
    """An output of the record is larger than Kafka takes (WIRE_MAX_RECORD_BYTES): never
    retried, as the same input makes the same output. Before, the producer's refusal
    rewound the batch and the stage tried it forever."""

    code = "output_too_large"


# What a record takes in Kafka's batch format beyond its key, value and headers
# (lengths, offsets, timestamps, the batch header): a generous bound.
_RECORD_FRAMING = 512


def record_bytes(output: Outgoing) -> int:
    """About what ``output`` costs of the producer's max_request_size (never less)."""
    headers = sum(len(k.encode()) + len(v or b"") + 10 for k, v in output.headers)
    return len(output.key or b"") + len(output.value or b"") + headers + _RECORD_FRAMING


def _without_oversized(record: ConsumerRecord, outputs: Sequence[Outgoing], *, stage: str, attempts: int,
                       max_bytes: int) -> Sequence[Outgoing]:
    """``outputs``, those over ``max_bytes`` replaced by one dead letter of ``record``
    saying which: the others still go on (what a replay of the dead letter makes again,
    downstream drops as a repeat)."""
    large = [o for o in outputs if record_bytes(o) > max_bytes]
    if not large:
        return outputs
    first = large[0]
    exc = OutputTooLarge(f"{len(large)} of its {len(outputs)} outputs would be larger than Kafka takes "
                         f"(WIRE_MAX_RECORD_BYTES, {max_bytes} bytes): the first, for {first.topic} with key "
                         f"{(first.key or b'')[:200]!r}, is {record_bytes(first)} bytes")
    FAILED.labels(stage, type(exc).__name__).inc()
    log.warning("message sent to DLQ", extra={"error": str(exc), "attempts": attempts})
    return [o for o in outputs if record_bytes(o) <= max_bytes] + [dead_letter(record, exc, stage=stage,
                                                                              attempts=attempts, max_bytes=max_bytes)]


class StoppedDuringOutage(Exception):
    """The stage is stopping while a store it needs is down: the batch is left
    uncommitted (read again after the restart) rather than dead-lettered."""


async def start_with_retry(client, stop: asyncio.Event, *, what: str, max_backoff_s: float = 5.0) -> None:
    """``await client.start()`` until it succeeds: a replica started while the
    cluster (or its only bootstrap broker) is down waits for it instead of dying."""
    delay = 0.5
    while True:
        try:
            await client.start()
            return
        except KafkaError as exc:
            if stop.is_set():
                raise
            log.warning("Kafka not reachable yet, retrying", extra={"client": what, "error": repr(exc),
                                                                    "retry_in_s": delay})
            await sleep_until(stop, delay)  # a stop ends the wait: the next failure raises
            delay = min(delay * 2, max_backoff_s)


async def process_record(
    record: ConsumerRecord,
    handle: Handle,
    *,
    stage: str,
    settings: WireSettings,
    stop: asyncio.Event,
) -> Sequence[Outgoing]:
    """Apply ``handle`` to one record under the retry policy.

    Returns the handler's outputs, or a single DLQ record when the handler failed
    for good (a non-retriable error, or a retriable one ``settings.max_attempts``
    times). Never raises for a handler error.
    """
    attempt = 0
    first_failure: float | None = None
    while True:
        attempt += 1
        token = log_context.set({"stage": stage, "partition": record.partition, "offset": record.offset})
        started = time.perf_counter()
        try:
            outputs = await handle(record)
        except Exception as exc:  # noqa: BLE001 - one bad message must not stop the stage
            record_error(stage, exc, record)
            first_failure = first_failure or time.monotonic()
            if (is_outage(exc) and not stop.is_set()
                    and time.monotonic() - first_failure < settings.outage_wait_s):
                RETRIED.labels(stage).inc()
                delay = min(5.0, settings.retry_backoff_ms / 1000 * 2 ** min(attempt - 1, 10))
                log.warning("a store is unreachable, waiting for it", extra={"error": repr(exc), "attempt": attempt,
                                                                             "delay_s": delay})
                await sleep_until(stop, delay)
                continue
            if is_outage(exc) and stop.is_set():
                raise StoppedDuringOutage(repr(exc)) from exc
            if is_retriable(exc) and attempt < settings.max_attempts and not stop.is_set():
                RETRIED.labels(stage).inc()
                delay = settings.retry_backoff_ms / 1000 * 2 ** (attempt - 1)
                log.warning(
                    "retriable error, backing off",
                    extra={"error": repr(exc), "attempt": attempt, "delay_s": delay},
                )
                await asyncio.sleep(delay * random.uniform(0.8, 1.2))
                continue
            FAILED.labels(stage, type(exc).__name__).inc()
            log.warning(
                "message sent to DLQ",
                extra={"error": repr(exc), "attempts": attempt},
                exc_info=not isinstance(exc, WireError),
            )
            return [dead_letter(record, exc, stage=stage, attempts=attempt, max_bytes=settings.max_record_bytes)]
        else:
            PROCESSED.labels(stage).inc()
            return _without_oversized(record, outputs, stage=stage, attempts=attempt,
                                      max_bytes=settings.max_record_bytes)
        finally:
            HANDLER_SECONDS.labels(stage).observe(time.perf_counter() - started)
            log_context.reset(token)

