"""The pipeline's capacity read against the NER bound measured on either side of it."""
from __future__ import annotations

from bench.e2e import Published
from bench.paired import Bound, Paired, Round


def published(articles: int, seconds: float) -> Published:
    """``articles`` received at 0 and published evenly until ``seconds``."""
    return Published(ids=[f"a{i}" for i in range(articles)], received=[0.0] * articles,
                     published=[seconds * (i + 1) / articles for i in range(articles)])


def bound(rate: float) -> Bound:
    return Bound(articles_per_s=rate, processes=2, idle_stack_cores=0.01)


def test_each_round_is_read_against_the_bounds_on_either_side_and_the_median_round_is_the_figure():
    b0, b1, b2, b3 = bound(20.0), bound(26.0), bound(22.0), bound(18.0)
    slow_host = Round(published(200, 20.0), before=b0, after=b1)   # 10/s against 23 → 0.43
    fast_host = Round(published(200, 10.0), before=b1, after=b2)   # 20/s against 24 → 0.83
    middle = Round(published(200, 12.5), before=b2, after=b3)      # 16/s against 20 → 0.80
    paired = Paired([slow_host, fast_host, middle])
    assert [round(r.ratio, 2) for r in paired.rounds] == [0.43, 0.83, 0.8]
    assert paired.median is middle
    assert paired.bounds == [b0, b1, b2, b3]
    # the ladder's capacity: every round's articles over every round's seconds, not a mean of rates
    assert paired.capacity == 600 / 42.5
    assert paired.ids[:2] == ["a0", "a1"] and len(paired.ids) == 600


def test_with_two_rounds_the_lower_ratio_is_the_median():
    low = Round(published(100, 10.0), before=bound(20.0), after=bound(20.0))
    high = Round(published(100, 8.0), before=bound(20.0), after=bound(20.0))
    assert Paired([high, low]).median is low
