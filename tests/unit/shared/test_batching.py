"""The runner's batch strategies, and how the one StageRunner delivers and commits
their waves (Kafka's consumer and producer replaced by small recording fakes: the
real broker is exercised in tests/integration/test_runner.py and test_rebalance.py)."""
from __future__ import annotations

import asyncio

import orjson
from aiokafka import ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaConnectionError

from shared.batching import AllAtOnce, PerRecord, PerStory, UrgentFirst, work_wave
from shared.bus import Outgoing
from shared.runner import StageRunner
from shared.settings import WireSettings

TP = TopicPartition("t", 0)


def record(offset: int, key: bytes, urgency: int | None = None, partition: int = 0) -> ConsumerRecord:
    value = orjson.dumps({"article": {"uri": key.decode(), "urgency": urgency}})
    return ConsumerRecord("t", partition, offset, 0, 0, key, value, None, 0, len(value), [])


def offsets(waves) -> list[list[list[int]]]:
    return [[[r.offset for r in lane] for lane in wave] for wave in waves]


RECORDS = [record(0, b"a", 5), record(1, b"b"), record(2, b"a", 1), record(3, b"c", 2), record(4, b"d")]


def test_per_record_is_one_lane_in_consumed_order():
    assert offsets(PerRecord().waves(RECORDS)) == [[[0, 1, 2, 3, 4]]]
    assert PerRecord().waves([]) == []


def test_per_story_puts_each_story_in_its_own_lane_in_order():
    assert offsets(PerStory().waves(RECORDS)) == [[[0, 2], [1], [3], [4]]]


def test_all_at_once_gives_every_record_a_lane():
    assert offsets(AllAtOnce().waves(RECORDS)) == [[[0], [1], [2], [3], [4]]]


def test_urgent_first_makes_the_urgent_stories_a_wave_of_their_own():
    assert offsets(UrgentFirst().waves(RECORDS)) == [[[0], [2], [3]], [[1], [4]]]
    assert offsets(UrgentFirst(within=PerStory()).waves(RECORDS)) == [[[0, 2], [3]], [[1], [4]]]
    assert offsets(UrgentFirst().waves(RECORDS[1:2])) == [[[1]]]


async def test_a_wave_keeps_consumed_order_and_its_concurrency_bound():
    running, most = 0, 0

    async def process(rec):
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.005 * (5 - rec.offset))  # later records finish first
        running -= 1
        return [Outgoing("out", rec.key, str(rec.offset).encode(), [])]

    outputs = await work_wave(AllAtOnce().waves(RECORDS)[0], process, concurrency=2)
    assert [o.value for o in outputs] == [b"0", b"1", b"2", b"3", b"4"]
    assert most == 2
    other_partition = [record(0, b"x", partition=1), record(7, b"y")]
    outputs = await work_wave([[r] for r in other_partition], process, concurrency=None)
    assert [o.value for o in outputs] == [b"7", b"0"]  # partition 0 before partition 1


class FakeProducer:
    """Records every produce; ``fail_on`` raises for that value (a broker refusing it)."""

    def __init__(self, log: list, fail_on: bytes | None = None) -> None:
        self.log, self.fail_on = log, fail_on

    async def send(self, topic, value, *, key, headers):
        if value == self.fail_on:
            raise KafkaConnectionError("broker gone")
        self.log.append(("sent", value))
        done = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


class FakeConsumer:
    def __init__(self, log: list) -> None:
        self.log = log

    def assignment(self):
        return {TP}

    def seek(self, tp, offset):
        self.log.append(("seek", offset))

    async def commit(self, offsets):
        self.log.append(("commit", offsets[TP]))


def recording_runner(log: list, *, commit_interval_ms: int = 0, strategy=None) -> StageRunner:
    """A runner whose handler logs each record it handles (default strategy: urgent first, per story)."""
    async def handle(rec):
        log.append(("handled", rec.offset))
        return [Outgoing("out", rec.key, str(rec.offset).encode(), [])]

    return StageRunner(stage="test", topic="t", group_id="g", handle=handle,
                       settings=WireSettings(retry_backoff_ms=1, commit_interval_ms=commit_interval_ms),
                       strategy=strategy or UrgentFirst(within=PerStory()))


