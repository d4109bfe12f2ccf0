"""RSS 2.0 / RSS 1.0 and Atom feeds read into canonical ninjs :class:`Article`s, one
per item or entry, with feedparser.

feedparser is handed only what :func:`parse_xml` has already accepted (so the
entity checks apply and its forgiving, slower fallback parser is never needed),
and only as a stream: given bytes or a string it would try them as a file name
or a URL and read that instead. HTML's named entities (``&eacute;`` in an RSS 0.91
feed that names Netscape's DTD) are handed to it as numeric character references:
it reads no DTD, so it would drop them.
"""
from __future__ import annotations

import io
import re
import time
from html.entities import html5
from typing import Any
from urllib.parse import quote

import feedparser

from lxml import etree

from shared.errors import ParseError
from shared.events import Article, TextBlock
from shared.formats.base import ParsedItem
from shared.formats.bylines import Byline, agency_sources, split_byline
from shared.formats.desk_notes import split_desk_notes
from shared.formats.feed_media import has_summary, item_media
from shared.formats.furniture import is_furniture
from shared.formats.html_metadata import absolute_url
from shared.formats.ninjs_json import ninjs_uri, plain_body, provider_slug, story_uri
from shared.formats.nitf import photo_associations
from shared.formats.xmlsafe import block_paragraphs, local_name, parse_html, parse_xml, text_paragraphs, xpath_of

_ROOTS = {"rss": "rss", "RDF": "rss", "feed": "atom"}
# A named entity reference, or a CDATA section / comment whose text is literal and
# is passed over whole. Linear: parse_xml has accepted the document, so each of them ends.
_REFERENCE = re.compile(rb"<!\[CDATA\[.*?\]\]>|<!--.*?-->|&([A-Za-z][A-Za-z0-9]{1,31});", re.S)
_XML_ENTITIES = frozenset({b"amp", b"lt", b"gt", b"quot", b"apos"})
_IPTC_SCHEME = re.compile(r"https?://cv\.iptc\.org/newscodes/([\w-]+)/?", re.I)


def parse_feed(payload: bytes, *, provider: str) -> list[ParsedItem]:
    """Read an RSS or Atom feed into ninjs Articles, one per item / entry.

    In: the raw XML bytes and the provider name. Out: per item with a title or a
    text: uri from guid / id (kept when a URI, else ``urn:wirestream:{provider}:{id}``),
    else from the link, else a content hash; headline from the title; body from
    the content (else the summary) with HTML reduced to paragraphs, furniture
    (:func:`~shared.formats.furniture.is_furniture`) left out and editors' notes,
    keyword and slug lines moved to edNote, subjects and slugline; the summary
    kept as description role "summary" when a content exists; published / updated
    as firstCreated / versionCreated; author(s) as ``by`` (without "By") and
    ``people`` (split, :func:`~shared.formats.bylines.split_byline`), the agencies
    they name as infoSources; categories as subjects (with a uri when their domain or
    scheme is a web address); enclosures and Media RSS pictures, video and audio as
    associations with renditions (:mod:`shared.formats.feed_media`); language from
    ``xml:lang`` or the channel's ``<language>``; the feed's or item's rights as
    copyrightNotice. A well-formed
    feed without items gives an empty list. ``source_format`` is "rss" or "atom".
    Raises :class:`ParseError` for unsafe or malformed XML (``where`` = "line N")
    and for a root that is not ``rss``, ``rdf:RDF`` or ``feed`` (``where`` = its path).
    """
    slug = provider_slug(provider)
    root = parse_xml(payload)
    kind = _ROOTS.get(local_name(root))
    if kind is None:
        raise ParseError(f"root element is <{local_name(root)}>, not <rss> or <feed>", where=xpath_of(root))
    try:
        feed = feedparser.parse(io.BytesIO(numeric_references(payload)), resolve_relative_uris=False)
    except Exception as exc:  # feedparser's internals raise assorted types; the payload is what failed
        raise ParseError(f"feed cannot be read: {exc}", where=xpath_of(root)) from exc
    channel = feed.get("feed", {})
    entries = feed.get("entries", [])
    elements = [e for e in root.iter() if local_name(e) == ("entry" if kind == "atom" else "item")]
    if len(elements) != len(entries):  # not one element per entry: no media rather than another item's
        elements = [None] * len(entries)
    items = []
    for entry, element in zip(entries, elements):
        if (item := _read_entry(entry, element, channel, slug, kind)) is not None:
            items.append(item)
    return items


def numeric_references(payload: bytes) -> bytes:
    """``payload`` with each reference to one of HTML's named entities (other than
    XML's own five) written as numeric character references, outside CDATA sections
    and comments. Declares and expands nothing: a reference HTML does not name stays
    as it was. Works on the bytes of any encoding where ``&``, ``;`` and ASCII
    letters are single bytes; in UTF-16/32 nothing matches and the payload is unchanged."""
    def numeric(m: re.Match[bytes]) -> bytes:
        name = m.group(1)
        if name is None or name in _XML_ENTITIES:
            return m.group(0)
        chars = html5.get(f"{name.decode('ascii')};")
        return "".join(f"&#{ord(c)};" for c in chars).encode("ascii") if chars else m.group(0)

    return _REFERENCE.sub(numeric, payload)


