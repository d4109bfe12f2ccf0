"""``python -m bench.formats``: parser throughput on one core (HTML pages/s, XML items/s)."""
from __future__ import annotations

import argparse
import gzip
import os
import time
from pathlib import Path

from services.cli.stack.processes import REPO
from shared.formats import content_type_for, parse

DEFAULT_HTML = [REPO.parent / "shared" / "data" / "extraction-benchmark" / "html", REPO / "tests" / "fixtures" / "html"]
DEFAULT_XML = REPO / "tests" / "fixtures" / "wires"


def _load(folder: Path, patterns: tuple[str, ...]) -> list[tuple[str, bytes]]:
    files = sorted(p for pattern in patterns for p in folder.glob(pattern))
    return [(p.name, gzip.decompress(p.read_bytes()) if p.suffix == ".gz" else p.read_bytes()) for p in files]


def rate(samples: list[tuple[str, bytes]], seconds: float) -> tuple[float, int]:
    """Items parsed per second over at least ``seconds`` of repeated passes."""
    items, started = 0, time.perf_counter()
    while True:
        for name, payload in samples:
            items += len(parse(payload, content_type_for(name), provider="bench"))
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            return items / elapsed, items


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.formats")
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args(argv)
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    html_dir = next((d for d in DEFAULT_HTML if d.is_dir()), None)
    if html_dir:
        pages = _load(html_dir, ("*.html", "*.html.gz"))
        per_s, n = rate(pages, args.seconds)
        print(f"HTML pages     {per_s:8.1f} pages/s on one core ({len(pages)} pages from {html_dir}, {n} parsed)")
    xml = _load(DEFAULT_XML, ("*.xml",))
    if xml:
        per_s, n = rate(xml, args.seconds)
        print(f"XML wire items {per_s:8.1f} items/s on one core ({len(xml)} NewsML/NITF files, {n} items parsed)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
