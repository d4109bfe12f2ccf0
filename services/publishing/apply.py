"""Perform a :class:`~services.publishing.actions.Plan`: the embargo queue, the read
model (one Redis transaction), the deferred trend counts and the metrics. The Kafka
records are returned for the runner to produce before it commits the offset.

A plan routed by the subscriptions of version ``routed_by`` lands only while that is
still their version: a filter narrowed since (the gateway has already emptied the
subscriber's live stream) must not get an item it no longer takes. And it lands only
while every item it writes still holds the digest it was decided on (``Write.decided_on``):
another publishing replica may write the same story meanwhile — the one holding the
embargo lease releasing a version while the one owning the story's partition publishes
the next or kills it — and a plan decided on what was there before would undo what
that wrote (a killed story live again). A version joining a family checks, in its
write script, that the family's original was not killed since it was decided (that
kill walked the family without it). Otherwise nothing is written and
:class:`DecideAgain` is raised: read and decide again.

A plan of one write and nothing else (every publication) is checked inside its write
script: no round trip more. A kill writes several items, purges streams and takes trend
counts back first, which a check in the last script could not undo: its items and the
family it walked are checked under WATCH before its transaction (kills are rare)."""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from redis.exceptions import WatchError

from services.publishing.actions import Plan
from services.publishing.embargo import EmbargoQueue
from services.publishing.metrics import FANOUT, ITEMS
from services.publishing.read_model import ReadModelWriter
from shared.bus import Outgoing
from shared.telemetry import END_TO_END_SECONDS, language_label
from shared.trends import count_released, stage_take_back

Produce = Callable[[Sequence[Outgoing]], Awaitable[None]]
log = logging.getLogger(__name__)


class DecideAgain(Exception):
    """The subscriptions, or an item the plan writes, changed after the plan was
    decided: nothing of it was written (but for a kill's trend counts when the
    subscriptions changed, which are taken back once per uri: the kill decided again
    does not take them twice)."""


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
        inline = len(plan.writes) == 1 and not plan.trend_takebacks and not plan.writes[0].purge_live \
            and plan.family is None
        async with writer.redis.pipeline(transaction=True) as pipe:
            if not inline:
                await _still_as_decided(pipe, writer, plan)
                pipe.multi()
            for uri, record in plan.trend_takebacks:  # with the kill, or not at all
                stage_take_back(pipe, writer.keys, uri=uri, record=record, window_s=trends.window_s,
                                keep_s=trends.keep_s)
            writes = []  # where each write's answer is among the transaction's
            for w in plan.writes:
                await writer.stage_purge_live(pipe, w.article_id, w.purge_live)
                writes.append(len(pipe))
                if w.killed:
                    await writer.stage_killed(pipe, w.article_id, w.item, w.meta, digest=w.digest, entry=w.entry,
                                              deliveries=w.deliveries, routed_by=plan.routed_by,
                                              decided_on=w.decided_on if inline else None)
                else:
                    await writer.stage_live(pipe, w.article_id, w.item, w.meta, digest=w.digest, root=w.root,
                                            score_ms=w.score_ms, entry=w.entry, deliveries=w.deliveries,
                                            routed_by=plan.routed_by, decided_on=w.decided_on if inline else None)
                    if w.leaves_family:
                        writer.stage_leave_family(pipe, w.article_id, family_of=w.leaves_family, root=w.root)
            try:
                answers = await pipe.execute()
            except WatchError:  # written by another replica since it was checked: nothing ran
                raise DecideAgain() from None
        if any(answers[i] in (-1, -2) for i in writes):  # all or none: the scripts ran in one transaction
            raise DecideAgain()
    elif plan.routed_by is not None and plan.outcome == "duplicate":
        # nothing to write, but records for the subscriptions' topics: routed by them as they are?
        if int(await writer.redis.get(writer.keys.subscriptions.version) or 0) != plan.routed_by:
            raise DecideAgain()
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


async def _still_as_decided(pipe, writer: ReadModelWriter, plan: Plan) -> None:
    """WATCH what ``plan`` was decided on — its items, and the family a kill walked — and
    check it is still so (DecideAgain if not): the transaction queued next then runs only
    if nobody writes any of it first."""
    checked = [w for w in plan.writes if w.decided_on is not None]
    keys = [writer.keys.article(w.article_id) for w in checked]
    family = writer.keys.family(plan.family[0]) if plan.family is not None else None
    if not keys and family is None:
        return
    await pipe.watch(*keys, *([family] if family else []))
    for key, w in zip(keys, checked):
        if (await pipe.hget(key, "digest") or b"").decode() != w.decided_on:
            raise DecideAgain()
    if family is not None and await pipe.scard(family) != plan.family[1]:
        raise DecideAgain()
