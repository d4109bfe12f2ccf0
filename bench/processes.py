"""The stack's processes as the bench reads them: a process with its descendants,
and the CPU they used. Kept apart from the benches that start the language models,
so the soak and the memory sampler import no models."""
from __future__ import annotations

from collections.abc import Mapping

import psutil


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


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds of the process ``pid`` and its descendants, the ones
    that have exited too (their time is in their parent's ``children_*`` once reaped,
    e.g. a recycled parse worker); 0 for a process that is gone."""
    total = 0.0
    for one in family(pid):
        try:
            times = one.cpu_times()
        except psutil.Error:  # exited meanwhile: its parent counts it once reaped
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


def cpu_by_process(processes: Mapping[str, int | None]) -> dict[str, float]:
    return {name: cpu_seconds(pid) for name, pid in processes.items()}
