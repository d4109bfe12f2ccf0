"""Latency under a steady feed, and the knee: the lowest offered rate at which
p99 received→published passes 1 s.

Each step feeds articles at one fixed rate (an open loop) for a few seconds, then
waits until all of them are published (so the next step starts on an empty
pipeline). The rates climb a ladder of fractions of the measured capacity and,
once a rate passes 1 s, are bisected a bounded number of times
(:func:`bench.stats.next_rate`)."""
from __future__ import annotations

import sys
from dataclasses import dataclass

from bench.e2e import ArticleNumbers, open_loop
from bench.stats import next_rate

KNEE_MS = 1000.0


@dataclass
class Step:
    rate: float  # articles/s offered
    articles: int
    p50_ms: float
    p99_ms: float


def articles_for(rate: float, seconds: float) -> int:
    return max(10, round(rate * seconds))


def steps(url: str, redis_url: str, *, capacity: float, fractions: list[float], seconds: float,
          refinements: int, seed: int, numbers: ArticleNumbers) -> list[Step]:
    """Steps at ``fractions`` × ``capacity`` until p99 passes :data:`KNEE_MS`, then
    up to ``refinements`` bisections, each fed fresh articles from ``numbers``."""
    ladder = [round(capacity * f, 2) for f in fractions]
    done: list[Step] = []
    while (rate := next_rate([(s.rate, s.p99_ms) for s in done], ladder, threshold_ms=KNEE_MS,
                             refinements=refinements)) is not None:
        count = articles_for(rate, seconds)
        result = open_loop(url, redis_url, numbers.take(count), seed=seed, rate=rate,
                           timeout=max(300.0, 5 * count / capacity))
        done.append(Step(rate=rate, articles=count, p50_ms=result.p(50), p99_ms=result.p(99)))
        print(f"bench: {rate:.1f} articles/s for {count / rate:.0f} s → p50 {done[-1].p50_ms:.0f} ms, "
              f"p99 {done[-1].p99_ms:.0f} ms", file=sys.stderr, flush=True)
    return done
