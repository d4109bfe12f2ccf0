"""The enrichment worker (faust) as a real process on the session's Kafka and Redis:
its tables survive a restart exactly, and a SIGKILL mid-stream loses nothing and
duplicates nothing once outputs are deduplicated by their idempotency key."""
from __future__ import annotations

import asyncio
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import orjson
import pytest
from redis.asyncio import Redis

from services.cli.stack.processes import REPO, ChildProcess
from services.cli.synthetic import synthetic_article
from shared.cache import Keys
from shared.cloudevents import read_headers
from shared.codec import decode, encode
from shared.events import ArticleEvent, Envelope, Stage, article_id_for
from shared.formats.plaintext import parse_plaintext
from shared.topics import Topics
from shared.tracing import new_traceparent
from tests.kafka_helpers import produce, read_topic
from tests.waiting import eventually

pytestmark = pytest.mark.integration

EXAMPLE = (Path(__file__).parents[1] / "fixtures" / "korea-daily-2024-12-18.txt").read_text(encoding="utf-8")


class Worker:
    """``python -m services.enrichment`` with this test's settings; logs to a file."""

    def __init__(self, settings, tmp_path: Path) -> None:
        env = {
            "WIRE_KAFKA_BOOTSTRAP": settings.kafka_bootstrap, "WIRE_REDIS_URL": settings.redis_url,
            "WIRE_TOPIC_PREFIX": settings.topic_prefix, "WIRE_TOPIC_PARTITIONS": "2",
            "WIRE_DATA_DIR": str(tmp_path / "enrichment"), "WIRE_METRICS_PORT": "-1", "PYTHONUNBUFFERED": "1",
        }
        self.log = tmp_path / "enrichment.log"
        self.process = ChildProcess("enrichment", [sys.executable, "-m", "services.enrichment"], cwd=REPO,
                                    log_path=self.log, env=env)

    def lines(self, message: str) -> list[dict]:
        found = []
        for line in self.log.read_text(errors="replace").splitlines() if self.log.exists() else []:
            if message in line and line.startswith("{"):
                found.append(orjson.loads(line))
        return found

    async def logged(self, message: str, *, after: int = 0, timeout: float = 120.0) -> dict:
        """The first line logging ``message`` beyond the first ``after`` ones (fails at
        once if the worker died meanwhile)."""
        def found() -> dict | None:
            lines = self.lines(message)
            if len(lines) > after:
                return lines[after]
            assert self.process.alive() or message.endswith("shutdown"), self.process.log_tail()
            return None

        try:
            return await eventually(found, timeout=timeout, what=f"{message!r} in the worker's log")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.process.log_tail()}") from None


def event_for(text: str, provider: str, received: float) -> ArticleEvent:
    article = parse_plaintext(text, provider=provider)
    envelope = Envelope(article_id=article_id_for(article.uri), provider=provider,
                        received_at=datetime.fromtimestamp(received, timezone.utc), source_format="text",
                        content_type="text/plain", traceparent=new_traceparent())
    return ArticleEvent(envelope=envelope, article=article)


async def send(settings, events: list[ArticleEvent]) -> None:
    await produce(settings.kafka_bootstrap, Topics(settings.topic_prefix).ingested,
                  [(e.article.uri.encode(), encode(e), []) for e in events])


async def enriched(settings, expect: int, timeout: float = 120.0) -> dict[str, list[ArticleEvent]]:
    """Records of articles.enriched grouped by idempotency key."""
    records = await read_topic(settings.kafka_bootstrap, Topics(settings.topic_prefix).enriched,
                               expect=expect, timeout=timeout)
    grouped: dict[str, list[ArticleEvent]] = {}
    for record in records:
        key = read_headers(record.headers)["wire_idempotency_key"]
        grouped.setdefault(key, []).append(decode(ArticleEvent, record.value))
    return grouped


def cluster_of(events: list[ArticleEvent]) -> str:
    return events[0].envelope.enrichment["storyCluster"]["id"]


