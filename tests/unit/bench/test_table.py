"""The one table make bench prints."""
from __future__ import annotations

import pytest

from bench.table import Row, render


def lines_of(rows):
    return render(rows).splitlines()


def test_a_goal_met_and_missed_either_way():
    table = lines_of([
        Row("pipeline, no MT", 16.0, "articles/s", "NER bound", 20.0, goal=0.80),
        Row("Wirestream stage, no-op", 700.0, "msgs/s", "faster peer", 1000.0, goal=0.80),
        Row("p99 at half capacity", 200.0, "ms", "bound", 250.0, goal=1.0, higher_is_better=False),
        Row("stack memory", 4096.0, "MiB", "3 GiB", 3072.0, goal=1.0, higher_is_better=False),
    ])
    assert table[0].startswith("machine: ") and "load average" in table[0]
    assert table[2].startswith("| figure | value | against |")
    assert table[4] == "| pipeline, no MT | 16.00 articles/s | NER bound | 20.00 | 0.80 | ≥ 0.80 | yes |"
    assert table[5].endswith("| 0.70 | ≥ 0.80 | NO |")
    assert table[6].endswith("| 0.80 | ≤ 1.00 | yes |")
    assert table[7].endswith("| 1.33 | ≤ 1.00 | NO |")


def test_a_plain_figure_has_no_ratio_and_no_verdict():
    row = Row("peer: bare aiokafka loop", 1234.5, "msgs/s", "–", None)
    assert row.ratio is None and row.met is None
    assert lines_of([row])[-1] == "| peer: bare aiokafka loop | 1,234 msgs/s | – | – | – | – | – |"


def test_a_ratio_without_a_goal_has_no_verdict():
    row = Row("knee", 30.0, "articles/s", "capacity", 20.0)
    assert row.ratio == 1.5 and row.met is None
    assert lines_of([row])[-1].endswith("| 1.50 | – | – |")


def test_python_m_bench_has_help_and_starts_nothing(capsys):
    from bench.__main__ import main

    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "python -m bench" in out and "--quick" in out and "--soak" in out and "--profile" in out
