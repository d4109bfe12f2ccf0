"""The faust side of the enrichment worker: the stories step.

**cluster** (``enrichment.stories`` → ``articles.enriched``): a faust agent on the
single-partition stories topic, so one worker holds the whole story-cluster index
and the trend counts in faust tables co-partitioned with it. With
``WIRE_ENRICHMENT_STEPS=both`` the same app also runs the read step
(:mod:`read_step`) as a task; ``stories`` runs this step alone, in a process
without the language models, so taking the stories partition over is not starved
by them.

It applies the pipeline's retry/DLQ policy (:func:`shared.bus.process_record`: a
failing record goes to ``<its topic>.dlq`` with the reason) and marks a record
delivered (its progress, :mod:`progress`) only after Kafka acknowledged its outputs;
faust's own offset commits may run ahead of that, and the progress covers them.
"""
from __future__ import annotations

import asyncio
import logging
import time

import faust

from services.enrichment.clustering import buckets_sent, cluster_story, trend_keys
from services.enrichment.delivered import record_time
from services.enrichment.in_flight import IN_FLIGHT, InFlight, Sent
from services.enrichment.metrics import ENTITIES, REPEATS, STORIES, TABLE_KEYS
from services.enrichment.progress import StoriesProgress
from services.enrichment.settings import EnrichmentSettings
from services.enrichment.tables import StoryTables
from services.enrichment.trends import TrendCopier
from shared.bus import Outgoing, process_record
from shared.cache import Keys, connect
from shared.cloudevents import read_headers
from shared.events import Stage
from shared.stage import article_output, read_article_event
from shared.topics import Topics

STAGE = "enrichment"
log = logging.getLogger(__name__)


def idempotency_key(headers) -> str | None:
    return read_headers(headers or []).get("wire_idempotency_key")


def register_agents(app: faust.App, settings: EnrichmentSettings, tables: StoryTables, *,
                    read: bool = True) -> None:
    """The stories step, and with ``read`` the read step as a task of the same app."""
    topics = Topics(settings.topic_prefix)
    stories = app.topic(topics.stories, partitions=1, internal=True, key_serializer="raw",
                        value_serializer="raw")
    stopping = asyncio.Event()
    never = asyncio.Event()  # faust owns the cluster step's shutdown; its retries run to their limit

    @app.on_before_shutdown.connect
    async def finish(sender, **kwargs) -> None:
        stopping.set()
        log.info("enrichment tables at shutdown", extra={"tables": tables.digest()})

    if read:
        from services.enrichment.read_step import read_runner  # loads the models' modules

        @app.task
        async def read_articles() -> None:
            await read_runner(settings).run(stopping)

    async def place(record) -> list[Outgoing]:
        started = time.time()
        event = read_article_event(record)
        assignment = cluster_story(event, tables.index, buckets_sent(record.headers))
        if assignment.first_seen:
            keys = trend_keys(event)
            tables.count(keys, event.envelope.received_at.timestamp())
            STORIES.labels("joined" if assignment.matched_buckets else "founded").inc()
            for key in keys:
                ENTITIES.labels(key.split("\t", 1)[0]).inc()
        timing = event.envelope.stage_timings.get(Stage.ENRICHED.value)
        return [article_output(event, stage=Stage.ENRICHED, service=STAGE, topic=topics.enriched,
                               started_at=timing.started_at if timing else started)]

    progress = StoriesProgress(app, tables.progress, topics.stories)
    in_flight = InFlight(tables, progress)

    @app.on_partitions_revoked.connect
    async def forget_in_flight(sender, revoked, **kwargs) -> None:
        # at every rebalance (the whole assignment is revoked): whoever holds the stories
        # partition next, this worker too, reads them again
        if progress.tp in revoked:
            in_flight.forget()

    @app.agent(stories, name="cluster-stories")
    async def cluster_stories(stream: faust.StreamT) -> None:
        """Step 2: each read article → its story cluster and trend counts → articles.enriched.

        A record is skipped when its offset was delivered already (see
        :mod:`progress`) or when its story's latest delivered output has the same
        idempotency key: a redone read-step batch puts repeats on the stories
        topic at new offsets, and they must not reach articles.enriched again.

        While more records wait in the stream, a record's outputs go to the producer
        without waiting for Kafka's acknowledgement (at most ``IN_FLIGHT`` records'),
        so the records fetched together leave in one produce request; each is marked
        delivered, in offset order, only once Kafka acknowledged its outputs."""
        in_flight.start_over()  # faust restarted the agent: what it had in flight is read again
        async for event in stream.events():
            await take(event)
            if in_flight.sent and (len(in_flight.sent) >= IN_FLIGHT or stream.channel.queue.empty()):
                await in_flight.settle()

    async def take(event) -> None:
        offset = event.message.offset
        if progress.delivered_already(offset) or await progress.gap(offset):
            return
        key = idempotency_key(event.message.headers)
        story = event.message.key.decode("utf-8", "replace") if event.message.key else None
        epoch = in_flight.epoch
        if key is not None and story is not None and in_flight.key_of(story) == key:
            REPEATS.inc()
            # the records before it first, so marks go in offset order; none if they
            # were forgotten meanwhile (then this one is read again with them)
            if await in_flight.settle():
                progress.delivered(offset)
            return
        progress.started()
        outputs = await process_record(event.message, place, stage=STAGE, settings=settings, stop=never)
        acks = [await app.producer.send(out.topic, out.key, out.value, None, None, out.headers) for out in outputs]
        # a dead-lettered record may be replayed: its story's key is not marked
        marks = key is not None and story is not None and any(o.topic == topics.enriched for o in outputs)
        in_flight.add(Sent(offset, story if marks else None, key, record_time(event.message.timestamp), acks),
                      epoch=epoch)

    @app.timer(interval=2.0)
    async def read_skipped_stories() -> None:
        await in_flight.redrive()

    copier = TrendCopier(connect(settings.redis_url), Keys(settings.topic_prefix),
                         keep_s=settings.trend_window_s * settings.trend_windows_kept)

    @app.timer(interval=settings.trend_flush_interval_s)
    async def copy_trends() -> None:
        """Copy changed trend counts to Redis, where the gateway serves them: only the
        worker the stories are assigned to. Every worker runs the timer, and a standby's
        table (behind the active's, and marked changed whole at each rebalance) wrote its
        older counts over the active's; what it holds waits until it is the active."""
        if (progress.tp not in app.consumer.assignment() or app.rebalancing
                or not app.tables.recovery.completed.is_set()):
            return  # as progress.redrive: a standby, or the active while it recovers
        await copier.copy(tables.take_dirty(), everything=tables.all_counts)
        for name, size in tables.sizes().items():
            TABLE_KEYS.labels(name).set(size)

    @app.task
    async def report_recovered_state() -> None:
        await app.tables.recovery.completed.wait()
        log.info("enrichment tables recovered", extra={"tables": tables.digest()})
