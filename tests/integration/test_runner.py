"""The stage runner against the session's real Kafka broker."""
from __future__ import annotations

import asyncio

import pytest

from shared.bus import Outgoing
from shared.cloudevents import read_headers
from shared.errors import RetriableError
from shared.runner import StageRunner
from shared.topics import Topics, ensure_topics
from tests.kafka_helpers import committed, produce, read_topic
from tests.waiting import eventually

pytestmark = pytest.mark.integration


def upper_case_stage(topics: Topics):
    """A stage that upper-cases values; b"poison" breaks it for good."""

    async def handle(record) -> list[Outgoing]:
        if record.value == b"poison":
            raise ValueError("cannot upper-case poison")
        return [Outgoing(topics.ingested, record.key, record.value.upper(), [])]

    return handle


async def run_until(runner: StageRunner, condition, timeout: float = 30.0):
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        return await eventually(condition, timeout=timeout)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def test_bad_message_goes_to_dlq_with_reasons_and_the_stage_goes_on(settings):
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings.kafka_bootstrap, topics, partitions=1)
    await produce(settings.kafka_bootstrap, topics.inbound, [
        (b"a", b"first", [("traceparent", b"00-" + b"a" * 32 + b"-" + b"b" * 16 + b"-01")]),
        (b"b", b"poison", []),
        (b"c", b"third", []),
    ])
    runner = StageRunner(stage="test", topic=topics.inbound, group_id=topics.group("test"),
                         handle=upper_case_stage(topics), settings=settings)

    async def outputs_arrived():
        return await read_topic(settings.kafka_bootstrap, topics.ingested, expect=2, timeout=1)

    await run_until(runner, lambda: _len_at_least(outputs_arrived, 2))

    out = await read_topic(settings.kafka_bootstrap, topics.ingested, expect=2)
    assert sorted(r.value for r in out) == [b"FIRST", b"THIRD"]
    dead = await read_topic(settings.kafka_bootstrap, topics.dlq(topics.inbound), expect=1)
    assert len(dead) == 1 and dead[0].value == b"poison" and dead[0].key == b"b"
    reason = read_headers(dead[0].headers)
    assert reason["wire_dlq_topic"] == topics.inbound
    assert reason["wire_dlq_partition"] == "0" and reason["wire_dlq_offset"] == "1"
    assert reason["wire_dlq_error_class"] == "ValueError"
    assert "cannot upper-case poison" in reason["wire_dlq_error_message"]
    assert reason["wire_dlq_attempts"] == "1"
    # all three inputs are committed: the poison one is handled (dead-lettered), not stuck
    assert await committed(settings.kafka_bootstrap, topics.group("test"), topics.inbound, 1) == 3


async def _len_at_least(fetch, n):
    return len(await fetch()) >= n


async def test_retriable_errors_are_retried_with_backoff_then_succeed(settings):
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings.kafka_bootstrap, topics, partitions=1)
    await produce(settings.kafka_bootstrap, topics.inbound, [(b"k", b"flaky", [])])
    attempts = []

    async def flaky(record):
        attempts.append(record.offset)
        if len(attempts) < 3:
            raise RetriableError("dependency down")
        return [Outgoing(topics.ingested, record.key, b"ok", [])]

    runner = StageRunner(stage="test", topic=topics.inbound, group_id=topics.group("test"), handle=flaky,
                         settings=settings.model_copy(update={"max_attempts": 5}))
    await run_until(runner, lambda: _len_at_least(
        lambda: read_topic(settings.kafka_bootstrap, topics.ingested, expect=1, timeout=1), 1))
    assert len(attempts) == 3
    assert await read_topic(settings.kafka_bootstrap, topics.dlq(topics.inbound), expect=1, timeout=2) == []


async def test_retriable_error_that_never_clears_ends_in_dlq_with_attempt_count(settings):
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings.kafka_bootstrap, topics, partitions=1)
    await produce(settings.kafka_bootstrap, topics.inbound, [(b"k", b"never", [])])

    async def down(record):
        raise RetriableError("still down")

    runner = StageRunner(stage="test", topic=topics.inbound, group_id=topics.group("test"), handle=down,
                         settings=settings)
    await run_until(runner, lambda: _len_at_least(
        lambda: read_topic(settings.kafka_bootstrap, topics.dlq(topics.inbound), expect=1, timeout=1), 1))
    dead = await read_topic(settings.kafka_bootstrap, topics.dlq(topics.inbound), expect=1)
    reason = read_headers(dead[0].headers)
    assert reason["wire_dlq_attempts"] == str(settings.max_attempts)
    assert reason["wire_dlq_error_class"] == "RetriableError"


