"""The ``wire`` command: one entry point, a sub-command per job."""
from __future__ import annotations

import sys

USAGE = """wire COMMAND [ARGS]

  run [--brokers N] [--replicas N] [--enrichment-replicas N]
                              Kafka, Redis and every service in the foreground (make run);
                              enrichment runs one process per core unless told otherwise
  parse FILE...               print the canonical ninjs of each file
  extract DIR --out F.json    extract article bodies from every *.html[.gz] / *.txt in DIR
  eval --pred F --truth G     score an extraction against ground truth (precision, recall, F1)
  status                      each service up or down, its consumer lag and last error
  dlq list|show|replay|purge  dead-letter topics: reasons, records, replay to the source, purge
  trace URI|ID                an article's path through the stages, with timings and trace id
  rebuild-read-model          rebuild the Redis read model from Kafka (after Redis lost its data)
"""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command == "run":
        from services.cli.run import run_stack

        return run_stack(rest)
    if command == "parse":
        from services.cli.parse import main_parse

        return main_parse(rest)
    if command == "extract":
        from services.cli.extract import main_extract

        return main_extract(rest)
    if command == "rebuild-read-model":
        from services.cli.rebuild import main_rebuild

        return main_rebuild(rest)
    if command == "eval":
        from services.cli.evaluate import main_eval

        return main_eval(rest)
    if command == "status":
        from services.cli.status import main_status

        return main_status(rest)
    if command == "dlq":
        from services.cli.dlq import main_dlq

        return main_dlq(rest)
    if command == "trace":
        from services.cli.trace import main_trace

        return main_trace(rest)
    print(f"wire: unknown command {command!r}\n\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
