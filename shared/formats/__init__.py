"""Wire formats: detect what a payload is and parse it into canonical Articles.

The parsers are pure functions of the payload. The gateway runs them to refuse bad
input synchronously with a 4xx that says why and to answer with the story's id;
ingest runs them again on the retained raw payload (so a fixed parser can be
replayed over the DLQ) and adds what needs state (versions, duplicates).
"""
from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from shared.errors import ParseError, UnsupportedFormat
from shared.formats.base import ParsedItem
from shared.formats.encoding import xml_as_utf8

Parser = Callable[..., list[ParsedItem]]

# format name → "module:function"; imported on first use.
PARSERS: dict[str, str] = {
    "text": "shared.formats.plaintext:parse_text",
    "html": "shared.formats.html:parse_html",
    "ninjs": "shared.formats.ninjs_json:parse_ninjs",
    "newsml-g2": "shared.formats.newsml_g2:parse_newsml_g2",
    "nitf": "shared.formats.nitf:parse_nitf",
    "newsml-1.2": "shared.formats.newsml12:parse_newsml12",
    "anpa": "shared.formats.anpa:parse_anpa",
    "iptc7901": "shared.formats.iptc7901:parse_iptc7901",
    "rss": "shared.formats.feeds:parse_feed",
    "atom": "shared.formats.feeds:parse_feed",
}

# Media types a wire may declare (anything text-like is also sniffed).
MEDIA_TYPES = {
    "text/plain": "plain text scraped from a news page",
    "text/html": "an HTML article page",
    "application/json": "ninjs 1.x, 2.x or 3.x",
    "application/ninjs+json": "ninjs 1.x, 2.x or 3.x",
    "application/vnd.iptc.g2.newsitem+xml": "NewsML-G2 newsItem (text, picture, graphic, video, audio)",
    "application/vnd.iptc.g2.packageitem+xml": "NewsML-G2 packageItem",
    "application/vnd.iptc.g2.newsmessage+xml": "NewsML-G2 newsMessage (items and packages)",
    "application/nitf+xml": "NITF 3.x",
    "application/xml": "NewsML-G2 (items, packages, messages), NITF 3.x, NewsML 1.2, RSS 2.0 or Atom (sniffed)",
    "text/xml": "as application/xml",
    "application/rss+xml": "RSS 2.0 (every item)",
    "application/atom+xml": "Atom (every entry)",
    "application/x-anpa": "ANPA-1312 text wire",
    "application/x-iptc7901": "IPTC 7901 text wire",
}

# File name endings of file-based wires (drop folder, `wire parse`); others are sniffed.
SUFFIXES = {".txt": "text/plain", ".text": "text/plain", ".html": "text/html", ".htm": "text/html",
            ".json": "application/json", ".xml": "application/xml", ".nitf": "application/nitf+xml",
            ".rss": "application/rss+xml", ".atom": "application/atom+xml"}


def content_type_for(file_name: str) -> str:
    """The media type a file's name suggests ("" when it suggests none: sniff)."""
    name = file_name.lower().removesuffix(".gz")
    return next((kind for suffix, kind in SUFFIXES.items() if name.endswith(suffix)), "")


# Formats whose items always carry their own version number (a ninjs parser sets
# its own, since ninjs' version is optional).
VERSIONED = {"newsml-g2", "newsml-1.2"}
# Formats that are XML: the transport's charset decides how their bytes are read
# (before their own declaration), so they are handed to their parser as UTF-8.
XML_FORMATS = {"newsml-g2", "nitf", "newsml-1.2", "rss", "atom"}


def media_type(content_type: str | None) -> tuple[str, str | None]:
    """Split a Content-Type header into (media type, declared charset or None)."""
    if not content_type:
        return "", None
    head, *params = content_type.split(";")
    charset = None
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip('"').lower()
    return head.strip().lower(), charset


def format_of(payload: bytes, content_type: str | None) -> str:
    """The format name of ``payload`` (a key of PARSERS). Raises UnsupportedFormat."""
    kind, _ = media_type(content_type)
    try:
        from shared.formats.detect import detect_format
    except ImportError:  # only plain text is readable without the sniffer
        if kind in ("text/plain", ""):
            return "text"
        raise UnsupportedFormat(f"unsupported Content-Type {kind!r}; accepted: text/plain") from None
    try:
        return detect_format(payload, kind)
    except UnsupportedFormat as exc:
        raise UnsupportedFormat(f"{exc}; accepted: {', '.join(MEDIA_TYPES)}") from exc


