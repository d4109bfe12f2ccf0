"""NewsML 1.2 news items read into canonical ninjs :class:`Article`s.

A NewsML 1.2 ``NewsItem`` nests ``NewsComponent``s, each with a ``Role`` (Body,
HeadLine, SubHeadLine, Contact, Photo, Logo…), news lines and ``ContentItem``s
whose ``DataContent`` holds NITF, XHTML or text. The story is read from the
text components; photo, logo and video components become associations.
"""
from __future__ import annotations

import re
from typing import Any

from lxml import etree

from shared.errors import ParseError
from shared.events import Article, Signal, TextBlock
from shared.formats.base import ParsedItem
from shared.formats.bylines import Byline, agency_sources, read_bylines, split_byline
from shared.formats.datelines import dateline_place
from shared.formats.ninjs_json import ninjs_datetime, ninjs_uri, plain_body, provider_slug
from shared.formats.desk_notes import split_desk_notes
from shared.formats.nitf import Story, read_head, read_story
from shared.formats.xmlsafe import (attr, block_paragraphs, local_name, parse_html, parse_xml, story_markup,
                                    text_of, text_paragraphs, xpath_of)

_SUBJECT_CODES = "http://cv.iptc.org/newscodes/subjectcode/"
_MEDIA = {"photo": "picture", "picture": "picture", "image": "picture", "logo": "picture",
          "graphic": "graphic", "video": "video", "audio": "audio"}
_BODY = {"body", "main", "maintext"}
_NOT_BODY = {"headline", "subheadline", "contact", "stylesheet", "caption"}
_STATUS = {"canceled": "canceled", "cancelled": "canceled", "withheld": "withheld", "embargoed": "withheld"}
_COPYRIGHT = re.compile(r"^(?:copyright|\(c\)|©)\s*(?:\d{4}[,\s]+)?(?P<holder>.*?)(?:[,\s]+\d{4})?\.?$", re.I)


def parse_newsml12(payload: bytes, *, provider: str) -> list[ParsedItem]:
    """Read a NewsML 1.2 document into ninjs Articles, one per ``NewsItem``.

    In: the raw XML bytes and the provider name. Out: per NewsItem: uri from
    ``PublicIdentifier`` with its trailing ``:{RevisionId}`` removed (so every
    revision of a story has one uri; the full identifier stays in ``altIds``),
    version from ``RevisionId``, ``FirstCreated`` / ``ThisRevisionCreated``,
    ``Status`` (Canceled → "canceled" and signal KILL; Withheld / Embargoed →
    "withheld"), urgency, headline, deck (SubHeadLine), byline (the ``ByLine``s,
    read by :func:`~shared.formats.bylines.read_bylines`: ``by``, authors as ``people``,
    the agencies they or a ``ByLineTitle`` name as ``infoSources`` after the source
    parties), dateline place (``located``, :func:`~shared.formats.datelines.dateline_place`),
    slugline, copyright line, language, genres, subject codes and keyword
    metadata, the body of the Body component (NITF via :func:`read_story`, XHTML or
    text) and media components as associations. A wrapped NITF fills in what the
    wrapper leaves out: its headline, deck, byline (authors, agencies), dateline place
    and editors' notes (:func:`~shared.formats.nitf.read_story`), and what its head
    says (:func:`~shared.formats.nitf.read_head`: urgency, language, dates, copyright,
    slugline, edNote; its people, organisations, places, subjects and doc-id join the
    wrapper's). A revision that says it updates an earlier one (``PreviousRevision`` >
    0) gives signal UPDATE.
    Raises :class:`ParseError` for unsafe or malformed XML (``where`` = "line N"),
    another root, no NewsItem, an item with no identifier, or an item with neither
    headline nor body (``where`` = an XPath-ish location).
    """
    slug = provider_slug(provider)
    root = parse_xml(payload)
    if local_name(root) not in ("NewsML", "NewsItem"):
        raise ParseError(f"root element is <{local_name(root)}>, not <NewsML>", where=xpath_of(root))
    items = [root] if local_name(root) == "NewsItem" else list(root.iterfind("{*}NewsItem"))
    if not items:
        raise ParseError("NewsML document holds no NewsItem", where=xpath_of(root))
    return [_read_item(item, slug) for item in items]


