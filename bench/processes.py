"""The stack's processes as the bench reads them: the process tree, read once per
reading (not once per root: the bench runs beside the pipeline it measures), and the
CPU a process and its descendants used. Kept apart from the benches that start the
language models, so the soak and the memory sampler import no models."""
from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping

import psutil


def children_map() -> dict[int, list[int]]:
    """Parent pid → its children's pids, from one pass over every process (straight
    from /proc where there is one: a third of the time psutil takes)."""
    children: dict[int, list[int]] = {}
    try:
        entries = [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        for process in psutil.process_iter(["ppid"]):
            children.setdefault(process.info["ppid"], []).append(process.pid)
        return children
    for pid in entries:
        try:
            with open(f"/proc/{pid}/stat", "rb") as stat:
                raw = stat.read()
        except OSError:  # gone meanwhile
            continue
        children.setdefault(int(raw[raw.rindex(b")") + 2:].split(maxsplit=2)[1]), []).append(pid)
    return children


def tree(pids: Iterable[int | None], children: dict[int, list[int]]) -> Iterator[tuple[int, int | None]]:
    """(pid, its parent's pid or None for a root) of ``pids`` and all their
    descendants in ``children``, each once; None stands for a process not started."""
    seen: set[int] = set()
    todo: list[tuple[int, int | None]] = [(pid, None) for pid in pids if pid is not None]
    while todo:
        pid, parent = todo.pop()
        if pid not in seen:
            seen.add(pid)
            todo.extend((child, pid) for child in children.get(pid, ()))
            yield pid, parent


def cpu_seconds(pid: int | None, children: dict[int, list[int]] | None = None) -> float:
    """User + system CPU seconds of the process ``pid`` and its descendants, the ones
    that have exited too (their time is in their parent's ``children_*`` once reaped,
    e.g. a recycled parse worker); 0 for a process that is gone."""
    total = 0.0
    for one, _ in tree([pid], children_map() if children is None else children):
        try:
            times = psutil.Process(one).cpu_times()
        except psutil.Error:  # exited meanwhile: its parent counts it once reaped
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


def cpu_by_process(processes: Mapping[str, int | None]) -> dict[str, float]:
    children = children_map()
    return {name: cpu_seconds(pid, children) for name, pid in processes.items()}
