"""NITF 3.x (News Industry Text Format) read into a canonical ninjs :class:`Article`.

NITF keeps the story in ``body`` (``body.head`` with hedline, byline and dateline;
``body.content`` with paragraphs, subheads and media) and the metadata in
``head/docdata``. :func:`read_story` reads the body alone, so the formats that wrap
NITF (NewsML 1.2, NewsML-G2 inlineXML) reuse it. Elements are matched by local
name, so NITF with or without its namespace reads the same.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lxml import etree

from shared.errors import ParseError
from shared.events import Article, Signal, TextBlock
from shared.formats.base import ParsedItem
from shared.formats.bylines import agency_sources, split_byline
from shared.formats.datelines import dateline_place
from shared.formats.desk_notes import DeskNotes, split_desk_notes
from shared.formats.g2_media import media_rendition
from shared.formats.ninjs_json import ninjs_datetime, ninjs_uri, plain_body, provider_slug, story_uri
from shared.formats.sentences import ends_like_a_sentence
from shared.formats.xmlsafe import attr, block_paragraphs, gather_text, local_name, parse_xml, text_of, xpath_of

_SUBJECT_CODES = "http://cv.iptc.org/newscodes/subjectcode/"
# NITF media-type → ninjs type; other media (data, text, other) are no pictures or clips.
_MEDIA_KINDS = {"": "picture", "image": "picture", "photo": "picture", "graphic": "graphic", "video": "video",
                "audio": "audio"}
_HEADLINE_CHARS = 160  # a first line longer than this is a paragraph, not a headline
_STATUS = {"canceled": "canceled", "cancelled": "canceled", "withheld": "withheld", "embargoed": "withheld"}


@dataclass
class Story:
    """What the body of a NITF document says, as plain text."""

    headline: str = ""
    deck: str = ""
    by: str = ""
    authors: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # the agencies the byline names
    located: str = ""
    paragraphs: list[str] = field(default_factory=list)
    photos: list[dict[str, Any]] = field(default_factory=list)
    desk: DeskNotes = field(default_factory=DeskNotes)  # editors' notes, keywords, slug found in the body

    def people(self) -> list[dict[str, str]]:
        """The authors as ninjs ``people`` with rel "author"."""
        return [{"name": name, "rel": "author"} for name in self.authors]


def read_story(nitf: etree._Element) -> Story:
    """Read the story in a NITF ``<nitf>`` (or bare ``<body>``/``<body.content>``) element.

    Out: headline (``hl1``, else ``head/title``), deck (``hl2`` in the hedline), byline (its text
    without its title or a leading "By"; authors from its ``person`` names, else split from
    its text, :func:`~shared.formats.bylines.split_byline`; the agencies it or its title
    names), dateline place (:func:`~shared.formats.datelines.dateline_place`),
    the paragraphs of every ``body.content`` (subheads included, media and notes left
    out; editors' notes, keyword and slug lines moved to ``desk``, with the text of
    ``<note>``s of class "editorsnote" or type "npa", not for publication) and the
    pictures, graphics and clips in ``media`` elements (source, type, caption, credit,
    renditions). Never raises; what is missing is empty.
    """
    story = Story()
    hedline = nitf.find(".//{*}hedline")
    if hedline is not None:
        story.headline = text_of(hedline.find("{*}hl1"))
        story.deck = " ".join(filter(None, (text_of(h) for h in hedline.findall("{*}hl2"))))
    story.headline = story.headline or text_of(nitf.find("{*}head/{*}title"))
    bys = []
    for byline in nitf.iterfind(".//{*}body.head/{*}byline"):
        said = split_byline(" ".join(gather_text(byline, frozenset({"byttl"})).split()))
        named = [name for name in (text_of(p) for p in byline.iter("{*}person")) if name]
        titled = [a for title in byline.iter("{*}byttl") for a in split_byline(text_of(title)).affiliations]
        story.authors += named or said.names
        story.sources += [*said.affiliations, *titled]
        bys.append(" and ".join(named) or said.text)
    story.authors = list(dict.fromkeys(a for a in story.authors if a))
    story.sources = list(dict.fromkeys(story.sources))
    story.by = " and ".join(b for b in bys if b)
    if (dateline := nitf.find(".//{*}body.head/{*}dateline")) is not None:
        story.located = dateline_place(text_of(dateline.find("{*}location")) or " ".join(
            gather_text(dateline, frozenset({"story.date"})).split()))
    contents = [nitf] if local_name(nitf) == "body.content" else list(nitf.iter("{*}body.content"))
    paragraphs, notes = [], []
    for content in contents:
        paragraphs += block_paragraphs(content)
        notes += [text_of(n) for n in content.iter("{*}note")
                  if attr(n, "noteclass") == "editorsnote" or attr(n, "type") == "npa"]
        story.photos += [m for m in map(_media, content.iter("{*}media")) if m]
    story.desk = split_desk_notes(paragraphs)
    story.desk.notes[:0] = [n for n in notes if n]
    story.paragraphs = story.desk.paragraphs
    return story


def _media(media: etree._Element) -> dict[str, Any] | None:
    """A ``media`` block as a picture/graphic/clip: its first reference's source and
    type, caption, credit, and every reference with an absolute URI as a rendition."""
    kind = _MEDIA_KINDS.get(attr(media, "media-type").lower())
    if kind is None:
        return None
    references = list(media.iterfind("{*}media-reference"))
    first = references[0] if references else None
    renditions = []
    for number, reference in enumerate(references, 1):
        source = attr(reference, "source")
        if not source or ninjs_uri(source, "x") != source:  # an id of the sender's, not a link
            continue
        name = attr(reference, "name") or ("source" if number == 1 else f"rendition-{number}")
        renditions.append(media_rendition(name, source, attr(reference, "mime-type"),
                                          width=attr(reference, "width"), height=attr(reference, "height")))
    return {"source": attr(first, "source"), "type": attr(first, "mime-type"), "kind": kind,
            "caption": text_of(media.find("{*}media-caption")), "credit": text_of(media.find("{*}media-producer")),
            "renditions": renditions}


def parse_nitf(payload: bytes, *, provider: str) -> list[ParsedItem]:
    """Read one NITF 3.x document into a canonical ninjs Article.

    In: the raw XML bytes and the provider name. Out: one ParsedItem with uri from
    ``doc-id/@id-string`` (kept when it is a URI, else ``urn:wirestream:{provider}:{id}``;
    a content hash when there is no doc-id), version from ``du-key/@version``,
    headline (``hl1``, ``title``, else a first body line of at most 160 characters, which
    stays in the body too when it is a full sentence),
    deck (``descriptions`` role "deck"), byline (``by``, authors as ``people``, agencies as
    ``infoSources`` role "source"), dateline place (``located``),
    plain-text body, urgency (``ed-urg``), dates (``date.issue``, ``date.release``
    when not before issue, ``date.expire``, ``pubdata/@date.publication``), ``doc.copyright``,
    ``ed-msg`` and the body's editors' notes (edNote), keyword lines (subjects), a slug
    line (slugline when ``du-key`` has none), language (``xml:lang`` or ``baselang``), subjects
    (``tobject.subject`` codes and ``key-list`` keywords), genre (``tobject.type``),
    places (``evloc``) and pictures, graphics and clips as associations with renditions.
    ``docdata/@management-status`` "canceled" gives signal KILL. Raises
    :class:`ParseError` for unsafe or malformed XML (``where`` = "line N"), a root other
    than ``nitf`` and a document with neither headline nor body (``where`` = an
    XPath-ish location).
    """
    slug = provider_slug(provider)
    root = parse_xml(payload)
    if local_name(root) != "nitf":
        raise ParseError(f"root element is <{local_name(root)}>, not <nitf>", where=xpath_of(root))
    story = read_story(root)
    if not story.headline and story.paragraphs and len(story.paragraphs[0]) <= _HEADLINE_CHARS:
        # Wires that leave <title> and <hl1> empty lead with the headline; a lead that is a
        # full sentence is also the story's first paragraph, so it stays in the body.
        lead = story.paragraphs[0]
        story.headline = lead if ends_like_a_sentence(lead) else story.paragraphs.pop(0)
    if not story.headline and not story.paragraphs:
        raise ParseError("NITF document has neither headline nor body", where="/nitf/body")
    docdata = _docdata(root)
    doc_id = attr(docdata.find("{*}doc-id"), "id-string")
    first = story.paragraphs[0] if story.paragraphs else ""
    uri = ninjs_uri(doc_id, slug) if doc_id else story_uri(slug, "nitf", story.headline, first)
    status = _STATUS.get(attr(docdata, "management-status").lower(), "usable")
    head = read_head(root)
    article = Article(**{
        **head,
        "uri": uri,
        "version": _version(docdata),
        "pubStatus": status,
        "edNote": story.desk.ed_note(head.get("edNote")),
        "slugline": head.get("slugline") or story.desk.slug or None,
        "by": story.by or None,
        "located": story.located or None,
        "headlines": [TextBlock(role="main", value=story.headline)] if story.headline else [],
        "descriptions": [TextBlock(role="deck", contentType="text/plain", value=story.deck)] if story.deck else [],
        "bodies": plain_body(story.paragraphs),
        "people": story.people() + head.get("people", []),
        "infoSources": agency_sources(story.sources),
        "subjects": head.get("subjects", []) + [{"name": k} for k in dict.fromkeys(story.desk.keywords)],
        "associations": photo_associations(uri, story.photos),
    })
    return [ParsedItem(article=article, source_format="nitf", signal=Signal.KILL if status == "canceled" else None)]


def read_head(nitf: etree._Element) -> dict[str, Any]:
    """The ninjs fields the ``head`` of a NITF document gives, only those it has, so a
    format that wraps NITF (NewsML 1.2) can let its own metadata win: language
    (``xml:lang``, ``baselang``), urgency (``ed-urg``), edNote (``ed-msg``), slugline
    (``du-key``), people and organisations (``identified-content``), places (``evloc``,
    ``identified-content/location``), subjects (``tobject.subject`` codes, ``key-list``
    keywords but the slug), genres (``tobject.type``), altIds (``doc-id``), dates
    (``date.issue``, ``date.release`` when not before issue, as embargo, ``date.expire``,
    ``pubdata/@date.publication``) and ``doc.copyright``. Never raises."""
    docdata = _docdata(nitf)
    doc_id = attr(docdata.find("{*}doc-id"), "id-string")
    slug = attr(docdata.find("{*}du-key"), "key")
    fields = {
        "language": _language(nitf),
        "urgency": _urgency(attr(docdata.find("{*}urgency"), "ed-urg")),
        "edNote": attr(docdata.find("{*}ed-msg"), "info"),
        "slugline": slug,
        "people": _named(docdata, "person"),
        "organisations": _named(docdata, "org"),
        "places": _places(docdata),
        "subjects": _subjects(nitf, docdata, slug),
        "altIds": [{"role": "doc-id", "value": doc_id}] if doc_id else [],
        "genres": [{"name": kind} for kind in [attr(nitf.find("{*}head/{*}tobject"), "tobject.type")] if kind],
        **_dates(nitf, docdata),
        **_copyright(docdata.find("{*}doc.copyright")),
    }
    return {key: value for key, value in fields.items() if value}


def photo_associations(article_uri: str, photos: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pictures (and graphics, clips) a story carries as ninjs associations ``photo-1``,
    ``photo-2``…: uri from the picture's source when that is a URI, else
    ``{article uri}#photo-N``; renditions as given, else its source when a URI."""
    found = []
    for number, photo in enumerate(photos, 1):
        name = f"photo-{number}"
        source = photo.get("source", "")
        is_uri = bool(source) and ninjs_uri(source, "x") == source.strip()
        kind = photo.get("kind") or "picture"
        item: dict[str, Any] = {"name": name, "rel": "photo" if kind == "picture" else kind, "type": kind,
                                "uri": source.strip() if is_uri else f"{article_uri}#{name}"}
        if source and not is_uri:
            item["altIds"] = [{"role": "source", "value": source}]
        if photo.get("renditions"):
            item["renditions"] = photo["renditions"]
        elif is_uri:
            item["renditions"] = [{"name": "source", "href": source.strip(),
                                   **({"contentType": photo["type"]} if photo.get("type") else {})}]
        if photo.get("credit"):
            item["by"] = photo["credit"]
        if photo.get("caption"):
            item["descriptions"] = [{"role": "caption", "contentType": "text/plain", "value": photo["caption"]}]
        found.append(item)
    return found