async def test_each_wave_is_acknowledged_before_the_next_starts_and_the_batch_commits_once():
    log: list = []
    await recording_runner(log).process_batch(FakeConsumer(log), FakeProducer(log), {TP: RECORDS}, asyncio.Event())
    assert log == [("handled", 0), ("handled", 2), ("handled", 3), ("sent", b"0"), ("sent", b"2"), ("sent", b"3"),
                   ("handled", 1), ("handled", 4), ("sent", b"1"), ("sent", b"4"), ("commit", 5)]


async def test_a_failed_produce_in_a_later_wave_rewinds_the_batch_and_commits_nothing():
    log: list = []
    producer = FakeProducer(log, fail_on=b"4")
    await recording_runner(log).process_batch(FakeConsumer(log), producer, {TP: RECORDS}, asyncio.Event())
    assert ("seek", 0) in log
    assert not [entry for entry in log if entry[0] == "commit"]


async def test_within_the_commit_interval_batches_share_one_commit_of_the_last_offset():
    log: list = []
    runner = recording_runner(log, commit_interval_ms=60_000)
    consumer, producer = FakeConsumer(log), FakeProducer(log)
    await runner.process_batch(consumer, producer, {TP: RECORDS[:2]}, asyncio.Event())
    await runner.process_batch(consumer, producer, {TP: RECORDS[2:]}, asyncio.Event())
    assert [entry for entry in log if entry[0] == "sent"] == [("sent", str(i).encode()) for i in (0, 1, 2, 3, 4)]
    assert not [entry for entry in log if entry[0] == "commit"]  # delivered, held for the interval
    await runner.commit_pending(consumer)  # what the runner does when its input runs dry, at a revoke or stop
    await runner.commit_pending(consumer)  # nothing new: no second commit
    assert [entry for entry in log if entry[0] == "commit"] == [("commit", 5)]


async def test_a_batch_past_the_commit_interval_commits_every_delivered_offset():
    log: list = []
    runner = recording_runner(log, commit_interval_ms=60_000)
    consumer, producer = FakeConsumer(log), FakeProducer(log)
    await runner.process_batch(consumer, producer, {TP: RECORDS[:2]}, asyncio.Event())
    runner.last_commit -= 61  # the interval has passed
    await runner.process_batch(consumer, producer, {TP: RECORDS[2:]}, asyncio.Event())
    assert [entry for entry in log if entry[0] == "commit"] == [("commit", 5)]


async def test_one_record_after_another_produces_each_output_before_handling_the_next():
    """A batch read by the language models (PerRecord) must not hold its first
    article back until its last one is read."""
    log: list = []
    runner = recording_runner(log, strategy=PerRecord())
    await runner.process_batch(FakeConsumer(log), FakeProducer(log), {TP: RECORDS[:3]}, asyncio.Event())
    assert log == [("handled", 0), ("sent", b"0"), ("handled", 1), ("sent", b"1"), ("handled", 2), ("sent", b"2"),
                   ("commit", 3)]


async def test_records_read_together_leave_together_and_the_batch_end_is_not_held():
    """The read step's grouping: the outputs of every two records go in one send (one
    request downstream instead of two), and the last record's output does not wait
    for a record that is not there."""
    log: list = []
    runner = recording_runner(log, strategy=PerRecord(together=2))
    await runner.process_batch(FakeConsumer(log), FakeProducer(log), {TP: RECORDS[:3]}, asyncio.Event())
    assert log == [("handled", 0), ("handled", 1), ("sent", b"0"), ("sent", b"1"), ("handled", 2), ("sent", b"2"),
                   ("commit", 3)]


async def test_a_produce_refused_midway_through_a_one_lane_batch_rewinds_it_and_commits_nothing():
    log: list = []
    runner = recording_runner(log, strategy=PerRecord())
    await runner.process_batch(FakeConsumer(log), FakeProducer(log, fail_on=b"1"), {TP: RECORDS[:3]},
                               asyncio.Event())
    assert ("seek", 0) in log
    assert ("handled", 2) not in log  # stopped at the refusal; the whole batch comes again
    assert not [entry for entry in log if entry[0] == "commit"]
