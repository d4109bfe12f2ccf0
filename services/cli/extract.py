"""``wire extract``: run the article extractors over a directory of saved pages
(HTML pages through the HTML extractor, ``*.txt`` scraped text through the plain-text
cleaner)."""
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
from shared.formats.plaintext import read_story

_SUFFIXES = (".html.gz", ".html", ".txt")


def extract_dir(directory: Path) -> dict[str, dict[str, Any]]:
    """Extract every ``*.html``, ``*.html.gz`` and ``*.txt`` page directly in ``directory``.

    Out: page name (file name without its suffix) -> ``{"articleBody", "headline",
    "author", "datePublished"}`` as :func:`extract_article` (or, for text,
    :func:`extract_text`) returns it, in name order. A page that cannot be read gets an empty ``articleBody``, None
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
            if suffix == ".txt":
                pages[name] = extract_text(raw.decode("utf-8"))
            else:
                pages[name] = extract_article(gzip.decompress(raw) if suffix == ".html.gz" else raw)
        except (ParseError, OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
            pages[name] = {"articleBody": "", "headline": None, "author": None, "datePublished": None,
                           "error": str(exc)}
    return pages


def extract_text(text: str) -> dict[str, Any]:
    """The plain-text cleaner's reading of one scraped page, in :func:`extract_dir`'s shape
    (paragraphs joined by blank lines; None where the page has no headline, byline or date)."""
    story = read_story(text)
    return {"articleBody": "\n\n".join(story.body), "headline": story.headline,
            "author": " and ".join(story.authors) or None, "datePublished": story.created}


def main_extract(argv: list[str] | None = None) -> int:
    """``wire extract DIR --out FILE.json``: write :func:`extract_dir`'s result as UTF-8
    JSON and return 0; 2 when DIR is not a directory (argparse exits 2 on bad arguments)."""
    parser = argparse.ArgumentParser(prog="wire extract", description="extract article text from saved web pages")
    parser.add_argument("directory", type=Path, help="directory of *.html / *.html.gz pages or *.txt scraped text")
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
