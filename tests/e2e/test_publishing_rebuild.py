"""After Redis loses everything (FLUSHALL), ``wire rebuild-read-model`` brings the
API back to serving the same items, feeds and subscriptions.

Runs publishing and the gateway as real processes against a redis-server of their
own (the session's is shared with other tests and must never be flushed); items
enter as the events publishing reads (``articles.enriched``: the stack does not translate).
"""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid

import httpx
import pytest
import redis as redis_sync

from services.cli.stack.pipeline import Pipeline
from services.cli.stack.processes import REPO, free_port, wait_until
from services.cli.stack.redis import LocalRedis
from shared.events import Signal
from shared.topics import Topics
from tests.kafka_helpers import produce
from tests.publishing_helpers import SPORT, article_event, record_of
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e
ADMIN = {"Authorization": "Bearer dev-admin-key"}


@pytest.fixture
def stack(kafka, tmp_path):
    own_redis = LocalRedis(tmp_path / "redis")
    own_redis.start()
    pipeline = Pipeline(kafka_bootstrap=kafka.bootstrap, redis_url=own_redis.url, gateway_port=free_port(),
                        prefix=f"rb{uuid.uuid4().hex[:6]}.", data_dir=tmp_path, log_dir=tmp_path / "logs",
                        env={"WIRE_METRICS_PORT": "-1", "WIRE_BATCH_TIMEOUT_MS": "50"})
    for name in ("publishing", "gateway"):
        pipeline.processes[name].start()
    wait_until(pipeline.gateway_ready, timeout=120, what="waiting for the gateway",
               process=pipeline.processes["gateway"])
    pipeline.redis_url = own_redis.url
    yield pipeline
    for name in ("gateway", "publishing"):
        pipeline.processes[name].stop()
    own_redis.stop()


def snapshot(stack, ids: list[str]) -> dict:
    """What a client sees: each item (or its status), the feed, the list, the subscriptions."""
    base = stack.gateway_url
    items = {}
    for article_id in ids:
        answer = httpx.get(f"{base}/v1/articles/{article_id}", timeout=10, headers=ADMIN)
        items[article_id] = answer.json() if answer.status_code == 200 else answer.status_code
    feed = httpx.get(f"{base}/v1/feeds/conflict.json", timeout=10, headers=ADMIN)
    return {
        "items": items,
        "feed": [i["id"] for i in feed.json()["items"]] if feed.status_code == 200 else feed.status_code,
        "list": [i["id"] for i in httpx.get(f"{base}/v1/articles", params={"limit": 100}, headers=ADMIN).json()["items"]],
        "subscriptions": [s["name"] for s in httpx.get(f"{base}/v1/subscriptions", headers=ADMIN).json()
                          ["subscriptions"]],
    }


def test_after_flushall_the_rebuilt_read_model_serves_the_same_items(stack, kafka):
    made = httpx.post(f"{stack.gateway_url}/v1/subscriptions", headers=ADMIN, timeout=30,
                      json={"name": "conflict", "filter": {"languages": ["en"]}, "outputs": {"topic": False}})
    assert made.status_code == 201, made.text
    events = [article_event(f"urn:test:rebuild:{i}") for i in range(5)]
    events.append(article_event("urn:test:rebuild:sport", subjects=(SPORT,), language="de"))
    topics = Topics(stack.base_env["WIRE_TOPIC_PREFIX"])
    asyncio.run(produce(kafka.bootstrap, topics.publishing_input(stack.translates), [record_of(e) for e in events]))
    ids = [e.envelope.article_id for e in events]
    wait_for(lambda: all(httpx.get(f"{stack.gateway_url}/v1/articles/{i}", headers=ADMIN).status_code == 200
                         for i in ids), what="every article published")
    killed = article_event("urn:test:rebuild:3", version="2", signal=Signal.KILL)
    asyncio.run(produce(kafka.bootstrap, topics.publishing_input(stack.translates), [record_of(killed)]))
    wait_for(lambda: httpx.get(f"{stack.gateway_url}/v1/articles/{ids[3]}", headers=ADMIN).status_code == 410,
             what="the kill to take effect")
    before = snapshot(stack, ids)
    assert before["items"][ids[3]] == 410 and len(before["feed"]) == 4 and len(before["list"]) == 5

    redis_sync.Redis.from_url(stack.redis_url).flushall()
    lost = snapshot(stack, ids)
    assert set(lost["items"].values()) == {404} and lost["list"] == [] and lost["subscriptions"] == []

    env = {**os.environ, "WIRE_KAFKA_BOOTSTRAP": kafka.bootstrap, "WIRE_REDIS_URL": stack.redis_url,
           "WIRE_TOPIC_PREFIX": stack.base_env["WIRE_TOPIC_PREFIX"]}
    done = subprocess.run([sys.executable, "-m", "services.cli", "rebuild-read-model"], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert '"live":5' in done.stdout and '"killed":1' in done.stdout and '"subscriptions":1' in done.stdout

    assert snapshot(stack, ids) == before
