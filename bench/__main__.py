"""``python -m bench [--quick] [--soak SECONDS] [--profile DIR]`` (``make bench``): every figure
next to its bound or peer measured in the same run, printed as one table.

Progress goes to stderr, the table to stdout. See README, *Benchmarks*."""
from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.components import component_rows
from bench.e2e import ArticleNumbers, closed_loop
from bench.latency import KNEE_MS, steps
from bench.memory import MemorySampler
from bench.paired import paired_capacity
from bench.peers import measure_peers
from bench.profile import HottestProfiles
from bench.publishing import bench_article_reads, bench_publishing
from bench.soak import QUIET_STEAL, soak
from bench.stack import backends, pipeline_as_wire_run
from bench.table import Row, render, say

SEED = 7  # the synthetic articles' generator: the NER bound reads the very articles the pipeline gets
MEMORY_BOUND_MIB = 3 * 1024
P99_BOUND_MS = 250.0


@dataclass(frozen=True)
class Sizes:
    peer_messages: int
    bound_articles: int
    pipeline_articles: int
    warm_up_articles: int
    rounds: int  # the capacity's rounds, each between two measurements of the NER bound
    ladder: tuple[float, ...]  # latency steps, as fractions of the measured capacity
    step_seconds: float
    refinements: int
    wrk_seconds: int
    published_items: int


# Rounds of 600, the size of the issue's own measure. In rounds of 200 the burst's edges cost
# 7-11 % of the rate (the pipeline filling, and the replica whose partitions got fewer of the
# articles running dry first: whole rate / 10-90 % publish rate 0.89-0.93).
FULL = Sizes(peer_messages=8_000, bound_articles=300, pipeline_articles=1_800, warm_up_articles=100, rounds=3,
             ladder=(0.5, 0.7, 0.85, 1.0, 1.15, 1.3, 1.6), step_seconds=20, refinements=2, wrk_seconds=15,
             published_items=2000)
QUICK = Sizes(peer_messages=1_500, bound_articles=60, pipeline_articles=80, warm_up_articles=10, rounds=1,
              ladder=(0.5, 0.8, 1.1, 1.5), step_seconds=8, refinements=0, wrk_seconds=5, published_items=300)


def peer_rows(bootstrap: str, messages: int) -> list[Row]:
    say(f"peers: {messages} records of 9 KB through aiokafka, faust and a no-op stage, best of 3 rounds…")
    rates = measure_peers(bootstrap, messages)
    faster = max(("aiokafka loop", rates.aiokafka), ("faust agent", rates.faust), key=lambda peer: peer[1])
    return [
        Row("peer: bare aiokafka consume→produce→commit, 9 KB", rates.aiokafka, "msgs/s", "–", None),
        Row("peer: faust-streaming agent pass-through, 9 KB", rates.faust, "msgs/s", "–", None),
        Row("Wirestream stage, no-op handler, 9 KB", rates.stage, "msgs/s", f"faster peer ({faster[0]})",
            faster[1], goal=0.80),
    ]


def publishing_rows(stack, items: int, noop_stage: float) -> list[Row]:
    """The publishing stage alone (in this process, its own topics) with 10
    subscriptions that each take every item, against the no-op stage."""
    say(f"publishing stage alone: {items} items, 10 subscriptions…")
    result = asyncio.run(bench_publishing(kafka_bootstrap=stack.kafka.bootstrap, redis_url=stack.redis.url,
                                          items=items, subscriptions=10, matching="all"))
    return [Row("publishing stage alone, 10 subscriptions taking every item", result["items_per_s"], "items/s",
                "Wirestream stage, no-op", noop_stage)]


