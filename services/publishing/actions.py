"""What publishing can do for one event, as data: the steps a :class:`Plan` lists
(:mod:`services.publishing.plan` decides them, :mod:`services.publishing.apply`
performs them)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.publishing.outputs import Notice
from services.publishing.read_model import Delivery
from shared.bus import Outgoing
from shared.cache import SubscriptionKeys
from shared.events import ArticleEvent, EnrichmentInfo, Signal
from shared.subscriptions import Subscription


@dataclass(frozen=True)
class Rules:
    """The deployment's names and sizes a plan needs (from the settings)."""

    keys: SubscriptionKeys
    published_topic: str
    topic_prefix: str
    embargoed_topic: str
    recipients_max: int = 256  # see services.publishing.recipients
    family_max: int = 64       # language versions a provider's links gather in one story


@dataclass(frozen=True)
class Write:
    """One read-model write: ``article_id`` becomes live (or killed) with ``item``,
    delivered to ``deliveries``; a kill first purges ``purge_live`` of the story.
    ``family_full``: the root of the full family the item was kept out of;
    ``leaves_family``: the root of the family it was in and is no longer (that story's
    original was killed before this version was received: it is a story of its own)."""

    article_id: str
    item: dict[str, Any]
    meta: dict[str, Any]
    digest: str
    entry: dict[str, str]
    deliveries: list[Delivery]
    killed: bool = False
    root: str = ""
    score_ms: int = 0
    purge_live: list[str] = field(default_factory=list)
    family_full: str = ""
    leaves_family: str = ""
    # The digest stored for ``article_id`` when the write was decided ("" nothing stored,
    # None not checked): it lands only while that is still so (services.publishing.apply).
    decided_on: str | None = None


@dataclass(frozen=True)
class TrendCount:
    """A story whose trend counts waited for its embargo: count it now."""

    uri: str
    enrichment: EnrichmentInfo
    received_at: Any


@dataclass
class Plan:
    """What to do for one event. ``outcome`` is what became of it (published,
    embargoed, killed, stale, duplicate) and ``count`` how many items it concerns."""

    signal: Signal
    outcome: str
    count: int = 1
    records: list[Outgoing] = field(default_factory=list)  # produced before the offset is committed
    writes: list[Write] = field(default_factory=list)       # one Redis transaction
    hold: tuple[ArticleEvent, float] | None = None           # into the embargo queue until then
    drop_held: tuple[str, str | None] | None = None          # (article id, only if still this version)
    trend_count: TrendCount | None = None
    trend_takebacks: list[tuple[str, dict]] = field(default_factory=list)  # (uri, what was counted): killed
    fanout: list[str] = field(default_factory=list)         # subscription names it was routed to
    routed_by: int | None = None                             # the subscriptions' version it was routed by
    latency: tuple[str, float] | None = None                 # (language, seconds received → published)
    family: tuple[str, int] | None = None  # a kill's: the family it walked whole (root, how many versions)


def deliveries(notice: Notice, subscriptions: list[Subscription], chosen: set[str], keys: SubscriptionKeys, *,
               known: bool) -> list[Delivery]:
    """Where ``notice`` goes: every chosen subscription's outputs; the others only
    lose the item from their feed (an update that left their slice, a kill)."""
    out = []
    kill = notice.signal is Signal.KILL
    for sub in subscriptions:
        feeds = sub.outputs.feeds
        if sub.name in chosen:
            out.append(Delivery(feed=keys.items(sub.name) if feeds else None, feed_mode="r" if kill else "a",
                                live=keys.live(sub.name) if feeds else None,
                                outbox=keys.outbox(sub.name) if sub.outputs.webhook else None,
                                outbox_bytes=keys.outbox_bytes(sub.name) if sub.outputs.webhook else None))
        elif known and feeds:
            out.append(Delivery(feed=keys.items(sub.name), feed_mode="r"))
    return out
