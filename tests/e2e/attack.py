"""Run an attack against a running gateway while checking what the issue asks of
every attack: ``/healthz`` answers within 1 s throughout, a normal POST of the example
article gets 202 and is published, no service restarts, and no gateway process
(the parse workers included) grows by more than 100 MB resident."""
from __future__ import annotations

import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import httpx
import psutil

from services.cli.stack.processes import REPO, ChildProcess, wait_until
from tests.e2e.client import AUTH, wait_published

T = TypeVar("T")
MB = 1024 * 1024


def _gateway_processes(pid: int) -> list[psutil.Process]:
    gateway = psutil.Process(pid)
    return [gateway, *gateway.children(recursive=True)]


def under_attack(pipeline, example_article: bytes, attack: Callable[[], T], *, gateway_url: str | None = None,
                 gateway_pid: int | None = None, post_from: str | None = None, worker_growth_mb: int = 100) -> T:
    """``attack()``'s result, after checking the gateway stayed healthy while it ran.
    A parse worker started during the attack (replacing one killed over its time
    budget) is measured against the largest warm worker at the start: its own
    start-up (imports, models) is no growth.

    ``post_from`` binds the normal POST to another loopback address (an attack that
    throttles its own address must not throttle everyone). ``worker_growth_mb``: what
    a parse worker may grow by, for an attack whose payloads are parsed there (the
    gateway's own process is always held to 100 MB)."""
    url = gateway_url or pipeline.gateway_url
    pid = gateway_pid or pipeline.processes["gateway"].pid
    pids = {name: p.pid for name, p in pipeline.processes.items()}
    transport = httpx.HTTPTransport(local_address=post_from) if post_from else None
    with ThreadPoolExecutor(1) as pool, httpx.Client(transport=transport, timeout=30) as normal:
        # A warm gateway first (parse workers started and their models loaded), so
        # what is measured is what the attack costs.
        warm = normal.post(f"{url}/v1/articles", content=example_article,
                           headers={**AUTH, "Content-Type": "text/plain; charset=utf-8"})
        assert warm.status_code == 202, warm.text
        baseline = {p.pid: p.memory_info().rss for p in _gateway_processes(pid)}
        warm_worker = max((rss for p, rss in baseline.items() if p != pid), default=0)
        peak: dict[int, int] = dict(baseline)
        running = pool.submit(attack)
        posted = None
        while True:
            # the acceptance bound: a /healthz slower than 1 s raises here
            assert httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200
            if posted is None:
                posted = normal.post(f"{url}/v1/articles", content=example_article,
                                     headers={**AUTH, "Content-Type": "text/plain; charset=utf-8"})
                assert posted.status_code == 202, posted.text
            for process in _gateway_processes(pid):
                try:
                    rss = process.memory_info().rss
                except psutil.NoSuchProcess:
                    continue
                baseline.setdefault(process.pid, warm_worker)
                peak[process.pid] = max(peak.get(process.pid, 0), rss)
            if running.done():
                break
            time.sleep(0.05)
        result = running.result()
    grown = {p: (peak[p] - baseline[p]) // MB for p in peak}
    assert grown[pid] < 100 and max(grown.values()) < max(100, worker_growth_mb), \
        f"resident memory grew by {grown} MB (the gateway is {pid})"
    assert {name: p.pid for name, p in pipeline.processes.items()} == pids
    assert all(p.alive() for p in pipeline.processes.values()), "a service died"
    wait_published(url, posted.json()["id"])
    return result


@contextmanager
def service(name: str, module: str, tmp_path, env: dict[str, str], *, wait_ready: bool = True):
    process = ChildProcess(name, [sys.executable, "-m", module], cwd=REPO, log_path=tmp_path / f"{name}.log",
                           env={"PYTHONUNBUFFERED": "1", "WIRE_METRICS_PORT": "-1", **env})
    process.start()
    try:
        if wait_ready:
            url = f"http://127.0.0.1:{env['WIRE_PORT']}"
            wait_until(lambda: _answers(f"{url}/readyz"), timeout=60, what=f"waiting for {name}", process=process)
        yield process
    finally:
        process.stop()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
