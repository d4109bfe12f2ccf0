"""NewsML-G2 items read into canonical ninjs :class:`Article`s.

A payload is one ``newsItem`` or ``packageItem``, or a ``newsMessage`` whose
``itemSet`` holds several (a package, the text, its pictures). Every item becomes one
Article of its type: text with its body; a picture, graphic, video or audio item with
its renditions (:mod:`shared.formats.g2_media`); a package (type "composite") with its
members as associations. Pictures a text shows (``<figure>`` in an XHTML body,
``<media>`` in NITF) become its associations, with renditions from the picture items
of the same message. Elements are matched by local name, so G2 with or without its
namespace reads the same.
"""
from __future__ import annotations

from typing import Any

from lxml import etree

from shared.errors import ParseError
from shared.events import Article, Signal, TextBlock
from shared.formats.base import ParsedItem
from shared.formats.bylines import Byline, agency_sources, split_byline
from shared.formats.datelines import dateline_place
from shared.formats.desk_notes import split_desk_notes
from shared.formats.g2_media import (MEDIA_TYPES, item_type, local_code, member_associations, ref_uri,
                                     renditions)
from shared.formats.g2_parties import item_parties, unnamed
from shared.formats.ninjs_json import ninjs_datetime, ninjs_uri, plain_body, provider_slug, story_uri
from shared.formats.nitf import Story, photo_associations, read_story
from shared.formats.xmlsafe import (attr, block_paragraphs, local_name, parse_html, parse_xml, story_markup,
                                    text_of, text_paragraphs, xpath_of)

_CODES = {"medtop": "http://cv.iptc.org/newscodes/mediatopic/", "subj": "http://cv.iptc.org/newscodes/subjectcode/"}
_KINDS = {"person": "people", "organisation": "organisations", "organization": "organisations",
          "geoArea": "places", "poi": "places", "event": "events", "object": "objects"}
_KILLED = {"canceled", "cancelled", "withdrawn"}
_SIGNALS = {"correction": Signal.CORRECTION, "update": Signal.UPDATE}
_ITEMS = ("newsItem", "packageItem")


def parse_newsml_g2(payload: bytes, *, provider: str) -> list[ParsedItem]:
    """Read a NewsML-G2 ``newsItem``, ``packageItem`` or ``newsMessage`` into ninjs
    Articles, one per item (a package after the members it carries).

    In: the raw XML bytes and the provider name. Out: per item: uri from ``@guid``,
    version from ``@version``, type from ``itemClass`` (text, picture, graphic,
    video, audio; composite for a package), dates from itemMeta, ``pubStatus``
    (stat:canceled or stat:withdrawn → "canceled" and signal KILL), signal
    CORRECTION / UPDATE from ``<signal qcode="sig:correction|sig:update"/>``,
    headlines, descriptions (a picture's caption), slugline, byline (without "By") and
    creators and contributors (:mod:`~shared.formats.g2_parties`: people with their role
    as ``rel``, organisations as infoSources; authors split from the byline when no
    creator is a person; its agencies as infoSources), dateline place,
    edNote, subjects (``medtop:`` and ``subj:`` qcodes as IPTC uris; people,
    organisations and places by their ``cpnat:`` type), language, urgency, embargo,
    rightsInfo; for text the body of ``inlineXML`` (XHTML or NITF) or ``inlineData``
    as plain-text paragraphs (editors' notes, keyword and slug lines moved out; a NITF
    body's headline, deck, byline and dateline used where the item has none); for
    media its renditions; for a package its members as associations. An item of a
    message that carries only a guid, referenced by a package of the message, is a
    reference, not an item of its own; a package without a guid gets a uri from its
    members' references.
    Raises :class:`ParseError` for unsafe or malformed XML (``where`` = "line N"),
    another root element, an item without ``@guid``, a text item without both
    headline and body, a media item with neither headline, description nor
    rendition, a package with no member, an item class ninjs has no type for, and a
    message holding no item (``where`` = an XPath-ish location).
    """
    slug = provider_slug(provider)
    root = parse_xml(payload)
    if local_name(root) in _ITEMS:
        items = [root]
    elif local_name(root) == "newsMessage":
        items = [i for i in root.iterfind("{*}itemSet/*") if local_name(i) in _ITEMS]
    else:
        raise ParseError(f"root element is <{local_name(root)}>, not <newsItem>, <packageItem> or <newsMessage>",
                         where=xpath_of(root))
    if not items:
        raise ParseError("NewsML-G2 message holds no newsItem or packageItem", where=xpath_of(root))
    packages = [i for i in items if local_name(i) == "packageItem"]
    referenced = {ref_uri(ref, slug) for package in packages for ref in package.iter("{*}itemRef")}
    news = [i for i in items if local_name(i) == "newsItem" and not _reference_only(i, slug, referenced)]
    media = {ninjs_uri(attr(i, "guid"), slug): i for i in news if attr(i, "guid") and item_type(i) in MEDIA_TYPES}
    parsed = [_read_item(item, slug, media) for item in news]
    carried = {p.article.uri: p.article for p in parsed}
    return parsed + [_read_item(package, slug, media, carried) for package in packages]


