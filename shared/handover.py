"""A topic that changes readers: where a stage group starts on a partition another
group read before it.

``articles.enriched`` is read by translation in a deployment that translates and by
publishing in one that does not (``WIRE_TARGET_LANGUAGES``). When a deployment
switches, the new reader's committed offsets there are missing or stale (from its
last turn), and a group starts where it committed, else at the topic's start: it
would redo days of the topic (re-translate, re-publish every story). So at each
assignment a partition starts no earlier than where the other group committed:
what that group handled went down the other path already. The runner holds a new
assignment paused until it has placed it (outside the rebalance callback, whose
wait would stop the heartbeats), and waits for Kafka rather than skip the placing.
"""
from __future__ import annotations

import logging

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

log = logging.getLogger(__name__)


def ahead(ours: dict[TopicPartition, int | None], theirs: dict[TopicPartition, int | None]) -> dict[TopicPartition, int]:
    """The partitions where the other group committed further than ours (or we never
    did), and the offset to start from there."""
    return {tp: their for tp, their in theirs.items()
            if their is not None and (ours.get(tp) is None or their > ours[tp])}


async def committed(admin: AIOKafkaAdminClient, group: str, tps: list[TopicPartition]) -> dict[TopicPartition, int | None]:
    """``group``'s committed offset on each of ``tps`` (None: never committed there).
    KafkaError when the answer lacks a partition asked for (the broker answers -1 for
    one never committed; a missing one is an error aiokafka did not raise)."""
    found = await admin.list_consumer_group_offsets(group, partitions=tps)
    missing = [tp for tp in tps if tp not in found]
    if missing:
        raise KafkaError(f"no committed offsets of {group} for {sorted(str(tp) for tp in missing)}")
    return {tp: found[tp].offset if found[tp].offset >= 0 else None for tp in tps}


async def catch_up(bootstrap: str, *, group: str, after: str,
                   partitions: set[TopicPartition]) -> dict[TopicPartition, int]:
    """Where ``group`` should start on ``partitions`` so as not to redo what group
    ``after`` committed: partition → offset, for those it is behind on. Raises
    KafkaError (or OSError) when Kafka does not answer."""
    if not partitions:
        return {}
    tps = sorted(partitions)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    try:
        await admin.start()
        seeks = ahead(await committed(admin, group, tps), await committed(admin, after, tps))
    finally:
        await admin.close()
    if seeks:
        log.info("starting where the topic's previous reader left off",
                 extra={"group": group, "after": after, "partitions": {str(tp): o for tp, o in seeks.items()}})
    return seeks
