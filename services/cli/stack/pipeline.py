"""The five Wirestream services as local child processes."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import httpx

from services.cli.stack.processes import REPO, ChildProcess, wait_until

SERVICES = ("ingest", "enrichment", "translation", "publishing", "gateway")


class Pipeline:
    """Starts, watches and stops the services of one pipeline.

    Every service gets the same ``WIRE_*`` environment (Kafka, Redis, topic
    prefix); ``env`` adds or overrides settings. With ``log_dir`` each service
    logs to ``<log_dir>/<name>.log``, else to this process's terminal.
    """

    def __init__(self, *, kafka_bootstrap: str, redis_url: str, gateway_port: int, prefix: str = "",
                 data_dir: Path, log_dir: Path | None = None, env: dict[str, str] | None = None) -> None:
        self.gateway_port = gateway_port
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
        self.processes = {
            name: ChildProcess(name, [sys.executable, "-m", f"services.{name}"],
                               log_path=log_dir / f"{name}.log" if log_dir else None,
                               env=self.base_env, cwd=REPO)
            for name in SERVICES
        }
        self.restarts: dict[str, float] = {}

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
        for name in ("gateway", *SERVICES[:-1]):
            self.processes[name].stop()