def _reference_only(item: etree._Element, slug: str, referenced: set[str]) -> bool:
    """A message's stand-in for a package member sent on its own: a guid and no content."""
    guid = attr(item, "guid")
    empty = item.find("{*}contentMeta") is None and item.find("{*}contentSet") is None
    return bool(guid) and empty and ninjs_uri(guid, slug) in referenced


def _read_item(item: etree._Element, slug: str, media: dict[str, etree._Element],
               carried: dict[str, Article] | None = None) -> ParsedItem:
    kind = item_type(item)
    guid = attr(item, "guid")
    if not guid and kind == "composite":
        guid = story_uri(slug, "newsml-g2-package", *(ref_uri(r, slug) for r in item.iter("{*}itemRef")))
    if not guid:
        raise ParseError(f"{local_name(item)} has no guid", where=f"{xpath_of(item)}/@guid")
    uri = ninjs_uri(guid, slug)
    meta = _child(item, "itemMeta")
    content = _child(item, "contentMeta")
    status = local_code(attr(meta.find("{*}pubStatus"), "qcode")) or "usable"
    pub_status = "canceled" if status in _KILLED else ("withheld" if status == "withheld" else "usable")
    headlines = _blocks(content.iterfind("{*}headline"), first_role="main")
    descriptions = _blocks(content.iterfind("{*}description"), first_role="summary")
    story, associations, item_renditions = Story(), [], []
    if kind == "composite":
        associations = member_associations(item, slug, carried or {})
        if not associations:
            raise ParseError("packageItem references no item", where=xpath_of(item))
    elif kind in MEDIA_TYPES:
        item_renditions = renditions(item)
        if not (headlines or descriptions or item_renditions):
            raise ParseError(f"{kind} item has neither headline, description nor rendition", where=xpath_of(item))
    else:
        story = _body(item)  # a NITF body's own headline, deck, byline and dateline fill in what the item lacks
        if not headlines and story.headline:
            headlines = [TextBlock(role="main", value=story.headline)]
        if not descriptions and story.deck:
            descriptions = [TextBlock(role="deck", contentType="text/plain", value=story.deck)]
        if story.desk.paragraphs and headlines and story.desk.paragraphs[0] == headlines[0].value:
            story.desk.paragraphs = story.desk.paragraphs[1:]  # bodies often repeat the headline as their first line
        if not headlines and not story.desk.paragraphs:
            raise ParseError("newsItem has neither headline nor body", where=xpath_of(item))
        associations = _with_renditions(photo_associations(uri, story.photos), media)
    desk = story.desk
    parties = item_parties(item, content)
    byline = split_byline(text_of(content.find("{*}by")))
    if not byline.text and not parties.authors:  # the item names no author: its NITF body's byline may
        byline = Byline(story.by, tuple(story.authors), tuple(story.sources))
    info_sources = [c for c in (_concept(s, role=True) for s in content.iterfind("{*}infoSource")) if c]
    sources = info_sources + unnamed(parties.sources, known=info_sources)
    entities = _entities(item, content)
    rights = _child(item, "rightsInfo")
    holder = _child(rights, "copyrightHolder")
    version = attr(item, "version")
    keywords = [k for k in map(text_of, content.iterfind("{*}keyword")) if k] + desk.keywords
    article = Article(
        uri=uri,
        type=kind,
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
        edNote=desk.ed_note(text_of(meta.find("{*}edNote"))),
        language=attr(content.find("{*}language"), "tag") or attr(item, "xml:lang") or None,
        by=byline.text or parties.by or text_of(content.find("{*}creditline")) or None,
        slugline=text_of(content.find("{*}slugline")) or desk.slug or None,
        located=text_of(content.find("{*}located/{*}name")) or dateline_place(text_of(content.find("{*}dateline")))
        or story.located or None,
        headlines=headlines,
        descriptions=descriptions,
        bodies=plain_body(desk.paragraphs),
        people=(parties.authors or byline.people()) + parties.contributors + entities.pop("people", []),
        organisations=entities.pop("organisations", []),
        places=entities.pop("places", []),
        subjects=entities.pop("subjects", []) + [{"name": k} for k in dict.fromkeys(keywords)],
        infoSources=sources + agency_sources(byline.affiliations, known=sources),
        altIds=[{"role": local_code(attr(a, "type")) or "altId", "value": text_of(a)}
                for a in content.iterfind("{*}altId") if text_of(a)],
        renditions=item_renditions,
        associations=associations,
        **({"genres": genres} if (genres := [c for c in map(_concept, content.iterfind("{*}genre")) if c]) else {}),
        **entities,
    )
    return ParsedItem(article=article, source_format="newsml-g2", signal=_signal(meta, pub_status))


