"""``wire status``: each service up or down (from its Redis heartbeat), its consumer
lag (from Kafka), its last error, and what waits in the DLQs.

Exits 0 when every service is up, 1 when one is down or unknown, 2 when neither
Redis nor Kafka answered.
"""
from __future__ import annotations

import argparse
import asyncio
import time
from datetime import datetime
from typing import Any

import orjson
from aiokafka.errors import KafkaError
from redis.exceptions import RedisError

from services.cli.connection import add_connection_args, settings_from
from shared.cache import Keys, connect
from shared.heartbeat import read_statuses
from shared.lag import OffsetReader, measure, stage_outputs
from shared.settings import WireSettings
from shared.topics import Topics

def main_status(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="wire status", description=__doc__)
    add_connection_args(parser)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)
    report = asyncio.run(collect(settings_from(args)))
    print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode() if args.json else render(report))
    if report["redis_error"] and report["kafka_error"]:
        return 2
    return 0 if all(s["state"] == "up" for s in report["services"]) else 1


async def collect(settings: WireSettings) -> dict[str, Any]:
    """The status of the pipeline named by ``settings`` as plain data."""
    topics, keys = Topics(settings.topic_prefix), Keys(settings.topic_prefix)
    report: dict[str, Any] = {"prefix": settings.topic_prefix, "redis_error": None, "kafka_error": None,
                              "services": [], "dlqs": []}
    redis = connect(settings.redis_url)
    try:
        statuses = await asyncio.wait_for(read_statuses(redis, keys), 5)
    except (RedisError, OSError, asyncio.TimeoutError) as exc:
        statuses, report["redis_error"] = [], f"{type(exc).__name__}: {exc}"
    finally:
        await redis.aclose()
    group_lag: dict[str, int] = {}
    reader = OffsetReader(settings.kafka_bootstrap)
    try:
        await asyncio.wait_for(reader.start(), 15)
        backlog = await asyncio.wait_for(measure(reader, topics, translates=settings.translates), 30)
        group_lag = backlog.group_lag()
        report["dlqs"] = [vars(d) for d in backlog.dlqs]
    except (KafkaError, OSError, asyncio.TimeoutError) as exc:
        report["kafka_error"] = f"{type(exc).__name__}: {exc}"
    finally:
        await reader.stop()
    now = time.time()
    stages = list(stage_outputs(settings.translates))  # gateway, ingest, enrichment, (translation,) publishing
    names = stages + sorted({s.service for s in statuses} - set(stages))
    for name in names:
        procs = [s for s in statuses if s.service == name]
        errors = [p.last_error for p in procs if p.last_error]
        report["services"].append({
            "service": name,
            "state": "up" if any(p.up(now) for p in procs) else ("down" if procs else "unknown"),
            "processes": [{"host": p.host, "pid": p.pid, "state": p.state(now), "last_seen_s": round(now - p.ts, 1),
                           "metrics_port": p.metrics_port} for p in procs],
            "lag": group_lag.get(topics.group(name)),
            "last_error": max(errors, key=lambda e: e.get("ts", 0)) if errors else None,
        })
    return report


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


def render(report: dict[str, Any]) -> str:
    lines = [f"{'SERVICE':<12} {'STATE':<8} {'LAG':>7}  {'PROCESSES':<36} LAST ERROR"]
    for s in report["services"]:
        procs = ", ".join(f"{p['host']}:{p['pid']} {p['state']} ({p['last_seen_s']:.0f}s ago)"
                          for p in s["processes"]) or "no heartbeat"
        err = s["last_error"]
        last = f"{_when(err['ts'])} {err['error_class']}: {err['message'][:100]}" if err else "-"
        lag = "-" if s["lag"] is None else str(s["lag"])
        lines.append(f"{s['service']:<12} {s['state']:<8} {lag:>7}  {procs:<36} {last}")
    pending = [d for d in report["dlqs"] if d["pending"]]
    lines.append("DLQ: " + ("; ".join(f"{d['topic']} {d['pending']} pending" for d in pending)
                             if pending else "nothing pending"))
    for what in ("redis", "kafka"):
        if report[f"{what}_error"]:
            lines.append(f"{what} unreachable: {report[f'{what}_error']}")
    return "\n".join(lines)
