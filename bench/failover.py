"""How long a consumer group stops when one of two replicas dies, per group option.

``python -m bench.failover`` starts one local broker, and for each option in
:data:`TRIALS` two consumer processes (consume → commit, as a stage does) sharing a
6-partition topic fed at a steady rate; it kills (SIGKILL) or stops (SIGTERM) one of
them and reports the longest time any partition went without being consumed after
that — the time until publishing resumes for the stories on that partition.

What it compares (issue 13): the session/heartbeat timeouts, static membership
(``group_instance_id``, KIP-345) and a clean leave on SIGTERM. The broker's newer
consumer protocol (KIP-848) is not offered by aiokafka 0.14, so it is not a choice here.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from services.cli.stack.kafka import LocalKafka
from services.cli.stack.processes import ChildProcess

PARTITIONS = 6


@dataclass(frozen=True)
class Trial:
    name: str
    session_ms: int
    heartbeat_ms: int
    static: bool
    signal: int


TRIALS = [
    Trial("Kafka defaults: session 45 s, heartbeat 3 s", 45_000, 3_000, False, signal.SIGKILL),
    Trial("session 10 s, heartbeat 3 s (aiokafka's default)", 10_000, 3_000, False, signal.SIGKILL),
    Trial("session 3 s, heartbeat 0.5 s (wire run with replicas)", 3_000, 500, False, signal.SIGKILL),
    Trial("session 3 s, heartbeat 0.5 s, static membership", 3_000, 500, True, signal.SIGKILL),
    Trial("session 1.5 s, heartbeat 0.3 s", 1_500, 300, False, signal.SIGKILL),
    Trial("SIGTERM, session 3 s, dynamic (leaves the group)", 3_000, 500, False, signal.SIGTERM),
    Trial("SIGTERM, session 3 s, static membership", 3_000, 500, True, signal.SIGTERM),
]


# --- the replica -------------------------------------------------------------------
async def replica(bootstrap: str, topic: str, group: str, session_ms: int, heartbeat_ms: int,
                  instance: str | None) -> None:
    """Consume and commit, printing ``partition time`` for every batch it finishes."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
                                auto_offset_reset="earliest", session_timeout_ms=session_ms,
                                heartbeat_interval_ms=heartbeat_ms, group_instance_id=instance)
    await consumer.start()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=100)
            if batch:
                await consumer.commit()
                now = time.time()
                sys.stdout.write("".join(f"{tp.partition} {now:.3f}\n" for tp in batch))
                sys.stdout.flush()
    finally:
        await consumer.stop()  # a dynamic member leaves the group here; a static one does not


# --- the trial ---------------------------------------------------------------------
def feed(bootstrap: str, topic: str, rate: float, stop: threading.Event) -> None:
    async def run() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
        await producer.start()
        try:
            i = 0
            while not stop.is_set():
                await producer.send(topic, b"x" * 1024, partition=i % PARTITIONS)
                i += 1
                await asyncio.sleep(1 / rate)
        finally:
            await producer.stop()
    asyncio.run(run())


async def create_topic(bootstrap: str, topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, PARTITIONS, 1)])
    finally:
        await admin.close()


def consumed(log: Path) -> list[tuple[int, float]]:
    if not log.exists():
        return []
    rows = []
    for line in log.read_text(errors="replace").splitlines():
        fields = line.split()
        if len(fields) == 2 and fields[0].isdigit():  # the replica's log lines are skipped
            rows.append((int(fields[0]), float(fields[1])))
    return rows


def longest_stall(rows: list[tuple[int, float]], start: float, end: float) -> float:
    """The longest wait on any partition between consumptions in [start, end],
    counted from ``start`` (the fault)."""
    longest = 0.0
    for partition in range(PARTITIONS):
        previous = start
        for at in sorted(at for p, at in rows if p == partition and at >= start):
            longest = max(longest, at - previous)
            previous = at
            if at > end:
                break
        else:
            longest = max(longest, end - previous)  # never consumed again in the window
    return longest


def run_trial(kafka: LocalKafka, home: Path, trial: Trial, *, rate: float, after_s: float) -> float:
    topic, group = f"failover-{uuid.uuid4().hex[:8]}", f"failover-{uuid.uuid4().hex[:8]}"
    asyncio.run(create_topic(kafka.bootstrap, topic))
    stop = threading.Event()
    feeder = threading.Thread(target=feed, args=(kafka.bootstrap, topic, rate, stop), daemon=True)
    feeder.start()
    replicas = []
    for n in range(2):
        argv = [sys.executable, "-m", "bench.failover", "--replica", kafka.bootstrap, topic, group,
                str(trial.session_ms), str(trial.heartbeat_ms), f"r{n}" if trial.static else ""]
        process = ChildProcess(f"r{n}", argv, log_path=home / f"{topic}-r{n}.log")
        process.start()
        replicas.append(process)
    try:
        logs = [home / f"{topic}-r{n}.log" for n in range(2)]
        deadline = time.monotonic() + 90
        # settled: both replicas consuming, and every partition consumed in the last second
        while time.monotonic() < deadline:
            time.sleep(1)
            rows = consumed(logs[0]) + consumed(logs[1])
            recent = {p for p, at in rows if at > time.time() - 1}
            if all(consumed(log) for log in logs) and len(recent) == PARTITIONS:
                break
        time.sleep(3)
        fault_at = time.time()
        replicas[0].proc.send_signal(trial.signal)
        time.sleep(after_s)
        return longest_stall(consumed(logs[1]) + consumed(logs[0]), fault_at, fault_at + after_s)
    finally:
        stop.set()
        for process in replicas:
            process.kill()
        feeder.join()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.failover")
    parser.add_argument("--replica", nargs=6, help=argparse.SUPPRESS)
    parser.add_argument("--rate", type=float, default=60.0, help="records per second fed")
    parser.add_argument("--after", type=float, default=60.0, help="seconds watched after the fault")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each trial")
    args = parser.parse_args(argv)
    if args.replica:
        bootstrap, topic, group, session_ms, heartbeat_ms, instance = args.replica
        asyncio.run(replica(bootstrap, topic, group, int(session_ms), int(heartbeat_ms), instance or None))
        return 0
    home = Path(tempfile.mkdtemp(prefix="wire-failover-"))
    kafka = LocalKafka(home / "kafka", heap="512m")
    kafka.start()
    try:
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}", flush=True)
        print("| option | fault | seconds until every partition was consumed again |\n|---|---|---|", flush=True)
        for trial in TRIALS:
            stalls = [run_trial(kafka, home, trial, rate=args.rate, after_s=args.after) for _ in range(args.repeat)]
            print(f"| {trial.name} | {signal.Signals(trial.signal).name} | "
                  f"{', '.join(f'{s:.1f}' for s in stalls)} |", flush=True)
    finally:
        kafka.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
