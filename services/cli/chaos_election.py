"""How long Kafka's own failover takes after a broker dies: from the SIGKILL until no
partition of the run's topics, nor of the group-offsets topic, names the dead node
as its leader any more. That leader election is the least a broker's death can
cost; the chaos table prints it beside the stall the pipeline saw."""
from __future__ import annotations

import asyncio
import logging
import threading
import time

from aiokafka.client import AIOKafkaClient
from aiokafka.structs import TopicPartition

OFFSETS = "__consumer_offsets"


def led_by(cluster, node_id: int, prefix: str) -> int:
    """Partitions of the run's topics (and group offsets) whose leader is ``node_id``
    or that have no leader."""
    count = 0
    for topic in cluster.topics(exclude_internal_topics=False):
        if not (topic.startswith(prefix) or topic == OFFSETS):
            continue
        for partition in cluster.partitions_for_topic(topic) or ():
            if cluster.leader_for_partition(TopicPartition(topic, partition)) in (node_id, -1):
                count += 1
    return count


async def _election_s(bootstrap: str, node_id: int, prefix: str, killed_at: float, *,
                      timeout_s: float, poll_s: float) -> float | None:
    client = AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=2000)
    await client.bootstrap()
    try:
        while time.time() - killed_at < timeout_s:
            try:
                cluster = await client.fetch_all_metadata()
                if led_by(cluster, node_id, prefix) == 0:
                    return time.time() - killed_at
            except Exception:  # noqa: BLE001 - a node down answers nothing: ask again
                pass
            await asyncio.sleep(poll_s)
        return None
    finally:
        await client.close()


class ElectionWatch:
    """Started right after a broker is killed; ``seconds`` is the election's length
    (None until it is over, or when it did not end within ``timeout_s``)."""

    def __init__(self, bootstrap: str, node_id: int, *, prefix: str, killed_at: float,
                 timeout_s: float = 60.0, poll_s: float = 0.05) -> None:
        self.seconds: float | None = None
        # the dead node is left out of the bootstrap list: it answers nothing
        self._args = (bootstrap, node_id, prefix, killed_at)
        self._options = {"timeout_s": timeout_s, "poll_s": poll_s}
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        # the dead node refuses every connection: aiokafka warns of each, which is the point
        logging.getLogger("aiokafka").setLevel(logging.ERROR)
        self.seconds = asyncio.run(_election_s(*self._args, **self._options))

    def wait(self, timeout_s: float | None = None) -> float | None:
        self._thread.join(timeout_s)
        return self.seconds
