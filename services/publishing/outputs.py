"""What one published item (or kill notice) becomes on Kafka: records for
``articles.published`` and the subscriptions' topics, with their headers; and the
fields of its entries in the subscriptions' live streams and webhook outboxes."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from datetime import datetime, timezone
from typing import Any

import orjson

from services.publishing.recipients import RECIPIENTS_HEADER, Recipients, header_value
from shared.bus import Outgoing
from shared.cloudevents import event_headers
from shared.events import Signal, Stage
from shared.stage import event_id
from shared.subscriptions import Subscription

SERVICE = "publishing"
# The header of a live item's ``articles.published`` record that says what the trends
# counted for its story (its meta's COUNTED, as JSON): what a rebuild of the read model
# gives back to the story so that a later kill still takes the counts back. Never on a
# kill notice, nor on a subscription's topic.
TREND_COUNTED = "wire_trend_counted"


@dataclass(frozen=True)
class Notice:
    """One thing to tell the world: a ninjs ``item`` of story ``article_id`` with its
    ``signal`` (new, update, correction, or kill with the item as the kill notice)."""

    article_id: str
    item: dict[str, Any]
    signal: Signal
    provider: str
    published_at: float
    received_at: str
    traceparent: str
    # "original" or "translation" when translation said so (kept for the rebuild)
    role: str | None = None
    # The story registry's owner of the uri (not a relay that sent this version; none for
    # a machine translation): the rebuild gives it back to the registry after Redis lost it.
    owner: str | None = None
    # What the trends counted for the story (see TREND_COUNTED); None on a kill notice.
    trend_counted: dict[str, Any] | None = None
    # Who had the story (see services.publishing.recipients): a live item's recipients so
    # far, a kill notice's subscriptions notified; None: not said.
    recipients: Recipients | None = None

    @property
    def uri(self) -> str:
        return self.item["uri"]

    @property
    def version(self) -> str:
        return str(self.item.get("version", "1"))

    @cached_property
    def body(self) -> bytes:
        return orjson.dumps(self.item)

    @cached_property
    def digest(self) -> str:
        """Same item, same signal → same digest: a re-delivery is recognised."""
        return hashlib.sha256(self.signal.value.encode() + b"\n" + self.body).hexdigest()[:32]

    def headers(self, *, suffix: str = "", extra: dict[str, str] | None = None):
        key = f"{self.uri}@{self.version}:{Stage.PUBLISHED.value}{suffix}"
        if self.signal is Signal.KILL:
            key += ":kill"
        return event_headers(
            type=Stage.PUBLISHED.event_type,
            source=f"wirestream/{SERVICE}",
            time=datetime.fromtimestamp(self.published_at, timezone.utc),
            traceparent=self.traceparent,
            idempotency_key=key,
            id=event_id(key),
            extra={"wire_article_id": self.article_id, "wire_signal": self.signal.value,
                   "wire_provider": self.provider, "wire_received_at": self.received_at,
                   "wire_published_at": repr(self.published_at), "wire_version": self.version,
                   **({"wire_translation_role": self.role} if self.role else {}),
                   **({"wire_owner": self.owner} if self.owner else {}), **(extra or {})},
        )

    def record(self, topic: str, **headers) -> Outgoing:
        return Outgoing(topic=topic, key=self.uri.encode(), value=self.body, headers=self.headers(**headers))

    def tombstone(self, topic: str) -> Outgoing:
        """The null-valued record that lets compaction forget a killed story (it says who
        was notified, as the kill notice it follows, for when compaction took that)."""
        return Outgoing(topic=topic, key=self.uri.encode(), value=None,
                        headers=self.headers(suffix=":tombstone", extra=self.who_had_it()))

    def who_had_it(self) -> dict[str, str]:
        """The header saying who had the story (none when not said)."""
        return {RECIPIENTS_HEADER: header_value(self.recipients)} if self.recipients is not None else {}

    def entry(self) -> dict[str, str]:
        """The fields of this notice in a subscription's live stream and webhook outbox
        (the read model's write adds the item itself as "body")."""
        return {"signal": self.signal.value, "article_id": self.article_id, "uri": self.uri,
                "version": self.version, "published_at": repr(self.published_at), "provider": self.provider}


def kafka_records(notice: Notice, subscriptions: list[Subscription], *, published_topic: str,
                  topic_prefix: str) -> list[Outgoing]:
    """``articles.published`` (keyed by uri; a kill notice is followed by a tombstone)
    and one record per subscription with a topic output. Only ``articles.published``
    says what the trends counted and who had the story (for a rebuild)."""
    kill = notice.signal is Signal.KILL
    counted = {TREND_COUNTED: orjson.dumps(notice.trend_counted).decode()} if notice.trend_counted and not kill else {}
    records = [notice.record(published_topic, extra={**counted, **notice.who_had_it()} or None)]
    if kill:
        records.append(notice.tombstone(published_topic))
    for sub in subscriptions:
        if sub.outputs.topic:
            records.append(notice.record(sub.topic(topic_prefix), suffix=f":{sub.name}",
                                         extra={"wire_subscription": sub.name}))
    return records


def translation_links(item: dict[str, Any]) -> list[str]:
    """The uris an item names as its other language versions (associations with rel
    "translation")."""
    return [a["uri"] for a in item.get("associations") or ()
            if isinstance(a, dict) and str(a.get("rel", "")).lower() == "translation" and a.get("uri")]
