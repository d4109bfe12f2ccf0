"""``wire extract``: run the HTML article extractor over a directory of saved pages."""
from __future__ import annotations

import argparse
import gzip
import json
import sys
import zlib
from pathlib import Path
from typing import Any

from shared.errors import ParseError
from shared.formats.html import extract_article

_SUFFIXES = (".html.gz", ".html")


def extract_dir(directory: Path) -> dict[str, dict[str, Any]]:
    """Extract every ``*.html`` and ``*.html.gz`` page directly in ``directory``.

    Out: page name (file name without ``.html``/``.html.gz``) -> ``{"articleBody",
    "headline", "author", "datePublished"}`` as :func:`extract_article` returns it,
    in name order. A page that cannot be read gets an empty ``articleBody``, None
    for the rest and an ``"error"`` key saying why, so one bad page never stops a run.
    Raises NotADirectoryError when ``directory`` is not a directory.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise NotADirectoryError(f"not a directory: {directory}")
    pages: dict[str, dict[str, Any]] = {}
    for path in sorted(directory.iterdir()):
        suffix = next((s for s in _SUFFIXES if path.name.endswith(s)), None)
        if suffix is None or not path.is_file():
            continue
        name = path.name[: -len(suffix)]
        try:
            raw = path.read_bytes()
            pages[name] = extract_article(gzip.decompress(raw) if suffix == ".html.gz" else raw)
        except (ParseError, OSError, EOFError, zlib.error) as exc:
            pages[name] = {"articleBody": "", "headline": None, "author": None, "datePublished": None,
                           "error": str(exc)}
    return pages


def main_extract(argv: list[str] | None = None) -> int:
    """``wire extract DIR --out FILE.json``: write :func:`extract_dir`'s result as UTF-8
    JSON and return 0; 2 when DIR is not a directory (argparse exits 2 on bad arguments)."""
    parser = argparse.ArgumentParser(prog="wire extract", description="extract article text from saved web pages")
    parser.add_argument("directory", type=Path, help="directory of *.html / *.html.gz pages")
    parser.add_argument("--out", type=Path, required=True, help="JSON file to write")
    args = parser.parse_args(argv)
    try:
        pages = extract_dir(args.directory)
    except NotADirectoryError as exc:
        parser.print_usage()
        print(f"wire extract: {exc}", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(pages, ensure_ascii=False, indent=1), encoding="utf-8")
    failed = sum(1 for page in pages.values() if "error" in page)
    print(f"extracted {len(pages)} pages ({failed} unreadable) -> {args.out}")
    return 0
