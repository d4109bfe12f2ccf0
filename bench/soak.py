"""The soak (``python -m bench --soak SECONDS``): a steady feed at half the
measured capacity for that long, the whole stack's memory sampled throughout.
Memory should be flat: its value at the end against the one at the start, and
the slope of a least-squares line through every sample."""
from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import psutil

from bench.e2e import ArticleNumbers, open_loop
from bench.memory import MemorySampler
from bench.stats import slope_per_minute

CHUNK_S = 60.0  # fed and drained a minute at a time, so a run can be followed
QUIET_STEAL = 0.05  # a minute whose host steal time stays under this share is "quiet"


def host_cpu() -> tuple[float, float]:
    """(steal, total) CPU seconds of the whole machine since boot. Steal is time the
    hypervisor gave this machine's virtual CPUs to others: on a shared host it
    comes in bursts, and a minute with a third of it stolen is not the pipeline's."""
    times = psutil.cpu_times()
    steal = getattr(times, "steal", 0.0)
    # guest time is already counted in user time on Linux
    total = sum(getattr(times, name, 0.0) for name in ("user", "nice", "system", "idle", "iowait", "irq",
                                                       "softirq")) + steal
    return steal, total


def steal_share(before: tuple[float, float], after: tuple[float, float]) -> float:
    """The share of the machine's CPU time stolen between two :func:`host_cpu` readings."""
    total = after[1] - before[1]
    return (after[0] - before[0]) / total if total > 0 else 0.0


@dataclass
class Soak:
    seconds: float
    rate: float
    start_mib: float  # largest sum of RSS within the first chunk
    end_mib: float  # largest sum of RSS within the last chunk
    slope_mib_per_min: float
    worst_p99_ms: float
    worst_steal: float  # host steal time's share in the minute with the worst p99
    minutes: int
    quiet_minutes: int  # minutes with steal under QUIET_STEAL
    worst_quiet_p99_ms: float | None  # the worst p99 among those (None: no quiet minute)


def soak(url: str, redis_url: str, *, seconds: float, rate: float, seed: int, numbers: ArticleNumbers,
         pids: Callable[[], Iterable[int | None]]) -> Soak:
    """Feed ``rate`` articles/s for ``seconds``, sampling the memory of ``pids()``."""
    with MemorySampler(pids, interval=1.0) as memory:
        fed, first_end = 0.0, None
        minutes: list[tuple[float, float]] = []  # (p99 ms, steal share) of each chunk
        while fed < seconds:
            span = min(CHUNK_S, seconds - fed)
            before = host_cpu()
            result = open_loop(url, redis_url, numbers.take(max(1, round(rate * span))), seed=seed, rate=rate)
            minutes.append((result.p(99), steal_share(before, host_cpu())))
            fed += span
            first_end = first_end or memory.samples[-1][0]
            print(f"bench: soak {fed:.0f}/{seconds:.0f} s, stack RSS {memory.samples[-1][1]:.0f} MiB, "
                  f"p99 {result.p(99):.0f} ms, host steal {100 * minutes[-1][1]:.0f} %", file=sys.stderr, flush=True)
    last_start = memory.samples[-1][0] - CHUNK_S
    worst = max(minutes)
    quiet = [p99 for p99, steal in minutes if steal < QUIET_STEAL]
    return Soak(seconds=seconds, rate=rate,
                start_mib=max(mib for t, mib in memory.samples if t <= first_end),
                end_mib=max(mib for t, mib in memory.samples if t >= last_start),
                slope_mib_per_min=slope_per_minute(memory.samples), worst_p99_ms=worst[0], worst_steal=worst[1],
                minutes=len(minutes), quiet_minutes=len(quiet), worst_quiet_p99_ms=max(quiet) if quiet else None)
