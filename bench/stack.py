"""A fresh local stack for the bench: redis-server and a single Kafka broker in a
temporary folder, and the pipeline laid out the way ``wire run`` lays it out by
default (its replica settings, topics and partitions), so whatever ``wire run``
scales — e.g. enrichment one process per core — the bench measures too."""
from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from services.cli.run import parse_args, replica_env
from services.cli.stack import pipeline as pipeline_module
from services.cli.stack.kafka import LocalKafka
from services.cli.stack.pipeline import Pipeline
from services.cli.stack.processes import free_port
from services.cli.stack.redis import LocalRedis
from shared.topics import Topics, ensure_topics

# What the bench changes from a developer's `wire run`: quieter logs, no metrics
# ports, no translation (the pipeline is measured without MT), no rate limit in
# the way of the feeds.
BENCH_ENV = {
    "WIRE_LOG_LEVEL": "WARNING",
    "WIRE_METRICS_PORT": "-1",
    "WIRE_TARGET_LANGUAGES": "[]",
    "WIRE_RATE_LIMIT_PER_MINUTE": "10000000",
}


@dataclass
class Backends:
    home: Path
    kafka: LocalKafka
    redis: LocalRedis


@contextmanager
def backends() -> Iterator[Backends]:
    """redis-server and one Kafka broker, started in a new temporary folder and
    stopped on the way out."""
    home = Path(tempfile.mkdtemp(prefix="wire-bench-"))
    redis, kafka = LocalRedis(home / "redis"), LocalKafka(home / "kafka")
    try:
        redis.start()
        kafka.start()
        yield Backends(home=home, kafka=kafka, redis=redis)
    finally:
        kafka.stop()
        redis.stop()


def wire_run_layout() -> tuple[int | dict[str, int], dict[str, str]]:
    """(replicas, env): what ``wire run`` starts on one broker with no arguments.

    With per-service replica counts (``default_replicas``: enrichment one process
    per core) when the stack helpers have them, else one count for every worker."""
    args = parse_args([])
    default_replicas = getattr(pipeline_module, "default_replicas", None)
    if default_replicas is None:
        return args.replicas, replica_env(1, args.replicas)
    replicas = default_replicas(args.replicas, enrichment=getattr(args, "enrichment_replicas", None))
    return replicas, replica_env(1, args.replicas, most_replicas=max(replicas.values()))


@contextmanager
def pipeline_as_wire_run(stack: Backends) -> Iterator[Pipeline]:
    """The gateway and the four workers on ``stack``, in ``wire run``'s default
    layout (:func:`wire_run_layout`) plus :data:`BENCH_ENV`."""
    replicas, env = wire_run_layout()
    env |= BENCH_ENV
    asyncio.run(ensure_topics(stack.kafka.bootstrap, Topics(), partitions=int(env["WIRE_TOPIC_PARTITIONS"]),
                              replication=int(env["WIRE_TOPIC_REPLICATION"])))
    pipeline = Pipeline(kafka_bootstrap=stack.kafka.bootstrap, redis_url=stack.redis.url, gateway_port=free_port(),
                        data_dir=stack.home, log_dir=stack.home / "logs", replicas=replicas, env=env)
    try:
        pipeline.start()
        yield pipeline
    finally:
        pipeline.stop()
