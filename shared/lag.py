"""How much work waits: consumer lag per group and partition, and DLQ depth.

Asks Kafka directly (committed offsets of each consumer group, end and beginning
offsets of each topic), so it sees a stage that is down as well as one that is slow.
:class:`BacklogCollector` exposes the last measurement to Prometheus as
``wire_consumer_lag_messages{group,topic,partition}`` and
``wire_dlq_depth_messages{topic,source_topic}``.
"""
from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from prometheus_client.core import REGISTRY, GaugeMetricFamily

from shared.topics import Topics

log = logging.getLogger(__name__)

# The consuming stages and the topic each reads (faust's app id is the same group name).
STAGE_INPUTS = {"ingest": "inbound", "enrichment": "ingested", "translation": "enriched",
                "publishing": "translated"}
# What each stage writes: its output topic's growth is the stage's throughput.
STAGE_OUTPUTS = {"gateway": "inbound", "ingest": "ingested", "enrichment": "enriched",
                 "translation": "translated", "publishing": "published"}


def stage_inputs(topics: Topics, translates: bool) -> dict[str, str]:
    """The consuming stages a deployment runs → the topic each reads: a deployment
    without target languages runs no translation (:meth:`Topics.publishing_input`)."""
    reads = {stage: getattr(topics, attr) for stage, attr in STAGE_INPUTS.items()
             if translates or stage != "translation"}
    reads["publishing"] = topics.publishing_input(translates)
    return reads


def stage_outputs(translates: bool) -> dict[str, str]:
    """The stages a deployment runs → the topic each writes."""
    return {stage: wrote for stage, wrote in STAGE_OUTPUTS.items() if translates or stage != "translation"}
REPLAY_SERVICE = "dlq-replay"


def replay_group(topics: Topics) -> str:
    """The consumer group whose committed offsets mark how far each DLQ was replayed."""
    return topics.group(REPLAY_SERVICE)


def dlq_sources(topics: Topics) -> list[str]:
    """The input topics that have a DLQ, upstream first."""
    return [getattr(topics, attr) for attr in STAGE_INPUTS.values()]


def dlq_topics(topics: Topics) -> dict[str, str | None]:
    """Every DLQ of the pipeline → the topic its records came from (None: not a topic)."""
    found: dict[str, str | None] = {Topics.dlq(source): source for source in dlq_sources(topics)}
    # publishing's dead webhook deliveries: re-sent by publishing, not replayed to a topic
    found[topics.webhook_dlq] = None
    return found


@dataclass(frozen=True)
class PartitionLag:
    group: str
    topic: str
    partition: int
    committed: int | None  # None: the group never committed here (lag counts from the start)
    end: int
    lag: int


@dataclass(frozen=True)
class DlqDepth:
    topic: str
    source_topic: str | None
    retained: int  # records still in the topic (not purged)
    pending: int  # records not yet replayed or purged


