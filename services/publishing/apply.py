"""Perform a :class:`~services.publishing.actions.Plan`: the embargo queue, the read
model (one Redis transaction), the deferred trend counts and the metrics. The Kafka
records are returned for the runner to produce before it commits the offset.

A plan routed by the subscriptions of version ``routed_by`` lands only while that is
still their version: a filter narrowed since (the gateway has already emptied the
subscriber's live stream) must not get an item it no longer takes. Otherwise nothing
is written and :class:`SubscriptionsChanged` is raised: read and decide again."""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from services.publishing.actions import Plan
from services.publishing.embargo import EmbargoQueue
from services.publishing.metrics import FANOUT, ITEMS
from services.publishing.read_model import ReadModelWriter
from shared.bus import Outgoing
from shared.telemetry import END_TO_END_SECONDS, language_label
from shared.trends import count_released, stage_take_back

Produce = Callable[[Sequence[Outgoing]], Awaitable[None]]
log = logging.getLogger(__name__)


class SubscriptionsChanged(Exception):
    """The subscriptions changed after the plan was routed by them: nothing of it was
    written (a kill may have taken its trend counts back already, which happens once
    per uri: the kill decided again does not take them twice)."""


@dataclass(frozen=True)
class TrendWindows:
    window_s: int
    keep_s: int


async def apply(plan: Plan, *, writer: ReadModelWriter, embargo: EmbargoQueue, trends: TrendWindows,
                produce: Produce | None = None) -> list[Outgoing]:
    """Carry ``plan`` out and return its Kafka records. With ``produce`` (the embargo
    release), the records are produced here, before the held event leaves the queue,
    so a crash in between releases it again rather than losing it.
    Raises redis errors as they come (the caller makes them retriable)."""
    if plan.hold is not None:
        await embargo.hold(*plan.hold)
    if plan.writes:
        async with writer.redis.pipeline(transaction=True) as pipe:
            for uri, record in plan.trend_takebacks:  # with the kill, or not at all
                stage_take_back(pipe, writer.keys, uri=uri, record=record, window_s=trends.window_s,
                                keep_s=trends.keep_s)
            writes = []  # where each write's answer is among the transaction's
            for w in plan.writes:
                await writer.stage_purge_live(pipe, w.article_id, w.purge_live)
                writes.append(len(pipe))
                if w.killed:
                    await writer.stage_killed(pipe, w.article_id, w.item, w.meta, digest=w.digest, entry=w.entry,
                                              deliveries=w.deliveries, routed_by=plan.routed_by)
                else:
                    await writer.stage_live(pipe, w.article_id, w.item, w.meta, digest=w.digest, root=w.root,
                                            score_ms=w.score_ms, entry=w.entry, deliveries=w.deliveries,
                                            routed_by=plan.routed_by)
            answers = await pipe.execute()
        if any(answers[i] == -1 for i in writes):  # all or none: the scripts ran in one transaction
            raise SubscriptionsChanged()
    elif plan.routed_by is not None and plan.outcome == "duplicate":
        # nothing to write, but records for the subscriptions' topics: routed by them as they are?
        if int(await writer.redis.get(writer.keys.subscriptions.version) or 0) != plan.routed_by:
            raise SubscriptionsChanged()
    for w in plan.writes:
        if w.family_full:
            log.warning("language family full: published as an original of its own",
                        extra={"article_uri": w.item.get("uri"), "stage": "publishing", "family": w.family_full})
    if plan.count:
        ITEMS.labels(plan.signal.value, plan.outcome).inc(plan.count)
    for name in plan.fanout:
        FANOUT.labels(name).inc()
    if plan.trend_count is not None:
        t = plan.trend_count
        await count_released(writer.redis, writer.keys, uri=t.uri, enrichment=t.enrichment,
                             received_at=t.received_at, window_s=trends.window_s, keep_s=trends.keep_s)
    if plan.latency is not None:
        END_TO_END_SECONDS.labels(language_label(plan.latency[0])).observe(plan.latency[1])
    if produce is not None:
        await produce(plan.records)
    if plan.drop_held is not None:
        article_id, version = plan.drop_held
        await embargo.drop(article_id, version=version)
    return plan.records
