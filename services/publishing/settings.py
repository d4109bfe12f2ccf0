"""Publishing settings (environment first, prefix WIRE_) and the names of its topics."""
from __future__ import annotations

from pydantic import Field

from shared.settings import WireSettings
from shared.topics import COMPACTED, Topics


class PublishingSettings(WireSettings):
    # Stories of one batch handled at once (their waits on Redis overlap).
    concurrency: int = 16
    # Webhook deliveries: attempts per item, first backoff (doubles each attempt, ±20 %
    # jitter) and its cap, the deadline of one whole attempt (connect, send, answer),
    # and the longest Retry-After honoured.
    webhook_max_attempts: int = 6
    webhook_backoff_s: float = 1.0
    webhook_backoff_max_s: float = 60.0
    webhook_timeout_s: float = 10.0
    # Bytes of a receiver's answer read (as received and decoded); the rest is not
    # read and the connection is dropped. The delivery log keeps 256 of them.
    webhook_max_response_bytes: int = 64 * 1024
    webhook_retry_after_max_s: float = 300.0
    # Circuit breaker: after this many deliveries in a row that failed for good, the
    # endpoint is paused for the cool-down (its items wait in its outbox meanwhile).
    webhook_breaker_threshold: int = 3
    webhook_breaker_cooldown_s: float = 60.0
    # Entries one webhook outbox holds (each holds its item): past this, the newest not
    # yet started on go to the webhook DLQ with reason "outbox_full" (a receiver that
    # keeps answering 503 with Retry-After: 300 takes ~25 min an entry; the wire does not wait).
    outbox_max: int = Field(10_000, ge=1)
    # Bytes of items one webhook outbox holds, the same way: a count alone let one dead
    # receiver hold 10,000 items of any size in Redis.
    outbox_max_bytes: int = Field(256 * 1024 * 1024, ge=1)
    # How often the embargo scheduler looks for items due for release.
    embargo_poll_s: float = 0.5
    # Entries kept per subscription: live stream (SSE resume window), feed, delivery log.
    live_stream_max: int = 1_000
    feed_size: int = 500
    delivery_log_size: int = 1_000
    # Entries of one story kept per live stream (its latest versions): the ids its kill
    # deletes, remembered with the story. A newer version past this many deletes the
    # story's oldest entry there (superseded N times over: nothing a replay needs).
    live_entries_per_story: int = Field(32, ge=1)
    # Names of the subscriptions a story reached kept with it, for its kill to reach them
    # all; past this many, their numbers as a bitmap (services/publishing/recipients.py).
    recipients_max: int = Field(256, ge=1)
    # Language versions one story's family holds: an item a provider links to a full one
    # is published as an original of its own (its kill, and /languages, walk the family).
    # Machine translations always join their original's.
    family_max: int = Field(64, ge=1)
    # The trend windows, as enrichment's (same variables): a story released from
    # embargo is counted into the window of its receive time.
    # Where subscribers reach the gateway: associations link to their items there.
    public_url: str = "http://127.0.0.1:8000"
    trend_window_s: int = 3600
    trend_windows_kept: int = 48

    @property
    def embargoed_topic(self) -> str:
        """Compacted topic holding the items waiting for their embargo (their durable copy)."""
        return Topics(self.topic_prefix).embargoed

    @property
    def webhook_dlq_topic(self) -> str:
        """Where a webhook delivery goes after its last attempt (or a 4xx refusal)."""
        return Topics(self.topic_prefix).webhook_dlq

    @property
    def subscriptions_topic(self) -> str:
        return Topics(self.topic_prefix).subscriptions

    def own_topics(self) -> dict[str, dict[str, str]]:
        """Publishing's topics beside the pipeline's, with their configs."""
        return {self.embargoed_topic: COMPACTED, self.subscriptions_topic: COMPACTED, self.webhook_dlq_topic: {}}
