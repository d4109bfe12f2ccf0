"""What a news web page says about itself: title, site name, canonical URL, author,
publication date and language.

The fields come from trafilatura's own metadata readers (meta tags, JSON-LD, the
<title>, the byline), composed here rather than through ``extract_metadata`` because
that also reads categories, tags, the licence and the hostname, which Wirestream
never uses: on the extraction benchmark they were half of its time (profile in
``bench/extraction.py``'s docstring). Each field that is read is read exactly as
``extract_metadata`` reads it.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import quote, urlsplit

from htmldate import find_date
from lxml.html import HtmlElement
from trafilatura.metadata import (META_URL, examine_meta, extract_meta_json, extract_sitename, extract_title,
                                  extract_url)
from trafilatura.json_metadata import normalize_authors
from trafilatura.settings import Document, set_date_params

from shared.formats.html_byline import byline

_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{1,8})*$", re.I)
_TITLE_SEPARATORS = r"\s+[|\-–—:·»]\s+|:\s+"
_DATE_FIELDS = ("article:published_time", "datepublished", "publishdate", "pubdate", "dc.date.issued")
# htmldate without extensive search: a date from the page's markup or URL, never a
# year guessed from the story's own text ("before the end of 2026")
_DATE_PARAMS = set_date_params(extensive=False)


def page_metadata(tree: HtmlElement) -> Document:
    """Title, site name, canonical URL and publication day (``YYYY-MM-DD``) of the page,
    and its author when its meta tags or JSON-LD name one. Reads ``tree`` without
    changing it. The byline in the page's text is left to :func:`fill_author`."""
    metadata = examine_meta(tree)
    if metadata.author and " " not in metadata.author:  # a handle, not a name
        metadata.author = None
    try:
        metadata = extract_meta_json(tree, metadata)
    except Exception:  # noqa: BLE001 - trafilatura's JSON-LD reader has bugs; the other sources still count
        pass
    if not metadata.title:
        metadata.title = extract_title(tree)
    if not metadata.url:
        metadata.url = extract_url(tree)
    metadata.date = find_date(tree, **{**_DATE_PARAMS, "url": metadata.url})
    if not metadata.sitename:
        metadata.sitename = extract_sitename(tree)
    if metadata.sitename:
        metadata.sitename = metadata.sitename.lstrip("@")
        if metadata.sitename and "." not in metadata.sitename and not metadata.sitename[0].isupper():
            metadata.sitename = metadata.sitename.title()
    elif metadata.url and (match := META_URL.match(metadata.url)):
        metadata.sitename = match[1]
    metadata.clean_and_trim()
    return metadata


def fill_author(tree: HtmlElement, metadata: Document) -> None:
    """Set ``metadata.author`` from the page's byline when the metadata named none
    (trafilatura's author rule, :func:`shared.formats.html_byline.byline`). Reads
    ``tree`` without changing it: call it before anything prunes the page, since the
    byline may sit where the story's text does not (a header, an aside)."""
    if metadata.author:
        return
    author = byline(tree)
    if author:
        metadata.author = normalize_authors(None, author)
        metadata.clean_and_trim()


def page_headline(title: str | None, sitename: str | None) -> str | None:
    """The page title without the site's name around it ("Story - Site", "Site | Story")."""
    title = " ".join((title or "").split())
    site = f" {_words(sitename)} "
    if not title or not site.strip():
        return title or None
    separators = list(re.finditer(_TITLE_SEPARATORS, title))
    for match in separators:  # the longest suffix naming the site
        if f" {_words(title[match.end():])} " in site and title[:match.start()].strip():
            return title[:match.start()].strip()
    for match in reversed(separators):  # else the longest prefix naming it
        if f" {_words(title[:match.start()])} " in site and title[match.end():].strip():
            return title[match.end():].strip()
    return title


def declared_language(tree: HtmlElement) -> str | None:
    """The page's declared language as a BCP 47 tag (``<html lang>``, Content-Language,
    og:locale), None when it declares none."""
    root = tree.getroottree().getroot()
    metas = [m for m in root.iter("meta") if m.get("content") is not None]
    candidates = [root.get("lang"), root.get("{http://www.w3.org/XML/1998/namespace}lang"),
                  *(m.get("content") for m in metas if (m.get("http-equiv") or "").lower() == "content-language"),
                  *(m.get("content") for m in metas if m.get("property") == "og:locale")]
    for value in candidates:
        tag = (value or "").split(",")[0].strip().replace("_", "-")
        if _LANGUAGE.match(tag):
            primary, *rest = tag.split("-")
            return "-".join([primary.lower(), *(r.upper() if len(r) == 2 else r for r in rest)])
    return None


def published_timestamp(tree: HtmlElement) -> datetime | None:
    """The publication time the page states with a time zone (meta tags, JSON-LD, <time>)."""
    values = [e.get("content") for e in tree.iter("meta")
              if (e.get("property") or e.get("name") or e.get("itemprop") or "").lower() in _DATE_FIELDS]
    values += [t.get("datetime") for t in tree.iter("time") if t.get("datetime") is not None
               and (t.get("itemprop") == "datePublished" or t.get("pubdate") is not None)]
    for script in tree.iter("script"):
        if script.get("type") == "application/ld+json" and script.text:
            values += re.findall(r'"datePublished"\s*:\s*"([^"]{10,40})"', script.text)
    for value in values:
        try:
            stamp = datetime.fromisoformat((value or "").strip())
        except ValueError:
            continue
        if stamp.tzinfo is not None:
            return stamp
    return None


def publication_date(day: str | None, exact: datetime | None) -> str | None:
    """RFC 3339: the page's exact timestamp when it falls on the day htmldate found, else
    that day at midnight UTC; None when the page has no date."""
    if exact is not None and (day is None or exact.date().isoformat() == day):
        text = exact.replace(microsecond=0).isoformat()
        return text[:-6] + "Z" if exact.utcoffset() == timedelta(0) else text
    if day and re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
        return f"{day}T00:00:00Z"
    return None


def absolute_url(url: str | None) -> str | None:
    """``url`` percent-quoted when it is an absolute http(s) URL, else None."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced "[" in the host
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
        return None
    return quote(url, safe=":/?#[]@!$&'()*+,;=%~")


def _words(text: str | None) -> str:
    return " ".join(re.findall(r"\w+", (text or "").lower()))
