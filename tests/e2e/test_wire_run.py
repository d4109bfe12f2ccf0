"""`wire run` (what `make run` starts) as a user runs it: start, push, Ctrl-C, start again."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import httpx
import psutil
import pytest

from services.cli.stack.processes import REPO, free_port
from tests.e2e.client import ADMIN, submit, wait_published
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e


def start_wire_run(env: dict[str, str], log) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "services.cli", "run"], cwd=REPO, env=env,
                            stdout=log, stderr=subprocess.STDOUT)


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    def ready() -> bool:
        assert proc.poll() is None, "wire run exited before it was ready"
        try:
            return httpx.get(f"{url}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(ready, timeout=timeout, interval=0.3, what="wire run to be ready")


def interrupt_and_check_nothing_left(proc: subprocess.Popen) -> None:
    children = psutil.Process(proc.pid).children(recursive=True)
    assert len(children) >= 7  # redis, kafka, 4 workers, gateway
    proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
    assert proc.wait(timeout=90) == 0
    gone, alive = psutil.wait_procs(children, timeout=10)
    assert alive == [], f"left behind: {[p.pid for p in alive]}"


def test_item_survives_ctrl_c_and_a_second_run(tmp_path, example_article):
    port = free_port()
    env = {**os.environ, "WIRE_HOME": str(tmp_path / "wire"), "WIRE_PORT": str(port),
           "WIRE_KAFKA_PORT": str(free_port()), "WIRE_KAFKA_CONTROLLER_PORT": str(free_port()),
           "WIRE_REDIS_PORT": str(free_port()), "WIRE_KAFKA_HEAP": "512m"}
    url = f"http://127.0.0.1:{port}"
    with open(tmp_path / "wire-run.log", "ab") as log:
        first = start_wire_run(env, log)
        try:
            wait_ready(url, first)
            answer = submit(url, example_article)
            assert answer.status_code == 202
            article_id = answer.json()["id"]
            published = wait_published(url, article_id, timeout=120)  # a fresh stack: models load first
        finally:
            interrupt_and_check_nothing_left(first)

        second = start_wire_run(env, log)
        try:
            wait_ready(url, second)
            again = httpx.get(f"{url}/v1/articles/{article_id}", timeout=5, headers=ADMIN)
            assert again.status_code == 200
            assert again.json() == published
        finally:
            interrupt_and_check_nothing_left(second)
