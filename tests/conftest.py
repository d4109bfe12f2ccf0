"""Session fixtures: a real Apache Kafka broker and a real redis-server on free
ports, started once per test session and only when a test asks for them."""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.cli.run import replica_env
from services.cli.stack.cluster import KafkaCluster
from services.cli.stack.kafka import LocalKafka
from services.cli.stack.pipeline import Pipeline
from services.cli.stack.processes import free_port
from services.cli.stack.redis import LocalRedis
from shared.settings import WireSettings

# Every service reads it, and it decides whether translation runs: the tests that
# translate set it themselves, whatever the shell running them has.
os.environ.pop("WIRE_TARGET_LANGUAGES", None)

FIXTURES = Path(__file__).parent / "fixtures"
ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture(scope="session")
def kafka(tmp_path_factory) -> Iterator[LocalKafka]:
    broker = LocalKafka(tmp_path_factory.mktemp("kafka"), heap="768m")
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory) -> Iterator[LocalRedis]:
    server = LocalRedis(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def own_redis(tmp_path) -> Iterator[LocalRedis]:
    """A redis-server of this test alone, for a test that stops or pauses it."""
    server = LocalRedis(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def prefix() -> str:
    """A topic/key prefix of this test alone, so tests never share topics."""
    return f"t{uuid.uuid4().hex[:10]}."


@pytest.fixture
def settings(kafka: LocalKafka, redis_server: LocalRedis, prefix: str) -> WireSettings:
    return WireSettings(
        kafka_bootstrap=kafka.bootstrap,
        redis_url=redis_server.url,
        topic_prefix=prefix,
        topic_partitions=2,
        batch_timeout_ms=100,
        retry_backoff_ms=20,
        max_attempts=3,
    )


# What the services of every test pipeline run with; the tests' webhook receivers and
# feed servers listen on 127.0.0.1, which outbound HTTP refuses unless allowed.
PIPELINE_ENV = {"WIRE_LOG_LEVEL": "INFO", "WIRE_METRICS_PORT": "-1", "WIRE_BATCH_TIMEOUT_MS": "50",
                "WIRE_OUTBOUND_ALLOWED_NETWORKS": '["127.0.0.0/8"]'}


def pipeline_on(bootstrap: str, redis_url: str, home: Path, prefix: str, *, replicas: int = 1,
                env: dict[str, str] | None = None) -> Pipeline:
    """The services (not started) on ``bootstrap`` and ``redis_url``, their data and logs
    under ``home``, with :data:`PIPELINE_ENV` (``env`` adds to it)."""
    return Pipeline(kafka_bootstrap=bootstrap, redis_url=redis_url, gateway_port=free_port(), prefix=prefix,
                    data_dir=home, log_dir=home / "logs", replicas=replicas, env={**PIPELINE_ENV, **(env or {})})


@pytest.fixture(scope="session")
def pipeline(kafka: LocalKafka, redis_server: LocalRedis, tmp_path_factory) -> Iterator[Pipeline]:
    """The five services as real processes, sharing the session's broker and Redis."""
    stack = pipeline_on(kafka.bootstrap, redis_server.url, tmp_path_factory.mktemp("pipeline"),
                        f"e2e{uuid.uuid4().hex[:6]}.")
    stack.start()
    yield stack
    stack.stop()


@pytest.fixture(scope="session")
def kafka_cluster(tmp_path_factory) -> Iterator[KafkaCluster]:
    """Three KRaft nodes (each broker and controller), replication 3, min.insync.replicas 2."""
    cluster = KafkaCluster(tmp_path_factory.mktemp("kafka-cluster"), size=3, heap="384m")
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def cluster_pipeline(kafka_cluster: KafkaCluster, redis_server: LocalRedis, tmp_path_factory) -> Iterator[Pipeline]:
    """Two replicas of every worker and one gateway on the three-node cluster: what
    ``wire run --brokers 3 --replicas 2`` starts."""
    stack = pipeline_on(kafka_cluster.bootstrap, redis_server.url, tmp_path_factory.mktemp("cluster-pipeline"),
                        f"c{uuid.uuid4().hex[:6]}.", replicas=2, env=replica_env(kafka_cluster.size, 2))
    stack.start(timeout=180)
    yield stack
    stack.stop()


@pytest.fixture(scope="session")
def example_article() -> bytes:
    return (FIXTURES / "korea-daily-2024-12-18.txt").read_bytes()
