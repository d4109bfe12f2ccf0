"""Three fixes for aiokafka 0.14 (pinned), applied in every process that runs a stage
(:mod:`shared.runner`), makes a producer (:func:`shared.bus.make_producer`) or runs
the enrichment app, and one helper on its internals (:func:`send_lingering_now`).

**Offset lookups on stale metadata.** When a consumer has no position for a partition (just assigned, no committed
offset) it asks the partition's leader for an offset (``Fetcher._update_fetch_positions``).
If that node answers "not the leader" (leadership moved: a broker died or came
back), aiokafka logs "Failed fetch offsets", sleeps ``retry_backoff_ms`` and asks
the same node again — without refreshing its metadata, unlike its own
``_retrieve_offsets`` and unlike the Java client since KAFKA-9535. The partition then
waits for the next periodic metadata refresh (``metadata_max_age_ms``, 5 minutes).
A chaos run showed exactly that: the stories step's faust consumer asked a restarted
broker 1,285 times in 2.5 minutes while nothing was published, until another broker's
death refreshed the metadata. (Reported upstream for the robinhood fork as
"While fetching offsets on startup metadata is not refreshed on error".)

:func:`apply` makes an offset request that fails with a stale-metadata error ask for
a metadata refresh first, as ``_retrieve_offsets`` does; the retry then goes to the
new leader.

**A request to a node takes every batch waiting for it.** aiokafka drains a
partition's batch only once that batch's own ``linger_ms`` has passed, so a producer
writing to several partitions of one broker within a few milliseconds sends one
request per partition even while a request goes to that broker anyway. The Java
client's ``RecordAccumulator`` drains every partition of a node as soon as one of its
batches is ready. The stories step writes its output and four changelogs per article:
the broker's request log showed 2.8 produce requests an article from it alone. With
the fix a request to a node also takes the head batch of every other partition it
leads that is not muted (an idempotent producer keeps one batch in flight per
partition) — those batches leave earlier than their linger, never later, and each
partition's batches stay in order.

**A write to a connection uvloop has closed.** aiokafka turns an ``OSError`` from a
socket write into ``KafkaConnectionError``, which its callers retry. Every service
runs on uvloop, and uvloop raises ``RuntimeError`` ("the handler is closed") for a
write to a transport it has already closed: a broker died and the connection's read
side saw it first, but aiokafka has not yet dropped the connection. The heartbeat
task then died on the error, the consumer handed it to ``getmany``, and a worker
exited in a chaos run (enrichment, 2026-12-04, broker 2 killed; upstream
aio-libs/aiokafka#1038). :func:`apply` makes such a write close the connection and
raise ``KafkaConnectionError``, as the ``OSError`` does; stock asyncio drops the write
and the request times out instead.
"""
from __future__ import annotations

import functools

from aiokafka import AIOKafkaProducer
from aiokafka import errors as kafka_errors
from aiokafka.conn import AIOKafkaConnection, CloseReason
from aiokafka.consumer.fetcher import Fetcher
from aiokafka.producer.message_accumulator import MessageAccumulator

_MARK = "_wire_refreshes_metadata"
_DRAIN_MARK = "_wire_drains_whole_nodes"
_CLOSED_MARK = "_wire_closed_transport_is_broken"


def apply() -> None:
    """Patch aiokafka's ``Fetcher``, ``MessageAccumulator`` and ``AIOKafkaConnection``
    once per process (idempotent)."""
    _refresh_metadata_on_stale_offsets()
    _drain_whole_nodes()
    _closed_transport_is_broken()


def _refresh_metadata_on_stale_offsets() -> None:
    original = Fetcher._proc_offset_request
    if getattr(original, _MARK, False):
        return

    @functools.wraps(original)
    async def offset_request_refreshing_metadata(self, node_id, topic_data):
        try:
            return await original(self, node_id, topic_data)
        except kafka_errors.KafkaError as error:
            if error.invalid_metadata:
                self._client.force_metadata_update()
            raise

    setattr(offset_request_refreshing_metadata, _MARK, True)
    Fetcher._proc_offset_request = offset_request_refreshing_metadata


def _drain_whole_nodes() -> None:
    original = MessageAccumulator.drain_by_nodes
    if getattr(original, _DRAIN_MARK, False):
        return

    @functools.wraps(original)
    def drain_by_nodes(self, ignore_nodes, muted_partitions=frozenset()):
        nodes, unknown_leaders_exist = original(self, ignore_nodes, muted_partitions)
        if nodes:  # a request goes to these nodes: the batches still lingering for them go along
            for tp in list(self._batches):
                if tp in muted_partitions:
                    continue
                leader = self._cluster.leader_for_partition(tp)
                if leader not in nodes or tp in nodes[leader]:
                    continue
                batch = self._pop_batch(tp)
                if batch.is_empty():
                    batch.done_noack()  # as aiokafka does with an empty batch
                else:
                    nodes[leader][tp] = batch
        return nodes, unknown_leaders_exist

    setattr(drain_by_nodes, _DRAIN_MARK, True)
    MessageAccumulator.drain_by_nodes = drain_by_nodes


def send_lingering_now(producer: AIOKafkaProducer) -> None:
    """Let every batch lingering in ``producer`` leave as soon as the sender task may
    send it, rather than at the end of its ``linger_ms``: its linger ends now and the
    sender task is woken (aiokafka's transaction commit wakes it so too). The batches
    stay open: a record sent meanwhile still joins its partition's batch instead of
    waiting for it to be sent (an idempotent producer has one batch of a partition in
    flight at a time)."""
    accumulator = producer._message_accumulator
    for batches in accumulator._batches.values():
        for batch in batches:
            batch._linger_time = 0
    if not accumulator._waiter_future.done():
        accumulator._waiter_future.set_result(None)


def _closed_transport_is_broken() -> None:
    original = AIOKafkaConnection.send
    if getattr(original, _CLOSED_MARK, False):
        return

    @functools.wraps(original)
    def send(self, request, expect_response=True):
        try:
            return original(self, request, expect_response)
        except RuntimeError as error:  # uvloop: the transport is closed already
            writer = self._writer
            if writer is None or not writer.transport.is_closing():
                raise
            self.close(reason=CloseReason.CONNECTION_BROKEN, exc=error)
            raise kafka_errors.KafkaConnectionError(
                f"Connection at {self._host}:{self._port} broken: {error}") from error

    setattr(send, _CLOSED_MARK, True)
    AIOKafkaConnection.send = send
