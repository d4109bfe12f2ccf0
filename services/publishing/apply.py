"""Perform a :class:`~services.publishing.actions.Plan`: the embargo queue, the read
model (one Redis transaction), the deferred trend counts and the metrics. The Kafka
records are returned for the runner to produce before it commits the offset.

A plan routed by the subscriptions of version ``routed_by`` lands only while that is
still their version: a filter narrowed since (the gateway has already emptied the
subscriber's live stream) must not get an item it no longer takes. And it lands only
while every item it writes is still as it was read when the plan was decided
(``Write.decided_on``, the stored digest, checked under WATCH): another publishing
replica may write the same story meanwhile — the one holding the embargo lease
releasing a version while the one owning the story's partition publishes the next or
kills it — and a plan decided on what was there before would undo what it wrote (a
killed story live again). Otherwise nothing is written and :class:`DecideAgain` is
raised: read and decide again."""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from redis.exceptions import WatchError

from services.publishing.actions import Plan, Write
from services.publishing.embargo import EmbargoQueue
from services.publishing.metrics import FANOUT, ITEMS
from services.publishing.read_model import ReadModelWriter
from shared.bus import Outgoing
from shared.telemetry import END_TO_END_SECONDS, language_label
from shared.trends import count_released, stage_take_back

Produce = Callable[[Sequence[Outgoing]], Awaitable[None]]
log = logging.getLogger(__name__)


class DecideAgain(Exception):
    """The subscriptions, or an item the plan writes, changed after the plan was decided:
    nothing of it was written (a kill may have taken its trend counts back already, which
    happens once per uri: the kill decided again does not take them twice)."""


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
        try:
            await _write(plan, writer=writer, trends=trends)
        except WatchError:  # an item written by another replica since it was checked: nothing ran
            raise DecideAgain() from None
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


async def _write(plan: Plan, *, writer: ReadModelWriter, trends: TrendWindows) -> None:
    """The plan's read-model writes (and a kill's trend take-backs) in one transaction,
    run only while its items hold what it was decided on (WatchError if one was written
    meanwhile, DecideAgain if it was before)."""
    async with writer.redis.pipeline(transaction=True) as pipe:
        await _still_as_decided(pipe, writer, plan.writes)
        pipe.multi()
        for uri, record in plan.trend_takebacks:  # with the kill, or not at all
            stage_take_back(pipe, writer.keys, uri=uri, record=record, window_s=trends.window_s, keep_s=trends.keep_s)
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
        raise DecideAgain()


# Each key's stored digest ("" none), in one round trip however many items a plan writes.
_DIGESTS = "local found = {} for i, key in ipairs(KEYS) do found[i] = redis.call('HGET', key, 'digest') or '' end " \
           "return found"


async def _still_as_decided(pipe, writer: ReadModelWriter, writes: Sequence[Write]) -> None:
    """WATCH the items ``writes`` were decided on and check they still hold the digests
    they were decided on (DecideAgain if not): the transaction that follows then runs only
    if none of them is written by anyone before it does."""
    checked = [w for w in writes if w.decided_on is not None]
    if not checked:
        return
    keys = [writer.keys.article(w.article_id) for w in checked]
    await pipe.watch(*keys)
    found = await pipe.eval(_DIGESTS, len(keys), *keys)  # watching: run at once, not queued
    if [digest.decode() for digest in found] != [w.decided_on for w in checked]:
        raise DecideAgain()