def parser_for(fmt: str) -> Parser:
    module, _, name = PARSERS[fmt].partition(":")
    return getattr(importlib.import_module(module), name)


# A story's uri is its identity: the key of every record it travels in, a header of
# most, and part of its value; a feed guid of megabytes made each of its records
# larger than Kafka takes (a URL is under 2,000 characters where browsers agree).
MAX_URI_CHARS = 4096


# Entries an item's lists of objects may hold, each of them (subjects, people, genres,
# associations, an association's renditions…): every subscription's filter, the feeds
# and the translation links read them all, for every item; real wire items have tens.
# Lists of plain values (a place's GeoJSON coordinates) are not counted.
MAX_LIST_ENTRIES = 1000


def item_unfit(item: ParsedItem, index: int) -> ParseError | None:
    """Why item ``index`` (from 0) of a payload cannot become a story, or None: its uri
    is longer than :data:`MAX_URI_CHARS`, or one of its lists of objects, at any depth,
    holds more than :data:`MAX_LIST_ENTRIES` entries. Checked where items become records — the
    gateway refuses the payload (422), a poller and ingest refuse the item alone — not
    by :func:`parse`, so one absurd item does not hold a whole feed back."""
    article = item.article
    uri = article.uri
    if len(uri) > MAX_URI_CHARS:
        # named by its digest, not its text: a permalink may carry the feed's credentials
        digest = hashlib.sha256(uri.encode("utf-8", "replace")).hexdigest()[:16]
        return ParseError(f"an item's uri (guid, id) is {len(uri)} characters long, more than the {MAX_URI_CHARS} "
                          f"a story's identity may take (sha256 {digest})", where=f"item {index + 1}")
    if (longest := _longest_list(article)) is not None:
        name, count = longest
        return ParseError(f"an item's {name} list holds {count} entries, more than the {MAX_LIST_ENTRIES} a list of "
                          f"a story may hold", where=f"item {index + 1}")
    return None


def _longest_list(article) -> tuple[str, int] | None:
    """(name, length) of the first list of objects of ``article`` (its fields, those the
    model does not name too) found longer than :data:`MAX_LIST_ENTRIES`, looking into
    the objects at every depth (associations of associations); else None."""
    fields = [(name, getattr(article, name)) for name in type(article).model_fields]
    pending: list[tuple[str, Any]] = [*fields, *(article.model_extra or {}).items()]
    while pending:
        name, value = pending.pop()
        if isinstance(value, list):
            objects = [entry for entry in value if isinstance(entry, (dict, BaseModel))]  # a headline is a model
            if objects and len(value) > MAX_LIST_ENTRIES:
                return name, len(value)
            pending.extend((name, entry) for entry in objects if isinstance(entry, dict))
        elif isinstance(value, dict):
            pending.extend((key, entry) for key, entry in value.items() if isinstance(entry, (list, dict)))
    return None


def parse(payload: bytes, content_type: str | None, *, provider: str) -> list[ParsedItem]:
    """Every news item in ``payload`` (one for most formats, one per entry for feeds).

    A charset in ``content_type`` is how plain text and XML are read (a byte-order
    mark still comes first; see :mod:`shared.formats.encoding`).
    Raises UnsupportedFormat for a media type or payload no parser reads and
    ParseError (with where it went wrong) for a payload that cannot be read.
    """
    if not payload.strip():
        raise ParseError("the body is empty", where="line 1")
    fmt = format_of(payload, content_type)
    _, charset = media_type(content_type)
    if fmt == "text":
        items = parser_for(fmt)(payload, provider=provider, charset=charset)
    elif fmt in XML_FORMATS:
        items = parser_for(fmt)(xml_as_utf8(payload, charset), provider=provider)
    else:
        items = parser_for(fmt)(payload, provider=provider)
    if not items:
        raise ParseError(f"no news item found in this {fmt} payload")
    for item in items:
        if fmt in VERSIONED and item.source_version is None:
            item.source_version = item.article.version
    return items
