"""``wire parse FILE...``: print the canonical ninjs of each file, for debugging a feed.

Output is JSON lines, one object per item, so it pipes into ``jq`` (``wire parse
*.xml | jq .ninjs.type``); files that cannot be read are reported on stderr."""
from __future__ import annotations

import argparse
import gzip
import sys
from pathlib import Path

import orjson

from shared.errors import WireError
from shared.formats import content_type_for, parse
from shared.ninjs import ninjs_errors


def main_parse(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="wire parse", description="print the canonical ninjs 3.1 of each file: "
                                     "one JSON object per item and line (file, format, signal, sourceVersion, "
                                     "valid, ninjs)")
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--provider", default="cli", help="provider name used for uris without a source id")
    parser.add_argument("--content-type", default=None, help="override the media type guessed from the name")
    args = parser.parse_args(argv)
    failures = 0
    for path in args.files:
        try:
            payload = path.read_bytes()
            if path.suffix == ".gz":
                payload = gzip.decompress(payload)
            items = parse(payload, args.content_type or content_type_for(path.name), provider=args.provider)
        except (WireError, OSError) as exc:
            print(f"{path}: {getattr(exc, 'code', 'error')}: {exc}", file=sys.stderr)
            failures += 1
            continue
        for item in items:
            ninjs = item.article.to_ninjs()
            report = {"file": str(path), "format": item.source_format, "signal": item.signal,
                      "sourceVersion": item.source_version, "valid": not ninjs_errors(ninjs), "ninjs": ninjs}
            sys.stdout.write(orjson.dumps(report).decode() + "\n")
    return 1 if failures else 0
