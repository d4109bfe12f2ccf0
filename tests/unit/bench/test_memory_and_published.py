"""The stack's memory sum and the read-model arithmetic of the e2e runs."""
from __future__ import annotations

import subprocess
import sys

import psutil
import pytest

from bench.e2e import ArticleNumbers, Published
from bench.memory import _layout, rss_by_process, stack_rss_bytes
from bench.soak import Soak


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
        assert _layout(child.pid) is not None and _layout(child.pid) != _layout(parent.pid)  # exec'd: not a fork
    finally:
        for process in psutil.Process(parent.pid).children(recursive=True):
            process.kill()
        parent.kill()
        parent.wait()


_FORKING = """
import os, sys, time
held = bytearray(96 << 20)  # the parent's own 96 MiB, resident
for i in range(0, len(held), 4096):
    held[i] = 1
child = os.fork()
if child == 0:
    if sys.argv[1] == "writes":  # the child touches 64 MiB of its own
        mine = bytearray(64 << 20)
        for i in range(0, len(mine), 4096):
            mine[i] = 1
    print("ready", flush=True)
    time.sleep(60)
    os._exit(0)
time.sleep(60)
"""


@pytest.mark.parametrize("child_writes", [False, True])
def test_a_forked_child_counts_only_the_pages_it_does_not_share_with_its_parent(child_writes):
    # Redis's AOF rewrite is such a child: it shares every page of its parent until
    # one is written, so counting its RSS counted Redis twice while a rewrite ran.
    parent = subprocess.Popen([sys.executable, "-c", _FORKING, "writes" if child_writes else "reads"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout.readline().strip() == "ready"
        child = psutil.Process(parent.pid).children()[0]
        assert child.memory_info().rss >= 96 << 20  # what summing RSS would have counted again
        total, counted = stack_rss_bytes([parent.pid])
        assert counted == 2
        own = psutil.Process(parent.pid).memory_info().rss
        if child_writes:
            assert own + (60 << 20) <= total <= own + (96 << 20)
        else:
            assert own <= total <= own + (16 << 20)
    finally:
        for process in psutil.Process(parent.pid).children(recursive=True):
            process.kill()
        parent.kill()
        parent.wait()


def test_memory_by_process_counts_each_named_process_with_its_children():
    script = ("import subprocess, sys; subprocess.run([sys.executable, '-c', "
              "\"import time; b = b'x' * (64 << 20); print('ready', flush=True); time.sleep(60)\"])")
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    alone = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert parent.stdout.readline().strip() == "ready"
        mib = rss_by_process({"parent": parent.pid, "alone": alone.pid, "not started": None})
        assert mib["parent"] >= 64 and mib["alone"] < 64 and mib["not started"] == 0
    finally:
        for process in psutil.Process(parent.pid).children(recursive=True):
            process.kill()
        for process in (parent, alone):
            process.kill()
            process.wait()


def test_the_soak_names_the_process_that_grew_most_and_the_one_busiest_in_its_worst_minute():
    result = Soak(seconds=60, rate=1, start_mib=0, end_mib=0, slope_mib_per_min=0, worst_p99_ms=0, worst_steal=0,
                  minutes=3, quiet_minutes=3, worst_quiet_p99_ms=0,
                  by_process={"kafka": (500.0, 520.0), "redis": (80.0, 150.0), "gateway": (90.0, 60.0)},
                cpu_by_minute=[{"kafka": 0.85, "redis": 0.10}, {"kafka": 0.90, "redis": 0.30},
                               {"kafka": 0.88, "redis": 0.10}],
                worst_minute=1)
    assert result.grew_most() == ("redis", 70.0)
    # kafka was the busiest in the worst minute, but as busy as usual; redis used three times its usual
    assert result.worst_minute_cpu() == ("redis", 0.30, 0.10)


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
