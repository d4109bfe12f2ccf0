"""Apache Kafka (KRaft) run from the jars the set-up resolved from Maven Central
(``deploy/kafka/pom.xml`` → ``.cache/kafka/libs``): one node, or a cluster of N
nodes that are each broker and controller (:class:`KafkaCluster`)."""
from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
import base64
import uuid
from pathlib import Path
from string import Template

from aiokafka.admin import AIOKafkaAdminClient

from services.cli.stack.processes import CACHE, REPO, ChildProcess, free_port, port_open, wait_until

KAFKA_LIBS = CACHE / "kafka" / "libs"
DEPLOY = REPO / "deploy" / "kafka"
# Per broker: under the bench's load and soak the heap held ~250 MB, garbage included.
BROKER_HEAP = "512m"


class LocalKafka:
    """Kafka with its data under ``data_dir`` (kept across restarts)."""

    def __init__(self, data_dir: Path, *, port: int | None = None, controller_port: int | None = None,
                 heap: str = BROKER_HEAP, node_id: int = 1, voters: str | None = None, cluster_id: str | None = None,
                 overrides: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.controller_port = controller_port or free_port()
        self.heap = heap
        self.node_id = node_id
        self.voters = voters  # controller.quorum.voters of a cluster; None: this node alone
        self.cluster_id = cluster_id
        self.overrides = overrides or {}
        self.process: ChildProcess | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _java(self, main_class: str, *args: str, heap: str = "256m") -> list[str]:
        if not KAFKA_LIBS.is_dir():
            raise RuntimeError(f"Kafka jars missing in {KAFKA_LIBS}: run `make setup` first")
        # TieredStopAtLevel=1: the client JIT only. On the two cores the broker shares
        # with the pipeline, C2's compiler threads still took half the broker's CPU
        # minutes into a run (9 of 20 ms per article, after 300 warm-up articles 7.6 of
        # 15.5); its faster code saved less than that (request threads 6.0 → 6.5 ms).
        return [
            "java", f"-Xms{heap}", f"-Xmx{heap}", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-XX:TieredStopAtLevel=1",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={DEPLOY / 'log4j2.yaml'}",
            "-cp", f"{KAFKA_LIBS}/*", main_class, *args,
        ]

    def _write_config(self) -> Path:
        log_dirs = self.data_dir / "data"
        text = Template((DEPLOY / "server.properties").read_text()).substitute(
            port=self.port, controller_port=self.controller_port, log_dirs=log_dirs
        )
        # Lets replicas choose a session timeout of a few seconds (failover speed)
        settings = {"node.id": str(self.node_id), "group.min.session.timeout.ms": "1000", **self.overrides}
        if self.voters:
            settings["controller.quorum.voters"] = self.voters
        text = _override(text, settings)
        config = self.data_dir / "server.properties"
        config.write_text(text)
        return config

    def _format_once(self, config: Path) -> None:
        if (self.data_dir / "data" / "meta.properties").exists():
            return
        cid = self.cluster_id or new_cluster_id()
        fmt = ChildProcess("kafka-format", self._java("kafka.tools.StorageTool", "format", "-t", cid, "-c", str(config)),
                           log_path=self.data_dir / "format.log")
        fmt.start()
        if fmt.proc.wait(120) != 0:
            raise RuntimeError(f"formatting Kafka storage failed:\n{fmt.log_tail()}")

    def start(self, timeout: float = 90.0) -> None:
        self.launch()
        self.wait_ready(timeout)

    def launch(self) -> None:
        """Start the process without waiting (a cluster's nodes wait for each other)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if port_open(self.port) or port_open(self.controller_port):
            raise RuntimeError(f"port {self.port} or {self.controller_port} is already in use: is another Kafka running?")
        config = self._write_config()
        self._format_once(config)
        self.process = ChildProcess(f"kafka-{self.node_id}", self._java("kafka.Kafka", str(config), heap=self.heap),
                                    log_path=self.data_dir / "kafka.log")
        self.process.start()

    def wait_ready(self, timeout: float = 90.0) -> None:
        wait_until(self.ready, timeout=timeout, what=f"waiting for Kafka node {self.node_id}", process=self.process)

    def kill(self) -> None:
        """SIGKILL: the crash a test wants to survive."""
        if self.process:
            self.process.kill()

    def ready(self) -> bool:
        if not port_open(self.port):
            return False
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(_metadata_ok(self.bootstrap))
        # called from a coroutine (a test restarting a node from the loop's thread, which
        # must own the child for PDEATHSIG): probe on a thread of its own
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, _metadata_ok(self.bootstrap)).result()

    def stop(self) -> None:
        if self.process:
            self.process.stop(timeout=30)


def new_cluster_id() -> str:
    cid = "-"
    while cid.startswith("-"):  # the storage tool would read a leading "-" as an option
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    return cid


def _override(text: str, settings: dict[str, str]) -> str:
    """``text`` (a .properties file) with each key of ``settings`` set to its value."""
    lines = [line for line in text.splitlines() if line.split("=", 1)[0].strip() not in settings]
    return "\n".join(lines + [f"{key}={value}" for key, value in settings.items()]) + "\n"


async def _metadata_ok(bootstrap: str) -> bool:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
    try:
        await admin.start()
        await admin.list_topics()
        return True
    except Exception:  # noqa: BLE001 - not ready yet
        return False
    finally:
        await admin.close()
