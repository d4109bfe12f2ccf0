"""Publishing benchmarks.

- :func:`bench_publishing`: items/s through the publishing service (in-process)
  with N subscriptions that each take every item (the worst fan-out: a topic
  record, a feed entry and a live-stream entry per subscription per item).
- :func:`bench_article_reads`: ``GET /v1/articles/{id}`` requests/s and latency
  percentiles of one gateway worker, measured with wrk (Debian package ``wrk``).

``python -m bench.publishing [-n N] [--subscriptions S]`` starts its own
Kafka and Redis in a temporary folder and prints both.
"""
from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from services.cli.synthetic import synthetic_article
from services.publishing.bootstrap import serve
from services.publishing.settings import PublishingSettings
from shared.bus import make_producer
from shared.cache import Keys, connect
from shared.codec import encode
from shared.events import Article, ArticleEvent, Envelope, TextBlock, article_id_for, utcnow
from shared.read_model import ReadModel
from services.publishing.read_model import ReadModelWriter
from shared.subscriptions import Subscription, SubscriptionStore
from shared.topics import Topics, ensure_topics
from shared.tracing import new_traceparent

CONFLICT = "http://cv.iptc.org/newscodes/mediatopic/16000000"


def bench_event(n: int, run: str) -> ArticleEvent:
    """A translated 600-word article with subjects, people and places."""
    text = synthetic_article(n)
    paragraphs = [p for p in text.split("\n\n") if len(p) > 80]
    uri = f"urn:wirestream:bench:{run}:{n}"
    article = Article(uri=uri, language="en", urgency=3, by="Jane Doe",
                      headlines=[TextBlock(role="main", value=text.splitlines()[4])],
                      bodies=[TextBlock(role="main", contentType="text/plain", value="\n\n".join(paragraphs))],
                      subjects=[{"uri": CONFLICT, "name": "conflict, war and peace"}],
                      people=[{"name": "Park Won-gon"}], places=[{"name": "Seoul"}])
    envelope = Envelope(article_id=article_id_for(uri), provider="bench", received_at=utcnow(),
                        source_format="text", content_type="text/plain", traceparent=new_traceparent())
    return ArticleEvent(envelope=envelope, article=article)


# Every item matches each of these (the worst fan-out)…
ALL_MATCH = [{"languages": ["en"]}, {"subjects": [CONFLICT]}, {"urgency": 5}, {"people": ["Park Won-gon"]},
             {"places": ["Seoul"]}, {"providers": ["bench"]}, {"keywords": ["council", "ministry", "bank"]}, {}]
# …and only the first two of these (a desk's usual slices: some languages, some topics).
SOME_MATCH = [{"languages": ["en"], "subjects": [CONFLICT]}, {"keywords": ["council"]}, {"languages": ["ko"]},
              {"languages": ["pt", "es"]}, {"subjects": ["medtop:15000000"]}, {"people": ["Kim Jong-un"]},
              {"places": ["Busan"]}, {"providers": ["reuters"]}, {"urgency": 1}, {"keywords": ["earthquake"]}]


async def bench_publishing(*, kafka_bootstrap: str, redis_url: str, items: int = 2000,
                           subscriptions: int = 10, matching: str = "all", timeout: float = 600) -> dict:
    """Publish ``items`` pre-produced events with ``subscriptions`` subscriptions
    (``matching`` "all": every one takes every item; "some": each item goes to about
    two of ten). Returns {"items", "subscriptions", "matching", "seconds",
    "items_per_s"} measured from the first item in the read model to the last."""
    run = uuid.uuid4().hex[:8]
    settings = PublishingSettings(kafka_bootstrap=kafka_bootstrap, redis_url=redis_url,
                                  topic_prefix=f"bench{run}.", log_level="WARNING")
    topics = Topics(settings.topic_prefix)
    await ensure_topics(kafka_bootstrap, topics, partitions=settings.topic_partitions, replication=1)
    redis = connect(redis_url)
    store = SubscriptionStore(redis, Keys(settings.topic_prefix).prefix)
    filters = ALL_MATCH if matching == "all" else SOME_MATCH
    for i in range(subscriptions):
        await store.put(Subscription(name=f"bench-{i}", filter=filters[i % len(filters)]))
    producer = make_producer(settings, linger_ms=20)
    await producer.start()
    try:
        for n in range(items):
            event = bench_event(n, run)
            await producer.send(topics.publishing_input(settings.translates), encode(event),
                                key=event.article.uri.encode())
        await producer.flush()
    finally:
        await producer.stop()
    view = ReadModel(redis, Keys(settings.topic_prefix))
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, stop))
    first = last = None
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            done = await redis.zcard(view.index)
            now = time.perf_counter()
            if done and first is None:
                first = (now, done)
            if done >= items:
                last = now
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(task, 60)
        await redis.aclose()
    if last is None or first is None:
        raise TimeoutError(f"not every item was published within {timeout}s")
    seconds = last - first[0]
    return {"items": items, "subscriptions": subscriptions, "matching": matching, "seconds": round(seconds, 2),
            "items_per_s": round((items - first[1]) / seconds, 1) if seconds > 0 else float("inf")}