@dataclass
class Backlog:
    """One measurement of the pipeline's lag and DLQs."""

    measured_at: float
    lag: list[PartitionLag] = field(default_factory=list)
    dlqs: list[DlqDepth] = field(default_factory=list)
    # End offset (sum over partitions) of each stage's output topic.
    produced: dict[str, int] = field(default_factory=dict)

    def group_lag(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for row in self.lag:
            totals[row.group] = totals.get(row.group, 0) + row.lag
        return totals

    def as_dict(self) -> dict[str, Any]:
        return {"measured_at": self.measured_at, "lag": [asdict(r) for r in self.lag],
                "groups": self.group_lag(), "dlqs": [asdict(d) for d in self.dlqs], "produced": self.produced}


class OffsetReader:
    """An admin client plus a group-less consumer: reads offsets, joins no group."""

    def __init__(self, bootstrap: str) -> None:
        self.admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
        self.consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                         request_timeout_ms=10_000)

    async def start(self) -> None:
        """Connect both clients; on failure nothing is left open (raises KafkaError)."""
        await self.admin.start()
        try:
            await self.consumer.start()
        except BaseException:
            await self.admin.close()
            raise

    async def stop(self) -> None:
        await self.consumer.stop()
        await self.admin.close()

    async def partitions(self, topics: list[str]) -> list[TopicPartition]:
        """The partitions of ``topics`` that exist (unknown topics are skipped)."""
        found = []
        for meta in await self.admin.describe_topics(topics):
            if meta.get("error_code") == 0:
                found += [TopicPartition(meta["topic"], p["partition"]) for p in meta["partitions"]]
        return sorted(found)

    async def ends(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        return await self.consumer.end_offsets(tps) if tps else {}

    async def beginnings(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        return await self.consumer.beginning_offsets(tps) if tps else {}

    async def committed(self, group: str) -> dict[TopicPartition, int]:
        """The group's committed offsets ({} for a group that never committed)."""
        try:
            offsets = await self.admin.list_consumer_group_offsets(group)
        except KafkaError as exc:
            # No __consumer_offsets yet on a fresh cluster: nothing was ever committed.
            log.debug("no committed offsets", extra={"group": group, "error": repr(exc)})
            return {}
        return {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}

    async def read(self, plan: dict[TopicPartition, int], ends: dict[TopicPartition, int]) -> list[ConsumerRecord]:
        """The records of each partition from ``plan[tp]`` up to ``ends[tp]`` (exclusive)."""
        todo = {tp: start for tp, start in plan.items() if start < ends.get(tp, 0)}
        records: list[ConsumerRecord] = []
        if not todo:
            return records
        self.consumer.assign(list(todo))
        for tp, start in todo.items():
            self.consumer.seek(tp, start)
        idle = 0
        while todo and idle < 3:  # idle polls: only transaction markers are left
            batch = await self.consumer.getmany(*todo, timeout_ms=1000)
            idle = 0 if batch else idle + 1
            for tp, got in batch.items():
                records += [r for r in got if r.offset < ends[tp]]
                if await self.consumer.position(tp) >= ends[tp]:
                    todo.pop(tp, None)
        self.consumer.unsubscribe()
        return records

    async def groups(self, prefix: str) -> list[str]:
        return sorted(g[0] for g in await self.admin.list_consumer_groups() if str(g[0]).startswith(prefix))


async def measure(reader: OffsetReader, topics: Topics, *, translates: bool) -> Backlog:
    """Lag of every stage group the deployment runs (``translates``: with its
    translation stage; and any other ``<prefix>wire-*`` group), DLQ depths and the
    output offsets of every stage. Raises KafkaError when Kafka is unreachable."""
    backlog = Backlog(measured_at=time.time())
    replay = replay_group(topics)
    outputs = stage_outputs(translates)
    wanted = {topics.group(service): topic for service, topic in stage_inputs(topics, translates).items()}
    # a stage the deployment does not run (translation after it stopped translating) is not lag
    retired = {topics.group(stage) for stage in STAGE_INPUTS} - set(wanted)
    extra = [g for g in await reader.groups(topics.group("")) if g not in wanted and g != replay and g not in retired]
    inputs = {getattr(topics, attr) for attr in STAGE_INPUTS.values()}
    names = sorted(set(wanted.values()) | {getattr(topics, attr) for attr in outputs.values()})
    dlqs = dlq_topics(topics)
    all_tps = await reader.partitions(names + list(dlqs))
    ends = await reader.ends(all_tps)
    starts = await reader.beginnings(all_tps)
    for group in list(wanted) + extra:
        committed = await reader.committed(group)
        # A stage's whole input (a partition never committed lags by all it holds), plus
        # whatever else the group commits (e.g. faust's repartition topics), but not a
        # stage input it read before the deployment's topology changed.
        mine = wanted.get(group)
        tps = sorted({tp for tp in all_tps if tp.topic == mine}
                     | {tp for tp in committed if mine is None or tp.topic == mine or tp.topic not in inputs})
        if set(tps) - set(ends):
            ends.update(await reader.ends([tp for tp in tps if tp not in ends]))
        for tp in tps:
            end = ends.get(tp, 0)
            done = committed.get(tp)
            behind = end - (done if done is not None else starts.get(tp, 0))
            backlog.lag.append(PartitionLag(group, tp.topic, tp.partition, done, end, max(0, behind)))
    replayed = await reader.committed(replay)
    for name, source in dlqs.items():
        dlq = [tp for tp in all_tps if tp.topic == name]
        if not dlq:
            continue
        retained = sum(ends[tp] - starts[tp] for tp in dlq)
        pending = sum(ends[tp] - max(starts[tp], replayed.get(tp, 0)) for tp in dlq)
        backlog.dlqs.append(DlqDepth(name, source, retained, max(0, pending)))
    for stage, attr in outputs.items():
        topic = getattr(topics, attr)
        backlog.produced[stage] = sum(end for tp, end in ends.items() if tp.topic == topic)
    return backlog


class BacklogCollector:
    """A Prometheus collector that reports the latest :class:`Backlog` it was given."""

    def __init__(self) -> None:
        self.latest: Backlog | None = None

    def collect(self):
        lag = GaugeMetricFamily("wire_consumer_lag_messages",
                                "Records in a partition not yet committed by a consumer group",
                                labels=["group", "topic", "partition"])
        depth = GaugeMetricFamily("wire_dlq_depth_messages",
                                  "Records in a dead-letter topic not yet replayed or purged",
                                  labels=["topic", "source_topic"])
        retained = GaugeMetricFamily("wire_dlq_retained_messages",
                                     "Records kept in a dead-letter topic (replayed or not)",
                                     labels=["topic", "source_topic"])
        age = GaugeMetricFamily("wire_backlog_measured_timestamp_seconds",
                                "When lag and DLQ depth were last measured (Unix time)")
        if self.latest is not None:
            for row in self.latest.lag:
                lag.add_metric([row.group, row.topic, str(row.partition)], row.lag)
            for dlq in self.latest.dlqs:
                depth.add_metric([dlq.topic, dlq.source_topic or ""], dlq.pending)
                retained.add_metric([dlq.topic, dlq.source_topic or ""], dlq.retained)
            age.add_metric([], self.latest.measured_at)
        yield from (lag, depth, retained, age)


_collector: BacklogCollector | None = None


def backlog_collector() -> BacklogCollector:
    """The process's collector, registered with the default registry on first use."""
    global _collector
    if _collector is None:
        _collector = BacklogCollector()
        REGISTRY.register(_collector)
    return _collector
