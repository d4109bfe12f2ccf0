"""The three aiokafka fixes. The offset reset asked the same stale leader again and
again (no metadata refresh on "not leader"): with the fix an offset request that
fails on stale metadata asks for a refresh before the error goes back to its retry
loop. The producer's drain and the write to a closed connection are below."""
from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
import uvloop
from aiokafka import TopicPartition
from aiokafka import errors as kafka_errors
from aiokafka.conn import AIOKafkaConnection
from aiokafka.consumer.fetcher import Fetcher
from aiokafka.producer.message_accumulator import MessageAccumulator
from aiokafka.protocol.admin import ApiVersionRequest

from shared import kafka_fixes
from shared.bus import BATCH_BYTES, batch_bytes, make_producer
from shared.settings import WireSettings


class Client:
    def __init__(self, error_code: int) -> None:
        self.error_code = error_code
        self.refreshes = 0

    async def send(self, node_id, request):
        # a ListOffsets v1 answer for one partition
        return SimpleNamespace(API_VERSION=1, topics=[("t", [(0, self.error_code, -1, 42)])])

    def force_metadata_update(self):
        self.refreshes += 1


def fetcher(client: Client):
    return SimpleNamespace(_client=client, _isolation_level=0)


async def test_a_not_leader_answer_refreshes_the_metadata_before_the_retry():
    kafka_fixes.apply()
    kafka_fixes.apply()  # idempotent: one wrapper, one refresh per failure
    client = Client(kafka_errors.NotLeaderForPartitionError.errno)
    with pytest.raises(kafka_errors.NotLeaderForPartitionError):
        await Fetcher._proc_offset_request(fetcher(client), 1, {"t": [(0, -1)]})
    assert client.refreshes == 1


async def test_an_answer_with_an_offset_or_another_error_refreshes_nothing():
    kafka_fixes.apply()
    ok = Client(0)
    assert await Fetcher._proc_offset_request(fetcher(ok), 1, {"t": [(0, -1)]}) == {("t", 0): (42, -1)}
    assert ok.refreshes == 0
    broken = Client(kafka_errors.CorruptRecordException.errno)
    with pytest.raises(kafka_errors.KafkaError):
        await Fetcher._proc_offset_request(fetcher(broken), 1, {"t": [(0, -1)]})
    assert broken.refreshes == 0


# A request to a node takes every batch waiting for it, not only those whose linger has
# passed (the stories step sent its output and its changelogs in separate requests).

class Leaders:
    """Which broker leads each partition (what the accumulator asks its cluster)."""

    def __init__(self, leaders: dict[TopicPartition, int]) -> None:
        self.leaders = leaders

    def leader_for_partition(self, tp: TopicPartition) -> int:
        return self.leaders[tp]


OUTPUT, CHANGELOG, ELSEWHERE = TopicPartition("out", 0), TopicPartition("changelog", 0), TopicPartition("out", 1)


async def lingering(*, ready: list[TopicPartition], waiting: list[TopicPartition]) -> MessageAccumulator:
    """An accumulator (linger 100 ms) holding one record for each partition; those in
    ``ready`` appended long enough ago that their linger has passed."""
    accumulator = MessageAccumulator(Leaders({OUTPUT: 1, CHANGELOG: 1, ELSEWHERE: 2}), 16384, 0, 30,
                                     linger_ms=100)
    for tp in [*ready, *waiting]:
        await accumulator.add_message(tp, b"key", b"value", timeout=1)
    for tp in ready:
        accumulator._batches[tp][0]._ctime -= 1.0
    return accumulator


async def test_a_request_to_a_broker_takes_the_batches_still_lingering_for_it():
    kafka_fixes.apply()
    accumulator = await lingering(ready=[OUTPUT], waiting=[CHANGELOG, ELSEWHERE])
    nodes, _ = accumulator.drain_by_nodes(ignore_nodes=set())
    assert {node: set(batches) for node, batches in nodes.items()} == {1: {OUTPUT, CHANGELOG}}
    assert list(accumulator._batches) == [ELSEWHERE]  # its broker gets no request yet: it lingers on


