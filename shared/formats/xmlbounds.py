"""Bounds on what one XML document may make a reader build.

A document can be small on the wire and still costly to read: 100,000 attributes on
one element made feedparser spend minutes in quadratic code, a million empty
elements make lxml build a tree of hundreds of megabytes. :func:`bounded_tree`
builds the tree with lxml's incremental parser and stops at the first element past
a bound, before any format parser (feedparser included) sees the document.

The bounds come from the environment (``WIRE_XML_*``) so the gateway, ingest and
their parse workers apply the same ones.
"""
from __future__ import annotations

import io

from lxml import etree
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.errors import ParseError


class XmlBounds(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WIRE_XML_", extra="ignore")

    # Real wires use a dozen attributes per element, a few thousand elements (a
    # 500-item feed), depth under 30: the defaults leave a wide margin.
    max_attributes: int = 256
    max_elements: int = 100_000
    max_depth: int = 100
    max_text_chars: int = 8 * 1024 * 1024


BOUNDS = XmlBounds()


class TooComplex(ParseError):
    """An XML document past one of the bounds (not retriable: the same payload
    is always refused)."""

    code = "too_complex"


def bounded_tree(payload: bytes, bounds: XmlBounds = BOUNDS) -> etree._Element | None:
    """Parse ``payload`` (entities never resolved, no DTD, no network) into its root
    element, refusing it at the first element past a bound.

    Raises :class:`TooComplex` (``where`` = the line of the element) past a bound and
    ``etree.XMLSyntaxError`` / ``etree.LxmlError`` when the XML is not well-formed.
    """
    events = etree.iterparse(io.BytesIO(payload), events=("start", "end"), resolve_entities=False,
                             no_network=True, load_dtd=False, huge_tree=False)
    depth = elements = text = 0
    for event, element in events:
        if event == "start":
            depth += 1
            elements += 1
            if len(element.attrib) > bounds.max_attributes:
                _refuse(element, f"an element has {len(element.attrib)} attributes "
                                 f"(at most {bounds.max_attributes})")
            if elements > bounds.max_elements:
                _refuse(element, f"more than {bounds.max_elements} elements")
            if depth > bounds.max_depth:
                _refuse(element, f"elements nest more than {bounds.max_depth} deep")
        else:
            depth -= 1
            # An element's own text is complete at its end, and so are its children's tails.
            text += len(element.text or "") + sum(len(child.tail or "") for child in element)
            if text > bounds.max_text_chars:
                _refuse(element, f"more than {bounds.max_text_chars} characters of text")
    return events.root


def _refuse(element: etree._Element, why: str) -> None:
    raise TooComplex(f"XML document too complex: {why}", where=f"line {element.sourceline or 1}")
