"""The Kafka stage runner: batch consume → pure handler → produce → commit.

Offsets are committed only after every output of the batch (including DLQ records)
is acknowledged by the broker, so a crash at any point re-delivers rather than
loses. Outputs carry a deterministic id (``uri@version:stage``) and are
deduplicated downstream, which makes the at-least-once transport effectively-once.
"""
from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError

from shared.cloudevents import Headers, header_items
from shared.errors import WireError, is_outage, is_retriable
from shared.heartbeat import record_error
from shared.rebalance import BatchGate
from shared.settings import WireSettings
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


def make_producer(settings: WireSettings, **overrides) -> AIOKafkaProducer:
    """An idempotent producer (acks=all, no duplicates on retry, order kept)."""
    options = dict(
        bootstrap_servers=settings.kafka_bootstrap,
        enable_idempotence=True,
        acks="all",
        linger_ms=2,
        request_timeout_ms=30_000,
        max_request_size=settings.max_record_bytes,
    )
    options.update(overrides)
    return AIOKafkaProducer(**options)


def dead_letter(record: ConsumerRecord, exc: BaseException, *, stage: str, attempts: int) -> Outgoing:
    """The DLQ record for ``record``: its key, value and headers, plus the reason."""
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
    return Outgoing(
        topic=Topics.dlq(record.topic),
        key=record.key,
        value=record.value,
        headers=kept + [(k, v.encode("utf-8")) for k, v in reason.items()],
    )


class StoppedDuringOutage(Exception):
    """The stage is stopping while a store it needs is down: the batch is left
    uncommitted (read again after the restart) rather than dead-lettered."""


