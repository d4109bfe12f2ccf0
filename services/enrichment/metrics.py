"""Prometheus metrics of the enrichment stage (``wire_enrichment_*``)."""
from __future__ import annotations

from prometheus_client import Counter, Gauge

ENTITIES = Counter("wire_enrichment_entities_total", "Entities found in articles", ["type"])
STORIES = Counter("wire_enrichment_stories_total",
                  "Stories placed in a cluster, by whether they founded it or joined one", ["outcome"])
TABLE_KEYS = Gauge("wire_enrichment_table_keys", "Keys held in each faust table", ["table"])
REPEATS = Counter("wire_enrichment_repeats_total",
                  "Stories-topic records skipped because their output was delivered already (same idempotency key)")
