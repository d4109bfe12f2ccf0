"""Which member of a consumer group owns a partition, by its client id: the chaos run
kills the replica that runs enrichment's stories step, not its idle standby, so its
row measures a takeover."""
from __future__ import annotations

import asyncio

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment


def assigned(member_assignment: bytes) -> set[tuple[str, int]]:
    """(topic, partition) pairs of one member's assignment (the consumer protocol's
    encoding, which faust's assignor uses too, with its own user data)."""
    if not member_assignment:
        return set()
    decoded = ConsumerProtocolMemberAssignment.decode(member_assignment)
    return {(topic, partition) for topic, partitions in decoded.assignment for partition in partitions}


async def _owner(bootstrap: str, group: str, topic: str, partition: int) -> str | None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
    await admin.start()
    try:
        for response in await admin.describe_consumer_groups([group]):
            # DescribeGroups v0-v3 (what aiokafka sends): groups are (error, group,
            # state, protocol type, protocol, members, …); members are (member id,
            # client id, client host, metadata, assignment)
            for described in response.groups:
                for member in described[5]:
                    if (topic, partition) in assigned(member[4]):
                        return member[1]
        return None
    finally:
        await admin.close()


def partition_owner(bootstrap: str, group: str, topic: str, partition: int = 0) -> str | None:
    """The client id of the group member that owns ``topic``/``partition`` now, or None."""
    return asyncio.run(_owner(bootstrap, group, topic, partition))
