"""The soak (``python -m bench --soak SECONDS``): a steady feed at half the
measured capacity for that long, the whole stack's memory sampled throughout.
Memory should be flat: its value at the end against the one at the start, and
the slope of a least-squares line through every sample."""
from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bench.e2e import ArticleNumbers, open_loop
from bench.memory import MemorySampler
from bench.stats import slope_per_minute

CHUNK_S = 60.0  # fed and drained a minute at a time, so a run can be followed


@dataclass
class Soak:
    seconds: float
    rate: float
    start_mib: float  # largest sum of RSS within the first chunk
    end_mib: float  # largest sum of RSS within the last chunk
    slope_mib_per_min: float
    worst_p99_ms: float


def soak(url: str, redis_url: str, *, seconds: float, rate: float, seed: int, numbers: ArticleNumbers,
         pids: Callable[[], Iterable[int | None]]) -> Soak:
    """Feed ``rate`` articles/s for ``seconds``, sampling the memory of ``pids()``."""
    with MemorySampler(pids, interval=1.0) as memory:
        fed, first_end, worst = 0.0, None, 0.0
        while fed < seconds:
            span = min(CHUNK_S, seconds - fed)
            result = open_loop(url, redis_url, numbers.take(max(1, round(rate * span))), seed=seed, rate=rate)
            fed += span
            worst = max(worst, result.p(99))
            first_end = first_end or memory.samples[-1][0]
            print(f"bench: soak {fed:.0f}/{seconds:.0f} s, stack RSS {memory.samples[-1][1]:.0f} MiB, "
                  f"p99 {result.p(99):.0f} ms", file=sys.stderr, flush=True)
    last_start = memory.samples[-1][0] - CHUNK_S
    return Soak(seconds=seconds, rate=rate,
                start_mib=max(mib for t, mib in memory.samples if t <= first_end),
                end_mib=max(mib for t, mib in memory.samples if t >= last_start),
                slope_mib_per_min=slope_per_minute(memory.samples), worst_p99_ms=worst)
