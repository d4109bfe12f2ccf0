"""The parties a NewsML-G2 item credits: its ``creator``s and ``contributor``s, people
or organisations.

G2 gives both the same element; what a party is, the item says in its markup, never
in the party's name: a ``type`` of ``cpnat:organisation`` or ``cpnat:person``, an
``organisationDetails`` or ``personDetails`` child, an ``<assert>`` or ``<subject>``
that types the same concept, IPTC's news provider scheme (``nprov:``) or the item's
own ``provider``. Other concepts of a scheme the item uses only for organisations
(IPTC's multi-part video example types ``codesource:DEZDF`` and leaves
``codesource:GBRTV`` untyped), or a name the item gives an organisation, are the
same kind. A party the markup says nothing about is a person, as G2 readers assume.

People go to ninjs ``people`` (``rel`` from their role); organisations are sources of
the content, so they go to ``infoSources`` (``role`` from their role, else "creator"
or "contributor"), not to ``people`` nor to ``organisations`` (what the story is
about).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from shared.formats.g2_media import local_code
from shared.formats.xmlsafe import attr, text_of

# Creator and contributor role codes (IPTC crol:/ctrol:, and providers' own) → ninjs people ``rel``.
_ROLES = {**dict.fromkeys(("writer", "author", "reporter", "correspondent", "journalist", "columnist"), "author"),
          **dict.fromkeys(("photographer", "photog", "photo"), "photographer"),
          **dict.fromkeys(("videographer", "cameraman", "cameraoperator", "camera", "videojournalist"), "videographer"),
          **dict.fromkeys(("editor", "copyeditor", "subeditor", "photoeditor"), "editor"),
          **dict.fromkeys(("capwriter", "captionwriter", "descrwriter", "descriptionwriter"), "caption-writer"),
          **dict.fromkeys(("illustrator", "graphicartist", "artist", "graphics"), "illustrator"),
          "translator": "translator", "producer": "producer"}
ORGANISATION, PERSON = "organisation", "person"
_NATURES = {"organisation": ORGANISATION, "organization": ORGANISATION, "person": PERSON}
_NEWS_PROVIDERS = ("nprov:", "http://cv.iptc.org/newscodes/newsprovider/")


@dataclass
class Parties:
    """An item's credited parties: people as ninjs ``people``, organisations as ninjs
    ``infoSources``; ``by`` names its creators, people first."""

    authors: list[dict[str, str]] = field(default_factory=list)  # creators who are people
    contributors: list[dict[str, str]] = field(default_factory=list)  # contributors who are people
    sources: list[dict[str, str]] = field(default_factory=list)  # organisations, creators first
    by: str = ""


def item_parties(item: etree._Element, content: etree._Element) -> Parties:
    """The named ``creator``s and ``contributor``s of ``content`` (an item's contentMeta).

    Out: people with ``rel`` from their role (:data:`_ROLES`; a role it does not list
    as its code; no role: "author" for a creator, "contributor" for a contributor),
    organisations as infoSources with ``role`` likewise (no role: "creator" or
    "contributor") and the concept's ``uri``, or its qcode or ``@literal`` as literal,
    and ``by``: the people who created it, then the organisations ("Jane Doe, AFP").
    A party without a name is left out. Never raises."""
    natures = _Natures(item, content)
    parties, creators = Parties(), {PERSON: [], ORGANISATION: []}
    for tag, default_rel in (("creator", "author"), ("contributor", "contributor")):
        for element in content.iterfind(f"{{*}}{tag}"):
            if not (name := text_of(element.find("{*}name")) or attr(element, "literal")):
                continue
            nature, code = natures.of(element, name), local_code(attr(element, "role"))
            rel = _ROLES.get(re.sub(r"[\W_]", "", code).lower(), code)
            if tag == "creator":
                creators[nature].append(name)
            if nature == ORGANISATION:
                parties.sources.append({"name": name, "role": rel or tag, **_identifier(element)})
            else:
                (parties.authors if tag == "creator" else parties.contributors).append(
                    {"name": name, "rel": rel or default_rel})
    parties.by = ", ".join(filter(None, (" and ".join(creators[PERSON]), " and ".join(creators[ORGANISATION]))))
    return parties


def unnamed(sources: list[dict[str, Any]], known: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ``sources`` whose name neither ``known`` nor an earlier source has (compared
    without case): an agency an item also lists as ``infoSource`` is not repeated."""
    seen = {str(s.get("name", "")).casefold() for s in known}
    found = []
    for source in sources:
        if source["name"].casefold() not in seen:
            seen.add(source["name"].casefold())
            found.append(source)
    return found


class _Natures:
    """What the markup of one item says each party is."""

    def __init__(self, item: etree._Element, content: etree._Element) -> None:
        self.by_code: dict[str, str] = {}
        self.organisation_names: set[str] = set()
        schemes: dict[str, set[str]] = {}
        declared = [*content.iterfind("{*}creator"), *content.iterfind("{*}contributor"),
                    *item.iterfind("{*}assert"), *content.iterfind("{*}subject")]
        for element in declared:
            if nature := _declared(element):
                for code in _codes(element):
                    self.by_code.setdefault(code, nature)
                schemes.setdefault(_scheme(attr(element, "qcode")), set()).add(nature)
                if nature == ORGANISATION and (name := text_of(element.find("{*}name"))):
                    self.organisation_names.add(name.casefold())
        self.organisation_schemes = {s for s, found in schemes.items() if s and found == {ORGANISATION}}
        self.provider = set(_codes(item.find("{*}itemMeta/{*}provider")))

    def of(self, party: etree._Element, name: str) -> str:
        """PERSON or ORGANISATION: the party's own markup, then what the item says of
        the same concept, scheme or name."""
        if nature := _declared(party):
            return nature
        codes = _codes(party)
        if any(self.by_code.get(code) == ORGANISATION for code in codes):
            return ORGANISATION
        if any(code in self.by_code for code in codes):
            return PERSON
        if any(code.startswith(_NEWS_PROVIDERS) or code in self.provider for code in codes) or \
                _scheme(attr(party, "qcode")) in self.organisation_schemes:
            return ORGANISATION
        return ORGANISATION if name.casefold() in self.organisation_names else PERSON


def _declared(element: etree._Element) -> str:
    """What a concept's own markup says it is ("" when it says nothing)."""
    kind = _NATURES.get(local_code(attr(element, "type")).lower()) or \
        _NATURES.get(local_code(attr(element.find("{*}type"), "qcode")).lower())
    if kind:
        return kind
    if element.find("{*}organisationDetails") is not None:
        return ORGANISATION
    return PERSON if element.find("{*}personDetails") is not None else ""


def _codes(element: etree._Element | None) -> list[str]:
    return [code for code in (attr(element, "qcode"), attr(element, "uri")) if code]


def _scheme(qcode: str) -> str:
    """The scheme alias of a qcode ("codesource:GBRTV" → "codesource"), "" for none."""
    scheme, colon, _ = qcode.partition(":")
    return scheme if colon else ""


def _identifier(element: etree._Element) -> dict[str, Any]:
    if uri := attr(element, "uri"):
        return {"uri": uri}
    literal = attr(element, "qcode") or attr(element, "literal")
    return {"literal": literal} if literal else {}
