"""Perform a :class:`~services.publishing.actions.Plan`: the embargo queue, the read
model (one Redis transaction), the deferred trend counts and the metrics. The Kafka
records are returned for the runner to produce before it commits the offset."""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from services.publishing.actions import Plan
from services.publishing.embargo import EmbargoQueue
from services.publishing.metrics import FANOUT, ITEMS
from services.publishing.read_model import ReadModelWriter
from shared.bus import Outgoing
from shared.telemetry import END_TO_END_SECONDS
from shared.trends import count_released, stage_take_back

Produce = Callable[[Sequence[Outgoing]], Awaitable[None]]


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
            for w in plan.writes:
                await writer.stage_purge_live(pipe, w.article_id, w.purge_live)
                if w.killed:
                    await writer.stage_killed(pipe, w.article_id, w.item, w.meta, digest=w.digest, entry=w.entry,
                                              deliveries=w.deliveries)
                else:
                    await writer.stage_live(pipe, w.article_id, w.item, w.meta, digest=w.digest, root=w.root,
                                            score_ms=w.score_ms, entry=w.entry, deliveries=w.deliveries)
            await pipe.execute()
    if plan.count:
        ITEMS.labels(plan.signal.value, plan.outcome).inc(plan.count)
    for name in plan.fanout:
        FANOUT.labels(name).inc()
    if plan.trend_count is not None:
        t = plan.trend_count
        await count_released(writer.redis, writer.keys, uri=t.uri, enrichment=t.enrichment,
                             received_at=t.received_at, window_s=trends.window_s, keep_s=trends.keep_s)
    if plan.latency is not None:
        END_TO_END_SECONDS.labels(plan.latency[0]).observe(plan.latency[1])
    if produce is not None:
        await produce(plan.records)
    if plan.drop_held is not None:
        article_id, version = plan.drop_held
        await embargo.drop(article_id, version=version)
    return plan.records
