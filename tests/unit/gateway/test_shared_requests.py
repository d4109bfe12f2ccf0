"""Submissions' records wait for company (the producer's linger) only while other
submissions are under way: a lone one, or a bulk request's entries sent one after
another, leave at once."""
from __future__ import annotations

import asyncio
from types import SimpleNamespace

from aiokafka.producer.message_accumulator import MessageAccumulator
from aiokafka.structs import TopicPartition

from services.gateway import shared_requests
from services.gateway.shared_requests import SharedRequests


class RecordingProducer:
    """What a Sender uses of aiokafka's producer: ``send``; records when the records
    waiting in it are let go."""

    def __init__(self, log: list) -> None:
        self.log = log

    async def send(self, topic, value=None, *, key=None, headers=None):
        self.log.append(("send", value))
        return "delivery"


def watched(monkeypatch, log: list) -> SharedRequests:
    monkeypatch.setattr(shared_requests, "send_lingering_now", lambda producer: log.append(("now",)))
    return SharedRequests(RecordingProducer(log))


async def test_a_lone_submission_leaves_at_once(monkeypatch):
    log: list = []
    sender = watched(monkeypatch, log).start()
    assert await sender.send("t", b"a") == "delivery"
    sender.settle()  # the route settles again when the submission ends: nothing more
    assert log == [("send", b"a"), ("now",)]


async def test_records_wait_for_the_submissions_under_way_and_leave_with_the_last_of_them(monkeypatch):
    log: list = []
    requests = watched(monkeypatch, log)
    first, second, third = requests.start(), requests.start(), requests.start()
    await first.send("t", b"a")
    await second.send("t", b"b")
    assert log == [("send", b"a"), ("send", b"b")]  # the third may still join them
    third.settle()  # it ended without a record (refused, say): nobody else is coming
    assert log[-1] == ("now",)


async def test_a_bulk_request_s_entries_each_leave_at_once_even_beside_another_client(monkeypatch):
    """The bulk route submits its entries one after another, each acknowledged
    before the next: none of them may wait out the linger, not even while another
    client's submission (a slow parse, say) is under way."""
    log: list = []
    requests = watched(monkeypatch, log)
    other = requests.start()
    for value in (b"a", b"b", b"c"):
        sender = requests.start(alone=True)
        await sender.send("t", value)
        sender.settle()
    assert log == [("send", b"a"), ("now",), ("send", b"b"), ("now",), ("send", b"c"), ("now",)]
    other.settle()


async def test_lingering_batches_are_let_go_in_aiokafka_s_accumulator():
    """``send_lingering_now`` against the pinned aiokafka's own accumulator: a batch
    that would linger 10 s is drained at once, and the sender task is woken."""
    cluster = SimpleNamespace(leader_for_partition=lambda tp: 0)
    accumulator = MessageAccumulator(cluster, 16384, 0, 30, linger_ms=10_000)
    tp = TopicPartition("t", 0)
    await accumulator.add_message(tp, None, b"a", timeout=1)
    nodes, _ = accumulator.drain_by_nodes(ignore_nodes=set())  # the sender task's turn: the batch lingers
    assert not nodes
    waiter = accumulator.waiter()  # what the sender task then sleeps on, up to the linger
    assert not waiter.done()
    shared_requests.send_lingering_now(SimpleNamespace(_message_accumulator=accumulator))
    assert waiter.done()
    # the partition has a batch in flight (muted) when the next record comes: it joins the
    # batch that is ready, instead of waiting until that batch can be sent
    await asyncio.wait_for(accumulator.add_message(tp, None, b"b", timeout=1), 0.5)
    assert len(accumulator._batches[tp]) == 1
    nodes, _ = accumulator.drain_by_nodes(ignore_nodes=set())
    assert list(nodes[0]) == [tp]
    assert nodes[0][tp].record_count == 2
    await accumulator.add_message(tp, None, b"c", timeout=1)  # a later record starts a batch that lingers
    assert accumulator._batches[tp][0].remaining_linger() > 5
