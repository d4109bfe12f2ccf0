"""Operating a running pipeline: dead letters replayed after the cause is fixed,
every service's /metrics, ``wire status`` and ``wire trace``.

These tests run their own pipeline (five real processes on the session's Kafka
broker) with its own redis-server, because one of them stops Redis; each worker
serves /metrics on a port of its own.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid

import httpx
import pytest

from services.cli.stack.pipeline import Pipeline
from services.cli.stack.processes import REPO, free_port
from services.cli.stack.redis import LocalRedis
from services.cli.synthetic import synthetic_article
from shared.cloudevents import read_headers
from shared.topics import Topics
from tests.e2e.client import ADMIN, submit, wait_published
from tests.kafka_helpers import read_topic
from tests.waiting import eventually

pytestmark = pytest.mark.e2e

WORKERS = ("ingest", "enrichment", "publishing")  # no target language: no translation stage


@pytest.fixture(scope="module")
def ops(kafka, tmp_path_factory):
    home = tmp_path_factory.mktemp("ops")
    redis = LocalRedis(home / "redis")
    redis.start()
    stack = Pipeline(kafka_bootstrap=kafka.bootstrap, redis_url=redis.url, gateway_port=free_port(),
                     prefix=f"ops{uuid.uuid4().hex[:6]}.", data_dir=home, log_dir=home / "logs",
                     env={"WIRE_BATCH_TIMEOUT_MS": "50", "WIRE_MAX_ATTEMPTS": "3", "WIRE_RETRY_BACKOFF_MS": "100",
                          # a Redis outage longer than this is dead-lettered (the poison below)
                          "WIRE_OUTAGE_WAIT_S": "3"})
    stack.metrics_ports = {name: free_port() for name in WORKERS}
    for name, port in stack.metrics_ports.items():
        stack.processes[name].env = {**stack.processes[name].env, "WIRE_METRICS_PORT": str(port)}
    stack.redis = redis
    stack.start(timeout=120)
    yield stack
    stack.stop()
    redis.stop()


def wire(stack: Pipeline, *args: str) -> subprocess.CompletedProcess:
    """The ``wire`` command as an operator runs it, configured by the environment."""
    env = {**os.environ, **{k: v for k, v in stack.base_env.items() if k.startswith("WIRE_")}}
    return subprocess.run([sys.executable, "-m", "services.cli", *args], capture_output=True, text=True,
                          env=env, cwd=REPO, timeout=120)


async def keyed(bootstrap: str, topic: str, key: bytes) -> list:
    return [r for r in await read_topic(bootstrap, topic, expect=10**6, timeout=1.5) if r.key == key]


async def test_dead_lettered_article_is_published_after_the_cause_is_fixed_and_replayed(ops, kafka):
    """The poison: a Redis outage longer than publishing waits for it. Publishing is
    stopped while an article flows, so it waits on articles.enriched (the stack does
    not translate); Redis is stopped; publishing starts, cannot write the read model,
    waits for Redis (WIRE_OUTAGE_WAIT_S=3) and dead-letters the record to
    articles.enriched.dlq with the reason. The fix: Redis comes back (its AOF kept
    everything). Then ``wire dlq replay enriched`` sends the record back with its
    original headers, publishing publishes it, and a second replay finds nothing to
    send again."""
    topics = Topics(ops.base_env["WIRE_TOPIC_PREFIX"])
    publishing = ops.processes["publishing"]
    publishing.stop()
    answer = submit(ops.gateway_url, synthetic_article(7001, words=100).encode())
    assert answer.status_code == 202, answer.text
    article_id, uri = answer.json()["id"], answer.json()["uri"]
    await eventually(lambda: keyed(kafka.bootstrap, topics.enriched, uri.encode()), timeout=120)

    ops.redis.stop()
    try:
        publishing.start()
        [dead] = await eventually(lambda: keyed(kafka.bootstrap, topics.dlq(topics.enriched), uri.encode()),
                                  timeout=120)
    finally:
        ops.redis.start()
    reason = read_headers(dead.headers)
    assert reason["wire_dlq_stage"] == "publishing" and reason["wire_dlq_topic"] == topics.enriched

    async def not_published():  # the gateway's first Redis call after the restart may fail
        return httpx.get(f"{ops.gateway_url}/v1/articles/{article_id}", timeout=10, headers=ADMIN).status_code == 404

    await eventually(not_published, timeout=30)

    async def publishing_reports_it():  # its heartbeat resumes once Redis is back
        report = json.loads(wire(ops, "status", "--json").stdout)
        [status] = [s for s in report["services"] if s["service"] == "publishing"]
        return status["last_error"] if status["state"] == "up" and status["last_error"] else None

    last_error = await eventually(publishing_reports_it, timeout=60)
    assert last_error["stage"] == "publishing" and last_error["key"] == uri

    listed = wire(ops, "dlq", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    [enriched] = [d for d in json.loads(listed.stdout) if d["source_topic"] == topics.enriched]
    assert enriched["pending"] == 1 and enriched["reasons"][0]["stage"] == "publishing"

    replay = wire(ops, "dlq", "replay", "enriched")
    assert replay.returncode == 0, replay.stderr
    assert "replayed 1 record(s)" in replay.stdout
    item = wait_published(ops.gateway_url, article_id, timeout=120)
    assert item["uri"] == uri

    again = wire(ops, "dlq", "replay", "enriched", "--json")
    assert json.loads(again.stdout) == {"replayed": 0, "would_replay": 0}

    trace = wire(ops, "trace", uri)
    assert trace.returncode == 0, trace.stderr
    assert "DEAD LETTER by publishing" in trace.stdout
    assert re.search(r"articles\.enriched .*\(again: replayed", trace.stdout)
    assert trace.stdout.rstrip().endswith("published (version 1)")

    # One W3C trace id from the gateway to publication, through the DLQ and the replay,
    # and it is the one on publishing's JSON log lines about this article.
    report = json.loads(wire(ops, "trace", uri, "--json").stdout)
    [trace_id] = report["trace_ids"]
    assert [h["topic"] for h in report["hops"]][0] == topics.inbound
    lines = [json.loads(line) for line in publishing.log_path.read_text().splitlines() if line.startswith("{")]
    about_it = [line for line in lines if line.get("article_uri") == uri]
    assert about_it and {line["trace_id"] for line in about_it} == {trace_id}


def metrics(port: int) -> str:
    return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of the first sample of ``name`` whose labels include ``labels``."""
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            if all(f'{k}="{v}"' in line for k, v in labels.items()):
                return float(line.rsplit(" ", 1)[1])
    return None


