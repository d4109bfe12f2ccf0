"""The five Wirestream services as local child processes."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import httpx

from services.cli.stack.processes import REPO, ChildProcess, wait_until

SERVICES = ("ingest", "enrichment", "translation", "publishing", "gateway")
WORKERS = SERVICES[:-1]


class Pipeline:
    """Starts, watches and stops the services of one pipeline.

    Every service gets the same ``WIRE_*`` environment (Kafka, Redis, topic
    prefix); ``env`` adds or overrides settings. With ``log_dir`` each service
    logs to ``<log_dir>/<name>.log``, else to this process's terminal.

    With ``replicas`` > 1 every worker runs that many times, as processes named
    ``<service>-<i>`` with ``WIRE_REPLICA=<i>`` (client ids, leases) and a data
    folder each; the gateway runs once.
    """

    def __init__(self, *, kafka_bootstrap: str, redis_url: str, gateway_port: int, prefix: str = "",
                 data_dir: Path, log_dir: Path | None = None, env: dict[str, str] | None = None,
                 replicas: int = 1) -> None:
        self.gateway_port = gateway_port
        self.data_dir = data_dir
        self.log_dir = log_dir
        self.replicas = replicas
        self.base_env = {
            "WIRE_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "WIRE_REDIS_URL": redis_url,
            "WIRE_TOPIC_PREFIX": prefix,
            "WIRE_PORT": str(gateway_port),
            "WIRE_PUBLIC_URL": f"http://127.0.0.1:{gateway_port}",
            "WIRE_DATA_DIR": str(data_dir / "enrichment"),
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        self.processes: dict[str, ChildProcess] = {}
        for service in WORKERS:
            for replica in range(1, replicas + 1):
                self._add(service, replica if replicas > 1 else None)
        self._add("gateway", None)
        self.restarts: dict[str, float] = {}

    def _add(self, service: str, replica: int | None, *, start: bool = False) -> ChildProcess:
        name = service if replica is None else f"{service}-{replica}"
        env = dict(self.base_env)
        if replica is not None:
            env["WIRE_REPLICA"] = str(replica)
            env["WIRE_DATA_DIR"] = str(self.data_dir / f"enrichment-{replica}")
        process = ChildProcess(name, [sys.executable, "-m", f"services.{service}"],
                               log_path=self.log_dir / f"{name}.log" if self.log_dir else None, env=env, cwd=REPO)
        if start:  # started before it is listed: a supervisor never sees it not yet running
            process.start()
        self.processes[name] = process
        return process

    def replicas_of(self, service: str) -> list[str]:
        return [name for name in self.processes if name == service or name.startswith(f"{service}-")]

    def add_replica(self, service: str) -> str:
        """Start one more replica of ``service`` (it joins the consumer group)."""
        replica = 1 + max(int(name.rsplit("-", 1)[1]) for name in self.replicas_of(service)
                          if "-" in name) if self.replicas > 1 else 2
        return self._add(service, replica, start=True).name

    def remove_replica(self, name: str) -> None:
        """Stop a replica (SIGTERM: it leaves the group at once) and forget it."""
        self.processes.pop(name).stop()

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    def start(self, timeout: float = 60.0) -> None:
        for process in self.processes.values():
            process.start()
        wait_until(self.gateway_ready, timeout=timeout, what="waiting for the gateway's /readyz",
                   process=self.processes["gateway"])

    def gateway_ready(self) -> bool:
        try:
            return httpx.get(f"{self.gateway_url}/readyz", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def restart_dead(self, *, min_interval: float = 5.0) -> list[str]:
        """Start again every service that exited (at most once per ``min_interval``)."""
        restarted = []
        for name, process in self.processes.items():
            if not process.alive() and time.monotonic() - self.restarts.get(name, 0) > min_interval:
                self.restarts[name] = time.monotonic()
                process.start()
                restarted.append(name)
        return restarted

    def stop(self) -> None:
        # The gateway first (no new work), then the workers, upstream to downstream.
        for service in ("gateway", *WORKERS):
            for name in self.replicas_of(service):
                self.processes[name].stop()