async def test_stop_finishes_the_batch_and_commits(settings):
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings.kafka_bootstrap, topics, partitions=1)
    await produce(settings.kafka_bootstrap, topics.inbound, [(b"k", f"m{i}".encode(), []) for i in range(50)])
    runner = StageRunner(stage="test", topic=topics.inbound, group_id=topics.group("test"),
                         handle=upper_case_stage(topics), settings=settings)
    await run_until(runner, lambda: _len_at_least(
        lambda: read_topic(settings.kafka_bootstrap, topics.ingested, expect=50, timeout=1), 50))
    assert await committed(settings.kafka_bootstrap, topics.group("test"), topics.inbound, 1) == 50
    # A second run of the same group resumes after the committed offset: it sees
    # only the record produced afterwards, none of the 50 again.
    await produce(settings.kafka_bootstrap, topics.inbound, [(b"k", b"late", [])])
    seen = []

    async def record_seen(record):
        seen.append(record.offset)
        return []

    again = StageRunner(stage="test", topic=topics.inbound, group_id=topics.group("test"), handle=record_seen,
                        settings=settings)

    async def saw_late():
        return seen

    await run_until(again, saw_late)
    assert seen == [50]


async def test_a_batchs_first_output_is_on_the_topic_before_its_last_record_is_handled(settings):
    """One record after the other (the language models' strategy): each record's
    output goes to Kafka once it is handled, not when the whole fetched batch is.
    The last record's handler waits until a reader sees the first one's output."""
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings.kafka_bootstrap, topics, partitions=1)
    await produce(settings.kafka_bootstrap, topics.inbound, [(b"a", b"first", []), (b"b", b"second", []),
                                                            (b"c", b"last", [])])
    seen_first_before_last: list[bool] = []

    async def handle(record) -> list[Outgoing]:
        if record.value == b"last":
            out = await read_topic(settings.kafka_bootstrap, topics.ingested, expect=2, timeout=20)
            seen_first_before_last.append([r.value for r in out] == [b"FIRST", b"SECOND"])
        return [Outgoing(topics.ingested, record.key, record.value.upper(), [])]

    runner = StageRunner(stage="test", topic=topics.inbound, group_id=topics.group("test"), handle=handle,
                         settings=settings)  # PerRecord, the default
    await run_until(runner, lambda: bool(seen_first_before_last))
    assert seen_first_before_last == [True]
    out = await read_topic(settings.kafka_bootstrap, topics.ingested, expect=3)
    assert [r.value for r in out] == [b"FIRST", b"SECOND", b"LAST"]


async def test_an_output_larger_than_kafka_takes_is_dead_lettered_and_the_stage_goes_on(settings):
    """The producer refuses a record over WIRE_MAX_RECORD_BYTES; that refusal used to
    rewind the batch, which made the same output again: the partition was stuck. The
    input now goes to the DLQ naming the output, its other outputs go on, and so does
    the next record."""
    small = settings.model_copy(update={"max_record_bytes": 64 * 1024})
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings.kafka_bootstrap, topics, partitions=1)
    await produce(settings.kafka_bootstrap, topics.inbound, [(b"a", b"grows", []), (b"b", b"next", [])])

    async def handle(record) -> list[Outgoing]:
        outputs = [Outgoing(topics.ingested, record.key, record.value.upper(), [])]
        if record.value == b"grows":  # a second output: a key of 100 KB (a feed guid of that size)
            outputs.append(Outgoing(topics.ingested, b"k" * 100_000, b"x", []))
        return outputs

    runner = StageRunner(stage="test", topic=topics.inbound, group_id=topics.group("test"), handle=handle,
                         settings=small)

    async def outputs_arrived():
        return await read_topic(settings.kafka_bootstrap, topics.ingested, expect=2, timeout=1)

    await run_until(runner, lambda: _len_at_least(outputs_arrived, 2))

    out = await read_topic(settings.kafka_bootstrap, topics.ingested, expect=2)
    assert sorted(r.value for r in out) == [b"GROWS", b"NEXT"]
    [dead] = await read_topic(settings.kafka_bootstrap, topics.dlq(topics.inbound), expect=1)
    reason = read_headers(dead.headers)
    assert (dead.value, reason["wire_dlq_error_code"]) == (b"grows", "output_too_large")
    assert "1 of its 2 outputs" in reason["wire_dlq_error_message"]
    assert await committed(settings.kafka_bootstrap, topics.group("test"), topics.inbound, 1) == 2