async def test_a_muted_partition_or_a_busy_broker_keeps_its_batches():
    kafka_fixes.apply()
    accumulator = await lingering(ready=[OUTPUT], waiting=[CHANGELOG])
    nodes, _ = accumulator.drain_by_nodes(ignore_nodes=set(), muted_partitions={CHANGELOG})
    assert {node: set(batches) for node, batches in nodes.items()} == {1: {OUTPUT}}
    assert accumulator.drain_by_nodes(ignore_nodes={1})[0] == {}  # one request in flight per broker
    assert list(accumulator._batches) == [CHANGELOG]


async def test_nothing_ready_sends_nothing():
    kafka_fixes.apply()
    accumulator = await lingering(ready=[], waiting=[OUTPUT, CHANGELOG])
    assert accumulator.drain_by_nodes(ignore_nodes=set())[0] == {}


async def test_a_retried_batch_is_sent_before_the_batch_queued_behind_it():
    """A refused request puts its batch back at the head of its partition's queue; the
    request that retries it must carry that batch, not the newer one behind it."""
    kafka_fixes.apply()
    accumulator = await lingering(ready=[OUTPUT], waiting=[])
    first = accumulator.drain_by_nodes(ignore_nodes=set())[0][1][OUTPUT]
    await accumulator.add_message(OUTPUT, b"key", b"newer", timeout=1)
    accumulator.reenqueue(first)  # the request failed: retried, ahead of the newer record
    nodes, _ = accumulator.drain_by_nodes(ignore_nodes=set())
    assert nodes[1][OUTPUT] is first
    assert len(accumulator._batches[OUTPUT]) == 1  # the newer batch waits for the next request


async def test_a_producer_batches_up_to_256_kib_but_never_past_what_a_topic_accepts():
    assert batch_bytes(WireSettings()) == BATCH_BYTES == 256 * 1024
    small = WireSettings(max_record_bytes=64 * 1024)  # topics created with max.message.bytes at this size
    assert batch_bytes(small) == 64 * 1024
    producer = make_producer(small)
    try:
        assert producer._message_accumulator._batch_size == 64 * 1024
    finally:
        await producer.stop()


# A write to a connection whose transport uvloop has already closed (a broker died and
# the read side saw it first) raised RuntimeError, which killed the consumer's heartbeat
# task and then the worker. It is a broken connection, as an OSError from the write is.

async def connection_with_a_closed_transport() -> tuple[AIOKafkaConnection, asyncio.Server]:
    """A connection holding a real TCP stream to a real server, closed under it."""
    server = await asyncio.start_server(lambda reader, writer: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    conn = AIOKafkaConnection("127.0.0.1", port)
    conn._reader, conn._writer = reader, writer  # as create_conn leaves a connected one
    conn._read_task = asyncio.ensure_future(asyncio.sleep(3600))
    writer.transport.close()
    while not writer.transport.is_closing():
        await asyncio.sleep(0)
    await asyncio.sleep(0)  # uvloop closes the handle on the next turn
    return conn, server


def test_a_write_to_a_transport_uvloop_closed_is_a_broken_connection_the_caller_retries():
    kafka_fixes.apply()
    kafka_fixes.apply()  # idempotent

    async def write() -> AIOKafkaConnection:
        conn, server = await connection_with_a_closed_transport()
        try:
            with pytest.raises(kafka_errors.KafkaConnectionError, match="broken"):
                conn.send(ApiVersionRequest())
        finally:
            server.close()
        return conn

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:  # as every service runs
        conn = runner.run(write())
    assert conn._writer is None  # closed as broken: the client's next request opens a new connection


def test_a_runtime_error_not_from_a_closed_transport_still_surfaces():
    kafka_fixes.apply()

    def broken_write(data: bytes) -> None:
        raise RuntimeError("a bug")

    async def write() -> None:
        conn = AIOKafkaConnection("127.0.0.1", 9)
        conn._writer = SimpleNamespace(transport=SimpleNamespace(is_closing=lambda: False), write=broken_write)
        with pytest.raises(RuntimeError, match="a bug"):
            conn.send(ApiVersionRequest())

    asyncio.run(write())
