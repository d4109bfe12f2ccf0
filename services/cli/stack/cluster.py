"""A local Kafka cluster: N KRaft nodes from the same jars, each broker and
controller (a quorum of N voters), with every topic — the internal ones too —
replicated ``min(N, 3)`` times and ``min.insync.replicas`` 2: the layout of a
production cluster, on one machine, so the multi-broker path is run and tested."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from services.cli.stack.kafka import BROKER_HEAP, LocalKafka, new_cluster_id
from services.cli.stack.processes import free_port


def cluster_overrides(size: int) -> dict[str, str]:
    """Replication settings for a cluster of ``size`` nodes (internal topics included:
    a consumer group's offsets and the transaction log must survive a node too)."""
    replication = str(min(size, 3))
    isr = str(min(size - 1, 2)) if size > 1 else "1"
    return {
        "default.replication.factor": replication,
        "min.insync.replicas": isr,
        "offsets.topic.replication.factor": replication,
        "transaction.state.log.replication.factor": replication,
        "transaction.state.log.min.isr": isr,
        "share.coordinator.state.topic.replication.factor": replication,
        "share.coordinator.state.topic.min.isr": isr,
        # A SIGKILLed node is fenced (its partitions' leaders move) after this,
        # not the default 9 s.
        "broker.session.timeout.ms": "3000",
        "broker.heartbeat.interval.ms": "500",
    }


class KafkaCluster:
    """``size`` nodes under ``data_dir/node-<i>`` (kept across restarts, ports too)."""

    def __init__(self, data_dir: Path, *, size: int = 3, heap: str = BROKER_HEAP,
                 ports: list[int] | None = None, controller_ports: list[int] | None = None) -> None:
        self.data_dir = data_dir
        self.size = size
        ports = ports or [free_port() for _ in range(size)]
        controller_ports = controller_ports or [free_port() for _ in range(size)]
        voters = ",".join(f"{i + 1}@127.0.0.1:{controller_ports[i]}" for i in range(size))
        cluster_id = self._cluster_id()
        self.nodes = [
            LocalKafka(data_dir / f"node-{i + 1}", port=ports[i], controller_port=controller_ports[i], heap=heap,
                       node_id=i + 1, voters=voters, cluster_id=cluster_id, overrides=cluster_overrides(size))
            for i in range(size)
        ]

    def _cluster_id(self) -> str:
        # all nodes must be formatted with one id, also when the cluster is started again
        path = self.data_dir / "cluster.id"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(new_cluster_id())
        return path.read_text().strip()

    @property
    def bootstrap(self) -> str:
        return ",".join(node.bootstrap for node in self.nodes)

    @property
    def replication(self) -> int:
        return min(self.size, 3)

    def start(self, timeout: float = 120.0) -> None:
        for node in self.nodes:
            node.launch()  # a node is ready only once a majority of controllers is up
        with ThreadPoolExecutor(self.size) as pool:
            list(pool.map(lambda node: node.wait_ready(timeout), self.nodes))

    def kill(self, index: int) -> float:
        """SIGKILL node ``index`` (0-based); returns when it died (monotonic)."""
        self.nodes[index].kill()
        return time.monotonic()

    def restart(self, index: int, timeout: float = 120.0) -> None:
        node = self.nodes[index]
        node.launch()
        node.wait_ready(timeout)

    def stop(self) -> None:
        with ThreadPoolExecutor(self.size) as pool:
            list(pool.map(lambda node: node.stop(), self.nodes))
