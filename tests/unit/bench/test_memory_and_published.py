"""The stack's memory sum and the read-model arithmetic of the e2e runs."""
from __future__ import annotations

import subprocess
import sys

import psutil
import pytest

from bench.e2e import ArticleNumbers, Published
from bench.memory import stack_rss_bytes


def test_stack_memory_sums_each_process_and_its_descendants_once():
    # a parent that starts a child which writes 64 MiB (so resident), then says "ready"
    script = ("import subprocess, sys; subprocess.run([sys.executable, '-c', "
              "\"import time; b = b'x' * (64 << 20); print('ready', flush=True); time.sleep(60)\"])")
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout.readline().strip() == "ready"
        total, counted = stack_rss_bytes([parent.pid])
        assert counted == 2
        assert total >= 64 << 20
        assert stack_rss_bytes([parent.pid, parent.pid, None])[1] == 2  # each once; None skipped
        child = psutil.Process(parent.pid).children()[0]
        assert stack_rss_bytes([child.pid])[1] == 1
    finally:
        for process in psutil.Process(parent.pid).children(recursive=True):
            process.kill()
        parent.kill()
        parent.wait()


def test_a_process_that_is_gone_counts_nothing():
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert stack_rss_bytes([gone.pid]) == (0, 0)


def test_published_latencies_and_rate():
    batch = Published(ids=["a", "b", "c", "d"], received=[100.0, 100.5, 101.0, 101.5],
                      published=[100.1, 100.7, 101.3, 102.0])
    assert batch.latencies_ms == pytest.approx([100.0, 200.0, 300.0, 500.0])
    assert batch.per_second == pytest.approx(4 / 2.0)
    assert batch.p(50) == pytest.approx(200.0)
    assert batch.p(99) == pytest.approx(500.0)


def test_article_numbers_are_never_handed_out_twice():
    numbers = ArticleNumbers(start=10)
    first, second = numbers.take(3), numbers.take(2)
    assert list(first) == [10, 11, 12] and list(second) == [13, 14]
