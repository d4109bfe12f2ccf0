"""The pictures, video and audio a feed item carries, with their captions and credits.

Read from the item's own XML rather than from feedparser, which keeps one description
and one credit per entry where Media RSS gives one per picture: RSS ``<enclosure>``,
Atom ``<link rel="enclosure">``, and Media RSS ``<media:content>`` (a ``<media:group>``
is one picture or clip in several renditions) with ``<media:description>``,
``<media:credit>`` and ``<media:thumbnail>``; an item's own description, credit and
thumbnails apply to media that have none. Only http(s) links are kept; nothing is fetched.
"""
from __future__ import annotations

import mimetypes
from typing import Any

from lxml import etree

from shared.formats.g2_media import media_rendition
from shared.formats.html_metadata import absolute_url
from shared.formats.xmlsafe import attr, block_paragraphs, local_name, parse_html, text_of

_MRSS = "search.yahoo.com/mrss"  # Media RSS's namespace, written with and without its final slash
_MEDIUMS = {"image": "picture", "video": "video", "audio": "audio"}


def item_media(item: etree._Element) -> list[dict[str, Any]]:
    """The media of one RSS ``<item>`` or Atom ``<entry>`` as the picture dicts
    :func:`shared.formats.nitf.photo_associations` takes (source, type, kind, caption,
    credit, renditions): Media RSS groups and contents, then enclosures, each in document
    order and each link once; the item's own thumbnails go to its first picture or clip,
    or are its picture when it has none. Media whose kind is neither picture, video nor
    audio (a PDF enclosure), or whose link is not http(s), are left out. Never raises."""
    found: list[dict[str, Any]] = []
    seen: set[str] = set()
    groups = [(c, [m for m in c if _is_mrss(m) and local_name(m) == "content"]) for c in item
              if _is_mrss(c) and local_name(c) == "group"]
    contents = [(c, [c]) for c in item if _is_mrss(c) and local_name(c) == "content"]
    enclosures = [(c, [c]) for c in item if (local_name(c) == "enclosure" and not _is_mrss(c))
                  or (local_name(c) == "link" and attr(c, "rel") == "enclosure")]
    # Media RSS first: an enclosure that repeats one of its links adds nothing to it.
    for holder, renditions in groups + contents + enclosures:
        media = _media(holder, renditions, item)
        if media and not seen & {r["href"] for r in media["renditions"]}:
            seen.update(r["href"] for r in media["renditions"])
            found.append(media)
    thumbnails = _thumbnails(item, seen)
    if found and thumbnails:
        found[0]["renditions"] += thumbnails
    elif thumbnails:  # a thumbnail alone is the item's picture
        found.append({"source": thumbnails[0]["href"], "type": "", "kind": "picture", "caption": _caption(item),
                      "credit": _credit(item), "renditions": thumbnails})
    for media in found:
        small = [r for r in media["renditions"] if r["name"] == "thumbnail"]
        for number, rendition in enumerate(small[1:], 2):
            rendition["name"] = f"thumbnail-{number}"
    return found


def has_summary(item: etree._Element) -> bool:
    """True when an item has a description or summary of its own, besides its media's:
    feedparser takes a ``<media:description>`` as the entry's summary when there is none."""
    return any(local_name(c) in ("description", "summary") and not _is_mrss(c) for c in item)


def _media(holder: etree._Element, contents: list[etree._Element], item: etree._Element) -> dict[str, Any] | None:
    """One picture or clip: ``contents`` are its renditions, ``holder`` (the content
    or its group) says its caption, credit and thumbnails, else ``item`` does."""
    renditions, kind = [], ""
    for number, content in enumerate(contents, 1):
        href = absolute_url(attr(content, "url") or attr(content, "href")) or ""
        content_type = attr(content, "type")
        kind = kind or _kind(attr(content, "medium"), content_type, href)
        if href and kind:
            size = attr(content, "fileSize") or attr(content, "length")
            renditions.append(media_rendition("source" if number == 1 else f"rendition-{number}", href, content_type,
                                              width=attr(content, "width"), height=attr(content, "height"),
                                              sizeInBytes="" if size == "0" else size,
                                              duration=attr(content, "duration")))
    if not renditions:
        return None
    seen: set[str] = set()
    nested = [t for c in dict.fromkeys([holder, *contents]) for t in _thumbnails(c, seen)]
    return {"source": renditions[0]["href"], "type": renditions[0].get("contentType", ""), "kind": kind,
            "caption": _caption(holder) or _caption(item), "credit": _credit(holder) or _credit(item),
            "renditions": renditions + nested}


def _kind(medium: str, content_type: str, href: str) -> str:
    """picture, video or audio, from Media RSS's ``medium``, else the MIME type, else
    the link's file extension; "" for anything else."""
    if medium:
        return _MEDIUMS.get(medium.lower(), "")
    guessed = content_type or mimetypes.guess_type(href.partition("?")[0])[0] or ""
    return _MEDIUMS.get(guessed.partition("/")[0].lower(), "")


def _thumbnails(holder: etree._Element, seen: set[str]) -> list[dict[str, Any]]:
    found = []
    for element in holder:
        href = absolute_url(attr(element, "url")) if _is_mrss(element) and local_name(element) == "thumbnail" else None
        if href and href not in seen:
            seen.add(href)
            found.append(media_rendition("thumbnail", href, width=attr(element, "width"),
                                         height=attr(element, "height")))
    return found


def _caption(holder: etree._Element) -> str:
    for element in holder:
        if _is_mrss(element) and local_name(element) == "description" and (text := text_of(element)):
            if attr(element, "type") == "html":
                root = parse_html(text)
                text = " ".join(block_paragraphs(root)) if root is not None else text
            return " ".join(text.split())
    return ""


def _credit(holder: etree._Element) -> str:
    credits = [text_of(e) for e in holder if _is_mrss(e) and local_name(e) == "credit"]
    return ", ".join(dict.fromkeys(c for c in credits if c))


def _is_mrss(element: etree._Element) -> bool:
    tag = element.tag
    return isinstance(tag, str) and tag.startswith("{") and _MRSS in tag[1:tag.find("}")]
