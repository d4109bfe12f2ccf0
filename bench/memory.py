"""The whole stack's resident memory: RSS summed over every process of the stack
(Kafka's JVM, redis-server, the gateway, every worker replica and any process
they start), read at one instant, sampled in the background. A child forked
without exec (Redis's AOF rewrite) shares its parent's pages until either writes
one: it counts only the pages no other process maps (USS), not its parent's again."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping

import psutil

from bench.processes import children_map, tree

MIB = 1024 * 1024


def _layout(pid: int) -> tuple[bytes, ...] | None:
    """Where the process's code, stack and heap start (/proc/PID/stat fields 26, 28
    and 47). A child forked without exec inherits them; an exec'd one gets new ones,
    randomised (Linux's default address-space randomisation). None where they cannot
    be read: no /proc, or the kernel hides them (it shows 0 or 1 then)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            raw = stat.read()
    except OSError:
        return None
    fields = raw[raw.rindex(b")") + 2:].split()  # after "pid (comm) ": fields[0] is field 3
    layout = fields[23], fields[25], fields[44]
    return None if layout[0] in (b"0", b"1") or layout[1] == b"0" else layout


def _resident(process: psutil.Process, parent: int | None) -> int:
    """The bytes ``process`` adds to the stack: its RSS; for a child forked without
    exec (Redis's AOF rewrite, say), only the pages no other process maps (USS): the
    rest it shares with ``parent``, which counts them already."""
    if parent is not None and (layout := _layout(process.pid)) is not None and layout == _layout(parent):
        try:
            return process.memory_full_info().uss
        except psutil.AccessDenied:  # its pages cannot be told apart: count them all
            pass
    return process.memory_info().rss


def stack_rss_bytes(pids: Iterable[int | None], children: dict[int, list[int]] | None = None) -> tuple[int, int]:
    """(bytes, processes): resident memory summed over the processes ``pids`` and all
    their descendants, each counted once: RSS, except for a child forked without
    exec, which counts its own pages only (:func:`_resident`). A process that is
    gone (or exits while being read) is skipped; None stands for a process not
    started. The process table is read once per call (or passed as ``children``),
    not once per root: the sampler runs beside the pipeline it measures."""
    total = counted = 0
    for pid, parent in tree(pids, children_map() if children is None else children):
        try:
            total += _resident(psutil.Process(pid), parent)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue  # its children still count
        counted += 1
    return total, counted


def rss_by_process(processes: Mapping[str, int | None]) -> dict[str, float]:
    """Name → MiB of each of ``processes`` (name → pid) with its descendants, as
    :func:`stack_rss_bytes` counts them."""
    children = children_map()
    return {name: stack_rss_bytes([pid], children)[0] / MIB for name, pid in processes.items()}


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
