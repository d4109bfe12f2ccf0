"""Redis and Kafka trouble, failed-auth floods and article-counted rate limits: each
against a gateway of its own (and, for outages, a Redis or Kafka of its own, never
the session's), so stopping them disturbs no other test."""
from __future__ import annotations

import asyncio
import base64
import os
import signal
import time
import uuid
from contextlib import contextmanager

import httpx
import pytest
import redis

from services.cli.stack.kafka import LocalKafka
from services.cli.stack.processes import ChildProcess, free_port, wait_until
from services.cli.synthetic import synthetic_article
from tests.e2e.attack import service, under_attack
from tests.e2e.client import ADMIN, AUTH
from tests.kafka_helpers import read_topic

pytestmark = pytest.mark.e2e


def post(url: str, body: bytes, **headers) -> httpx.Response:
    return httpx.post(f"{url}/v1/articles", content=body, timeout=60,
                      headers={**AUTH, "Content-Type": "text/plain", **headers})


@contextmanager
def paused(process: ChildProcess):
    os.kill(process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(process.pid, signal.SIGCONT)


def assert_unavailable(answer: httpx.Response, code: str) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.json()["error"] == code
    assert int(answer.headers["Retry-After"]) > 0


def test_2000_wrong_keys_are_throttled_per_address(pipeline, example_article):
    async def guess_keys() -> list[int]:
        # the attacker's own address: its throttle must not reach anyone else
        transport = httpx.AsyncHTTPTransport(local_address="127.0.0.3")
        async with httpx.AsyncClient(transport=transport, timeout=30) as client:
            statuses = []
            for batch in range(20):
                answers = await asyncio.gather(*(
                    client.post(f"{pipeline.gateway_url}/v1/articles", content=b"x",
                                headers={"Authorization": f"Bearer guess-{batch}-{n}"}) for n in range(100)))
                statuses += [a.status_code for a in answers]
            right_key = await client.post(f"{pipeline.gateway_url}/v1/articles", content=example_article,
                                          headers={**AUTH, "Content-Type": "text/plain"})
            assert right_key.status_code == 429  # the address is throttled, whatever key it tries
            assert int(right_key.headers["Retry-After"]) > 0
            return statuses

    statuses = under_attack(pipeline, example_article, lambda: asyncio.run(guess_keys()))
    assert statuses.count(401) <= 40  # 20 a minute (at most two windows during the run)
    assert statuses.count(429) == 2000 - statuses.count(401)


def test_behind_a_trusted_proxy_failed_keys_are_counted_by_the_forwarded_client(pipeline, example_article,
                                                                                tmp_path):
    """Behind a load balancer every client has the balancer's address: one guesser made
    everyone's requests 429. With the balancer in WIRE_FORWARDED_ALLOW_IPS its
    X-Forwarded-For names the client; anyone else's is ignored."""
    port = free_port()
    env = {**pipeline.base_env, "WIRE_PORT": str(port), "WIRE_FORWARDED_ALLOW_IPS": "127.0.0.4",
           "WIRE_AUTH_FAILURES_PER_MINUTE": "5", "WIRE_TOPIC_PREFIX": f"proxied{uuid.uuid4().hex[:6]}."}

    def via(local: str, client: str, key: str) -> int:
        with httpx.Client(transport=httpx.HTTPTransport(local_address=local), timeout=30) as http:
            return http.post(f"http://127.0.0.1:{port}/v1/articles", content=example_article, headers={
                "Authorization": f"Bearer {key}", "Content-Type": "text/plain", "X-Forwarded-For": client}).status_code

    with service("gateway-proxied", "services.gateway", tmp_path, env):
        if (left := 60 - time.time() % 60) < 20:  # all of it in one minute's window
            time.sleep(left + 0.1)
        assert [via("127.0.0.4", "203.0.113.7", f"guess-{n}") for n in range(7)][-1] == 429
        assert via("127.0.0.4", "203.0.113.7", AUTH["Authorization"].split()[1]) == 429  # the guesser's address
        assert via("127.0.0.4", "203.0.113.8", AUTH["Authorization"].split()[1]) == 202  # another client of it
        # not a trusted proxy: what it forwards is ignored, its own address is counted
        assert [via("127.0.0.5", f"198.51.100.{n}", f"guess-{n}") for n in range(7)][-1] == 429


def test_the_rate_limit_counts_articles_not_requests(pipeline, tmp_path):
    port = free_port()
    keys = '{"k-bulk": "bulk", "k-feed": "feedy", "k-fits": "fits"}'
    env = {**pipeline.base_env, "WIRE_PORT": str(port), "WIRE_RATE_LIMIT_PER_MINUTE": "3", "WIRE_API_KEYS": keys}
    with service("gateway-rate", "services.gateway", tmp_path, env):
        url = f"http://127.0.0.1:{port}"
        run = uuid.uuid4().hex[:8]

        def bulk(key: str, count: int) -> httpx.Response:
            articles = [{"contentType": "text/plain",
                         "bodyBase64": base64.b64encode(synthetic_article(9000 + n, words=40).encode()).decode()}
                        for n in range(count)]
            return httpx.post(f"{url}/v1/articles/bulk", json={"articles": articles}, timeout=60,
                              headers={"Authorization": f"Bearer {key}"})

        over = bulk("k-bulk", 5)
        assert over.status_code == 429
        assert over.json()["error"] == "rate_limited"
        items = "".join(f"<item><title>Story {n} {run}</title><description>Text {n}</description>"
                        f"<guid>{run}-{n}</guid></item>" for n in range(4))
        feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>F</title>{items}</channel></rss>'
        answer = httpx.post(f"{url}/v1/articles", content=feed.encode(), timeout=30,
                            headers={"Authorization": "Bearer k-feed", "Content-Type": "application/rss+xml"})
        assert answer.status_code == 429
        fits = bulk("k-fits", 3)
        assert fits.status_code == 207
        assert fits.json()["accepted"] == 3


def test_redis_paused_or_down_answers_503_and_readyz_names_it(pipeline, own_redis, tmp_path):
    port = free_port()
    env = {**pipeline.base_env, "WIRE_PORT": str(port), "WIRE_REDIS_URL": own_redis.url,
           "WIRE_TOPIC_PREFIX": f"redisout{uuid.uuid4().hex[:6]}."}
    with service("gateway-redis", "services.gateway", tmp_path, env):
        url = f"http://127.0.0.1:{port}"
        assert post(url, synthetic_article(9100, words=40).encode()).status_code == 202
        with paused(own_redis.process):
            assert_unavailable(post(url, synthetic_article(9101, words=40).encode()), "redis_unavailable")
            assert_unavailable(httpx.get(f"{url}/v1/articles/nope", headers=ADMIN, timeout=30), "redis_unavailable")
            ready = httpx.get(f"{url}/readyz", timeout=10)
            assert ready.status_code == 503
            assert ready.json()["checks"]["redis"] != "ok" and ready.json()["checks"]["kafka"] == "ok"
            assert httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200
        assert post(url, synthetic_article(9102, words=40).encode()).status_code == 202
        own_redis.stop()
        assert_unavailable(post(url, synthetic_article(9103, words=40).encode()), "redis_unavailable")
        assert httpx.get(f"{url}/readyz", timeout=10).json()["checks"]["redis"] != "ok"
        own_redis.start()
        wait_until(lambda: post(url, synthetic_article(9104, words=40).encode()).status_code == 202,
                   timeout=30, what="waiting for the gateway to use Redis again")


def test_a_full_redis_answers_503_until_it_has_room_again(pipeline, own_redis, tmp_path):
    """maxmemory reached with noeviction (what the README advises): what Redis refuses —
    every write, such as a submission's and a subscriber read's count against their
    limits, and every transaction — is answered 503 redis_full; the operator's read of
    an item is still answered."""
    port = free_port()
    env = {**pipeline.base_env, "WIRE_PORT": str(port), "WIRE_REDIS_URL": own_redis.url,
           "WIRE_TOPIC_PREFIX": f"redisfull{uuid.uuid4().hex[:6]}."}
    admin = redis.Redis.from_url(own_redis.url)
    with service("gateway-redis-full", "services.gateway", tmp_path, env):
        url = f"http://127.0.0.1:{port}"
        assert post(url, synthetic_article(9110, words=40).encode()).status_code == 202
        created = httpx.post(f"{url}/v1/subscriptions", headers=ADMIN, timeout=30, json={
            "name": "full-redis", "filter": {"keywords": ["amber"]}, "outputs": {"feeds": True}})
        assert created.status_code == 201, created.text
        reader = {"Authorization": f"Bearer {created.json()['token']}"}
        admin.config_set("maxmemory", "1")
        try:
            assert_unavailable(post(url, synthetic_article(9111, words=40).encode()), "redis_full")
            assert_unavailable(httpx.get(f"{url}/v1/articles", headers=reader, timeout=30), "redis_full")
            assert httpx.get(f"{url}/v1/articles/nope", headers=ADMIN, timeout=30).status_code == 404
        finally:
            admin.config_set("maxmemory", "0")
        assert post(url, synthetic_article(9112, words=40).encode()).status_code == 202
        assert httpx.get(f"{url}/v1/articles", headers=reader, timeout=30).status_code == 200


def test_a_subscription_change_kafka_took_but_redis_did_not_is_answered_as_such(pipeline, own_redis, tmp_path):
    """A change is written to Kafka, then to Redis. When Redis fails between the two,
    the 503 must not say "nothing was changed" (Kafka has it: a rebuild would apply it)
    but ask for the same request again, which then applies it."""
    port = free_port()
    prefix = f"subhalf{uuid.uuid4().hex[:6]}."
    env = {**pipeline.base_env, "WIRE_PORT": str(port), "WIRE_REDIS_URL": own_redis.url, "WIRE_TOPIC_PREFIX": prefix,
           "WIRE_REDIS_TIMEOUT_S": "0.5", "WIRE_REDIS_RETRIES": "0"}
    admin = redis.Redis.from_url(own_redis.url)
    with service("gateway-sub-half", "services.gateway", tmp_path, env):
        url = f"http://127.0.0.1:{port}/v1/subscriptions"
        created = httpx.post(url, headers=ADMIN, timeout=30, json={"name": "half-saved", "outputs": {"feeds": True}})
        assert created.status_code == 201, created.text
        # reads go on (the route finds the subscription), writes wait past the gateway's timeout
        admin.execute_command("CLIENT", "PAUSE", "5000", "WRITE")
        refused = httpx.delete(f"{url}/half-saved", headers=ADMIN, timeout=30)
        assert_unavailable(refused, "redis_unavailable")
        assert "nothing was changed" not in refused.text and "send the same request again" in refused.json()["detail"]
        saved = asyncio.run(read_topic(env["WIRE_KAFKA_BOOTSTRAP"], f"{prefix}wire.subscriptions", expect=2))
        assert [r.value is None for r in saved] == [False, True]  # Kafka took the deletion
        admin.execute_command("CLIENT", "UNPAUSE")
        assert httpx.get(f"{url}/half-saved", headers=ADMIN, timeout=30).status_code == 200  # Redis did not
        assert httpx.delete(f"{url}/half-saved", headers=ADMIN, timeout=30).status_code == 204
        assert httpx.get(f"{url}/half-saved", headers=ADMIN, timeout=30).status_code == 404


def test_a_503_while_kafka_is_paused_is_never_published(redis_server, tmp_path):
    kafka = LocalKafka(tmp_path / "kafka", heap="384m")
    kafka.start()
    port = free_port()
    prefix = f"kafkaout{uuid.uuid4().hex[:6]}."
    env = {"WIRE_KAFKA_BOOTSTRAP": kafka.bootstrap, "WIRE_REDIS_URL": redis_server.url, "WIRE_TOPIC_PREFIX": prefix,
           "WIRE_PORT": str(port), "WIRE_KAFKA_TIMEOUT_S": "3", "WIRE_BATCH_TIMEOUT_MS": "50",
           "WIRE_TOPIC_PARTITIONS": "1"}
    url = f"http://127.0.0.1:{port}"
    try:
        with service("ingest", "services.ingest", tmp_path, env, wait_ready=False), \
                service("gateway-kafka", "services.gateway", tmp_path, env):
            before = post(url, synthetic_article(9200, words=40).encode())
            assert before.status_code == 202
            with paused(kafka.process):
                refused = post(url, synthetic_article(9201, words=40).encode())
                assert_unavailable(refused, "kafka_unavailable")
                ready = httpx.get(f"{url}/readyz", timeout=10)
                assert ready.status_code == 503 and ready.json()["checks"]["kafka"] != "ok"
                assert httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200
            after = post(url, synthetic_article(9202, words=40).encode())
            assert after.status_code == 202
            # The refused record did reach Kafka once it resumed (the producer had it)...
            inbound = asyncio.run(read_topic(kafka.bootstrap, f"{prefix}wire.inbound", expect=3, timeout=60))
            refused_uri = synthetic_uri(inbound, 9201)
            assert refused_uri is not None
            # ...but ingest dropped it: only the accepted two flow on.
            ingested = asyncio.run(read_topic(kafka.bootstrap, f"{prefix}articles.ingested", expect=3, timeout=30))
            keys = {r.key.decode() for r in ingested}
            assert before.json()["uri"] in keys and after.json()["uri"] in keys
            assert refused_uri not in keys
    finally:
        kafka.stop()


def synthetic_uri(records, seed: int) -> str | None:
    """The uri (record key) of the inbound record carrying synthetic article ``seed``."""
    body = synthetic_article(seed, words=40).encode()
    return next((r.key.decode() for r in records if r.value == body), None)


def test_a_payload_over_the_parse_budget_answers_422_and_the_gateway_goes_on(pipeline, example_article, tmp_path):
    port = free_port()
    env = {**pipeline.base_env, "WIRE_PORT": str(port), "WIRE_PARSE_TIMEOUT_S": "0.3", "WIRE_PARSE_WORKERS": "1"}
    paragraphs = "".join(f"<p>Paragraph {n} of a very long page about the harbour and its ships.</p>"
                         for n in range(40_000))
    page = f"<html><head><title>Long</title></head><body><article>{paragraphs}</article></body></html>".encode()
    with service("gateway-budget", "services.gateway", tmp_path, env) as gateway:
        url = f"http://127.0.0.1:{port}"

        def attack():
            return [httpx.post(f"{url}/v1/articles", content=page, timeout=60,
                               headers={**AUTH, "Content-Type": "text/html"}) for _ in range(3)]

        answers = under_attack(pipeline, example_article, attack, gateway_url=url, gateway_pid=gateway.pid)
    for answer in answers:
        assert answer.status_code == 422, answer.text
        assert answer.json()["detail"] == "the payload is too complex to parse within 0.3 s"