def _docdata(nitf: etree._Element) -> etree._Element:
    docdata = nitf.find("{*}head/{*}docdata")
    return docdata if docdata is not None else etree.Element("docdata")  # an empty stand-in keeps lookups simple


def _version(docdata: etree._Element) -> str:
    version = attr(docdata.find("{*}du-key"), "version")
    return version if version.isdigit() and len(version) < 10 else "1"


def _language(root: etree._Element) -> str | None:
    for element in (root, root.find("{*}head"), root.find("{*}body")):
        if language := attr(element, "xml:lang"):
            return language
    return attr(root, "baselang") or None


def _urgency(value: str) -> int | None:
    return int(value) if value.isdigit() and 1 <= int(value) <= 9 else None


def _dates(root: etree._Element, docdata: etree._Element) -> dict[str, str]:
    issued = ninjs_datetime(attr(docdata.find("{*}date.issue"), "norm"))
    published = ninjs_datetime(attr(root.find("{*}head/{*}pubdata"), "date.publication"))
    release = ninjs_datetime(attr(docdata.find("{*}date.release"), "norm"))
    expires = ninjs_datetime(attr(docdata.find("{*}date.expire"), "norm"))
    dates = {"firstCreated": published or issued, "versionCreated": issued or published, "expires": expires}
    # A release at or after issue is an embargo (a wire stamping its issue time at the
    # release time must not have its story go out before it; one already past is
    # released at once). Decided without the clock: the same document parsed later must
    # have the same content, or a re-sent item would be a new version.
    if release and (not issued or _instant(release) >= _instant(issued)):
        dates["embargoedUntil"] = release
    return {key: value for key, value in dates.items() if value}


