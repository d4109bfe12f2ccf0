"""The pipeline's capacity read against the NER bound measured on either side of it."""
from __future__ import annotations

import subprocess
import sys

from bench.__main__ import cpu_row
from bench.e2e import Published
from bench.paired import Bound, Paired, Round
from bench.processes import cpu_seconds


def published(articles: int, seconds: float) -> Published:
    """``articles`` received at 0 and published evenly until ``seconds``."""
    return Published(ids=[f"a{i}" for i in range(articles)], received=[0.0] * articles,
                     published=[seconds * (i + 1) / articles for i in range(articles)])


def bound(rate: float) -> Bound:
    return Bound(articles_per_s=rate, processes=2, idle_stack_cores=0.01)


def test_each_round_is_read_against_the_bounds_on_either_side_and_the_median_round_is_the_figure():
    b0, b1, b2, b3 = bound(14.0), bound(26.0), bound(22.0), bound(18.0)
    slow_host = Round(published(200, 20.0), before=b0, after=b1, cpu_s={})   # 10/s against 20 → 0.50
    fast_host = Round(published(200, 10.0), before=b1, after=b2, cpu_s={})   # 20/s against 24 → 0.83
    middle = Round(published(200, 12.5), before=b2, after=b3, cpu_s={})      # 16/s against 20 → 0.80
    paired = Paired([slow_host, fast_host, middle])
    assert [round(r.ratio, 2) for r in paired.rounds] == [0.5, 0.83, 0.8]
    assert paired.median is middle
    assert paired.bounds == [b0, b1, b2, b3]
    # the ladder's capacity: every round's articles over every round's seconds, not a mean of rates
    assert paired.capacity == 600 / 42.5
    assert paired.ids[:2] == ["a0", "a1"] and len(paired.ids) == 600


def test_the_median_round_is_chosen_by_its_ratio_not_its_rate():
    # the fastest round ran on the fastest host: by rate it would be the middle one
    quick_host = Round(published(100, 5.0), before=bound(40.0), after=bound(40.0), cpu_s={})    # 20/s → 0.50
    steady = Round(published(100, 6.25), before=bound(20.0), after=bound(20.0), cpu_s={})      # 16/s → 0.80
    slow_host = Round(published(100, 12.5), before=bound(9.0), after=bound(9.0), cpu_s={})     # 8/s → 0.89
    assert Paired([quick_host, steady, slow_host]).median is steady
    # with two rounds, the lower ratio
    assert Paired([slow_host, steady]).median is steady


def test_cpu_per_article_is_summed_over_rounds_and_split_beside_the_model_replicas():
    first = Round(published(100, 10.0), before=bound(20.0), after=bound(20.0), client_s=0.2,
                  cpu_s={"enrichment-1": 4.0, "enrichment-2": 4.0, "kafka": 1.0, "gateway": 0.5})
    alone = Paired([Round(published(100, 10.0), before=bound(20.0), after=bound(20.0),
                          cpu_s={"enrichment": 8.0, "stories": 0.5})])
    assert (cpu_row(alone).value, cpu_row(alone).against_value) == (5.0, 80.0)  # one replica, unnumbered
    second = Round(published(300, 30.0), before=bound(20.0), after=bound(20.0), client_s=0.6,
                   cpu_s={"enrichment-1": 12.0, "enrichment-2": 12.0, "kafka": 3.0, "gateway": 1.5,
                          "stories": 1.2})  # a process seen in one round only still counts
    paired = Paired([first, second])
    assert paired.cpu_ms_per_article() == {"enrichment-1": 40.0, "enrichment-2": 40.0, "gateway": 5.0,
                                           "kafka": 10.0, "stories": 3.0}
    row = cpu_row(paired)
    assert (row.value, row.against_value) == (18.0, 80.0)  # the numbered replicas are the models
    assert row.figure.index("kafka 10.0") < row.figure.index("gateway 5.0") < row.figure.index("stories 3.0")
    assert "client 2.0" in row.figure


def test_cpu_seconds_count_a_process_its_children_and_children_that_have_exited():
    burn = "import time; t = time.process_time()\nwhile time.process_time() - t < 0.3: pass"
    # a parent that runs one child to its end (reaped), then starts a second that burns and waits
    script = (f"import subprocess, sys; subprocess.run([sys.executable, '-c', {burn!r}]); "
              f"p = subprocess.Popen([sys.executable, '-c', {(burn + chr(10) + 'print(1, flush=True); input()')!r}], "
              f"stdin=subprocess.PIPE, stdout=subprocess.PIPE); p.stdout.readline(); print('ready', flush=True); "
              f"p.communicate()")
    parent = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout.readline().strip() == "ready"
        assert cpu_seconds(parent.pid) >= 0.6  # the exited child's 0.3 s and the live one's 0.3 s
    finally:
        parent.kill()
        parent.wait()
    assert cpu_seconds(parent.pid) == 0.0 and cpu_seconds(None) == 0.0