def _read_item(item: etree._Element, slug: str) -> ParsedItem:
    ident = item.find("{*}Identification/{*}NewsIdentifier")
    if ident is None:
        raise ParseError("NewsItem has no NewsIdentifier", where=f"{xpath_of(item)}/Identification")
    revision = ident.find("{*}RevisionId")
    version = text_of(revision) if text_of(revision).isdigit() and len(text_of(revision)) < 10 else "1"
    public = text_of(ident.find("{*}PublicIdentifier"))
    parts = [text_of(ident.find(f"{{*}}{name}")) for name in ("ProviderId", "DateId", "NewsItemId")]
    if public:
        uri = ninjs_uri(re.sub(rf":{re.escape(text_of(revision))}[NAU]?$", "", public) if text_of(revision) else public, slug)
    elif all(parts):
        uri = "urn:newsml:" + ":".join(parts)
    else:
        raise ParseError("NewsItem has no PublicIdentifier", where=xpath_of(ident))
    management = item.find("{*}NewsManagement")
    management = management if management is not None else etree.Element("NewsManagement")
    status = _STATUS.get(attr(management.find("{*}Status"), "FormalName").lower(), "usable")
    components = list(item.iter("{*}NewsComponent"))
    text_parts = [c for c in components if _role(c) not in _MEDIA]
    nitf = _wrapped_nitf(text_parts)
    story, head = (read_story(nitf), read_head(nitf)) if nitf is not None else (Story(), {})
    headline = _line(text_parts, "HeadLine") or " ".join(_component_text(text_parts, lambda role: role == "headline")) \
        or story.headline
    deck = _line(text_parts, "SubHeadLine")
    paragraphs = _component_text(text_parts, _BODY.__contains__) or \
        _component_text(text_parts, lambda role: role not in _NOT_BODY)
    desk = split_desk_notes(paragraphs)
    paragraphs = desk.paragraphs
    # what read_story moved out of a wrapped NITF's body (its <note>s, keyword and slug lines)
    desk.notes[:0] = story.desk.notes
    desk.keywords[:0] = story.desk.keywords
    desk.slug = desk.slug or story.desk.slug
    deck = deck or "\n\n".join(_component_text(text_parts, lambda role: role == "subheadline")) or story.deck
    contact = "\n\n".join(_component_text(text_parts, lambda role: role == "contact"))
    if not headline and not paragraphs:
        raise ParseError("NewsItem has neither headline nor body", where=xpath_of(item))
    copyright_line = _line(text_parts, "CopyrightLine")
    holder = text_of(item.find(".//{*}RightsMetadata/{*}Copyright/{*}CopyrightHolder"))
    if not holder and (m := _COPYRIGHT.match(copyright_line)):
        holder = m["holder"]
    urgency = attr(management.find("{*}Urgency"), "FormalName")
    byline = read_bylines(_lines(text_parts, "ByLine"))
    if not byline.text:  # the wrapped NITF's byline, when the wrapper has none
        byline = Byline(story.by, tuple(story.authors), tuple(story.sources))
    titled = [a for title in _lines(text_parts, "ByLineTitle") for a in split_byline(title).affiliations]
    parties = [{"name": name, "role": "source"} for name in
               dict.fromkeys(attr(p, "FormalName") for p in item.iterfind(".//{*}Source/{*}Party")) if name]
    subjects = _subjects(item)
    genres = [{"name": g} for g in dict.fromkeys(
        attr(e, "FormalName") for e in item.iterfind(".//{*}DescriptiveMetadata/{*}Genre")) if g]
    own = {
        "uri": uri,
        "version": version,
        "firstCreated": ninjs_datetime(text_of(management.find("{*}FirstCreated"))),
        "versionCreated": ninjs_datetime(text_of(management.find("{*}ThisRevisionCreated"))),
        "embargoedUntil": ninjs_datetime(text_of(management.find("{*}StatusWillChange/{*}DateAndTime")))
        if status == "withheld" else None,
        "pubStatus": status,
        "urgency": int(urgency) if urgency.isdigit() and 1 <= int(urgency) <= 9 else None,
        "copyrightHolder": holder or None,
        "copyrightNotice": copyright_line or None,
        "language": attr(item.find(".//{*}DescriptiveMetadata/{*}Language"), "FormalName") or None,
        "by": byline.text or None,
        "slugline": _line(text_parts, "SlugLine") or head.get("slugline") or desk.slug or None,
        "edNote": desk.ed_note(head.get("edNote")),
        "located": dateline_place(_line(text_parts, "DateLine")) or story.located or None,
        "headlines": [TextBlock(role="main", value=headline)] if headline else [],
        "descriptions": [TextBlock(role=role, contentType="text/plain", value=value)
                         for role, value in (("deck", deck), ("contact", contact)) if value],
        "bodies": plain_body(paragraphs),
        "people": byline.people() + head.get("people", []),
        "subjects": subjects + _unknown(head.get("subjects", []), known=subjects)
        + [{"name": k} for k in dict.fromkeys(desk.keywords)],
        "infoSources": parties + agency_sources([*byline.affiliations, *titled], known=parties),
        "associations": _media(uri, components),
        "altIds": ([{"role": "PublicIdentifier", "value": public}] if public else []) + head.get("altIds", []),
        "genres": genres,
    }
    if holder or copyright_line:  # holder and notice go together: the wrapper's, or else the NITF's
        head = {k: v for k, v in head.items() if k not in ("copyrightHolder", "copyrightNotice")}
    # The wrapper's own metadata wins; what only the wrapped NITF's head says is kept.
    article = Article(**{**head, **{key: value for key, value in own.items() if value}})
    return ParsedItem(article=article, source_format="newsml-1.2", signal=_signal(status, revision))


