"""Helpers for the tests of the enrichment worker (faust) as a real process on the
session's Kafka and Redis: the worker itself, article events as ingest emits them,
and its output read back from ``articles.enriched``."""
from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import orjson

from services.cli.stack.processes import REPO, ChildProcess
from shared.cloudevents import read_headers
from shared.codec import decode, encode
from shared.events import ArticleEvent, Envelope, article_id_for
from shared.formats.plaintext import parse_plaintext
from shared.topics import Topics
from shared.tracing import new_traceparent
from tests.kafka_helpers import produce, read_topic
from tests.waiting import eventually

EXAMPLE = (Path(__file__).parent / "fixtures" / "korea-daily-2024-12-18.txt").read_text(encoding="utf-8")


class Worker:
    """``python -m services.enrichment`` with this test's settings; logs to a file. As a
    ``with`` block it runs for the block (stopped with SIGTERM on the way out)."""

    def __init__(self, settings, tmp_path: Path) -> None:
        env = {
            "WIRE_KAFKA_BOOTSTRAP": settings.kafka_bootstrap, "WIRE_REDIS_URL": settings.redis_url,
            "WIRE_TOPIC_PREFIX": settings.topic_prefix, "WIRE_TOPIC_PARTITIONS": "2",
            "WIRE_DATA_DIR": str(tmp_path / "enrichment"), "WIRE_METRICS_PORT": "-1", "PYTHONUNBUFFERED": "1",
        }
        self.log = tmp_path / "enrichment.log"
        self.process = ChildProcess("enrichment", [sys.executable, "-m", "services.enrichment"], cwd=REPO,
                                    log_path=self.log, env=env)

    def __enter__(self) -> "Worker":
        self.process.start()
        return self

    def __exit__(self, *exc) -> None:
        self.process.stop()

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
