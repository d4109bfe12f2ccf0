"""Service liveness: every process writes a heartbeat to Redis that ``wire status``
and the dashboard read.

Each process keeps one key, ``<prefix>wire:status:<service>:<host>:<pid>``, holding
JSON ``{service, host, pid, started_at, ts, stopped_at, metrics_port, last_error}``,
rewritten every ``interval_s`` and kept for an hour after the last beat. A process is
*up* while its last beat is younger than three intervals; a clean shutdown writes a
last beat with ``stopped_at``. ``last_error`` is the last message this process sent
to a DLQ or retried (recorded by the runner through :func:`record_error`).
"""
from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from dataclasses import dataclass
from typing import Any

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

from shared.cache import Keys, connect
from shared.settings import WireSettings
from shared.stopping import sleep_until

log = logging.getLogger(__name__)

INTERVAL_S = 5.0
KEEP_S = 3600
_last_error: dict[str, Any] | None = None


def record_error(stage: str, exc: BaseException, record: Any = None) -> None:
    """Remember ``exc`` as this process's last error (shown by ``wire status``), with
    where the Kafka ``record`` it concerned came from when there is one."""
    global _last_error
    _last_error = {
        "ts": time.time(),
        "stage": stage,
        "error_class": type(exc).__name__,
        "error_code": str(getattr(exc, "code", "error")),
        "message": str(exc)[:500],
    }
    if record is not None:
        _last_error.update(topic=record.topic, partition=record.partition, offset=record.offset,
                           key=(record.key or b"").decode("utf-8", "replace")[:300])


def last_error() -> dict[str, Any] | None:
    return _last_error


def status_pattern(keys: Keys, service: str = "*") -> str:
    return keys.status_pattern(service)


class Heartbeat:
    """The heartbeat of one process of ``service``."""

    def __init__(self, redis: Redis, keys: Keys, service: str, *, interval_s: float = INTERVAL_S,
                 metrics_port: int | None = None) -> None:
        self.redis = redis
        self.service = service
        self.interval_s = interval_s
        self.metrics_port = metrics_port
        self.started_at = time.time()
        self.host = socket.gethostname()
        self.key = keys.status(service, self.host, os.getpid())
        self._warned = False

    def status(self, *, stopped: bool = False) -> dict[str, Any]:
        now = time.time()
        return {
            "service": self.service, "host": self.host, "pid": os.getpid(), "started_at": self.started_at,
            "ts": now, "interval_s": self.interval_s, "stopped_at": now if stopped else None,
            "metrics_port": self.metrics_port, "last_error": last_error(),
        }

    async def beat(self, *, stopped: bool = False) -> None:
        """Write the status once. Redis being unreachable is logged, never raised."""
        try:
            await asyncio.wait_for(
                self.redis.set(self.key, orjson.dumps(self.status(stopped=stopped)), ex=KEEP_S), timeout=3.0)
            self._warned = False
        except (RedisError, OSError, asyncio.TimeoutError) as exc:
            if not self._warned:  # one line per outage, not one per beat
                log.warning("heartbeat not written", extra={"error": repr(exc)})
                self._warned = True

    async def run(self, stop: asyncio.Event) -> None:
        """Beat every ``interval_s`` until ``stop`` is set, then write a last beat."""
        try:
            while not stop.is_set():
                await self.beat()
                await sleep_until(stop, self.interval_s)
        finally:
            await asyncio.shield(self.beat(stopped=True))


async def run_heartbeat(service: str, settings: WireSettings, stop: asyncio.Event, *,
                        metrics_port: int | None = None, interval_s: float = INTERVAL_S) -> None:
    """Beat for ``service`` on its own Redis connection until ``stop`` is set."""
    redis = connect(settings.redis_url)
    try:
        await Heartbeat(redis, Keys(settings.topic_prefix), service, interval_s=interval_s,
                        metrics_port=metrics_port).run(stop)
    finally:
        await redis.aclose()


def attach_to_faust(app: Any, service: str, settings: WireSettings, *, metrics_port: int | None = None) -> None:
    """Run the heartbeat as a task of a faust app (it is cancelled when faust stops)."""

    @app.task
    async def _heartbeat() -> None:
        await run_heartbeat(service, settings, asyncio.Event(), metrics_port=metrics_port)


@dataclass(frozen=True)
class ProcessStatus:
    """One process as its last heartbeat described it."""

    service: str
    host: str
    pid: int
    ts: float
    started_at: float
    stopped_at: float | None
    interval_s: float
    metrics_port: int | None
    last_error: dict[str, Any] | None

    def up(self, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        return self.stopped_at is None and now - self.ts < 3 * self.interval_s

    def state(self, now: float | None = None) -> str:
        return "up" if self.up(now) else ("stopped" if self.stopped_at else "down")


async def read_statuses(redis: Redis, keys: Keys) -> list[ProcessStatus]:
    """Every process that beat within the last hour, sorted by service then host/pid."""
    found: list[ProcessStatus] = []
    async for key in redis.scan_iter(match=status_pattern(keys), count=200):
        raw = await redis.get(key)
        if not raw:
            continue
        data = orjson.loads(raw)
        found.append(ProcessStatus(
            service=data["service"], host=data.get("host", "?"), pid=int(data.get("pid", 0)),
            ts=float(data["ts"]), started_at=float(data.get("started_at", data["ts"])),
            stopped_at=data.get("stopped_at"), interval_s=float(data.get("interval_s", INTERVAL_S)),
            metrics_port=data.get("metrics_port"), last_error=data.get("last_error"),
        ))
    return sorted(found, key=lambda s: (s.service, s.host, s.pid))
