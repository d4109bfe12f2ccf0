"""The runner's take-over of a topic another group read (shared/handover.py): a new
assignment waits paused until it is placed, Kafka not answering is waited for (and
said), a reassignment or a stop meanwhile places nothing, and a partition is placed
once per process. The offset lookups are replaced; the integration test
tests/integration/test_handover.py runs the real thing on a broker."""
from __future__ import annotations

import asyncio

from aiokafka import TopicPartition
from aiokafka.errors import KafkaConnectionError

from shared import runner as runner_module
from shared.runner import StageRunner
from shared.settings import WireSettings

P0, P1 = TopicPartition("articles.enriched", 0), TopicPartition("articles.enriched", 1)


class Consumer:
    def __init__(self) -> None:
        self.log: list = []

    def pause(self, *tps):
        self.log.append(("pause", set(tps)))

    def resume(self, *tps):
        self.log.append(("resume", set(tps)))

    def seek(self, tp, offset):
        self.log.append(("seek", tp, offset))


def taking_over(monkeypatch, answers: list) -> StageRunner:
    """A runner catching up with group "other", whose lookups answer ``answers`` in turn
    (an exception is raised)."""
    async def catch_up(bootstrap, *, group, after, partitions):
        answer = answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        if callable(answer):
            return await answer()
        return answer

    monkeypatch.setattr(runner_module, "catch_up", catch_up)
    errors = []
    monkeypatch.setattr(runner_module, "record_error", lambda stage, exc: errors.append(exc))
    runner = StageRunner(stage="publishing", topic="articles.enriched", group_id="g", handle=None,
                         settings=WireSettings(), catch_up_with="other")
    runner.errors = errors
    return runner


async def test_a_new_assignment_is_paused_placed_after_kafka_answers_and_then_read(monkeypatch):
    runner = taking_over(monkeypatch, [KafkaConnectionError("no broker"), {P0: 7}])
    consumer = Consumer()
    runner._hold(consumer, {P0, P1})
    assert consumer.log == [("pause", {P0, P1})]
    await runner.take_over(consumer, asyncio.Event())
    assert consumer.log[1:] == [("seek", P0, 7), ("resume", {P0, P1})]
    assert runner.pending == {P0: 7} and not runner.unplaced
    assert len(runner.errors) == 1  # the wait was said, never skipped by reading from the start
    runner._hold(consumer, {P0, P1})  # a later rebalance: placed already, read at once
    assert consumer.log[3:] == [] and not runner.unplaced


async def test_a_reassignment_or_a_stop_while_looking_up_places_nothing(monkeypatch):
    consumer = Consumer()

    async def reassigned_meanwhile():
        runner.gate.generation += 1
        return {P0: 7}

    runner = taking_over(monkeypatch, [reassigned_meanwhile])
    runner._hold(consumer, {P0})
    await runner.take_over(consumer, asyncio.Event())
    assert consumer.log == [("pause", {P0})] and runner.unplaced == {P0}  # placed with the next assignment

    stop = asyncio.Event()

    async def never_answers():
        stop.set()
        await asyncio.sleep(3600)

    runner = taking_over(monkeypatch, [never_answers])
    runner._hold(consumer, {P1})
    await asyncio.wait_for(runner.take_over(consumer, stop), 10)  # a guard against hanging
    assert ("resume", {P1}) not in consumer.log and not runner.pending
