"""Enrichment settings (environment first, prefix WIRE_)."""
from __future__ import annotations

from pathlib import Path

from shared.settings import WireSettings


class EnrichmentSettings(WireSettings):
    # Where faust keeps its local table state; the changelog topics in Kafka are the
    # source of truth, so this folder may be lost.
    data_dir: Path = Path(".wire/enrichment")
    # "at_least_once" or "exactly_once" (Kafka transactions).
    processing_guarantee: str = "at_least_once"
