"""The ``wire`` command."""
from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="wire", description="Wirestream news-wire pipeline")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run Kafka, Redis and every service in the foreground")
    bench = sub.add_parser("bench", help="push synthetic articles through a fresh pipeline and report")
    bench.add_argument("-n", "--articles", type=int, default=2000)
    bench.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args(argv)
    if args.command == "run":
        from services.cli.run import run_stack

        return run_stack()
    if args.command == "bench":
        from services.cli.bench import run_bench

        return run_bench(articles=args.articles, concurrency=args.concurrency)
    return 2


if __name__ == "__main__":
    sys.exit(main())
