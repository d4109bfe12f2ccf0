"""A topic that changes readers: where a stage group starts on a partition another
group read before it.

``articles.enriched`` is read by translation in a deployment that translates and by
publishing in one that does not (``WIRE_TARGET_LANGUAGES``). When a deployment
switches, the new reader's committed offsets there are missing or stale (from its
last turn), and a group starts where it committed, else at the topic's start: it
would redo days of the topic (re-translate, re-publish every story). So at each
assignment a partition starts no earlier than where the other group committed:
what that group handled went down the other path already.
"""
from __future__ import annotations

import logging

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

log = logging.getLogger(__name__)


def ahead(ours: dict[TopicPartition, int | None], theirs: dict[TopicPartition, int | None]) -> dict[TopicPartition, int]:
    """The partitions where the other group committed further than ours (or we never
    did), and the offset to start from there."""
    return {tp: their for tp, their in theirs.items()
            if their is not None and (ours.get(tp) is None or their > ours[tp])}


async def committed(admin: AIOKafkaAdminClient, group: str, tps: list[TopicPartition]) -> dict[TopicPartition, int | None]:
    """``group``'s committed offset on each of ``tps`` (None: never committed there)."""
    found = await admin.list_consumer_group_offsets(group, partitions=tps)
    return {tp: found[tp].offset if tp in found and found[tp].offset >= 0 else None for tp in tps}


async def catch_up(consumer: AIOKafkaConsumer, bootstrap: str, *, group: str, after: str,
                   assigned: set[TopicPartition]) -> dict[TopicPartition, int]:
    """Seek ``consumer`` (of ``group``) past what group ``after`` committed on the
    partitions just ``assigned``; returns the seeks made."""
    if not assigned:
        return {}
    tps = sorted(assigned)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    await admin.start()
    try:
        seeks = ahead(await committed(admin, group, tps), await committed(admin, after, tps))
    finally:
        await admin.close()
    for tp, offset in seeks.items():
        consumer.seek(tp, offset)
    if seeks:
        log.info("started where the topic's previous reader left off",
                 extra={"group": group, "after": after, "partitions": {str(tp): o for tp, o in seeks.items()}})
    return seeks