async def test_every_service_exposes_its_metrics(ops, kafka):
    answer = submit(ops.gateway_url, synthetic_article(7002, words=100).encode())
    wait_published(ops.gateway_url, answer.json()["id"], timeout=120)
    topics = Topics(ops.base_env["WIRE_TOPIC_PREFIX"])
    ports = ops.metrics_ports

    for stage in WORKERS:
        text = metrics(ports[stage])
        assert sample(text, "wire_stage_processed_total", stage=stage) >= 1, stage
        assert sample(text, "wire_stage_handler_seconds_count", stage=stage) >= 1, stage
        assert "# TYPE wire_stage_failed_total counter" in text and "wire_stage_retries_total" in text
    publishing = metrics(ports["publishing"])
    assert sample(publishing, "wire_pipeline_end_to_end_seconds_count", language="en") >= 1
    assert "wire_publishing_webhook_attempts_total" in publishing  # webhook deliveries by outcome

    # The gateway measures the whole pipeline in Kafka: lag per group and partition, DLQ depth.
    async def gateway_measured():
        text = httpx.get(f"{ops.gateway_url}/metrics", timeout=10, headers=ADMIN).text
        lag = sample(text, "wire_consumer_lag_messages", group=topics.group("publishing"), partition="0")
        return text if lag is not None and sample(text, "wire_gateway_articles_accepted_total") else None

    text = await eventually(gateway_measured, timeout=60)
    assert sample(text, "wire_dlq_depth_messages", topic=topics.dlq(topics.inbound)) == 0
    assert sample(text, "wire_consumer_lag_messages", group=topics.group("ingest"), topic=topics.inbound) is not None


async def test_wire_status_shows_every_service_up_with_its_lag(ops):
    async def all_up():
        status = wire(ops, "status", "--json")
        report = json.loads(status.stdout)
        states = {s["service"]: s["state"] for s in report["services"]}
        # enrichment (faust) beats once its app attaches shared.heartbeat.attach_to_faust
        ready = all(states[name] == "up" for name in ("gateway", "ingest", "publishing"))
        assert "translation" not in states  # the stack has no target language: it runs no translation
        return (status, report) if ready else None

    status, report = await eventually(all_up, timeout=60)
    assert status.returncode in (0, 1)
    by_name = {s["service"]: s for s in report["services"]}
    assert by_name["publishing"]["lag"] == 0
    assert by_name["publishing"]["processes"][0]["metrics_port"] == ops.metrics_ports["publishing"]
    text = wire(ops, "status").stdout
    assert re.search(r"^publishing\s+up\s+0\s", text, re.MULTILINE)
