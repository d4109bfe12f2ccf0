"""``wire run``: Kafka, Redis, the four services and the gateway in the foreground.

Enrichment (the language models: the pipeline's bottleneck, one core per process)
runs one replica per core by default, in one consumer group, like any scaled-out
service; ``--enrichment-replicas`` (``WIRE_ENRICHMENT_REPLICAS``) overrides it. Its
single stories step runs in processes of its own (``stories``, one per ``--replicas``).
``--brokers 3 --replicas 2`` (or ``WIRE_BROKERS`` / ``WIRE_REPLICAS``) runs the
cluster layout instead: three KRaft nodes (replication 3, min.insync.replicas 2)
and two replicas of every worker, supervised (a replica that exits is started
again)."""
from __future__ import annotations

import argparse
import asyncio
import os
import signal
import time
from pathlib import Path

from services.cli.stack.cluster import KafkaCluster
from services.cli.stack.kafka import BROKER_HEAP, LocalKafka
from services.cli.stack.pipeline import Pipeline, default_replicas, partitions_for
from services.cli.stack.processes import REPO
from services.cli.stack.redis import LocalRedis
from shared.settings import WireSettings
from shared.topics import Topics, ensure_topics


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="wire run")
    parser.add_argument("--brokers", type=int, default=int(os.environ.get("WIRE_BROKERS", 1)),
                        help="Kafka nodes (each broker and controller); 3 for the cluster layout")
    parser.add_argument("--replicas", type=int, default=int(os.environ.get("WIRE_REPLICAS", 1)),
                        help="processes per worker service, in one consumer group each")
    enrichment = os.environ.get("WIRE_ENRICHMENT_REPLICAS")
    parser.add_argument("--enrichment-replicas", type=int, default=int(enrichment) if enrichment else None,
                        help="enrichment processes (default: one per core, at least --replicas)")
    args = parser.parse_args(argv or [])
    if min(args.brokers, args.replicas, 1 if args.enrichment_replicas is None else args.enrichment_replicas) < 1:
        parser.error("--brokers, --replicas and --enrichment-replicas must be at least 1")
    return args


def replica_env(brokers: int, replicas: int, *, most_replicas: int | None = None) -> dict[str, str]:
    """The settings every service gets for this layout: topics replicated on every
    broker (up to 3), at least as many partitions as the busiest service has replicas
    (``most_replicas``, default ``replicas``), and, when every worker runs
    ``replicas`` > 1 (the cluster layout), the group timeouts that move a dead
    replica's partitions within a few seconds."""
    most = max(replicas, most_replicas or replicas)
    env = {
        "WIRE_TOPIC_REPLICATION": str(min(brokers, 3)),
        "WIRE_TOPIC_PARTITIONS": str(partitions_for(most, at_least=int(os.environ.get("WIRE_TOPIC_PARTITIONS", 3)))),
    }
    if replicas > 1:
        env |= {"WIRE_KAFKA_SESSION_TIMEOUT_MS": "2000", "WIRE_KAFKA_HEARTBEAT_INTERVAL_MS": "400"}
    return env


def run_stack(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    home = Path(os.environ.get("WIRE_HOME", REPO / ".wire"))
    port = int(os.environ.get("WIRE_KAFKA_PORT", 9092))
    heap = os.environ.get("WIRE_KAFKA_HEAP", BROKER_HEAP)
    if args.brokers == 1:
        kafka = LocalKafka(home / "kafka", port=port,
                           controller_port=int(os.environ.get("WIRE_KAFKA_CONTROLLER_PORT", 9093)), heap=heap)
    else:  # brokers on 9092, 9094, …; their controllers on 9093, 9095, …
        kafka = KafkaCluster(home / f"kafka-{args.brokers}", size=args.brokers, heap=heap,
                             ports=[port + 2 * i for i in range(args.brokers)],
                             controller_ports=[port + 2 * i + 1 for i in range(args.brokers)])
    redis = LocalRedis(home / "redis", port=int(os.environ.get("WIRE_REDIS_PORT", 6379)))
    replicas = default_replicas(args.replicas, enrichment=args.enrichment_replicas)
    env = replica_env(args.brokers, args.replicas, most_replicas=max(replicas.values()))
    pipeline = Pipeline(kafka_bootstrap=kafka.bootstrap, redis_url=redis.url,
                        gateway_port=int(os.environ.get("WIRE_PORT", 8000)), data_dir=home,
                        replicas=replicas, env=env)
    stopping = False

    def request_stop(signum, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        print(f"wire: starting redis-server on {redis.url} (data in {redis.data_dir})", flush=True)
        redis.start()
        print(f"wire: starting Apache Kafka ({args.brokers} node(s)) on {kafka.bootstrap} "
              f"(data in {kafka.data_dir})", flush=True)
        kafka.start()
        asyncio.run(ensure_topics(kafka.bootstrap, Topics(), partitions=int(env["WIRE_TOPIC_PARTITIONS"]),
                                  replication=int(env["WIRE_TOPIC_REPLICATION"]),
                                  max_record_bytes=WireSettings().max_record_bytes))
        counts = ", ".join(f"{service} ×{count}" for service, count in pipeline.replicas.items())
        print(f"wire: starting {counts} and the gateway", flush=True)
        pipeline.start()
        print(f"wire: ready — gateway on {pipeline.gateway_url} (Ctrl-C stops everything)", flush=True)
        while not stopping:
            for name in pipeline.restart_dead():
                print(f"wire: {name} exited; restarted it", flush=True)
            time.sleep(0.5)
    finally:
        print("wire: stopping…", flush=True)
        pipeline.stop()
        kafka.stop()
        redis.stop()
        print("wire: stopped", flush=True)
    return 0
