"""``wire run``: Kafka, Redis, the four services and the gateway in the foreground."""
from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

from services.cli.stack.kafka import LocalKafka
from services.cli.stack.pipeline import Pipeline
from services.cli.stack.processes import REPO
from services.cli.stack.redis import LocalRedis
from shared.topics import Topics, ensure_topics


def run_stack() -> int:
    home = Path(os.environ.get("WIRE_HOME", REPO / ".wire"))
    kafka = LocalKafka(home / "kafka", port=int(os.environ.get("WIRE_KAFKA_PORT", 9092)),
                       controller_port=int(os.environ.get("WIRE_KAFKA_CONTROLLER_PORT", 9093)),
                       heap=os.environ.get("WIRE_KAFKA_HEAP", "1g"))
    redis = LocalRedis(home / "redis", port=int(os.environ.get("WIRE_REDIS_PORT", 6379)))
    pipeline = Pipeline(kafka_bootstrap=kafka.bootstrap, redis_url=redis.url,
                        gateway_port=int(os.environ.get("WIRE_PORT", 8000)), data_dir=home)
    stopping = False

    def request_stop(signum, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        print(f"wire: starting redis-server on {redis.url} (data in {redis.data_dir})", flush=True)
        redis.start()
        print(f"wire: starting Apache Kafka on {kafka.bootstrap} (data in {kafka.data_dir})", flush=True)
        kafka.start()
        asyncio.run(ensure_topics(kafka.bootstrap, Topics()))
        print("wire: starting ingest, enrichment, translation, publishing and the gateway", flush=True)
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