def pipeline_rows(stack, sizes: Sizes, numbers: ArticleNumbers, soak_seconds: float,
                  profile_dir: Path | None) -> list[Row]:
    """The NER bound and the throughput without MT beside it (:mod:`bench.paired`),
    latency steps, the knee, memory and the read side
    (and py-spy profiles of the two hottest processes into ``profile_dir``)."""
    rows: list[Row] = []
    with pipeline_as_wire_run(stack) as pipeline:
        url, redis_url = pipeline.gateway_url, stack.redis.url
        say(f"pipeline processes: {', '.join(pipeline.processes)}")
        enrichers = len(pipeline.replicas_of("enrichment"))

        def stack_processes() -> dict[str, int | None]:
            return {"kafka": stack.kafka.process.pid, "redis": stack.redis.process.pid,
                    **{name: p.pid for name, p in pipeline.processes.items()}}

        def stack_pids() -> list[int | None]:
            return list(stack_processes().values())

        closed_loop(url, redis_url, numbers.take(sizes.warm_up_articles), seed=SEED)  # models, group joins, the JIT
        with MemorySampler(stack_pids) as memory:
            say(f"pipeline, no MT: {sizes.pipeline_articles} articles of 600 words, 16 at a time, in "
                f"{sizes.rounds} round(s) between measurements of the NER bound ({sizes.bound_articles} articles, "
                f"one process per core)…")
            paired = paired_capacity(url, redis_url, numbers, articles=sizes.pipeline_articles, rounds=sizes.rounds,
                                     bound_articles=sizes.bound_articles, seed=SEED,
                                     bound_first=sizes.warm_up_articles, processes=stack_processes, say=say)
            capacity, median = paired.capacity, paired.median
            bounds = sorted(b.articles_per_s for b in paired.bounds)
            rows.append(Row(f"NER bound: enrichment handler alone, {paired.bounds[0].processes} processes (median of "
                            f"{len(bounds)}: {', '.join(f'{b:.1f}' for b in bounds)})",
                            statistics.median(bounds), "articles/s", "–", None))
            for i, done_round in enumerate(paired.rounds, 1):
                rows.append(Row(f"round {i}: pipeline, {len(done_round.pipeline.ids)} articles (NER bound "
                                f"{done_round.before.articles_per_s:.1f} before, {done_round.after.articles_per_s:.1f}"
                                f" after; idle stack beside them {done_round.before.idle_stack_cores:.2f}/"
                                f"{done_round.after.idle_stack_cores:.2f} cores)", done_round.rate, "articles/s",
                                "NER bound, mean of the two", done_round.bound))
            rows.append(Row(f"pipeline, no MT ({len(median.pipeline.ids)} × 600 words, {enrichers} enrichment "
                            f"process{'es' if enrichers > 1 else ''}: the round with the median ratio of "
                            f"{len(paired.rounds)})", median.rate, "articles/s",
                            "NER bound beside it", median.bound, goal=0.80))
            rows.append(cpu_row(paired))
            say(f"capacity {capacity:.1f} articles/s; latency steps…")
            done = steps(url, redis_url, capacity=capacity, fractions=list(sizes.ladder),
                         seconds=sizes.step_seconds, refinements=sizes.refinements, seed=SEED, numbers=numbers)
        if profile_dir is not None:
            profile_hottest(url, redis_url, pipeline, profile_dir, sizes, numbers)
        half = done[0]  # the ladder starts at half the capacity
        rows.append(Row(f"p99 received→published at {half.rate:.1f}/s (half capacity)", half.p99_ms, "ms",
                        "bound", P99_BOUND_MS, goal=1.0, higher_is_better=False))
        for step in sorted((s for s in done if s is not half), key=lambda s: s.rate):
            rows.append(Row(f"p99 at {step.rate:.1f}/s ({step.rate / capacity:.2f} × capacity)", step.p99_ms,
                            "ms", "knee threshold", KNEE_MS))
        over = [s.rate for s in done if s.p99_ms > KNEE_MS]
        if over:
            rows.append(Row("knee: lowest rate with p99 > 1 s", min(over), "articles/s", "capacity", capacity))
        else:
            rows.append(Row("knee not reached: p99 ≤ 1 s up to", max(s.rate for s in done), "articles/s",
                            "capacity", capacity))
        rows.append(Row(f"stack memory under load, resident summed ({memory.processes} processes)", memory.peak_mib,
                        "MiB", "3 GiB", MEMORY_BOUND_MIB, goal=1.0, higher_is_better=False))
        rows += read_rows(url, paired.ids[0], sizes)
        if soak_seconds:
            rows += soak_rows(url, redis_url, capacity, numbers, soak_seconds, stack_processes)
    return rows


def cpu_row(paired) -> Row:
    """CPU per article beside the model replicas (every other process of the stack,
    each named with its share) against the replicas' own: the pipeline reaches the
    bound only as far as the first is small beside the second."""
    models, beside = 0.0, {}
    for name, ms in paired.cpu_ms_per_article().items():
        if name.split("-")[0] == "enrichment":  # "enrichment", or "enrichment-<i>" with replicas
            models += ms
        else:
            beside[name] = ms
    client = 1000 * sum(r.client_s for r in paired.rounds) / len(paired.ids)
    parts = ", ".join(f"{name} {ms:.1f}" for name, ms in sorted(beside.items(), key=lambda kv: -kv[1]))
    return Row(f"CPU per article beside the model replicas ({parts}; the bench's client {client:.1f}, not counted)",
               sum(beside.values()), "ms", "the model replicas' CPU per article", models)


