"""``python -m bench --profile DIR``: py-spy profiles of the two hottest pipeline
processes while the throughput run is under way.

After a few seconds of load the CPU each process used over a short window picks
the two hottest; ``py-spy record --format raw`` samples each of them (collapsed
stacks, one ``frame;frame;… count`` line each: speedscope and flamegraph.pl read
them) into ``DIR/<process>.txt``, and the frames where they spent most of their
own time are printed."""
from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import psutil


def top_frames(collapsed: Iterable[str], n: int = 8) -> list[tuple[str, float]]:
    """The ``n`` frames with the most samples at the top of the stack (self time),
    with their share of all samples, from collapsed-stack lines."""
    own: Counter[str] = Counter()
    for line in collapsed:
        stack, _, count = line.rstrip().rpartition(" ")
        if stack and count.isdigit():
            own[stack.rsplit(";", 1)[-1]] += int(count)
    total = sum(own.values())
    return [(frame, samples / total) for frame, samples in own.most_common(n)] if total else []


def hottest(pids: dict[str, int], window: float = 3.0, count: int = 2) -> list[tuple[str, int]]:
    """The ``count`` processes of ``pids`` (name → pid) that used the most CPU over
    ``window`` seconds."""
    processes = {}
    for name, pid in pids.items():
        try:
            processes[name] = psutil.Process(pid)
            processes[name].cpu_percent(None)  # starts its window
        except psutil.Error:
            continue
    time.sleep(window)
    used = {}
    for name, process in processes.items():
        try:
            used[name] = process.cpu_percent(None)
        except psutil.Error:
            continue
    return [(name, pids[name]) for name in sorted(used, key=used.get, reverse=True)[:count]]


class HottestProfiles(threading.Thread):
    """Started when the load starts; ``join()`` when it ends."""

    def __init__(self, pids: dict[str, int], out_dir: Path, *, delay: float = 5.0, seconds: int = 20) -> None:
        super().__init__(name="profiles", daemon=True)
        self.pids, self.out_dir, self.delay, self.seconds = pids, out_dir, delay, seconds
        self.written: list[Path] = []

    def run(self) -> None:
        py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        if not Path(py_spy).exists():
            print("bench: profiles skipped: py-spy is not installed (the dev extra)", file=sys.stderr)
            return
        time.sleep(self.delay)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        recorders = []
        for name, pid in hottest(self.pids):
            path = self.out_dir / f"{name}.txt"
            # --subprocesses: a service's own workers (ingest's parse pool) count as its time
            command = [py_spy, "record", "--pid", str(pid), "--duration", str(self.seconds), "--format", "raw",
                       "--output", str(path), "--nonblocking", "--subprocesses"]
            recorders.append((name, path, subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                                           stderr=subprocess.PIPE)))
        for name, path, recorder in recorders:
            _, err = recorder.communicate()
            if not path.exists():
                print(f"bench: no profile of {name}: {err.decode(errors='replace')[-500:]}", file=sys.stderr)
                continue
            self.written.append(path)
            frames = top_frames(path.read_text().splitlines())
            print(f"bench: profile of {name} ({path}), most self time:", file=sys.stderr)
            for frame, share in frames:
                print(f"bench:   {share:6.1%}  {frame}", file=sys.stderr)