class StageRunner:
    """Runs one pipeline stage: consumes ``topic`` in ``group_id`` and feeds each
    record to ``handle``.

    ``handle`` returns the records to produce. When it raises a retriable error it
    is tried again with exponential backoff, up to ``settings.max_attempts``; any
    other error (or the last attempt) sends the input to ``<topic>.dlq`` with
    reason headers and the stage carries on. A produce that fails rewinds the
    batch and processes it again: nothing is committed that was not delivered.
    """

    def __init__(
        self,
        *,
        stage: str,
        topic: str,
        group_id: str,
        handle: Handle,
        settings: WireSettings,
        after_delivery: Callable[[Sequence[Outgoing]], Awaitable[None]] | None = None,
    ) -> None:
        self.stage = stage
        self.topic = topic
        self.group_id = group_id
        self.handle = handle
        self.settings = settings
        self.after_delivery = after_delivery
        self.ready = asyncio.Event()
        self.client_id = client_id(settings, stage)
        self.gate = BatchGate(stage=stage, client_id=self.client_id, drain_s=settings.rebalance_drain_s)
        self.dropped_batches = 0  # fetched during a rebalance, left for the new assignment
        self.failed_commits = 0  # the group moved on without us (e.g. heartbeats missed): a redo follows

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop`` is set; the batch in hand is finished and committed.

        A broker that is down at start is waited for (retried with backoff) rather
        than fatal; stopping the consumer leaves the group at once, so the others
        take the partitions over without waiting for the session timeout."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap,
            group_id=self.group_id,
            client_id=self.client_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self.settings.batch_max_records,
            session_timeout_ms=self.settings.kafka_session_timeout_ms,
            heartbeat_interval_ms=self.settings.kafka_heartbeat_interval_ms,
        )
        producer = make_producer(self.settings, client_id=self.client_id)
        await start_with_retry(producer, stop, what=f"{self.client_id} producer")
        try:
            await start_with_retry(consumer, stop, what=f"{self.client_id} consumer")
            try:
                consumer.subscribe([self.topic], listener=self.gate)
                self.ready.set()
                log.info("stage started", extra={"topic": self.topic, "group": self.group_id,
                                                 "client_id": self.client_id})
                while not stop.is_set():
                    # getmany itself waits while a rebalance is under way
                    generation = self.gate.generation
                    batch = await consumer.getmany(
                        timeout_ms=self.settings.batch_timeout_ms,
                        max_records=self.settings.batch_max_records,
                    )
                    if not batch:
                        continue
                    async with self.gate.lock:
                        if self.gate.rebalancing or self.gate.generation != generation:
                            # fetched around a rebalance: read it again under the new assignment
                            self._rewind(consumer, batch)
                            self.dropped_batches += 1
                            continue
                        try:
                            await self._process_batch(consumer, producer, batch, stop)
                        except StoppedDuringOutage as exc:
                            log.warning("stopping with a store down: batch left uncommitted",
                                        extra={"error": str(exc)})
                            break
            finally:
                await consumer.stop()
        finally:
            await producer.stop()
            log.info("stage stopped", extra={"topic": self.topic})

    async def _handle_batch(
        self, batch: dict[TopicPartition, list[ConsumerRecord]], stop: asyncio.Event
    ) -> list[Outgoing]:
        """Every record's outputs, in record order (one record at a time here; a
        subclass may overlap records of different keys)."""
        outputs: list[Outgoing] = []
        for records in batch.values():
            for record in records:
                outputs.extend(
                    await process_record(
                        record, self.handle, stage=self.stage, settings=self.settings, stop=stop
                    )
                )
        return outputs

    async def _process_batch(
        self,
        consumer: AIOKafkaConsumer,
        producer: AIOKafkaProducer,
        batch: dict[TopicPartition, list[ConsumerRecord]],
        stop: asyncio.Event,
    ) -> None:
        outputs = await self._handle_batch(batch, stop)
        if await self._deliver(consumer, producer, batch, outputs):
            await self._commit(consumer, batch)

    async def _deliver(
        self,
        consumer: AIOKafkaConsumer,
        producer: AIOKafkaProducer,
        batch: dict[TopicPartition, list[ConsumerRecord]],
        outputs: Sequence[Outgoing],
    ) -> bool:
        """Produce ``outputs`` and wait for every ack. On a produce failure rewind
        ``batch`` (nothing of it will be committed) and return False."""
        try:
            acks = [
                await producer.send(o.topic, o.value, key=o.key, headers=o.headers)
                for o in outputs
            ]
            await asyncio.gather(*acks)
        except KafkaError as exc:
            log.error("produce failed, batch will be re-processed", extra={"error": repr(exc)})
            record_error(self.stage, exc)
            self._rewind(consumer, batch)
            await asyncio.sleep(self.settings.retry_backoff_ms / 1000)
            return False
        if self.after_delivery is not None:
            await self.after_delivery(outputs)
        return True

    @staticmethod
    def _rewind(consumer: AIOKafkaConsumer, batch: dict[TopicPartition, list[ConsumerRecord]]) -> None:
        """Seek back to the batch's first records, on the partitions still ours (a
        revoked partition's new owner reads from its committed offset)."""
        owned = consumer.assignment()
        for tp, records in batch.items():
            if tp in owned:
                try:
                    consumer.seek(tp, records[0].offset)
                except IllegalStateError:
                    pass  # revoked meanwhile

    async def _commit(
        self, consumer: AIOKafkaConsumer, batch: dict[TopicPartition, list[ConsumerRecord]]
    ) -> None:
        owned = consumer.assignment()
        offsets = {tp: records[-1].offset + 1 for tp, records in batch.items() if tp in owned}
        if len(offsets) < len(batch):
            log.warning("commit dropped for revoked partitions",
                        extra={"partitions": sorted(str(tp) for tp in batch if tp not in owned)})
        if not offsets:
            return
        try:
            await consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError) as exc:
            # A rebalance took the partitions away; their new owner re-delivers,
            # and the deterministic ids let downstream drop the repeats.
            self.failed_commits += 1
            log.warning("commit failed after rebalance", extra={"error": repr(exc)})


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
            await asyncio.sleep(delay)
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
                await _sleep_unless(stop, delay)
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
            return [dead_letter(record, exc, stage=stage, attempts=attempt)]
        else:
            PROCESSED.labels(stage).inc()
            return outputs
        finally:
            HANDLER_SECONDS.labels(stage).observe(time.perf_counter() - started)
            log_context.reset(token)


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except asyncio.TimeoutError:
        pass
