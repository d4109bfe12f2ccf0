"""A local redis-server (Debian's package) with AOF persistence."""
from __future__ import annotations

import shutil
from pathlib import Path

import redis

from services.cli.stack.processes import ChildProcess, free_port, port_open, wait_until


class LocalRedis:
    def __init__(self, data_dir: Path, *, port: int | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.process: ChildProcess | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 30.0) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server not found: run `make setup` first")
        if port_open(self.port):
            raise RuntimeError(f"port {self.port} is already in use: is another redis-server running?")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.process = ChildProcess(
            "redis",
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.data_dir),
             "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--daemonize", "no",
             "--protected-mode", "yes"],
            log_path=self.data_dir / "redis.log",
        )
        self.process.start()
        wait_until(self.ready, timeout=timeout, what="waiting for redis-server", process=self.process)

    def ready(self) -> bool:
        try:
            return redis.Redis(port=self.port, socket_timeout=0.5).ping()
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process:
            self.process.stop(timeout=15)
