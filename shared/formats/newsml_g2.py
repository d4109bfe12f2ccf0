"""NewsML-G2 text items read into canonical ninjs :class:`Article`s.

A payload is one ``newsItem`` or a ``newsMessage`` whose ``itemSet`` holds several
items (a package, the text, its pictures). Every text item becomes one Article;
pictures it shows (``<figure>`` in an XHTML body, ``<media>`` in NITF) become its
associations, with renditions from the picture items of the same message. Elements
are matched by local name, so G2 with or without its namespace reads the same.
"""
from __future__ import annotations

from typing import Any

from lxml import etree

from shared.errors import ParseError
from shared.events import Article, Signal, TextBlock
from shared.formats.base import ParsedItem
from shared.formats.ninjs_json import ninjs_datetime, ninjs_uri, plain_body, provider_slug
from shared.formats.nitf import photo_associations, read_story
from shared.formats.xmlsafe import (attr, block_paragraphs, local_name, parse_html, parse_xml, text_of,
                                    text_paragraphs, xpath_of)

_CODES = {"medtop": "http://cv.iptc.org/newscodes/mediatopic/", "subj": "http://cv.iptc.org/newscodes/subjectcode/"}
_KINDS = {"person": "people", "organisation": "organisations", "organization": "organisations",
          "geoArea": "places", "poi": "places", "event": "events", "object": "objects"}
_KILLED = {"canceled", "cancelled", "withdrawn"}
_SIGNALS = {"correction": Signal.CORRECTION, "update": Signal.UPDATE}


def parse_newsml_g2(payload: bytes, *, provider: str) -> list[ParsedItem]:
    """Read a NewsML-G2 ``newsItem`` or ``newsMessage`` into ninjs Articles, one per
    text item.

    In: the raw XML bytes and the provider name. Out: per text ``newsItem``: uri
    from ``@guid``, version from ``@version``, dates from itemMeta, ``pubStatus``
    (stat:canceled or stat:withdrawn → "canceled" and signal KILL), signal
    CORRECTION / UPDATE from ``<signal qcode="sig:correction|sig:update"/>``,
    headlines, descriptions, slugline, byline and creators, subjects (``medtop:`` and
    ``subj:`` qcodes as IPTC uris; people, organisations and places by their
    ``cpnat:`` type), language, urgency, embargo, rightsInfo, and the body of
    ``inlineXML`` (XHTML or NITF) or ``inlineData`` as plain-text paragraphs.
    Raises :class:`ParseError` for unsafe or malformed XML (``where`` = "line N"),
    another root element, a text item without ``@guid`` or without both headline
    and body, and a payload holding no text item (``where`` = an XPath-ish location).
    """
    slug = provider_slug(provider)
    root = parse_xml(payload)
    if local_name(root) == "newsItem":
        items = [root]
    elif local_name(root) == "newsMessage":
        items = list(root.iterfind("{*}itemSet/{*}newsItem"))
    else:
        raise ParseError(f"root element is <{local_name(root)}>, not <newsItem> or <newsMessage>",
                         where=xpath_of(root))
    pictures = {attr(i, "guid"): i for i in items if _item_class(i) not in ("", "text", "composite")}
    texts = [i for i in items if _item_class(i) in ("", "text", "composite")]
    if not texts:
        raise ParseError("NewsML-G2 payload holds no text newsItem", where=xpath_of(root))
    return [_read_item(item, slug, pictures) for item in texts]


