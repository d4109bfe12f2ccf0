"""The checker of a chaos run: every accepted (uri, version) published exactly once
on ``articles.published``, on the subscription's topic and at the webhook; DLQ
entries each with a reason; lag back to 0; and, per fault, what was lost or
repeated around it and how long publishing stalled after it."""
from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

import orjson
from aiokafka import AIOKafkaConsumer

from services.cli.chaos_receiver import CheckingReceiver
from shared.cloudevents import read_headers
from shared.lag import OffsetReader, dlq_topics, measure
from shared.topics import Topics


@dataclass
class Fault:
    name: str
    at: float  # wall clock
    recovered_at: float | None = None
    election: object | None = None  # a broker's death: its ElectionWatch (chaos_election.py)

    def election_s(self) -> float | None:
        seconds = self.election.wait(60) if self.election is not None else None
        return round(seconds, 1) if seconds is not None else None


@dataclass
class Report:
    accepted: int
    published: Counter = field(default_factory=Counter)
    on_topic: Counter = field(default_factory=Counter)
    webhook: Counter = field(default_factory=Counter)
    # later webhook copies of a version: flagged X-Wire-Redelivery by the sender, or not
    webhook_redelivered: list = field(default_factory=list)
    webhook_duplicated: list = field(default_factory=list)
    out_of_order: list[str] = field(default_factory=list)
    bad_signatures: int = 0
    dlq: list[dict] = field(default_factory=list)
    lag: dict[str, int] = field(default_factory=dict)
    rows: list[dict] = field(default_factory=list)
    unplanned_restarts: list[str] = field(default_factory=list)

    def lost(self, where: Counter, accepted: dict) -> list[tuple[str, str]]:
        return [k for k in accepted if where[k] == 0]

    @staticmethod
    def repeated(where: Counter) -> list[tuple[str, str]]:
        return [k for k, n in where.items() if n > 1]

    def summary(self, accepted: dict) -> dict:
        return {
            "accepted": len(accepted),
            "lost": {"published": len(self.lost(self.published, accepted)),
                     "topic": len(self.lost(self.on_topic, accepted)),
                     "webhook": len(self.lost(self.webhook, accepted))},
            "duplicated": {"published": len(self.repeated(self.published)),
                           "topic": len(self.repeated(self.on_topic)),
                           "webhook": len(set(self.webhook_duplicated))},
            # a version POSTed again with X-Wire-Redelivery: true and the same X-Wire-Delivery
            # (its holder died, or lost the lease, between the POST and the acknowledgement)
            "redelivered": {"webhook": len(set(self.webhook_redelivered))},
            "out_of_order_stories": len(set(self.out_of_order)), "bad_signatures": self.bad_signatures,
            "dlq_entries": len(self.dlq), "dlq_without_reason": sum(1 for d in self.dlq if not d["reason"]),
            "lag": self.lag, "unplanned_restarts": self.unplanned_restarts,
        }


async def read_all(bootstrap: str, topic: str, *, idle_s: float = 3.0) -> list:
    """Every record of ``topic`` (from the beginning until nothing came for ``idle_s``)."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest",
                                enable_auto_commit=False, isolation_level="read_committed")
    await consumer.start()
    records, quiet_since = [], time.monotonic()
    try:
        while time.monotonic() - quiet_since < idle_s:
            batch = await consumer.getmany(timeout_ms=500)
            for part in batch.values():
                records.extend(part)
                quiet_since = time.monotonic()
    finally:
        await consumer.stop()
    return records


def story_version(record) -> tuple[str, str] | None:
    try:
        item = orjson.loads(record.value)
    except (orjson.JSONDecodeError, TypeError):
        return None
    item = item.get("article", item)  # the published value is the ninjs item
    return (item.get("uri", ""), str(item.get("version", "")))


async def check(*, bootstrap: str, topics: Topics, translates: bool, subscription_topic: str,
                receiver: CheckingReceiver, accepted: dict[tuple[str, str], float], faults: list[Fault],
                window_s: float = 30.0) -> Report:
    report = Report(accepted=len(accepted))
    published = await read_all(bootstrap, topics.published)
    for record in published:
        if (key := story_version(record)) in accepted:
            report.published[key] += 1
    for record in await read_all(bootstrap, subscription_topic, idle_s=1.0):
        if (key := story_version(record)) in accepted:
            report.on_topic[key] += 1
    for uri, version, *_ in receiver.deliveries:
        if (uri, version) in accepted:
            report.webhook[(uri, version)] += 1
    report.webhook_redelivered, report.webhook_duplicated = receiver.repeats()
    report.out_of_order = receiver.out_of_order()
    report.bad_signatures = receiver.bad_signatures
    for dlq in dlq_topics(topics):
        for record in await read_all(bootstrap, dlq, idle_s=0.5):
            headers = read_headers(record.headers)
            report.dlq.append({"topic": dlq, "reason": headers.get("wire_dlq_error_class")
                               or headers.get("wire_dlq_reason"), "message": headers.get("wire_dlq_error_message")})
    reader = OffsetReader(bootstrap)
    await reader.start()
    try:
        report.lag = (await measure(reader, topics, translates=translates)).group_lag()
    finally:
        await reader.stop()
    times = sorted((r.partition, r.timestamp / 1000) for r in published)
    repeats = repeat_times(published, accepted)
    ordered = sorted(faults, key=lambda f: f.at)
    for i, fault in enumerate(ordered):
        until = ordered[i + 1].at if i + 1 < len(ordered) else float("inf")
        lost = [k for k, at in accepted.items() if fault.at <= at < until
                and (report.published[k] == 0 or report.webhook[k] == 0)]
        report.rows.append({
            "fault": fault.name,
            "lost": len(lost),
            "duplicated": sum(1 for at in repeats if fault.at <= at < until),
            "stall_s": round(longest_gap(times, fault.at, fault.at + min(window_s, until - fault.at)), 1),
            "election_s": fault.election_s(),
        })
    return report


def repeat_times(published: list, accepted: dict) -> list[float]:
    """When each second (third, …) copy of an accepted (uri, version) was published."""
    seen: set = set()
    found = []
    for record in sorted(published, key=lambda r: r.timestamp):
        key = story_version(record)
        if key in accepted:
            if key in seen:
                found.append(record.timestamp / 1000)
            seen.add(key)
    return found


def longest_gap(times: list[tuple[int, float]], start: float, end: float) -> float:
    """The longest wait, on any one partition, between publications in [start, end]
    (counted from ``start``, and up to the first publication after it even when that
    comes after ``end``): how long the fault held that partition's stories back."""
    longest = 0.0
    by_partition: dict[int, list[float]] = {}
    for partition, at in times:
        by_partition.setdefault(partition, []).append(at)
    for stamps in by_partition.values():
        previous = start
        for at in stamps:
            if at < start:
                continue
            longest = max(longest, at - previous)
            previous = at
            if at > end:
                break
    return longest


def table(report: Report) -> str:
    lines = ["| fault | lost | duplicated | longest stall after it (s) | leader election (s) |",
             "|---|---|---|---|---|"]
    lines += [f"| {r['fault']} | {r['lost']} | {r['duplicated']} | {r['stall_s']} | "
              f"{'' if r.get('election_s') is None else r['election_s']} |" for r in report.rows]
    return "\n".join(lines)


def run_check(**kwargs) -> Report:
    return asyncio.run(check(**kwargs))
