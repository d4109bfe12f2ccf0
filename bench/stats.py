"""The arithmetic of the bench, kept pure so that it is unit-tested: percentiles,
the latency knee, the next rate to try, and a memory slope."""
from __future__ import annotations

from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) of ``values`` by the nearest-rank method
    (an observed value, never an interpolation). ValueError when empty."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is outside 0–100")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil(n q / 100), at least the first
    return ordered[int(rank) - 1]


def knee(points: Sequence[tuple[float, float]], threshold_ms: float = 1000.0) -> float | None:
    """The lowest offered rate whose p99 passed ``threshold_ms``, from
    ``(rate, p99_ms)`` points in any order; None when no rate did."""
    over = [rate for rate, p99 in points if p99 > threshold_ms]
    return min(over) if over else None


def next_rate(points: Sequence[tuple[float, float]], ladder: Sequence[float], *,
              threshold_ms: float = 1000.0, refinements: int = 0) -> float | None:
    """The next rate to offer while looking for the knee, or None when done.

    Walks ``ladder`` (rising rates) until a rate passes ``threshold_ms``; then
    bisects between the highest rate under it (0 when none was: an idle pipeline
    is under it) and the lowest over it, at most ``refinements`` times. Bounded:
    at most ``len(ladder) + refinements`` steps."""
    tried = {rate for rate, _ in points}
    over = knee(points, threshold_ms)
    if over is None:
        return next((rate for rate in ladder if rate not in tried), None)
    under = [rate for rate, p99 in points if p99 <= threshold_ms and rate < over]
    bisections = sum(1 for rate in tried if rate not in ladder)
    if bisections >= refinements:
        return None
    middle = (max(under, default=0.0) + over) / 2
    return None if middle in tried else middle


def slope_per_minute(samples: Sequence[tuple[float, float]]) -> float:
    """Least-squares slope of ``(seconds, value)`` samples, in value per minute
    (0.0 with fewer than two distinct times)."""
    if len(samples) < 2:
        return 0.0
    mean_t = sum(t for t, _ in samples) / len(samples)
    mean_v = sum(v for _, v in samples) / len(samples)
    spread = sum((t - mean_t) ** 2 for t, _ in samples)
    if spread == 0:
        return 0.0
    return 60 * sum((t - mean_t) * (v - mean_v) for t, v in samples) / spread
