"""``wire bench``: the whole pipeline on a fresh local stack, measured.

Pushes N synthetic 600-word articles through the gateway and reports throughput,
received→published latency percentiles and the peak resident memory of every
process; in the same run it measures a bare aiokafka consume→produce→commit stage
on the same broker (the transport ceiling) and prints the ratio.
"""
from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx
import orjson
from aiokafka import AIOKafkaConsumer
from redis.asyncio import Redis

from services.cli.stack.kafka import LocalKafka
from services.cli.stack.pipeline import Pipeline
from services.cli.stack.processes import free_port
from services.cli.stack.redis import LocalRedis
from services.cli.synthetic import synthetic_article
from shared.bus import make_producer
from shared.cache import Keys
from shared.settings import WireSettings


def peak_rss_mib(pid: int | None) -> float | None:
    """Peak resident set size (VmHWM) of a live process, in MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, TypeError):
        return None
    return None


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


async def passthrough_rate(bootstrap: str, messages: int, payload: bytes) -> float:
    """Messages/s of a bare consume→produce→commit stage (idempotent producer)."""
    settings = WireSettings(kafka_bootstrap=bootstrap)
    source, sink = "bench.passthrough.in", "bench.passthrough.out"
    producer = make_producer(settings, linger_ms=5)
    await producer.start()
    try:
        for i in range(messages):
            await producer.send(source, payload, key=str(i).encode())
        await producer.flush()
        consumer = AIOKafkaConsumer(source, bootstrap_servers=bootstrap, group_id="bench-passthrough",
                                    enable_auto_commit=False, auto_offset_reset="earliest")
        await consumer.start()
        moved, started = 0, None
        try:
            while moved < messages:
                batch = await consumer.getmany(timeout_ms=500, max_records=200)
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
    finally:
        await producer.stop()


async def push_articles(url: str, count: int, concurrency: int) -> list[str]:
    queue = asyncio.Queue()
    for n in range(count):
        queue.put_nowait(n)
    ids: list[str] = []

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            n = queue.get_nowait()
            answer = await client.post(f"{url}/v1/articles", content=synthetic_article(n, seed=int(time.time())),
                                       headers={"Authorization": "Bearer dev-key", "Content-Type": "text/plain"})
            answer.raise_for_status()
            ids.append(answer.json()["id"])

    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=concurrency)) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return ids


async def wait_published(redis_url: str, ids: list[str], timeout: float) -> list[dict]:
    redis = Redis.from_url(redis_url)
    keys = Keys()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            pipe = redis.pipeline(transaction=False)
            for article_id in ids:
                pipe.hget(keys.article(article_id), "meta")
            metas = await pipe.execute()
            if all(metas):
                return [orjson.loads(m) for m in metas]
            await asyncio.sleep(0.5)
        raise TimeoutError(f"only {sum(1 for m in metas if m)} of {len(ids)} articles published in {timeout}s")
    finally:
        await redis.aclose()


def run_bench(*, articles: int, concurrency: int) -> int:
    home = Path(tempfile.mkdtemp(prefix="wire-bench-"))
    redis = LocalRedis(home / "redis")
    kafka = LocalKafka(home / "kafka", heap="1g")
    pipeline = None
    try:
        redis.start()
        kafka.start()
        payload = synthetic_article(0).encode() * 2  # about the size of an enriched event
        print(f"bench: transport ceiling — bare aiokafka passthrough of {articles} messages of {len(payload)} B")
        ceiling = asyncio.run(passthrough_rate(kafka.bootstrap, articles, payload))
        pipeline = Pipeline(kafka_bootstrap=kafka.bootstrap, redis_url=redis.url, gateway_port=free_port(),
                            data_dir=home, log_dir=home / "logs",
                            env={"WIRE_LOG_LEVEL": "WARNING", "WIRE_METRICS_PORT": "-1"})
        pipeline.start()
        print(f"bench: pushing {articles} synthetic 600-word articles through the gateway ({concurrency} at a time)")
        pushed_at = time.perf_counter()
        ids = asyncio.run(push_articles(pipeline.gateway_url, articles, concurrency))
        push_seconds = time.perf_counter() - pushed_at
        metas = asyncio.run(wait_published(redis.url, ids, timeout=600))
        received = [datetime.fromisoformat(m["received_at"]).timestamp() for m in metas]
        published = [datetime.fromisoformat(m["published_at"]).timestamp() for m in metas]
        latencies = [(p - r) * 1000 for r, p in zip(received, published)]
        throughput = len(metas) / (max(published) - min(received))
        print()
        print(f"articles published         {len(metas)}")
        print(f"gateway accept rate        {articles / push_seconds:8.1f} articles/s")
        print(f"end-to-end throughput      {throughput:8.1f} articles/s")
        print(f"latency received→published p50 {percentile(latencies, 50):7.1f} ms   "
              f"p95 {percentile(latencies, 95):7.1f} ms   p99 {percentile(latencies, 99):7.1f} ms   "
              f"(mean {statistics.fmean(latencies):.1f} ms)")
        print(f"transport ceiling          {ceiling:8.1f} messages/s (bare aiokafka consume→produce→commit)")
        print(f"pipeline / ceiling         {throughput / ceiling:8.3f}")
        print("peak resident memory (VmHWM):")
        rows = [("kafka broker", kafka.process.pid), ("redis-server", redis.process.pid)]
        rows += [(name, proc.pid) for name, proc in pipeline.processes.items()]
        for name, pid in rows:
            rss = peak_rss_mib(pid)
            print(f"  {name:<14} {rss:8.1f} MiB" if rss is not None else f"  {name:<14}      n/a")
        return 0
    finally:
        if pipeline:
            pipeline.stop()
        kafka.stop()
        redis.stop()