async def test_tables_survive_a_restart_exactly(settings, tmp_path):
    worker = Worker(settings, tmp_path)
    now = time.time()
    first = event_for(EXAMPLE, "local", now)
    copy = event_for(EXAMPLE.replace("imminent", "likely soon").replace("significantly", "sharply"), "wire2", now + 1)
    unrelated = event_for(synthetic_article(1, words=200), "local", now + 2)
    worker.process.start()
    try:
        await send(settings, [first, copy, unrelated])
        before = await enriched(settings, expect=3)
        assert len(before) == 3
        clusters = {key.split("@")[0]: cluster_of(events) for key, events in before.items()}
        story = clusters[first.article.uri]
        assert clusters[copy.article.uri] == story  # named after whichever copy was read first
        assert story in (first.envelope.article_id, copy.envelope.article_id)
        assert clusters[unrelated.article.uri] != story

        worker.process.stop()  # SIGTERM: the worker logs its table state on the way out
        at_shutdown = (await worker.logged("enrichment tables at shutdown"))["tables"]
        worker.process.start()
        recovered_line = await worker.logged("enrichment tables recovered", after=1)
        recovered = recovered_line["tables"]
        assert recovered == at_shutdown
        # JSON lines tagged with the service, as every service writes them (shared.telemetry)
        assert recovered_line["service"] == "enrichment" and recovered_line["logger"] == "services.enrichment.agents"
        assert recovered["keys"]["story-members"] == 3 and recovered["keys"]["entity-trends"] > 10

        # The recovered index still knows the story: a third copy joins its cluster…
        again = event_for(EXAMPLE.replace("experts suggest", "analysts say"), "wire3", now + 3)
        await send(settings, [again])
        after = await enriched(settings, expect=4)
        assert cluster_of(after[again.idempotency_key(Stage.ENRICHED)]) == story
        # …and the trend counts go on from where they were (3 stories name Park Won-gon).
        redis = Redis.from_url(settings.redis_url)
        try:
            async def park_count() -> float:
                total = 0.0  # summed over windows: the hour may turn between the three stories
                for member in await redis.zrange(Keys(settings.topic_prefix).trend_windows(), 0, -1):
                    start = int(member.decode().split(":")[0])
                    window = Keys(settings.topic_prefix).trend_window(start)
                    total += await redis.zscore(window, "person\tPark Won-gon") or 0.0
                return total

            async def counted_three_times() -> bool:
                return await park_count() == 3

            await eventually(counted_three_times, timeout=30, what="Park Won-gon counted in 3 stories")
        finally:
            await redis.aclose()
    finally:
        worker.process.stop()


async def test_sigkill_mid_stream_every_article_once_after_dedup(settings, tmp_path):
    worker = Worker(settings, tmp_path)
    now = time.time()
    events = [event_for(synthetic_article(6000 + n, words=150), "local", now + n) for n in range(40)]
    worker.process.start()
    try:
        async def feed() -> None:  # a wire that keeps sending while the worker dies
            for event in events:
                await send(settings, [event])
                await asyncio.sleep(0.05)

        feeding = asyncio.create_task(feed())
        await enriched(settings, expect=5)  # the worker is mid-stream…
        worker.process.kill()  # …when it dies without a chance to commit or flush
        await feeding
        worker.process.start()
        wanted = {e.idempotency_key(Stage.ENRICHED) for e in events}
        async def all_enriched() -> dict[str, list[ArticleEvent]] | None:
            grouped = await enriched(settings, expect=len(wanted), timeout=10)
            return grouped if set(grouped) == wanted else None

        grouped = await eventually(all_enriched, timeout=180, interval=0, what="every article enriched")
        assert set(grouped) == wanted  # every article, and nothing else
        for key, copies in grouped.items():
            # a re-delivered article is the same output: same ninjs, same enrichment, same cluster
            assert all(c.article == copies[0].article for c in copies), key
            assert all(c.envelope.enrichment == copies[0].envelope.enrichment for c in copies), key
        dlq = await read_topic(settings.kafka_bootstrap, Topics.dlq(Topics(settings.topic_prefix).ingested),
                               expect=1, timeout=2)
        assert dlq == []
    finally:
        worker.process.stop()
