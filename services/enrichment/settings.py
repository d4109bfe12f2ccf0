"""Enrichment settings (environment first, prefix WIRE_)."""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from shared.settings import WireSettings


class EnrichmentSettings(WireSettings):
    # Which steps this process runs: "both" (one process does it all), "read" (the
    # language models only, no faust: one per core) or "stories" (the single stories
    # step only, no models). `wire run` starts read and stories processes apart, so a
    # standby taking the stories partition over is not starved by the models in the
    # same process (1.1-2.6 s against 0.05-0.16 s, measured in the chaos run).
    enrichment_steps: Literal["both", "read", "stories"] = "both"
    # Where faust keeps its local table state; the changelog topics in Kafka are the
    # source of truth, so this folder may be lost.
    data_dir: Path = Path(".wire/enrichment")
    # Only "at_least_once": outputs carry a deterministic idempotency key and are
    # deduplicated downstream. faust's "exactly_once" ties each transaction to one
    # partition number, which a two-step worker with a single-partition stories topic
    # and DLQs breaks, so it is refused rather than silently weaker.
    processing_guarantee: str = "at_least_once"
    # Replicas that follow the story tables' changelogs as warm standbys (a
    # single-replica deployment has none to follow them: harmless).
    table_standby_replicas: int = 1
    # Records per batch of the read step. Offsets are committed per batch, so a replica
    # that dies mid-batch leaves the whole batch to be read by the models again by the
    # next owner (~0.1 s an article): with 200 that redo held a partition's stories back
    # ~6.7 s after a replica died in the chaos run; a commit every ~10 articles is cheap.
    batch_max_records: int = 10
    # The read step sends the outputs of up to this many articles of a batch in one
    # go (the batch's last ones as soon as they are read). While articles wait for
    # the models, the stories step and publishing then take them a few per fetch and
    # produce request instead of one each: 3 ms of CPU an article less beside the
    # models on the bench's stack (Kafka's requests 8.1 → 5.7 an article). An output
    # waits for at most this many minus one articles read after it, only ones already
    # fetched: none when the models keep up (p99 at half capacity unchanged).
    read_outputs_together: int = Field(4, ge=1, le=10)
    # Story clusters: how long a story stays joinable by later copies (by receive time).
    cluster_horizon_s: float = 7 * 24 * 3600
    # Trending entities: tumbling window size and how many windows are kept.
    trend_window_s: int = 3600
    trend_windows_kept: int = 48
    # How often the trend counts are copied to Redis for GET /v1/trends.
    trend_flush_interval_s: float = 1.0

    @field_validator("processing_guarantee")
    @classmethod
    def _at_least_once(cls, value: str) -> str:
        if value != "at_least_once":
            raise ValueError(f"WIRE_PROCESSING_GUARANTEE={value!r} is not supported by enrichment: it runs "
                             "at_least_once with idempotent outputs (see the README)")
        return value