def _read_item(item: etree._Element, slug: str, pictures: dict[str, etree._Element]) -> ParsedItem:
    guid = attr(item, "guid")
    if not guid:
        raise ParseError("newsItem has no guid", where=f"{xpath_of(item)}/@guid")
    uri = ninjs_uri(guid, slug)
    meta = _child(item, "itemMeta")
    content = _child(item, "contentMeta")
    status = _local(attr(meta.find("{*}pubStatus"), "qcode")) or "usable"
    pub_status = "canceled" if status in _KILLED else ("withheld" if status == "withheld" else "usable")
    headlines = _blocks(content.iterfind("{*}headline"), first_role="main")
    paragraphs, photos = _body(item)
    if paragraphs and headlines and paragraphs[0] == headlines[0].value:
        paragraphs = paragraphs[1:]  # bodies often repeat the headline as their first line
    if not headlines and not paragraphs:
        raise ParseError("newsItem has neither headline nor body", where=xpath_of(item))
    creators = [text_of(c.find("{*}name")) or attr(c, "literal") for c in content.iterfind("{*}creator")]
    creators = [c for c in creators if c]
    entities = _entities(content)
    rights = _child(item, "rightsInfo")
    holder = _child(rights, "copyrightHolder")
    version = attr(item, "version")
    article = Article(
        uri=uri,
        version=version if version.isdigit() and len(version) < 10 else "1",
        firstCreated=ninjs_datetime(text_of(meta.find("{*}firstCreated"))),
        versionCreated=ninjs_datetime(text_of(meta.find("{*}versionCreated"))),
        contentCreated=ninjs_datetime(text_of(content.find("{*}contentCreated"))),
        embargoedUntil=ninjs_datetime(text_of(meta.find("{*}embargoed"))),
        pubStatus=pub_status,
        urgency=_urgency(text_of(content.find("{*}urgency"))),
        copyrightHolder=(text_of(holder.find("{*}name")) or attr(holder, "literal") or text_of(holder)) or None,
        copyrightNotice=text_of(rights.find("{*}copyrightNotice")) or None,
        usageTerms=text_of(rights.find("{*}usageTerms")) or None,
        edNote=text_of(meta.find("{*}edNote")) or None,
        language=attr(content.find("{*}language"), "tag") or attr(item, "xml:lang") or None,
        by=text_of(content.find("{*}by")) or " and ".join(creators) or None,
        slugline=text_of(content.find("{*}slugline")) or None,
        located=text_of(content.find("{*}located/{*}name")) or text_of(content.find("{*}dateline")) or None,
        headlines=headlines,
        descriptions=_blocks(content.iterfind("{*}description"), first_role="summary"),
        bodies=plain_body(paragraphs),
        people=[{"name": name, "rel": "author"} for name in creators] + entities.pop("people", []),
        organisations=entities.pop("organisations", []),
        places=entities.pop("places", []),
        subjects=entities.pop("subjects", []) + [{"name": k} for k in map(text_of, content.iterfind("{*}keyword")) if k],
        infoSources=[c for c in (_concept(s, role=True) for s in content.iterfind("{*}infoSource")) if c],
        altIds=[{"role": _local(attr(a, "type")) or "altId", "value": text_of(a)}
                for a in content.iterfind("{*}altId") if text_of(a)],
        associations=_with_renditions(photo_associations(uri, photos), pictures),
        **({"genres": genres} if (genres := [c for c in map(_concept, content.iterfind("{*}genre")) if c]) else {}),
        **entities,
    )
    return ParsedItem(article=article, source_format="newsml-g2", signal=_signal(meta, pub_status))


def _child(element: etree._Element, name: str) -> etree._Element:
    found = element.find(f"{{*}}{name}")
    return found if found is not None else etree.Element(name)  # an empty stand-in keeps lookups simple


def _local(qcode: str) -> str:
    return qcode.rpartition(":")[2]


def _item_class(item: etree._Element) -> str:
    return _local(attr(item.find("{*}itemMeta/{*}itemClass"), "qcode"))


def _urgency(value: str) -> int | None:
    return int(value) if value.isdigit() and 1 <= int(value) <= 9 else None


def _signal(meta: etree._Element, pub_status: str) -> Signal | None:
    if pub_status == "canceled":
        return Signal.KILL
    said = {_SIGNALS.get(_local(attr(s, "qcode"))) for s in meta.iterfind("{*}signal")}
    return next((s for s in (Signal.CORRECTION, Signal.UPDATE) if s in said), None)


