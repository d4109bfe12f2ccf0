"""Enrichment settings (environment first, prefix WIRE_)."""
from __future__ import annotations

from pathlib import Path

from shared.settings import WireSettings


class EnrichmentSettings(WireSettings):
    # Where faust keeps its local table state; the changelog topics in Kafka are the
    # source of truth, so this folder may be lost.
    data_dir: Path = Path(".wire/enrichment")
    # "at_least_once" (outputs deduplicated downstream by their idempotency key) or
    # "exactly_once" (Kafka transactions; see the README on why it is not the default).
    processing_guarantee: str = "at_least_once"
    # Story clusters: how long a story stays joinable by later copies (by receive time).
    cluster_horizon_s: float = 7 * 24 * 3600
    # Trending entities: tumbling window size and how many windows are kept.
    trend_window_s: int = 3600
    trend_windows_kept: int = 48
    # How often the trend counts are copied to Redis for GET /v1/trends.
    trend_flush_interval_s: float = 1.0
