"""The gateway's own Prometheus metrics."""
from prometheus_client import Counter, Gauge

ACCEPTED = Counter("wire_gateway_articles_accepted_total", "Articles accepted onto wire.inbound", ["provider"])
REJECTED = Counter("wire_gateway_articles_rejected_total", "Submissions refused, by HTTP status and reason",
                   ["status", "reason"])
IGNORED = Counter("wire_gateway_articles_ignored_total", "Submissions answered without processing: duplicates, "
                  "older versions", ["reason"])
STREAMS_OPEN = Gauge("wire_gateway_streams_open", "SSE streams open now (capped by WIRE_STREAM_MAX)")
