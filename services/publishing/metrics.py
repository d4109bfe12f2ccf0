"""Publishing's Prometheus metrics (``wire_publishing_*``)."""
from prometheus_client import Counter, Gauge, Histogram

ITEMS = Counter("wire_publishing_items_total", "Items publishing handled, by signal and what became of them "
                "(published, embargoed, killed, stale, duplicate)", ["signal", "outcome"])
FANOUT = Counter("wire_publishing_fanout_total", "Items (and kill notices) routed to a subscription",
                 ["subscription"])
EMBARGOED = Gauge("wire_publishing_embargo_held_items", "Items waiting for their embargo to end")
RELEASED = Counter("wire_publishing_embargo_released_total", "Items released when their embargo ended")
WEBHOOK_ATTEMPTS = Counter("wire_publishing_webhook_attempts_total", "Webhook POSTs, by subscription and outcome "
                           "(delivered, retry, rejected)", ["subscription", "outcome"])
WEBHOOK_DEAD = Counter("wire_publishing_webhook_dead_lettered_total", "Webhook deliveries sent to the webhook DLQ",
                       ["subscription", "reason"])
WEBHOOK_SECONDS = Histogram("wire_publishing_webhook_seconds", "Time of one webhook POST", ["subscription"],
                            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
BREAKER_OPEN = Gauge("wire_publishing_webhook_breaker_open", "1 while a subscription's webhook is paused",
                     ["subscription"])
