"""A replica started while Kafka cannot be reached waits for it and then works,
instead of dying (the stage runner, and the enrichment worker whose faust app
used to crash on NodeNotReadyError)."""
from __future__ import annotations

import asyncio
import logging
import time

import pytest

from shared.bus import Outgoing
from shared.events import Stage
from shared.runner import StageRunner
from shared.topics import Topics, ensure_topics
from tests.enrichment_helpers import EXAMPLE, Worker, enriched, event_for, send
from tests.kafka_helpers import produce, read_topic
from tests.tcp_proxy import LatePort
from tests.waiting import eventually

pytestmark = pytest.mark.integration


def kafka_retries(caplog) -> list[logging.LogRecord]:
    """The warnings of a client that found Kafka unreachable and will try again."""
    return [r for r in caplog.records if r.levelno == logging.WARNING and "retrying" in r.getMessage()]


def kafka_port(settings) -> int:
    return int(settings.kafka_bootstrap.rsplit(":", 1)[1])


async def test_a_stage_started_before_kafka_is_reachable_waits_then_consumes(settings, caplog):
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings.kafka_bootstrap, topics, partitions=1)
    await produce(settings.kafka_bootstrap, topics.inbound, [(b"k", b"hello", [])])
    late = LatePort(kafka_port(settings))

    async def copy(record) -> list[Outgoing]:
        return [Outgoing(topics.ingested, record.key, record.value.upper(), [])]

    runner = StageRunner(stage="test", topic=topics.inbound, group_id=topics.group("test"), handle=copy,
                         settings=settings.model_copy(update={"kafka_bootstrap": late.address}))
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        # Kafka "down": nothing answers on the bootstrap address; the stage tries again and again
        await eventually(lambda: len(kafka_retries(caplog)) >= 2 or task.done(), timeout=60,
                         what="the stage to retry Kafka twice")
        assert not task.done(), "the stage gave up while Kafka was unreachable"
        assert not runner.ready.is_set()
        await late.open()
        out = await read_topic(settings.kafka_bootstrap, topics.ingested, expect=1, timeout=60)
        assert [r.value for r in out] == [b"HELLO"]
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
        await late.close()


async def test_an_enrichment_worker_started_before_kafka_is_reachable_waits_then_enriches(settings, tmp_path):
    late = LatePort(kafka_port(settings))
    worker = Worker(settings.model_copy(update={"kafka_bootstrap": late.address}), tmp_path)
    event = event_for(EXAMPLE, "local", time.time())
    worker.process.start()
    try:
        # the worker starts (models load) while nothing answers, and keeps trying
        await worker.logged("Kafka not ready for the enrichment topics, retrying", after=1)
        assert worker.process.alive(), worker.process.log_tail()
        await late.open()
        await send(settings, [event])
        got = await enriched(settings, expect=1, timeout=150)
        assert list(got) == [event.idempotency_key(Stage.ENRICHED)]
    finally:
        worker.process.stop()
        await late.close()
