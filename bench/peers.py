"""Three pass-throughs of the same 9 KB records on the same broker: a bare batched
aiokafka consume → produce → commit loop, a faust-streaming agent (in a process of
its own, :mod:`bench.faust_peer`) and a Wirestream stage (the project's
:class:`~shared.runner.StageRunner`) with a no-op handler. Each reads the one filled
topic in its own consumer group (a new one each round) and writes a topic of its
own; each rate is timed from its first record to its last."""
from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bench.fill import fill
from services.cli.stack.processes import REPO
from services.cli.synthetic import synthetic_article
from shared.bus import Outgoing, make_producer
from shared.runner import StageRunner
from shared.settings import WireSettings

RECORD_BYTES = 9 * 1024
PARTITIONS = 3


@dataclass
class PeerRates:
    aiokafka: float
    faust: float
    stage: float


def record_payload() -> bytes:
    """9 KB of article text (the size of an enriched 600-word article event)."""
    text = "".join(synthetic_article(n) for n in range(4)).encode()
    return text[:RECORD_BYTES]


async def aiokafka_rate(bootstrap: str, source: str, messages: int) -> float:
    """Messages/s of a bare batched consume → produce (idempotent, acks=all) →
    commit-after-acks loop: what the stages do, with nothing else."""
    settings = WireSettings(kafka_bootstrap=bootstrap)
    sink = f"{source}.aiokafka"
    producer = make_producer(settings)
    consumer = AIOKafkaConsumer(source, bootstrap_servers=bootstrap,
                                group_id=f"bench-aiokafka-{uuid.uuid4().hex[:6]}", enable_auto_commit=False,
                                auto_offset_reset="earliest", max_poll_records=settings.batch_max_records)
    await producer.start()
    await consumer.start()
    moved, started = 0, None
    try:
        while moved < messages:
            batch = await consumer.getmany(timeout_ms=500, max_records=settings.batch_max_records)
            if not batch:
                continue
            started = started or time.perf_counter()
            acks = [await producer.send(sink, r.value, key=r.key) for part in batch.values() for r in part]
            await asyncio.gather(*acks)
            await consumer.commit({tp: recs[-1].offset + 1 for tp, recs in batch.items()})
            moved += len(acks)
        return moved / (time.perf_counter() - started)
    finally:
        await consumer.stop()
        await producer.stop()


async def stage_rate(bootstrap: str, source: str, messages: int) -> float:
    """Messages/s of a :class:`StageRunner` whose handler passes each record on
    unchanged (retries, DLQ, metrics, rebalance gate: all of the runner is there)."""
    sink = f"{source}.stage"
    settings = WireSettings(kafka_bootstrap=bootstrap)
    stop = asyncio.Event()
    moved, started = 0, None

    async def passthrough(record: ConsumerRecord) -> list[Outgoing]:
        nonlocal started
        started = started or time.perf_counter()
        return [Outgoing(topic=sink, key=record.key, value=record.value, headers=list(record.headers))]

    async def delivered(outputs) -> None:
        nonlocal moved
        moved += len(outputs)
        if moved >= messages:
            stop.set()

    runner = StageRunner(stage="bench-noop", topic=source, group_id=f"bench-stage-{uuid.uuid4().hex[:6]}",
                         handle=passthrough, settings=settings, after_delivery=delivered)
    await runner.run(stop)
    return moved / (time.perf_counter() - started)


def faust_rate(bootstrap: str, source: str, messages: int, timeout: float = 600) -> float:
    """Messages/s of a faust-streaming agent (run by :mod:`bench.faust_peer`)."""
    out = subprocess.run([sys.executable, "-m", "bench.faust_peer", bootstrap, source, f"{source}.faust",
                          str(messages)], cwd=REPO, capture_output=True, text=True, timeout=timeout)
    found = re.findall(r'\{"messages_per_s": [^}]*\}', out.stdout)  # faust's terminal codes may precede it
    if not found:
        raise RuntimeError(f"the faust peer printed no result (exit {out.returncode}):\n{out.stderr[-2000:]}")
    return json.loads(found[-1])["messages_per_s"]


async def _prepare(bootstrap: str, messages: int) -> str:
    source = f"bench.peers.{uuid.uuid4().hex[:6]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        names = [source, *(f"{source}.{peer}" for peer in ("aiokafka", "faust", "stage", "dlq"))]
        await admin.create_topics([NewTopic(name, num_partitions=PARTITIONS, replication_factor=1) for name in names])
    finally:
        await admin.close()
    await fill(bootstrap, source, messages, record_payload())
    return source


def measure_peers(bootstrap: str, messages: int, rounds: int = 3) -> PeerRates:
    """Fill one topic with ``messages`` 9 KB records, then pass it through each peer
    in turn, ``rounds`` times; each peer's best round counts (on a shared machine a
    round can be slowed by others: the best is the least disturbed, for every peer)."""
    source = asyncio.run(_prepare(bootstrap, messages))
    # a first group makes the broker create its offsets topic and warms its JIT: not the first peer's cost
    asyncio.run(aiokafka_rate(bootstrap, source, min(messages, 500)))
    best = PeerRates(aiokafka=0.0, faust=0.0, stage=0.0)
    for _ in range(rounds):
        best.aiokafka = max(best.aiokafka, asyncio.run(aiokafka_rate(bootstrap, source, messages)))
        best.faust = max(best.faust, faust_rate(bootstrap, source, messages))
        best.stage = max(best.stage, asyncio.run(stage_rate(bootstrap, source, messages)))
    return best
