"""``wire trace <uri|article id>``: the path of one article through the pipeline.

Two sources, shown together:

- the read model's record of a published article: when it was received, and when
  each stage started and finished (so time spent waiting in Kafka and working);
- the stage topics and their DLQs, scanned for records keyed by the article's uri
  (only the partition the uri hashes to): each hop's CloudEvents type, time and
  W3C ``traceparent``. This shows where an unpublished article is: still in flight,
  or dead-lettered (with the reason).

The trace id is the one to grep in the JSON logs of every service.
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import datetime
from typing import Any

import orjson
from aiokafka import TopicPartition
from aiokafka.partitioner import DefaultPartitioner
from redis.exceptions import RedisError

from services.cli.connection import add_connection_args, settings_from
from shared.cache import Keys, connect
from shared.cloudevents import read_headers
from shared.events import article_id_for
from shared.lag import OffsetReader
from shared.read_model import ReadModel
from shared.settings import WireSettings
from shared.topics import Topics
from shared.tracing import trace_id

STAGES = ("ingested", "enriched", "translated", "published")


def main_trace(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="wire trace", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("article", help="the article's uri, or its id (as in /v1/articles/{id})")
    parser.add_argument("--since", type=float, default=24.0, help="scan Kafka records of the last N hours")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    add_connection_args(parser)
    args = parser.parse_args(argv)
    report = asyncio.run(trace(settings_from(args), args.article, since_h=args.since))
    if report is None:
        print(f"wire trace: {args.article!r} is not a published article id; pass its uri", file=sys.stderr)
        return 1
    print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode() if args.json else render(report))
    return 0


async def trace(settings: WireSettings, article: str, *, since_h: float = 24.0) -> dict[str, Any] | None:
    """What is known of ``article`` (uri or id); None for an id the read model lacks."""
    topics = Topics(settings.topic_prefix)
    uri = article if ":" in article else None
    meta = await _meta(settings, article_id_for(uri) if uri else article)
    uri = uri or (meta or {}).get("uri")
    if uri is None:
        return None
    hops = await scan(settings.kafka_bootstrap, topics, uri, since=time.time() - since_h * 3600)
    return {"uri": uri, "article_id": article_id_for(uri), "published": meta, "hops": hops,
            "trace_ids": sorted({h["trace_id"] for h in hops if h["trace_id"]} |
                                ({meta["trace_id"]} if meta and meta.get("trace_id") else set())),
            "verdict": verdict(meta, hops)}


async def _meta(settings: WireSettings, article_id: str) -> dict | None:
    redis = connect(settings.redis_url)
    try:
        return await asyncio.wait_for(ReadModel(redis, Keys(settings.topic_prefix)).meta(article_id), 5)
    except (RedisError, OSError, asyncio.TimeoutError):
        return None
    finally:
        await redis.aclose()


async def scan(bootstrap: str, topics: Topics, uri: str, *, since: float) -> list[dict[str, Any]]:
    """Every record keyed by ``uri`` on the stage topics and DLQs since ``since``."""
    names = [topics.inbound, topics.ingested, topics.enriched, topics.translated, topics.published]
    names += [Topics.dlq(t) for t in names[:-1]]
    key = uri.encode()
    reader = OffsetReader(bootstrap)
    await reader.start()
    hops: list[dict[str, Any]] = []
    try:
        by_topic: dict[str, list[int]] = {}
        for tp in await reader.partitions(names):
            by_topic.setdefault(tp.topic, []).append(tp.partition)
        # A record keyed by the uri is on the partition the producers' partitioner picks.
        tps = [TopicPartition(name, DefaultPartitioner()(key, sorted(parts), sorted(parts)))
               for name, parts in by_topic.items()]
        if not tps:
            return hops
        ends = await reader.ends(tps)
        starts = await reader.consumer.offsets_for_times({tp: int(since * 1000) for tp in tps})
        plan = {tp: found.offset for tp, found in starts.items() if found is not None}
        hops = [hop(r) for r in await reader.read(plan, ends) if r.key == key]
    finally:
        await reader.stop()
    return mark_replays(sorted(hops, key=lambda h: (h["time"], h["offset"])))


def hop(record) -> dict[str, Any]:
    """One record as a hop: ``time`` is when it was appended (a DLQ record: when the
    stage gave up; a replayed record: when it was replayed), ``event_time`` its ce_time."""
    headers = read_headers(record.headers)
    reason = {k.removeprefix("wire_dlq_"): v for k, v in headers.items() if k.startswith("wire_dlq_")}
    return {"topic": record.topic, "partition": record.partition, "offset": record.offset,
            "time": record.timestamp / 1000, "event_time": headers.get("ce_time"), "id": headers.get("ce_id"),
            "type": headers.get("ce_type"), "source": headers.get("ce_source"),
            "traceparent": headers.get("traceparent"), "trace_id": trace_id(headers.get("traceparent")),
            "dead_letter": reason or None}


def mark_replays(hops: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Flag a record that repeats an earlier one's event id on the same topic (a replay
    from a DLQ, or a re-delivery)."""
    seen = set()
    for h in hops:
        h["repeat"] = (h["topic"], h["id"]) in seen if h["id"] else False
        seen.add((h["topic"], h["id"]))
    return hops


def verdict(meta: dict | None, hops: list[dict[str, Any]]) -> str:
    last = hops[-1] if hops else None
    if last and last["dead_letter"]:
        r = last["dead_letter"]
        return (f"stuck: dead-lettered by {r.get('stage')} ({r.get('error_class')}: {r.get('error_message', '')[:200]}); "
                f"fix the cause, then `wire dlq replay {r.get('topic', last['topic'].removesuffix('.dlq'))}`")
    if meta:
        return f"published (version {meta.get('version')})"
    if last:
        return f"in flight: last seen on {last['topic']} ({last['type']}); see `wire status` for lag"
    return "no record of it on the stage topics in the scanned window"


def render(report: dict[str, Any]) -> str:
    lines = [f"article {report['uri']}  (id {report['article_id']})",
             f"trace id {', '.join(report['trace_ids']) or '-'}  (grep it in the services' JSON logs)"]
    meta = report["published"]
    if meta:
        received = datetime.fromisoformat(meta["received_at"]).timestamp()
        lines.append(f"\n  {'stage':<12} {'waited':>10} {'took':>10} {'at +':>10}")
        previous = received
        for stage in STAGES:
            t = (meta.get("stage_timings") or {}).get(stage)
            if t:
                lines.append(f"  {stage:<12} {(t['started_at'] - previous) * 1000:>8.1f}ms "
                             f"{(t['finished_at'] - t['started_at']) * 1000:>8.1f}ms "
                             f"{(t['finished_at'] - received) * 1000:>8.1f}ms")
                previous = t["finished_at"]
        lines.append(f"  end to end {(previous - received) * 1000:.1f} ms (received {meta['received_at']})")
    if report["hops"]:
        first = report["hops"][0]["time"]
        lines.append(f"\n  {'+ms':>9}  {'topic':<40} {'where':<10} event")
        for h in report["hops"]:
            what = (h["type"] or "-") + (" (again: replayed or re-delivered)" if h["repeat"] else "")
            if h["dead_letter"]:
                d = h["dead_letter"]
                what = f"DEAD LETTER by {d.get('stage')}: {d.get('error_class')} {d.get('error_message', '')[:80]}"
            lines.append(f"  {(h['time'] - first) * 1000:>9.1f}  {h['topic']:<40} "
                         f"{h['partition']}@{h['offset']:<8} {what}")
    lines.append(f"\n{report['verdict']}")
    return "\n".join(lines)
