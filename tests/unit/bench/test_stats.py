"""The bench's arithmetic: percentiles, the knee, the rates tried, the slope."""
from __future__ import annotations

import pytest

from bench.stats import knee, next_rate, percentile, slope_per_minute


def test_percentile_is_nearest_rank_of_an_observed_value():
    values = list(range(1, 101))  # 1..100
    assert percentile(values, 50) == 50
    assert percentile(values, 99) == 99
    assert percentile(values, 100) == 100
    assert percentile(values, 0) == 1
    assert percentile([5.0, 1.0, 3.0], 50) == 3.0  # unsorted input


def test_percentile_of_a_small_sample_is_its_maximum_at_p99():
    assert percentile([120.0, 80.0, 3000.0], 99) == 3000.0


def test_percentile_refuses_no_values_and_a_bad_quantile():
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_knee_is_the_lowest_rate_over_the_threshold_in_any_order():
    points = [(20.0, 4000.0), (5.0, 140.0), (15.0, 1200.0), (10.0, 300.0)]
    assert knee(points) == 15.0
    assert knee(points, threshold_ms=5000.0) is None
    assert knee([]) is None


def test_knee_counts_only_what_passes_the_threshold():
    assert knee([(10.0, 1000.0)]) is None  # at the threshold is not past it
    assert knee([(10.0, 1000.1)]) == 10.0


def run_search(p99_at, ladder, refinements):
    """Drive next_rate as the bench does, against a made-up pipeline."""
    points = []
    while (rate := next_rate(points, ladder, refinements=refinements)) is not None:
        points.append((rate, p99_at(rate)))
        assert len(points) <= len(ladder) + refinements
    return points


def test_the_ladder_stops_at_the_first_rate_over_the_threshold():
    points = run_search(lambda rate: 100.0 if rate < 12 else 5000.0, [5.0, 10.0, 15.0, 20.0], refinements=0)
    assert [rate for rate, _ in points] == [5.0, 10.0, 15.0]
    assert knee(points) == 15.0


def test_bisection_narrows_the_knee_within_its_bound():
    points = run_search(lambda rate: 100.0 if rate < 12 else 5000.0, [5.0, 10.0, 15.0, 20.0], refinements=2)
    assert [rate for rate, _ in points] == [5.0, 10.0, 15.0, 12.5, 11.25]
    assert knee(points) == 12.5


def test_a_knee_beyond_the_ladder_is_reported_as_none():
    points = run_search(lambda rate: 100.0, [5.0, 10.0], refinements=3)
    assert [rate for rate, _ in points] == [5.0, 10.0]
    assert knee(points) is None


def test_a_first_rate_already_over_is_bisected_towards_idle():
    points = run_search(lambda rate: 5000.0, [5.0, 10.0], refinements=3)
    assert [rate for rate, _ in points] == [5.0, 2.5, 1.25, 0.625]
    assert knee(points) == 0.625
    assert [rate for rate, _ in run_search(lambda rate: 5000.0, [5.0, 10.0], refinements=0)] == [5.0]


def test_slope_per_minute():
    assert slope_per_minute([(0.0, 100.0), (60.0, 110.0), (120.0, 120.0)]) == pytest.approx(10.0)
    assert slope_per_minute([(0.0, 100.0), (30.0, 100.0)]) == 0.0
    assert slope_per_minute([(5.0, 1.0)]) == 0.0
    assert slope_per_minute([(5.0, 1.0), (5.0, 9.0)]) == 0.0  # no spread in time


def test_steal_share_is_the_stolen_part_of_the_machines_cpu_time_between_readings():
    from bench.soak import host_cpu, steal_share

    assert steal_share((10.0, 100.0), (40.0, 200.0)) == pytest.approx(0.30)
    assert steal_share((10.0, 100.0), (10.0, 100.0)) == 0.0  # no time passed: nothing stolen
    first, second = host_cpu(), host_cpu()
    assert 0.0 <= first[0] <= first[1] <= second[1]
    assert 0.0 <= steal_share(first, second) <= 1.0