def _blocks(elements: Any, first_role: str) -> list[TextBlock]:
    blocks = []
    for element in elements:
        if value := text_of(element):
            role = _local(attr(element, "role")) or (first_role if not blocks else "sub")
            blocks.append(TextBlock(role=role, value=value))
    return blocks


def _concept(element: etree._Element, role: bool = False) -> dict[str, str]:
    """A G2 concept (subject, genre, infoSource) as a ninjs entity: its name, and its
    uri (IPTC code uris for ``medtop:``/``subj:`` qcodes) or else its qcode or
    ``@literal`` as literal."""
    entry = {"name": text_of(element.find("{*}name"))}
    qcode = attr(element, "qcode")
    scheme, _, code = qcode.partition(":")
    if uri := attr(element, "uri") or (_CODES[scheme] + code if scheme in _CODES and code else ""):
        entry["uri"] = uri
    else:
        entry["literal"] = qcode or attr(element, "literal")
    if role and (value := _local(attr(element, "role"))):
        entry["role"] = value
    return {k: v for k, v in entry.items() if v}


def _entities(content: etree._Element) -> dict[str, list[dict[str, str]]]:
    found: dict[str, list[dict[str, str]]] = {}
    for subject in content.iterfind("{*}subject"):
        entry = _concept(subject)
        if entry:
            found.setdefault(_KINDS.get(_local(attr(subject, "type")), "subjects"), []).append(entry)
    return found


def _body(item: etree._Element) -> tuple[list[str], list[dict[str, str]]]:
    """Paragraphs and pictures of the first inline content that has any text."""
    for holder in item.iterfind("{*}contentSet/*"):
        kind, paragraphs, photos = local_name(holder), [], []
        if kind == "inlineXML":
            for child in holder:
                if local_name(child) == "nitf":
                    story = read_story(child)
                    paragraphs, photos = story.paragraphs, story.photos
                elif local_name(child):
                    body = child.find(".//{*}body") if local_name(child) == "html" else child
                    paragraphs = block_paragraphs(body if body is not None else child)
                    photos = _figures(child)
                if paragraphs:
                    break
        elif kind == "inlineData":
            text = holder.text or ""
            root = parse_html(text) if "html" in attr(holder, "contenttype") else None
            paragraphs = block_paragraphs(root) if root is not None else text_paragraphs(text)
        if paragraphs:
            return paragraphs, photos
    return [], []


def _figures(markup: etree._Element) -> list[dict[str, str]]:
    photos = []
    for figure in markup.iter("{*}figure"):
        img = figure.find(".//{*}img")
        credit = next((text_of(e) for e in figure.iter() if "byline" in attr(e, "class").split()), "")
        photos.append({"source": attr(img, "data-uri") or attr(img, "src"), "type": "",
                       "caption": text_of(figure.find(".//{*}figcaption")), "credit": credit})
    return photos


def _with_renditions(associations: list[dict[str, Any]], pictures: dict[str, etree._Element]) -> list[dict[str, Any]]:
    """Associations completed from the picture items of the same message."""
    for association in associations:
        picture = pictures.get(association["uri"])
        if picture is None:
            continue
        renditions = []
        for number, remote in enumerate(picture.iterfind("{*}contentSet/{*}remoteContent"), 1):
            if href := attr(remote, "href"):
                rendition: dict[str, Any] = {"name": _local(attr(remote, "rendition")) or f"rendition-{number}",
                                             "href": href}
                if kind := attr(remote, "contenttype"):
                    rendition["contentType"] = kind
                for source, target in (("width", "width"), ("height", "height"), ("size", "sizeInBytes")):
                    if (value := attr(remote, source)).isdigit() and len(value) < 16:
                        rendition[target] = int(value)
                renditions.append(rendition)
        if renditions:
            association["renditions"] = renditions
    return associations
