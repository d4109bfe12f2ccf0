"""HTML extraction speed against bare trafilatura, and its F1 (issue 14).

On the extraction benchmark's pages, in the same run: Wirestream's extraction
(``shared.formats.html.extract_article``: body, headline, byline, date) against a
bare ``trafilatura.extract(page)``. Each page is extracted by both, one right after
the other and in turns first, in every round; a page's time is its best round, so a
burst of load from another process hits neither side more than the other. Time is
the process's CPU time, so pages/s are per core.

F1 is the benchmark's own metric (``services.cli.evaluate.score``) against
``F1_BEFORE``, what ``make eval`` gave before issue 14: the speed may not cost F1.

Profile that led to the changes (cProfile over the 88 pages, before): trafilatura's
metadata reader 21 % (categories, tags and licence, never used, half of it; a copy of
the whole page for the byline), link targets resolved against the page URL 8 % (links
are flattened to text), XPath prunes and tree copies inside trafilatura ~45 %
(scripts, styles, navigation, footers and asides were copied and walked on every pass
although trafilatura deletes them), the parse of a str read as UCS-4 by lxml.
A later profile (cProfile, 3 × 88 pages): the byline search 11 % (``fill_author``:
trafilatura's AUTHOR_XPATHS with EXSLT ``re:test`` calling Python for every element,
after a copy of the page for its destructive pruning); now one walk
(``shared/formats/html_byline.py``), 0.91 -> 0.95 of bare trafilatura, output identical.

``python -m bench.extraction [--quick] [--benchmark DIR]``: prints the table.
``DIR`` defaults to ``$WIRE_BENCHMARK``, else ``../shared/data/extraction-benchmark``
from the repository root (the Makefile's ``BENCHMARK``).
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import time
from pathlib import Path

from bench.table import Row, render

ROOT = Path(__file__).resolve().parents[1]
F1_BEFORE = 0.9835  # `make eval` at f6f44b9, the commit before issue 14's changes


def benchmark_dir(path: str | Path | None = None) -> Path:
    """The extraction benchmark's folder (holding ``html/`` and ``ground-truth.json``)."""
    return Path(path or os.environ.get("WIRE_BENCHMARK") or ROOT.parent / "shared" / "data" / "extraction-benchmark")


def load_pages(directory: Path) -> dict[str, bytes]:
    """Page name → HTML bytes of every ``*.html`` / ``*.html.gz`` in ``directory``."""
    pages = {}
    for path in sorted(directory.iterdir()):
        if path.name.endswith(".html.gz"):
            pages[path.name[:-8]] = gzip.decompress(path.read_bytes())
        elif path.name.endswith(".html"):
            pages[path.name[:-5]] = path.read_bytes()
    if not pages:
        raise FileNotFoundError(f"no *.html or *.html.gz pages in {directory}")
    return pages


def paired_seconds(pages: list[bytes], ours, theirs, rounds: int) -> tuple[float, float]:
    """CPU seconds of ``ours`` and ``theirs`` over ``pages``: per page the best of
    ``rounds``, summed. Exceptions count as work done (both sides may refuse a page)."""
    best_ours, best_theirs = [float("inf")] * len(pages), [float("inf")] * len(pages)
    for turn in range(rounds):
        for i, page in enumerate(pages):
            for side in ((ours, best_ours), (theirs, best_theirs))[:: 1 if (turn + i) % 2 == 0 else -1]:
                started = time.process_time()
                try:
                    side[0](page)
                except Exception:  # noqa: BLE001 - a refused page still took its time
                    pass
                side[1][i] = min(side[1][i], time.process_time() - started)
    return sum(best_ours), sum(best_theirs)


def rows(quick: bool = False, benchmark: str | Path | None = None) -> list[Row]:
    """Pages/s of Wirestream's extraction against bare trafilatura (goal ≥ 0.90), and F1
    against ``F1_BEFORE`` (goal ≥ 1.0). ``quick``: one round instead of five."""
    import trafilatura

    from services.cli.evaluate import score
    from services.cli.extract import extract_dir
    from shared.formats.html import extract_article

    folder = benchmark_dir(benchmark)
    pages = list(load_pages(folder / "html").values())
    for page in pages[:5]:  # imports, compiled patterns, trafilatura's lazy tables
        trafilatura.extract(page)
        extract_article(page)
    ours, theirs = paired_seconds(pages, extract_article, trafilatura.extract, rounds=1 if quick else 5)
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    f1 = score(extract_dir(folder / "html"), truth)["f1"]
    return [
        Row("HTML extraction (body, headline, byline, date)", len(pages) / ours, "pages/s per core",
            f"bare trafilatura.extract, same {len(pages)} pages", len(pages) / theirs, 0.90),
        Row("HTML extraction F1 (extraction benchmark)", f1, "F1", "F1 before issue 14", F1_BEFORE, 1.0),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.extraction", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one round instead of five")
    parser.add_argument("--benchmark", help="the extraction benchmark's folder (default: $WIRE_BENCHMARK, "
                                            "else ../shared/data/extraction-benchmark)")
    args = parser.parse_args(argv)
    print(render(rows(args.quick, args.benchmark)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
