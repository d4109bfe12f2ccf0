"""Rebalances in the middle of a batch, for every stage's runner, on the real broker:
a second replica joins the group while the first holds a batch, then leaves again.
Nothing is lost, nothing is redone (the batch in hand is committed before the
partitions move), and neither replica crashes."""
from __future__ import annotations

import asyncio

import pytest

from shared.batching import AllAtOnce, PerRecord, PerStory, UrgentFirst
from shared.bus import Outgoing
from shared.runner import StageRunner
from shared.topics import Topics, ensure_topics
from tests.kafka_helpers import committed, produce, read_topic
from tests.waiting import eventually

pytestmark = pytest.mark.integration

# every stage runs the one StageRunner; they differ in how a batch is worked
STRATEGIES = {"ingest/enrichment": PerRecord(), "translation": UrgentFirst(within=AllAtOnce()),
              "publishing": PerStory()}
COUNT = 300
PARTITIONS = 4


def slow_copy(topics: Topics, seen: list[int], joined):
    async def handle(record) -> list[Outgoing]:
        seen.append(int(record.value))
        # a batch takes long enough for a rebalance to land inside it; slower still until
        # the second replica got work, so a slow join on a busy machine still finds some
        await asyncio.sleep(0.03 if joined() else 0.2)
        return [Outgoing(topics.ingested, record.key, record.value, [])]

    return handle


@pytest.mark.parametrize("stage", sorted(STRATEGIES))
async def test_a_replica_joining_and_leaving_mid_batch_loses_and_repeats_nothing(settings, stage):
    # replicas notice a rebalance at their next heartbeat: make that soon
    settings = settings.model_copy(update={"batch_max_records": 40, "kafka_heartbeat_interval_ms": 300})
    topics = Topics(settings.topic_prefix)
    await ensure_topics(settings.kafka_bootstrap, topics, partitions=PARTITIONS)
    await produce(settings.kafka_bootstrap, topics.inbound,
                  [(f"story-{i}".encode(), str(i).encode(), []) for i in range(COUNT)])
    seen: dict[str, list[int]] = {"1": [], "2": []}
    runners, stops, tasks = {}, {}, {}

    def start(replica: str) -> None:
        runners[replica] = StageRunner(
            stage="test", topic=topics.inbound, group_id=topics.group("test"),
            handle=slow_copy(topics, seen[replica], lambda: bool(seen["2"])), settings=settings.model_copy(update={"replica": replica}),
            strategy=STRATEGIES[stage])
        stops[replica] = asyncio.Event()
        tasks[replica] = asyncio.create_task(runners[replica].run(stops[replica]))

    try:
        start("1")
        await eventually(lambda: _true(len(seen["1"]) >= 5), interval=0.01)  # replica 1 is inside a batch
        start("2")
        await eventually(lambda: _true(len(seen["2"]) >= 5), interval=0.01, timeout=90)  # the join reassigned partitions
        assert not tasks["1"].done(), "replica 1 crashed on the rebalance"
        stops["2"].set()  # replica 2 leaves mid-batch: its partitions go back to replica 1
        await asyncio.wait_for(tasks["2"], 30)
        tasks["2"].result()  # raises if replica 2 crashed
        await eventually(lambda: _committed_all(settings, topics), timeout=60)
        assert not tasks["1"].done(), "replica 1 crashed on the second rebalance"
    finally:
        for stop in stops.values():
            stop.set()
        await asyncio.gather(*tasks.values(), return_exceptions=True)

    out = await read_topic(settings.kafka_bootstrap, topics.ingested, expect=COUNT + 1, timeout=10)
    values = sorted(int(r.value) for r in out)
    assert set(values) == set(range(COUNT)), f"records lost: {len(set(values))} dropped={[r.dropped_batches for r in runners.values()]}"
    # A batch is redone only when its commit failed: the group expired a member that
    # missed its heartbeats (a starved machine), never because of the join or leave.
    failed = sum(r.failed_commits for r in runners.values())
    repeats = len(values) - COUNT
    assert repeats <= failed * settings.batch_max_records, f"a batch was redone after the rebalance: {repeats}"
    if not failed:
        assert values == list(range(COUNT))
    assert runners["1"].client_id == "test-1" and runners["2"].client_id == "test-2"


async def _true(value: bool) -> bool:
    return value


async def _committed_all(settings, topics: Topics) -> bool:
    return await committed(settings.kafka_bootstrap, topics.group("test"), topics.inbound, PARTITIONS) == COUNT