def _wrapped_nitf(components: list[etree._Element]) -> etree._Element | None:
    """The ``<nitf>`` that the story's component wraps (a Body component's first,
    else any text component's), or None."""
    for wanted in (_BODY.__contains__, lambda role: role not in _NOT_BODY):
        for component in components:
            if wanted(_role(component)):
                for data in component.iterfind("{*}ContentItem/{*}DataContent"):
                    if local_name(markup := story_markup(data)) == "nitf":
                        return markup
    return None


def _unknown(entities: list[dict[str, Any]], known: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ``entities`` none of ``known`` has: the same uri, else the same name (without case)."""
    def key(entity: dict[str, Any]) -> str:
        return entity.get("uri") or str(entity.get("name", "")).casefold()
    seen = {key(entity) for entity in known}
    return [entity for entity in entities if key(entity) not in seen]


def _signal(status: str, revision: etree._Element | None) -> Signal | None:
    if status == "canceled":
        return Signal.KILL
    previous = attr(revision, "PreviousRevision")
    return Signal.UPDATE if previous.isdigit() and int(previous) > 0 else None


def _role(component: etree._Element) -> str:
    return attr(component.find("{*}Role"), "FormalName").lower()


def _line(components: list[etree._Element], name: str) -> str:
    """The first news line ``name`` among the components' own NewsLines."""
    return next(iter(_lines(components, name)), "")


def _lines(components: list[etree._Element], name: str) -> list[str]:
    """The news lines ``name`` of the first component whose own NewsLines have one."""
    for component in components:
        if found := [v for v in map(text_of, component.iterfind(f"{{*}}NewsLines/{{*}}{name}")) if v]:
            return found
    return []


def _component_text(components: list[etree._Element], wanted: Any) -> list[str]:
    """Paragraphs of the content items of the first component whose role is wanted."""
    for component in components:
        if not wanted(_role(component)) or component.find("{*}ContentItem") is None:
            continue
        paragraphs = [p for content in component.iterfind("{*}ContentItem") for p in _content_text(content)]
        if paragraphs:
            return paragraphs
    return []


def _content_text(content: etree._Element) -> list[str]:
    data = content.find("{*}DataContent")
    if data is None:
        return []
    kind = attr(content.find("{*}MimeType"), "FormalName").lower()
    if kind.startswith(("image/", "video/", "audio/", "text/css")):
        return []
    if any(local_name(child) for child in data):
        markup = story_markup(data)
        return read_story(markup).paragraphs if local_name(markup) == "nitf" else block_paragraphs(markup)
    text = data.text or ""
    root = parse_html(text) if "html" in kind else None
    return block_paragraphs(root) if root is not None else text_paragraphs(text)


def _subjects(item: etree._Element) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    for code in item.iterfind(".//{*}SubjectCode/*"):
        value = attr(code, "FormalName")
        if re.fullmatch(r"\d{8}", value):
            found.append({"uri": _SUBJECT_CODES + value})
    for metadata in item.iterfind(".//{*}Metadata"):
        if "keyword" in attr(metadata.find("{*}MetadataType"), "FormalName").lower():
            names = (attr(p, "Value") for p in metadata.iterfind("{*}Property"))
            found += [{"name": name, "rel": "about"} for name in names if name]
    found += [{"name": k} for k in (text_of(e) for e in item.iterfind(".//{*}NewsLines/{*}KeywordLine")) if k]
    return found


def _media(article_uri: str, components: list[etree._Element]) -> list[dict[str, Any]]:
    """Photo, logo and video components as associations with their renditions."""
    found: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    for component in components:
        role = _role(component)
        if role not in _MEDIA:
            continue
        renditions = [r for r in map(_rendition, component.iterfind("{*}ContentItem")) if r]
        if not renditions:
            continue
        counts[role] = counts.get(role, 0) + 1
        name = f"{role}-{counts[role]}"
        association: dict[str, Any] = {"name": name, "rel": role, "type": _MEDIA[role],
                                       "uri": renditions[0]["href"], "renditions": renditions}
        if caption := _line([component], "HeadLine") or _line([component], "CaptionLine"):
            association["descriptions"] = [{"role": "caption", "contentType": "text/plain", "value": caption}]
        found.append(association)
    return found


def _rendition(content: etree._Element) -> dict[str, Any] | None:
    href = attr(content, "Href")
    if not href or ninjs_uri(href, "x") != href:
        return None
    properties = {attr(p, "FormalName"): attr(p, "Value") for p in content.iterfind("{*}Characteristics/{*}Property")}
    rendition: dict[str, Any] = {"name": properties.get("ImageUse") or attr(content, "Duid") or "rendition",
                                 "href": href}
    if kind := attr(content.find("{*}MimeType"), "FormalName"):
        rendition["contentType"] = kind
    sizes = (("width", properties.get("PixelWidth", "")), ("height", properties.get("PixelHeight", "")),
             ("sizeInBytes", text_of(content.find("{*}Characteristics/{*}SizeInBytes"))))
    rendition.update({key: int(value) for key, value in sizes if value.isdigit() and len(value) < 16})
    return rendition