def _child(element: etree._Element, name: str) -> etree._Element:
    found = element.find(f"{{*}}{name}")
    return found if found is not None else etree.Element(name)  # an empty stand-in keeps lookups simple


def _urgency(value: str) -> int | None:
    return int(value) if value.isdigit() and 1 <= int(value) <= 9 else None


def _signal(meta: etree._Element, pub_status: str) -> Signal | None:
    if pub_status == "canceled":
        return Signal.KILL
    said = {_SIGNALS.get(local_code(attr(s, "qcode"))) for s in meta.iterfind("{*}signal")}
    return next((s for s in (Signal.CORRECTION, Signal.UPDATE) if s in said), None)


def _blocks(elements: Any, first_role: str) -> list[TextBlock]:
    blocks = []
    for element in elements:
        if value := text_of(element):
            role = local_code(attr(element, "role")) or (first_role if not blocks else "sub")
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
    if role and (value := local_code(attr(element, "role"))):
        entry["role"] = value
    return {k: v for k, v in entry.items() if v}


def _entities(item: etree._Element, content: etree._Element) -> dict[str, list[dict[str, str]]]:
    found: dict[str, list[dict[str, str]]] = {}
    for subject in content.iterfind("{*}subject"):
        entry = _concept(subject)
        if entry and "name" not in entry and (name := _asserted_name(item, subject)):
            entry["name"] = name
        if entry:
            found.setdefault(_KINDS.get(local_code(attr(subject, "type")), "subjects"), []).append(entry)
    return found


def _asserted_name(item: etree._Element, concept: etree._Element) -> str:
    """The name an item's ``<assert>`` gives a concept it only codes (a point of
    interest's address lines and locality when it has no name)."""
    code = attr(concept, "qcode") or attr(concept, "literal")
    for claim in item.iterfind("{*}assert"):
        if code and code in (attr(claim, "qcode"), attr(claim, "literal")):
            if name := text_of(claim.find("{*}name")):
                return name
            address = claim.find(".//{*}address")
            if address is not None:
                parts = [text_of(e) for e in address.iterfind("{*}line")] + \
                        [text_of(e.find("{*}name")) for e in address.iterfind("{*}locality")]
                return ", ".join(p for p in parts if p)
    return ""


def _body(item: etree._Element) -> Story:
    """The story of the first inline content that has any text: its paragraphs (with
    the desk's lines apart) and pictures; of NITF also its headline, deck, byline and
    dateline (:func:`~shared.formats.nitf.read_story`)."""
    for holder in item.iterfind("{*}contentSet/*"):
        kind, story = local_name(holder), Story()
        if kind == "inlineXML":
            markup = story_markup(holder)
            if local_name(markup) == "nitf":
                story = read_story(markup)
            else:
                story = Story(desk=split_desk_notes(block_paragraphs(markup)), photos=_figures(markup))
        elif kind == "inlineData":
            text = holder.text or ""
            root = parse_html(text) if "html" in attr(holder, "contenttype") else None
            story = Story(desk=split_desk_notes(block_paragraphs(root) if root is not None else text_paragraphs(text)))
        if story.desk.paragraphs:
            return story
    return Story()


def _figures(markup: etree._Element) -> list[dict[str, str]]:
    photos = []
    for figure in markup.iter("{*}figure"):
        img = figure.find(".//{*}img")
        credit = next((text_of(e) for e in figure.iter() if "byline" in attr(e, "class").split()), "")
        photos.append({"source": attr(img, "data-uri") or attr(img, "src"), "type": "",
                       "caption": text_of(figure.find(".//{*}figcaption")), "credit": credit})
    return photos


def _with_renditions(associations: list[dict[str, Any]], media: dict[str, etree._Element]) -> list[dict[str, Any]]:
    """Associations completed from the picture items of the same message."""
    for association in associations:
        picture = media.get(association["uri"])
        if picture is not None and (found := renditions(picture)):
            association["renditions"] = found
    return associations