def _read_entry(entry: Any, element: etree._Element | None, channel: Any, slug: str, kind: str) -> ParsedItem | None:
    headline = " ".join(_text(entry.get("title", ""), entry.get("title_detail")).split())
    summary, summary_detail = entry.get("summary", ""), entry.get("summary_detail")
    if element is not None and not has_summary(element):
        summary = ""  # feedparser's stand-in: a picture's caption (media:description), which is no story text
    contents = [c for c in entry.get("content", []) if c.get("value")]
    text, text_detail = (contents[0]["value"], contents[0]) if contents else (summary, summary_detail)
    desk = split_desk_notes(_paragraphs(text, text_detail))
    paragraphs = desk.paragraphs
    # feedparser copies the content into the summary when an entry has none of its own.
    deck = " ".join(_paragraphs(summary, summary_detail)) if contents else ""
    if deck.split() == " ".join(paragraphs).split():
        deck = ""
    if not headline and not paragraphs:
        return None
    link, guid = entry.get("link", ""), entry.get("id", "")
    uri = ninjs_uri(guid or link, slug) if (guid or link) else story_uri(slug, kind, headline, *paragraphs[:1])
    authors = [(split_byline(a["name"]), a) for a in entry.get("authors", []) if a.get("name")]
    detail = entry.get("title_detail") or entry.get("summary_detail") or {}
    language = detail.get("language") or channel.get("language")
    rights = entry.get("rights") or channel.get("rights")
    article = Article(
        uri=uri,
        firstCreated=_stamp(entry.get("published_parsed")),
        # dict.get: feedparser's own get() maps a missing "updated" to "published" with a DeprecationWarning
        versionCreated=_stamp(dict.get(entry, "updated_parsed") or entry.get("published_parsed")),
        language=language or None,
        copyrightNotice=" ".join(rights.split()) if rights else None,
        by=" and ".join(b.text for b, _ in authors if b.text) or entry.get("author") or None,
        edNote=desk.ed_note(),
        slugline=desk.slug or None,
        headlines=[TextBlock(role="main", value=headline)] if headline else [],
        descriptions=[TextBlock(role="summary", contentType="text/plain", value=deck)] if deck else [],
        bodies=plain_body(paragraphs),
        people=[person for byline, author in authors for person in _people(byline, author)],
        infoSources=agency_sources(a for b, _ in authors for a in b.affiliations),
        subjects=_subjects(entry.get("tags", []), desk.keywords),
        associations=photo_associations(uri, item_media(element)) if element is not None else [],
        altIds=[{"role": "link", "value": link}] if link and uri != link else [],
    )
    return ParsedItem(article=article, source_format=kind, signal=None)


def _text(value: str, detail: Any) -> str:
    """A title or summary as plain text, whatever markup feedparser left in it."""
    if detail and "html" in (detail.get("type") or "") and "<" in value:
        root = parse_html(value)
        return " ".join(block_paragraphs(root)) if root is not None else value
    return value


def _paragraphs(value: str, detail: Any) -> list[str]:
    """A content or summary as paragraphs, without the furniture feeds add ("The post …
    appeared first on …", "Continue reading", share prompts)."""
    kind = (detail or {}).get("type") or "text/html"  # RSS descriptions are HTML unless said otherwise
    if "html" in kind:
        root = parse_html(value)
        paragraphs = block_paragraphs(root) if root is not None else []
    else:
        paragraphs = text_paragraphs(value)
    return [p for p in paragraphs if not is_furniture(p)]


def _people(byline: Byline, author: Any) -> list[dict[str, Any]]:
    """The authors an entry's author names; the e-mail stays with a name that is one person."""
    people = byline.people()
    if len(people) == 1 and (email := author.get("email")):
        people[0]["contactInfo"] = [{"type": "email", "role": "work", "value": email}]
    return people


def _subjects(tags: list[Any], keywords: list[str]) -> list[dict[str, str]]:
    """Categories as subjects (named by label, else term), coded with a uri when their
    domain / scheme is a web address; then the body's keyword lines."""
    found: dict[tuple[str, str], dict[str, str]] = {}
    for tag in tags:
        term, label = (tag.get("term") or "").strip(), (tag.get("label") or "").strip()
        if not (name := label or term):
            continue
        subject = {"name": name}
        if term and (uri := _category_uri((tag.get("scheme") or "").strip(), term)):
            subject["uri"] = uri
        found.setdefault((name, subject.get("uri", "")), subject)
    for keyword in keywords:
        found.setdefault((keyword, ""), {"name": keyword})
    return list(found.values())


def _category_uri(scheme: str, term: str) -> str | None:
    """The uri of a category in a scheme that is a web address: an IPTC NewsCodes scheme
    gives the code's uri as G2 and NITF subjects have it
    (``http://cv.iptc.org/newscodes/subjectcode/16000000``), any other scheme + term."""
    if iptc := _IPTC_SCHEME.fullmatch(scheme):
        return f"http://cv.iptc.org/newscodes/{iptc.group(1)}/{term}" if re.fullmatch(r"[\w.-]+", term) else None
    if not absolute_url(scheme):
        return None
    joined = scheme + quote(term, safe="-._~") if scheme.endswith(("/", "#", "=", ":")) else \
        f"{scheme}/{quote(term, safe='-._~')}"
    return absolute_url(joined)


def _stamp(parsed: time.struct_time | None) -> str | None:
    """feedparser's UTC struct_time as RFC 3339."""
    if not parsed or not 1 <= parsed.tm_year <= 9999:
        return None
    return (f"{parsed.tm_year:04d}-{parsed.tm_mon:02d}-{parsed.tm_mday:02d}"
            f"T{parsed.tm_hour:02d}:{parsed.tm_min:02d}:{parsed.tm_sec:02d}Z")
