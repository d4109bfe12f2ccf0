"""Articles through a running pipeline, end to end: pushed to the gateway (a
closed loop of N at a time, or an open loop at a fixed rate), read back from the
read model with the times the pipeline stamped (received by the gateway,
published to the read model)."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime

import aiohttp
import orjson
from redis.asyncio import Redis

from bench.stats import percentile
from services.cli.synthetic import synthetic_article
from shared.cache import Keys

HEADERS = {"Authorization": "Bearer dev-key", "Content-Type": "text/plain"}
POLL_AT_MOST = 64  # ids asked per poll of the read model (4 polls a second)


class ArticleNumbers:
    """Fresh synthetic-article numbers for one stack: a repeated article would be
    answered as a duplicate, not processed."""

    def __init__(self, start: int = 0) -> None:
        self.next = start

    def take(self, count: int) -> range:
        numbers = range(self.next, self.next + count)
        self.next += count
        return numbers


@dataclass
class Published:
    """What the read model says about a batch of articles."""

    ids: list[str]
    received: list[float]  # epoch seconds, stamped by the gateway
    published: list[float]  # epoch seconds, stamped by publishing

    @property
    def latencies_ms(self) -> list[float]:
        return [(p - r) * 1000 for r, p in zip(self.received, self.published)]

    @property
    def per_second(self) -> float:
        """Articles/s from the first received to the last published."""
        return len(self.published) / (max(self.published) - min(self.received))

    def p(self, q: float) -> float:
        return percentile(self.latencies_ms, q)


def _client(timeout: float, connections: int) -> aiohttp.ClientSession:
    """The load's HTTP client: aiohttp, lighter per request than httpx, since the load
    shares the machine's cores with the pipeline it measures."""
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout),
                                 connector=aiohttp.TCPConnector(limit=connections))


async def _post(client: aiohttp.ClientSession, url: str, body: str) -> str:
    async with client.post(f"{url}/v1/articles", data=body.encode(), headers=HEADERS) as answer:
        answer.raise_for_status()
        return orjson.loads(await answer.read())["id"]


async def push_closed_loop(url: str, numbers: range, *, seed: int, concurrency: int) -> list[str]:
    """POST articles ``numbers`` with ``concurrency`` requests in flight; their ids."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    for n in numbers:  # built before the clock starts: writing them is not the pipeline's work
        queue.put_nowait(synthetic_article(n, seed=seed))
    ids: list[str] = []

    async def worker(client: aiohttp.ClientSession) -> None:
        while not queue.empty():
            ids.append(await _post(client, url, queue.get_nowait()))

    async with _client(60, concurrency) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return ids


async def push_open_loop(url: str, numbers: range, *, seed: int, rate: float) -> list[str]:
    """POST article ``numbers[i]`` at ``i / rate`` seconds after the start, whether
    or not the earlier ones were answered (a wire feed does not wait for the
    pipeline); their ids in order."""
    bodies = [synthetic_article(n, seed=seed) for n in numbers]  # built before the clock starts
    async with _client(120, 512) as client:
        started = time.perf_counter()

        async def at(i: int, body: str) -> str:
            await asyncio.sleep(max(0.0, started + i / rate - time.perf_counter()))
            return await _post(client, url, body)

        return list(await asyncio.gather(*(at(i, body) for i, body in enumerate(bodies))))


async def wait_published(redis_url: str, ids: list[str], *, timeout: float) -> Published:
    """Poll the read model until every id is published. TimeoutError naming how
    many were when ``timeout`` seconds pass."""
    redis, keys = Redis.from_url(redis_url), Keys()
    deadline = time.monotonic() + timeout
    # Asked again only while missing, and only the first ``POLL_AT_MOST`` of them in
    # the order pushed (roughly the order published): the polling shares the cores
    # with the pipeline it measures. It cannot change a result: the times are the
    # pipeline's own stamps, not when a poll saw them.
    found: dict[str, bytes] = {}

    async def ask(at_most: int | None) -> None:
        missing = [article_id for article_id in ids if article_id not in found][:at_most]
        pipe = redis.pipeline(transaction=False)
        for article_id in missing:
            pipe.hget(keys.article(article_id), "meta")
        found.update({article_id: meta for article_id, meta in zip(missing, await pipe.execute()) if meta})

    def published() -> Published:
        loaded = [orjson.loads(found[article_id]) for article_id in ids]
        return Published(ids=ids, received=[datetime.fromisoformat(m["received_at"]).timestamp() for m in loaded],
                         published=[datetime.fromisoformat(m["published_at"]).timestamp() for m in loaded])

    try:
        while time.monotonic() < deadline:
            await ask(POLL_AT_MOST)
            if len(found) == len(set(ids)):
                return published()
            await asyncio.sleep(0.25)
        await ask(None)  # all of them once: the window may have lagged behind the pipeline
        if len(found) == len(set(ids)):
            return published()
        raise TimeoutError(f"only {len(found)} of {len(set(ids))} articles published in {timeout:.0f}s")
    finally:
        await redis.aclose()


def closed_loop(url: str, redis_url: str, numbers: range, *, seed: int, concurrency: int = 16,
                timeout: float = 900) -> Published:
    ids = asyncio.run(push_closed_loop(url, numbers, seed=seed, concurrency=concurrency))
    return asyncio.run(wait_published(redis_url, ids, timeout=timeout))


def open_loop(url: str, redis_url: str, numbers: range, *, seed: int, rate: float,
              timeout: float = 900) -> Published:
    ids = asyncio.run(push_open_loop(url, numbers, seed=seed, rate=rate))
    return asyncio.run(wait_published(redis_url, ids, timeout=timeout))
