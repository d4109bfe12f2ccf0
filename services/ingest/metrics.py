"""Ingest's own Prometheus metrics."""
from prometheus_client import Counter

INGESTED = Counter("wire_ingest_articles_total", "Articles that flow on, by source format and decision",
                   ["format", "decision"])
IGNORED = Counter("wire_ingest_articles_ignored_total", "Submissions dropped: exact duplicates and older versions",
                  ["reason"])
PARSED = Counter("wire_ingest_payloads_total", "Payloads by where they were parsed: at the gateway (sealed "
                 "items beside the payload) or here", ["parsed_by"])
