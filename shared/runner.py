"""The one Kafka stage runner: batch consume → handle (as the batch strategy says) →
produce → commit.

Offsets are committed only after every output of the batch (including DLQ records)
is acknowledged by the broker, so a crash at any point re-delivers rather than
loses. Delivered offsets are committed at most every ``commit_interval_ms`` (and at
once when the input runs dry, the partitions are revoked or the stage stops): a
commit per batch was a quarter of the broker's CPU under load. Outputs carry a
deterministic id (``uri@version:stage``) and are deduplicated downstream, which
makes the at-least-once transport effectively-once.
How the records of a batch are grouped, ordered and overlapped is the stage's
:class:`~shared.batching.BatchStrategy`; nothing else differs between stages.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError

from shared.batching import BatchStrategy, Emit, PerRecord, Wave, work_wave
from shared.bus import (Handle, Outgoing, StoppedDuringOutage, client_id, make_producer, process_record,
                        start_with_retry)
from shared import kafka_fixes
from shared.handover import catch_up
from shared.heartbeat import record_error
from shared.rebalance import BatchGate
from shared.settings import WireSettings
from shared.stopping import sleep_until, until_stopped

kafka_fixes.apply()  # every stage consumes through aiokafka: see shared/kafka_fixes.py

log = logging.getLogger(__name__)

Batch = dict[TopicPartition, list[ConsumerRecord]]


class StageRunner:
    """Runs one pipeline stage: consumes ``topic`` in ``group_id`` and feeds each
    record to ``handle``, grouped and ordered by ``strategy`` (default: one record
    after the other).

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
        strategy: BatchStrategy | None = None,
        after_delivery: Callable[[Sequence[Outgoing]], Awaitable[None]] | None = None,
        catch_up_with: str | None = None,
    ) -> None:
        self.stage = stage
        self.topic = topic
        self.group_id = group_id
        self.handle = handle
        self.settings = settings
        self.strategy: BatchStrategy = strategy if strategy is not None else PerRecord()
        self.after_delivery = after_delivery
        # The group that reads ``topic`` in the deployment's other topology: a partition
        # starts no earlier than where it committed (shared/handover.py).
        self.catch_up_with = catch_up_with
        self.ready = asyncio.Event()
        self.client_id = client_id(settings, stage)
        self.gate = BatchGate(stage=stage, client_id=self.client_id, drain_s=settings.rebalance_drain_s)
        self.dropped_batches = 0  # fetched during a rebalance, left for the new assignment
        self.failed_commits = 0  # the group moved on without us (e.g. heartbeats missed): a redo follows
        self.pending: dict[TopicPartition, int] = {}  # delivered, not committed yet: next offset per partition
        self.unplaced: set[TopicPartition] = set()  # assigned, paused until take_over has placed them
        self.placed: set[TopicPartition] = set()  # placed once: later assignments start from our commits
        self.last_commit = time.monotonic()

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
        self.gate.flush = lambda: self.commit_pending(consumer)  # before partitions are given up
        if self.catch_up_with:  # a new assignment waits, paused, until take_over has placed it
            self.gate.hold = lambda assigned: self._hold(consumer, assigned)
        await start_with_retry(producer, stop, what=f"{self.client_id} producer")
        try:
            await start_with_retry(consumer, stop, what=f"{self.client_id} consumer")
            try:
                consumer.subscribe([self.topic], listener=self.gate)
                self.ready.set()
                log.info("stage started", extra={"topic": self.topic, "group": self.group_id,
                                                 "client_id": self.client_id})
                while not stop.is_set():
                    if self.unplaced:
                        await self.take_over(consumer, stop)
                        continue
                    # getmany itself waits while a rebalance is under way
                    generation = self.gate.generation
                    batch = await consumer.getmany(
                        timeout_ms=self.settings.batch_timeout_ms,
                        max_records=self.settings.batch_max_records,
                    )
                    if not batch:
                        async with self.gate.lock:  # not while a rebalance's own flush runs
                            await self.commit_pending(consumer)  # input dry: nothing to wait for
                        continue
                    async with self.gate.lock:
                        if self.gate.rebalancing or self.gate.generation != generation:
                            # fetched around a rebalance: read it again under the new assignment
                            self._rewind(consumer, batch)
                            self.dropped_batches += 1
                            continue
                        try:
                            await self.process_batch(consumer, producer, batch, stop)
                        except StoppedDuringOutage as exc:
                            log.warning("stopping with a store down: batch left uncommitted",
                                        extra={"error": str(exc)})
                            break
            finally:
                try:
                    await self.commit_pending(consumer)
                except KafkaError as exc:  # the broker is gone: the next owner redoes the rest
                    log.warning("final commit failed", extra={"error": repr(exc)})
                await consumer.stop()
        finally:
            await producer.stop()
            log.info("stage stopped", extra={"topic": self.topic})

    async def outputs_of(self, wave: Wave, stop: asyncio.Event, emit: Emit | None = None) -> list[Outgoing]:
        """Every output of ``wave`` (a DLQ record in place of a record that failed for
        good), in the records' consumed order, each handed to ``emit`` as soon as it
        may be produced (:func:`~shared.batching.work_wave`)."""

        async def process(record: ConsumerRecord) -> Sequence[Outgoing]:
            return await process_record(record, self.handle, stage=self.stage, settings=self.settings, stop=stop)

        return await work_wave(wave, process, concurrency=self.strategy.concurrency, emit=emit,
                               together=self.strategy.together)

    async def process_batch(
        self, consumer: AIOKafkaConsumer, producer: AIOKafkaProducer, batch: Batch, stop: asyncio.Event
    ) -> None:
        """Work ``batch`` wave by wave, each wave's outputs acknowledged before the next
        starts; its offsets join the ones to commit after the last (committed now if
        ``commit_interval_ms`` has passed). A failed produce rewinds the whole batch (it
        is consumed again and re-produced with the same ids)."""
        records = [record for part in batch.values() for record in part]
        for wave in self.strategy.waves(records):
            if not await self._deliver(consumer, producer, batch, wave, stop):
                return  # rewound: the whole batch comes again (same ids), nothing committed
        self.pending.update({tp: records[-1].offset + 1 for tp, records in batch.items()})
        if time.monotonic() - self.last_commit >= self.settings.commit_interval_ms / 1000:
            await self.commit_pending(consumer)

    async def _deliver(
        self, consumer: AIOKafkaConsumer, producer: AIOKafkaProducer, batch: Batch, wave: Wave,
        stop: asyncio.Event,
    ) -> bool:
        """Work ``wave``, producing its outputs as they come (a one-lane wave's record by
        record), and wait for every ack. On a produce failure rewind ``batch`` (nothing
        of it will be committed) and return False."""
        acks: list[asyncio.Future] = []

        async def send(outputs: Sequence[Outgoing]) -> None:
            acks.extend([await producer.send(o.topic, o.value, key=o.key, headers=o.headers) for o in outputs])

        try:
            outputs = await self.outputs_of(wave, stop, send)
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

    def _hold(self, consumer: AIOKafkaConsumer, assigned: set[TopicPartition]) -> None:
        # Only a partition this process has not read yet: a switch of topology restarts
        # the services, and a plain rebalance need not wait on two offset lookups.
        self.unplaced = set(assigned) - self.placed
        if self.unplaced:
            consumer.pause(*self.unplaced)

    async def take_over(self, consumer: AIOKafkaConsumer, stop: asyncio.Event) -> None:
        """Start the partitions just assigned past what ``catch_up_with`` committed
        (committed with the next commit: a restart before any record starts there
        too), then read them. Kafka not answering is waited for, never skipped: the
        group's own offsets may be missing or days old after a switch."""
        generation, wait = self.gate.generation, 0.2
        while not stop.is_set():
            try:
                seeks = await until_stopped(stop, catch_up(self.settings.kafka_bootstrap, group=self.group_id,
                                                           after=self.catch_up_with, partitions=self.unplaced))
                break
            except (KafkaError, OSError, asyncio.TimeoutError) as exc:
                record_error(self.stage, exc)  # `wire status` says why the stage waits
                log.warning("offsets of the topic's previous reader not read; waiting",
                            extra={"after": self.catch_up_with, "error": repr(exc), "retry_in_s": wait})
                await sleep_until(stop, wait)
                wait = min(wait * 2, 5.0)
        if stop.is_set() or self.gate.generation != generation:
            return  # stopping, or reassigned meanwhile (the new assignment is placed next)
        for tp, offset in seeks.items():
            consumer.seek(tp, offset)
            self.pending[tp] = max(self.pending.get(tp, 0), offset)
        consumer.resume(*self.unplaced)
        self.placed |= self.unplaced
        self.unplaced = set()

    @staticmethod
    def _rewind(consumer: AIOKafkaConsumer, batch: Batch) -> None:
        """Seek back to the batch's first records, on the partitions still ours (a
        revoked partition's new owner reads from its committed offset)."""
        owned = consumer.assignment()
        for tp, records in batch.items():
            if tp in owned:
                try:
                    consumer.seek(tp, records[0].offset)
                except IllegalStateError:
                    pass  # revoked meanwhile

    async def commit_pending(self, consumer: AIOKafkaConsumer) -> None:
        """Commit the delivered offsets not committed yet, on the partitions still ours
        (a revoked partition's new owner redoes from its committed offset)."""
        pending, self.pending = self.pending, {}
        self.last_commit = time.monotonic()
        owned = consumer.assignment()
        offsets = {tp: offset for tp, offset in pending.items() if tp in owned}
        if len(offsets) < len(pending):
            log.warning("commit dropped for revoked partitions",
                        extra={"partitions": sorted(str(tp) for tp in pending if tp not in owned)})
        if not offsets:
            return
        try:
            await consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError) as exc:
            # A rebalance took the partitions away; their new owner re-delivers,
            # and the deterministic ids let downstream drop the repeats.
            self.failed_commits += 1
            log.warning("commit failed after rebalance", extra={"error": repr(exc)})
