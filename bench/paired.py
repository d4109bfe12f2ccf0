"""The pipeline's capacity against the NER bound measured beside it.

The host's speed moves by a fifth within a minute (three NER bounds back to back:
26.8, 21.7, 25.9 articles/s), so a bound taken minutes before the pipeline ran
compares two different machines. Here the closed loop runs in rounds, each between
two measurements of the bound, and each round's ratio is its rate over the mean of
the bounds on either side of it; the median round is the figure.

The bound runs while the pipeline's stack is up and idle: the CPU the idle stack
used meanwhile is measured and printed beside each round (it lowers the bound, so it
flatters the ratio by about that share of the two cores).

Each round also reads the CPU every process of the stack used (with what it forks),
so the table says where the pipeline's CPU went beside the language models."""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bench.e2e import ArticleNumbers, Published, closed_loop
from bench.ner_bound import ner_bound
from bench.processes import cpu_by_process


@dataclass
class Bound:
    articles_per_s: float
    processes: int  # one per core
    idle_stack_cores: float  # the idle stack's CPU meanwhile, in cores


@dataclass
class Round:
    pipeline: Published
    before: Bound
    after: Bound
    cpu_s: dict[str, float]  # process name → CPU seconds it used during the round
    client_s: float = 0.0  # the bench's own CPU seconds meanwhile (its HTTP load client and polling)

    @property
    def rate(self) -> float:
        return self.pipeline.per_second

    @property
    def bound(self) -> float:
        return (self.before.articles_per_s + self.after.articles_per_s) / 2

    @property
    def ratio(self) -> float:
        return self.rate / self.bound

    @property
    def seconds(self) -> float:
        return len(self.pipeline.published) / self.rate


@dataclass
class Paired:
    rounds: list[Round]

    @property
    def median(self) -> Round:
        """The round with the median ratio (the lower of the two middle ones)."""
        ranked = sorted(self.rounds, key=lambda r: r.ratio)
        return ranked[(len(ranked) - 1) // 2]

    @property
    def capacity(self) -> float:
        """Articles/s over all rounds: their articles over their seconds."""
        return sum(len(r.pipeline.published) for r in self.rounds) / sum(r.seconds for r in self.rounds)

    @property
    def bounds(self) -> list[Bound]:
        return [self.rounds[0].before, *(r.after for r in self.rounds)]

    @property
    def ids(self) -> list[str]:
        return [i for r in self.rounds for i in r.pipeline.ids]

    def cpu_ms_per_article(self) -> dict[str, float]:
        """Process name → its CPU milliseconds per published article, over every round."""
        articles = sum(len(r.pipeline.published) for r in self.rounds)
        names = {name for r in self.rounds for name in r.cpu_s}
        return {name: 1000 * sum(r.cpu_s.get(name, 0.0) for r in self.rounds) / articles for name in sorted(names)}


def measure_bound(articles: int, *, seed: int, first: int, processes: Mapping[str, int | None]) -> Bound:
    used, started = sum(cpu_by_process(processes).values()), time.monotonic()
    result = ner_bound(articles, seed=seed, first=first)
    idle = (sum(cpu_by_process(processes).values()) - used) / (time.monotonic() - started)
    return Bound(articles_per_s=result["articles_per_s"], processes=result["processes"], idle_stack_cores=idle)


def paired_capacity(url: str, redis_url: str, numbers: ArticleNumbers, *, articles: int, rounds: int,
                    bound_articles: int, seed: int, bound_first: int,
                    processes: Callable[[], Mapping[str, int | None]],
                    say: Callable[[str], None] = lambda _: None) -> Paired:
    """``rounds`` closed loops of ``articles // rounds`` articles each (16 at a time),
    the NER bound (``bound_articles``, numbers ``bound_first``…) before the first
    and after each. ``processes()``: the stack's process name → pid, asked anew
    each time (a supervisor may have restarted one)."""
    bound = measure_bound(bound_articles, seed=seed, first=bound_first, processes=processes())
    done: list[Round] = []
    for i in range(rounds):
        say(f"round {i + 1}/{rounds}: NER bound {bound.articles_per_s:.1f} articles/s; "
            f"{articles // rounds} articles through the pipeline…")
        pids = processes()
        used, client = cpu_by_process(pids), time.process_time()
        published = closed_loop(url, redis_url, numbers.take(articles // rounds), seed=seed)
        client = time.process_time() - client
        cpu_s = {name: seconds - used[name] for name, seconds in cpu_by_process(pids).items()}
        after = measure_bound(bound_articles, seed=seed, first=bound_first, processes=processes())
        done.append(Round(pipeline=published, before=bound, after=after, cpu_s=cpu_s, client_s=client))
        bound = after
    return Paired(done)
