"""The soak (``python -m bench --soak SECONDS``): a steady feed at half the
measured capacity for that long, the whole stack's memory sampled throughout.
Memory should be flat: its value at the end against the one at the start, and
the slope of a least-squares line through every sample."""
from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import psutil

from bench.e2e import ArticleNumbers, open_loop
from bench.memory import MemorySampler, rss_by_process
from bench.processes import cpu_by_process
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
    start_mib: float  # largest resident sum (bench.memory) within the first chunk
    end_mib: float  # largest resident sum within the last chunk
    slope_mib_per_min: float
    worst_p99_ms: float
    worst_steal: float  # host steal time's share in the minute with the worst p99
    minutes: int
    quiet_minutes: int  # minutes with steal under QUIET_STEAL
    worst_quiet_p99_ms: float | None  # the worst p99 among those (None: no quiet minute)
    by_process: dict[str, tuple[float, float]]  # name → (MiB after the first chunk, MiB at the end)
    cpu_by_minute: list[dict[str, float]]  # each chunk's CPU by process, in cores
    worst_minute: int  # the index of the chunk with the worst p99

    def worst_minute_cpu(self) -> tuple[str, float, float]:
        """(name, cores it used in the worst minute, its median over every minute) of the
        process furthest above its usual CPU in the worst minute: what ran then."""
        worst = self.cpu_by_minute[self.worst_minute]
        usual = {name: statistics.median(m.get(name, 0.0) for m in self.cpu_by_minute) for name in worst}
        name = max(worst, key=lambda n: worst[n] - usual[n])
        return name, worst[name], usual[name]

    def grew_most(self) -> tuple[str, float]:
        """The process whose memory grew most between the two readings, and by how much (MiB)."""
        name = max(self.by_process, key=lambda n: self.by_process[n][1] - self.by_process[n][0])
        return name, self.by_process[name][1] - self.by_process[name][0]


def soak(url: str, redis_url: str, *, seconds: float, rate: float, seed: int, numbers: ArticleNumbers,
         processes: Callable[[], Mapping[str, int | None]]) -> Soak:
    """Feed ``rate`` articles/s for ``seconds``, sampling the memory of ``processes()``
    (name → pid: the sum every second, and each one after the first minute and at the end)."""
    with MemorySampler(lambda: processes().values(), interval=1.0) as memory:
        fed, first_end, first_by_process = 0.0, None, None
        minutes: list[tuple[float, float]] = []  # (p99 ms, steal share) of each chunk
        cpu: list[dict[str, float]] = []  # each chunk's CPU by process, in cores (chunks differ in length)
        while fed < seconds:
            span = min(CHUNK_S, seconds - fed)
            pids = processes()
            before, used, started = host_cpu(), cpu_by_process(pids), time.monotonic()
            result = open_loop(url, redis_url, numbers.take(max(1, round(rate * span))), seed=seed, rate=rate)
            minutes.append((result.p(99), steal_share(before, host_cpu())))
            wall = time.monotonic() - started
            cpu.append({name: (now - used[name]) / wall for name, now in cpu_by_process(pids).items()})
            fed += span
            first_end = first_end or memory.samples[-1][0]
            first_by_process = first_by_process or rss_by_process(processes())
            print(f"bench: soak {fed:.0f}/{seconds:.0f} s, stack memory {memory.samples[-1][1]:.0f} MiB, "
                  f"p99 {result.p(99):.0f} ms, host steal {100 * minutes[-1][1]:.0f} %, cores "
                  + ", ".join(f"{name} {cpu[-1][name]:.2f}" for name in sorted(cpu[-1], key=cpu[-1].get, reverse=True)),
                  file=sys.stderr, flush=True)
        end_by_process = rss_by_process(processes())
    last_start = memory.samples[-1][0] - CHUNK_S
    worst = max(minutes)
    worst_minute = minutes.index(worst)
    quiet = [p99 for p99, steal in minutes if steal < QUIET_STEAL]
    return Soak(seconds=seconds, rate=rate,
                start_mib=max(mib for t, mib in memory.samples if t <= first_end),
                end_mib=max(mib for t, mib in memory.samples if t >= last_start),
                slope_mib_per_min=slope_per_minute(memory.samples), worst_p99_ms=worst[0], worst_steal=worst[1],
                minutes=len(minutes), quiet_minutes=len(quiet), worst_quiet_p99_ms=max(quiet) if quiet else None,
                by_process={name: (first_by_process.get(name, 0.0), mib) for name, mib in end_by_process.items()},
                cpu_by_minute=cpu, worst_minute=worst_minute)
