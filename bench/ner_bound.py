"""The compute bound of the pipeline: the enrichment handler alone (no Kafka), one
process per core, all at once, on the articles the pipeline bench pushes.

Each process loads the model, waits on a barrier, then enriches its share pinned
to its own core; the bound is their articles/s summed."""
from __future__ import annotations

import multiprocessing
import os

from bench.enrichment import bench_enrichment


def _one_core(n: int, cpu: int, seed: int, first: int, barrier, results) -> None:
    result = bench_enrichment(n, seed=seed, first=first, cpu=cpu, before_timing=barrier.wait)
    results.put(result)


def ner_bound(articles: int, *, seed: int, first: int = 0, cores: list[int] | None = None) -> dict:
    """Enrich ``articles`` synthetic articles (numbers ``first``…, generator
    ``seed``) split over one process per core in ``cores`` (default: every core
    this process may use). Returns {"articles_per_s" (summed), "processes",
    "per_process" (each one's bench_enrichment result)}. RuntimeError when a
    process fails."""
    cores = cores or sorted(os.sched_getaffinity(0))
    context = multiprocessing.get_context("spawn")  # a clean interpreter: no threads or loops inherited
    barrier, results = context.Barrier(len(cores)), context.Queue()
    share = max(1, articles // len(cores))
    processes = [context.Process(target=_one_core, args=(share, cpu, seed, first + i * share, barrier, results),
                                 name=f"ner-bound-{cpu}") for i, cpu in enumerate(cores)]
    for process in processes:
        process.start()
    try:
        per_process = [results.get(timeout=900) for _ in processes]
    except Exception as exc:  # queue.Empty: a process died before reporting
        raise RuntimeError(f"the NER bound's processes did not all report: {exc!r}") from exc
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
    return {"articles_per_s": sum(r["articles_per_s"] for r in per_process), "processes": len(cores),
            "per_process": per_process}