def profile_hottest(url: str, redis_url: str, pipeline, profile_dir: Path, sizes: Sizes,
                    numbers: ArticleNumbers) -> None:
    """py-spy profiles of the two hottest pipeline processes, under a closed-loop load of
    their own after the measured runs: sampling a model replica costs enough CPU to
    lower the capacity it would be measured during (13.2 against 14.9–15.6 articles/s)."""
    say("profiles: more articles, 16 at a time, while py-spy records the two hottest processes…")
    profiles = HottestProfiles({name: p.pid for name, p in pipeline.processes.items()}, profile_dir,
                               seconds=sizes.step_seconds)
    profiles.start()
    while profiles.is_alive():
        closed_loop(url, redis_url, numbers.take(100), seed=SEED)
    profiles.join()


def read_rows(url: str, article_id: str, sizes: Sizes) -> list[Row]:
    """GET /v1/articles/{id} of a published article, with wrk (skipped without it)."""
    try:
        reads = bench_article_reads(gateway_url=url, article_id=article_id,
                                    seconds=sizes.wrk_seconds, connections=8)
    except (FileNotFoundError, subprocess.CalledProcessError) as exc:
        say(f"reads skipped: {exc}")
        return []
    return [Row("GET /v1/articles/{id} through the gateway (wrk, 8 conn)", reads["requests_per_s"], "req/s",
                "–", None)]


def soak_rows(url: str, redis_url: str, capacity: float, numbers: ArticleNumbers, seconds: float,
              stack_processes) -> list[Row]:
    say(f"soak: {seconds:.0f} s at {capacity / 2:.1f} articles/s…")
    result = soak(url, redis_url, seconds=seconds, rate=capacity / 2, seed=SEED, numbers=numbers,
                  processes=stack_processes)
    say("soak: MiB by process after the first minute → at the end: " + ", ".join(
        f"{name} {start:.0f} → {end:.0f}" for name, (start, end) in sorted(result.by_process.items())))
    grew, by = result.grew_most()
    busiest, worst_cores, usual_cores = result.worst_minute_cpu()
    return [
        Row(f"soak {result.seconds:.0f} s: stack memory at the end", result.end_mib, "MiB", "at the start",
            result.start_mib, goal=1.10, higher_is_better=False),
        Row("soak: memory slope", result.slope_mib_per_min, "MiB/min", "–", None),
        Row(f"soak: the process that grew most after the first minute ({grew}, "
            f"{result.by_process[grew][0]:.0f} → {result.by_process[grew][1]:.0f} MiB)", by, "MiB", "–", None),
        Row("soak: worst p99 of a minute", result.worst_p99_ms, "ms", "bound", P99_BOUND_MS, goal=1.0,
            higher_is_better=False),
        Row("soak: host steal time in that minute", 100 * result.worst_steal, "%", "–", None),
        Row(f"soak: CPU in that minute of the process furthest above its median minute ({busiest})", worst_cores,
            "cores", "its median minute", usual_cores),
        *([Row(f"soak: worst p99 of the {result.quiet_minutes} of {result.minutes} minutes with steal "
               f"< {100 * QUIET_STEAL:.0f} %", result.worst_quiet_p99_ms, "ms", "bound", P99_BOUND_MS,
               higher_is_better=False)] if result.worst_quiet_p99_ms is not None else []),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small counts: checks the harness in minutes")
    parser.add_argument("--soak", type=float, default=0, metavar="SECONDS",
                        help="also feed half the capacity for SECONDS and compare memory at start and end")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="py-spy profiles of the two hottest pipeline processes under load, into DIR")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    numbers = ArticleNumbers()
    rows: list[Row] = []
    with backends() as stack:
        peers = peer_rows(stack.kafka.bootstrap, sizes.peer_messages)
        noop_stage = peers[-1].value
        rows += peers + publishing_rows(stack, sizes.published_items, noop_stage)
        measured = pipeline_rows(stack, sizes, numbers, args.soak, args.profile)
        rows = measured[:1] + rows + measured[1:]  # the NER bound first, as the figure the others are read against
    rows += component_rows(args.quick)
    print(render(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