def _instant(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _copyright(element: etree._Element | None) -> dict[str, str]:
    holder, year = attr(element, "holder"), attr(element, "year")[:4]
    if not holder:
        return {}
    notice = f"Copyright {year} {holder}" if year.isdigit() else None
    return {"copyrightHolder": holder, **({"copyrightNotice": notice} if notice else {})}


def _named(docdata: etree._Element, tag: str) -> list[dict[str, str]]:
    names = (text_of(e) for e in docdata.iterfind(f"{{*}}identified-content/{{*}}{tag}"))
    return [{"name": name} for name in dict.fromkeys(names) if name]


def _places(docdata: etree._Element) -> list[dict[str, str]]:
    names = [attr(e, "city") or attr(e, "county-dist") or attr(e, "state-prov") or attr(e, "iso-cc")
             for e in docdata.iterfind("{*}evloc")]
    names += [text_of(e) for e in docdata.iterfind("{*}identified-content/{*}location")]
    return [{"name": name} for name in dict.fromkeys(names) if name]


def _subjects(root: etree._Element, docdata: etree._Element, slug: str) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    for subject in root.iterfind("{*}head/{*}tobject/{*}tobject.subject"):
        code = attr(subject, "tobject.subject.refnum")
        name = (attr(subject, "tobject.subject.detail") or attr(subject, "tobject.subject.matter")
                or attr(subject, "tobject.subject.type"))
        entry = {"name": name} if name else {}
        if re.fullmatch(r"\d{8}", code):
            entry["uri"] = _SUBJECT_CODES + code
        if entry:
            found.append(entry)
    keywords = (attr(k, "key") for k in docdata.iterfind("{*}key-list/{*}keyword"))
    found += [{"name": key} for key in dict.fromkeys(keywords) if key and key != slug]
    return found
