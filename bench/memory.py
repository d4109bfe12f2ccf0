"""The whole stack's resident memory: RSS summed over every process of the stack
(Kafka's JVM, redis-server, the gateway, every worker replica and any process
they fork), read at one instant, sampled in the background."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

import psutil

MIB = 1024 * 1024


def family(pid: int | None) -> list[psutil.Process]:
    """The process ``pid`` and all its descendants; [] for None (not started) or a
    process that is gone."""
    if pid is None:
        return []
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return []


def stack_rss_bytes(pids: Iterable[int | None]) -> tuple[int, int]:
    """(bytes, processes): RSS summed over the processes ``pids`` and all their
    descendants, each counted once. A process that is gone (or exits while being
    read) is skipped; None stands for a process not started."""
    seen: set[int] = set()
    total = 0
    for pid in pids:
        for process in family(pid):
            if process.pid in seen:
                continue
            try:
                total += process.memory_info().rss
                seen.add(process.pid)
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
    return total, len(seen)


class MemorySampler:
    """Samples :func:`stack_rss_bytes` of ``pids()`` (asked anew each time, so a
    replica started meanwhile counts) every ``interval`` seconds while running.

    ``with MemorySampler(pids) as memory: …`` then ``memory.peak_mib`` (the largest
    sum seen), ``memory.samples`` ((seconds since start, MiB) pairs) and
    ``memory.processes`` (how many processes the peak sample counted)."""

    def __init__(self, pids: Callable[[], Iterable[int | None]], interval: float = 0.5) -> None:
        self.pids = pids
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
        total, count = stack_rss_bytes(self.pids())
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
