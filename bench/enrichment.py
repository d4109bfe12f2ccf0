"""Enrichment throughput on one core, without Kafka: what one worker can do at most.

``bench_enrichment(n)`` reads ``n`` synthetic 600-word articles (the ones ``wire
bench`` pushes) through everything the worker does per article: the language
models and rules (:func:`findings.read_article`), writing ninjs fields and the
envelope, and the MinHash/LSH cluster assignment. The process is pinned to one
CPU while it runs. ``python -m bench.enrichment 200`` prints the result;
:mod:`bench.ner_bound` runs it once per core at the same time (the two-core bound).
"""
from __future__ import annotations

import gc
import os
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime, timezone

from services.cli.synthetic import synthetic_article
from services.enrichment.annotations import envelope_enrichment, write_ninjs
from services.enrichment.findings import read_article
from services.enrichment.clustering import story_text
from services.enrichment.nlp.clusters import StoryIndex, bucket_keys, signature
from services.enrichment.nlp.model import english
from services.enrichment.nlp.text import word_count
from shared.formats.plaintext import parse_plaintext


@contextmanager
def one_core(cpu: int | None = None):
    """Pin this process to ``cpu`` (default: the lowest allowed) on Linux,
    restoring the mask afterwards."""
    if not hasattr(os, "sched_setaffinity"):
        yield None
        return
    before = os.sched_getaffinity(0)
    cpu = min(before) if cpu is None else cpu
    os.sched_setaffinity(0, {cpu})
    try:
        yield cpu
    finally:
        os.sched_setaffinity(0, before)


def bench_enrichment(n: int = 200, *, words: int = 600, seed: int = 7, first: int = 10_000,
                     cpu: int | None = None, before_timing: Callable[[], None] | None = None) -> dict:
    """Enrich ``n`` synthetic articles of about ``words`` words (numbers ``first``…,
    generator ``seed``: pass the pipeline's to read the very articles it gets) on
    one core (``cpu``, default the lowest allowed).

    ``before_timing`` is called once the model is loaded, just before the clock
    starts (processes run side by side wait on a barrier there). Returns
    articles/s and words/s (wall clock), CPU seconds, and per-article latency
    percentiles in milliseconds."""
    articles = [parse_plaintext(synthetic_article(first + i, words=words, seed=seed), provider="bench")
                for i in range(n)]
    received = datetime.now(timezone.utc)
    index = StoryIndex({}, {}, horizon_s=7 * 86400)
    english()  # model loading is start-up cost, not throughput
    read_article(articles[0].model_copy(deep=True), received_at=received)
    gc.freeze()  # as the enrichment worker does once its models are loaded (services/enrichment/__main__.py)
    total_words = sum(word_count(a.body_text) for a in articles)
    latencies = []
    with one_core(cpu) as cpu:
        if before_timing is not None:
            before_timing()
        cpu_started, started = time.process_time(), time.perf_counter()
        for article in articles:
            t0 = time.perf_counter()
            findings = read_article(article, received_at=received)
            write_ninjs(findings, article)
            envelope_enrichment(findings)
            index.assign(article.uri, bucket_keys(signature(story_text(article))), received.timestamp())
            latencies.append((time.perf_counter() - t0) * 1000)
        wall, cpu_s = time.perf_counter() - started, time.process_time() - cpu_started
    latencies.sort()
    return {
        "articles": n,
        "words": total_words,
        "cpu": cpu,
        "seconds": round(wall, 3),
        "cpu_seconds": round(cpu_s, 3),
        "articles_per_s": round(n / wall, 1),
        "words_per_s": round(total_words / wall),
        "ms_p50": round(statistics.median(latencies), 1),
        "ms_p95": round(latencies[int(0.95 * (len(latencies) - 1))], 1),
    }


if __name__ == "__main__":
    print(bench_enrichment(int(sys.argv[1]) if len(sys.argv) > 1 else 200))
