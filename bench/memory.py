"""The whole stack's resident memory: RSS summed over every process the bench
started (Kafka's JVM, redis-server, the gateway, every worker replica and any
process they fork), read at one instant, sampled in the background."""
from __future__ import annotations

import threading
import time

import psutil

MIB = 1024 * 1024


def stack_rss_bytes(root: psutil.Process | None = None) -> tuple[int, int]:
    """(bytes, processes): RSS summed over every descendant of ``root`` (default:
    this process, which is not counted: it is the load generator). A process
    that exits while being read is skipped."""
    root = root or psutil.Process()
    total = count = 0
    for child in root.children(recursive=True):
        try:
            total += child.memory_info().rss
            count += 1
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return total, count


class MemorySampler:
    """Samples :func:`stack_rss_bytes` every ``interval`` seconds while running.

    ``with MemorySampler() as memory: …`` then ``memory.peak_mib`` (the largest
    sum seen), ``memory.samples`` ((seconds since start, MiB) pairs) and
    ``memory.processes`` (how many processes the peak sample counted)."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self.samples: list[tuple[float, float]] = []
        self.processes = 0
        self._peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="memory-sampler", daemon=True)
        self._started = time.monotonic()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self) -> float:
        total, count = stack_rss_bytes()
        if total > self._peak:
            self._peak, self.processes = total, count
        mib = total / MIB
        self.samples.append((time.monotonic() - self._started, mib))
        return mib

    @property
    def peak_mib(self) -> float:
        return self._peak / MIB

    def __enter__(self) -> MemorySampler:
        self._started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