_WRK_LATENCY = re.compile(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)


def bench_article_reads(*, gateway_url: str, article_id: str, seconds: int = 20, connections: int = 8,
                        threads: int = 2) -> dict:
    """wrk against ``GET /v1/articles/{article_id}``: requests/s and p50/p90/p99 in ms.
    Raises FileNotFoundError when wrk is not installed."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise FileNotFoundError("wrk is not installed (Debian: apt-get install wrk)")
    # reads as the operator (the dev admin key of a loopback gateway)
    out = subprocess.run([wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
                          "-H", "Authorization: Bearer dev-admin-key",
                          f"{gateway_url}/v1/articles/{article_id}"], capture_output=True, text=True, check=True).stdout
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    latency = {f"p{q}_ms": round(float(v) * scale[u], 2) for q, v, u in _WRK_LATENCY.findall(out)}
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"requests_per_s": rate, **latency, "non_2xx": int(errors.group(1)) if errors else 0,
            "connections": connections, "seconds": seconds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.publishing")
    parser.add_argument("-n", "--items", type=int, default=2000)
    parser.add_argument("--subscriptions", type=int, default=10)
    parser.add_argument("--wrk-seconds", type=int, default=20)
    args = parser.parse_args(argv)
    from services.cli.stack.kafka import LocalKafka
    from services.cli.stack.pipeline import Pipeline
    from services.cli.stack.processes import free_port, wait_until
    from services.cli.stack.redis import LocalRedis

    home = Path(tempfile.mkdtemp(prefix="wire-bench-publishing-"))
    redis, kafka = LocalRedis(home / "redis"), LocalKafka(home / "kafka", heap="1g")
    gateway = None
    try:
        redis.start()
        kafka.start()
        for matching in ("some", "all"):
            result = asyncio.run(bench_publishing(kafka_bootstrap=kafka.bootstrap, redis_url=redis.url,
                                                  items=args.items, subscriptions=args.subscriptions,
                                                  matching=matching))
            print(f"publishing: {result['items_per_s']} items/s with {result['subscriptions']} subscriptions, "
                  f"{'each item to ~2 of them' if matching == 'some' else 'every item to all of them'} "
                  f"({result['items']} items in {result['seconds']} s)")
        pipeline = Pipeline(kafka_bootstrap=kafka.bootstrap, redis_url=redis.url, gateway_port=free_port(),
                            data_dir=home, log_dir=home / "logs", env={"WIRE_LOG_LEVEL": "WARNING"})
        gateway = pipeline.processes["gateway"]
        gateway.start()
        wait_until(pipeline.gateway_ready, timeout=60, what="waiting for the gateway", process=gateway)
        asyncio.run(_seed_one(redis.url))
        try:
            for connections in (8, 32):  # p99 is queueing once the worker is saturated
                reads = bench_article_reads(gateway_url=pipeline.gateway_url,
                                            article_id=article_id_for("urn:bench:read"),
                                            seconds=args.wrk_seconds, connections=connections)
                print(f"GET /v1/articles/{{id}} (one gateway worker, wrk {connections} connections): "
                      f"{reads['requests_per_s']:.0f} req/s, p50 {reads.get('p50_ms')} ms, "
                      f"p99 {reads.get('p99_ms')} ms, non-2xx {reads['non_2xx']}")
        except FileNotFoundError as exc:
            print(f"GET /v1/articles/{{id}}: skipped ({exc})")
        return 0
    finally:
        if gateway is not None:
            gateway.stop()
        kafka.stop()
        redis.stop()


async def _seed_one(redis_url: str) -> None:
    redis = connect(redis_url)
    try:
        event = bench_event(0, "read")
        event.article.uri = "urn:bench:read"
        item = event.article.to_ninjs()
        async with redis.pipeline(transaction=True) as pipe:
            await ReadModelWriter(redis, Keys()).stage_live(pipe, article_id_for(item["uri"]), item, {"signal": "new"},
                                                digest="seed", root=article_id_for(item["uri"]),
                                                score_ms=int(time.time() * 1000))
            await pipe.execute()
    finally:
        await redis.aclose()


if __name__ == "__main__":
    sys.exit(main())
