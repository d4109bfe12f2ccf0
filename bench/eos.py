"""Exactly-once, measured: a bare consume → produce → commit stage run two ways on
a fresh local Kafka (one node, or ``--brokers 3``: replication 3, min ISR 2).

- ``dedupe``: what the stages do — an idempotent producer, offsets committed after
  every output of the batch is acknowledged; a redone batch repeats outputs with
  the same id, which downstream drops.
- ``transactions``: each batch's outputs and its input offsets in one Kafka
  transaction (``send_offsets_to_transaction``); downstream reads
  ``read_committed`` and sees no repeat.

Prints messages/s of each and the ratio: ``python -m bench.eos``.
"""
from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.fill import fill
from services.cli.stack.cluster import KafkaCluster
from services.cli.stack.kafka import LocalKafka
from shared.topics import Topics, ensure_topics


async def stage(bootstrap: str, source: str, sink: str, messages: int, *, transactional: bool) -> float:
    """Messages/s of one stage copying ``source`` to ``sink`` until ``messages`` are done."""
    group = f"eos-{uuid.uuid4().hex[:6]}"
    consumer = AIOKafkaConsumer(source, bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
                                auto_offset_reset="earliest", isolation_level="read_committed", max_poll_records=200)
    options = {"transactional_id": f"{group}-tx"} if transactional else {}
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=2,
                                **options)
    await producer.start()
    await consumer.start()
    done, started = 0, None
    try:
        while done < messages:
            batch = await consumer.getmany(timeout_ms=500, max_records=200)
            if not batch:
                continue
            started = started or time.perf_counter()
            offsets = {tp: records[-1].offset + 1 for tp, records in batch.items()}
            records = [r for part in batch.values() for r in part]
            if transactional:
                async with producer.transaction():
                    for r in records:
                        await producer.send(sink, r.value, key=r.key)
                    await producer.send_offsets_to_transaction(offsets, group)
            else:
                acks = [await producer.send(sink, r.value, key=r.key) for r in records]
                await asyncio.gather(*acks)
                await consumer.commit(offsets)
            done += len(records)
        return done / (time.perf_counter() - started)
    finally:
        await consumer.stop()
        await producer.stop()


async def measure(bootstrap: str, *, messages: int, replication: int) -> dict[str, float]:
    payload = b"x" * 2048  # about an enriched article's size
    results = {}
    for mode in ("dedupe", "transactions"):
        topics = Topics(f"eos{uuid.uuid4().hex[:6]}.")
        await ensure_topics(bootstrap, topics, partitions=6, replication=replication)
        await fill(bootstrap, topics.inbound, messages, payload)
        results[mode] = await stage(bootstrap, topics.inbound, topics.ingested, messages,
                                    transactional=mode == "transactions")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.eos")
    parser.add_argument("-n", "--messages", type=int, default=20_000)
    parser.add_argument("--brokers", type=int, default=1)
    args = parser.parse_args(argv)
    home = Path(tempfile.mkdtemp(prefix="wire-eos-"))
    kafka = (KafkaCluster(home, size=args.brokers, heap="384m") if args.brokers > 1
             else LocalKafka(home, heap="768m"))
    kafka.start()
    try:
        replication = min(args.brokers, 3)
        results = asyncio.run(measure(kafka.bootstrap, messages=args.messages, replication=replication))
    finally:
        kafka.stop()
    for mode, rate in results.items():
        print(f"{mode:>13}: {rate:8.0f} messages/s ({args.brokers} broker(s), replication {replication})")
    print(f"transactions / dedupe: {results['transactions'] / results['dedupe']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
