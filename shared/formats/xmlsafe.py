"""Safe reading of XML and HTML for every wire format that is XML (NewsML-G2, NITF,
NewsML 1.2, RSS, Atom) or carries HTML (ninjs bodies, feed summaries), and of the
story text inside that markup (:func:`block_paragraphs`).

A wire payload comes from outside, so the reader refuses what XML lets a document do
to the program reading it: entity declarations (billion laughs, quadratic blow-up)
and external entities (XXE: reading a local file or a URL into the document). Two
defences, either of which would be enough on its own:

1. a lexical pre-check of the prolog refuses any DOCTYPE that declares an entity,
   naming the line it is on;
2. lxml never resolves entities, never loads a DTD and never touches the network,
   and keeps libxml2's size and depth limits (``huge_tree=False``); after parsing,
   an entity declaration the pre-check could not see is refused as well.

3. the tree is built incrementally and refused at the first element past the
   bounds of :mod:`shared.formats.xmlbounds` (attributes per element, elements,
   depth, text), so no format parser ever sees a document too costly to read.

A DOCTYPE that only names an external DTD (``<!DOCTYPE nitf PUBLIC ... "nitf.dtd">``,
common in NITF) declares no entity and is accepted: the DTD is never loaded.

defusedxml is not used: ``defusedxml.lxml`` is deprecated, and running
``defusedxml.ElementTree`` first would parse every payload twice and report no line
number, only to make the check the pre-check makes.
"""
from __future__ import annotations

import re
from html.entities import html5 as _HTML5

from lxml import etree, html

from shared.errors import ParseError
from shared.formats.encoding import decode_for_scan, xml_as_utf8
from shared.formats.xmlbounds import bounded_tree

REFUSED = "XML declares entities (DOCTYPE/ENTITY); refused for safety"

_SPACE = re.compile(r"[ \t\r\n]*")
_DOCTYPE_END = re.compile(r"\]\s*>")
_ENTITY = re.compile(r"<!ENTITY", re.I)
_ROOT = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)(?=[\s/>])")
_BLANKS = re.compile(r"[ \t\r\n\f\v]+")
_LINE_BREAK = re.compile(r"\r\n?|\n")


def parse_xml(payload: bytes) -> etree._Element:
    """Parse an XML payload safely and return its root element.

    In: the raw bytes, in the encoding their BOM or declaration names, read as
    :func:`shared.formats.encoding.xml_as_utf8` reads labels (UTF-8 bytes under a
    Latin-1 declaration are UTF-8). Out: the root element; entity references are
    left unexpanded. Raises :class:`ParseError` when a DOCTYPE declares an entity
    (``where`` = the line of the declaration), when the bytes are not valid in the
    encoding or the XML is not well-formed (``where`` = the line) and (as
    ``TooComplex``) past the bounds of :mod:`shared.formats.xmlbounds`; never
    anything else.
    """
    payload = xml_as_utf8(payload)  # what the checks below read is what lxml reads
    text = decode_for_scan(payload)
    _refuse_entity_declarations(text)
    try:
        root = bounded_tree(payload)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or 1
        raise ParseError(f"XML is not well-formed: {exc.msg}", where=f"line {line}") from exc
    except (etree.LxmlError, ValueError) as exc:
        raise ParseError(f"XML cannot be read: {exc}", where="line 1") from exc
    if root is None:  # lxml returns None for some recoverable empty inputs
        raise ParseError("XML document has no root element", where="line 1")
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise ParseError(REFUSED, where=f"line {_line_of(text, text.find('DOCTYPE'))}")
    return root


def _refuse_entity_declarations(text: str) -> None:
    """Refuse a DOCTYPE whose internal subset declares an entity."""
    _, doctype = _skip_prolog(text)
    if doctype and (m := _ENTITY.search(text, *doctype)):
        raise ParseError(REFUSED, where=f"line {_line_of(text, m.start())}")


def _skip_prolog(text: str) -> tuple[int, tuple[int, int] | None]:
    """Where the prolog (whitespace, XML declaration, comments, PIs, DOCTYPE) ends,
    and the span of the DOCTYPE in it, if any."""
    pos, doctype = 0, None
    while pos < len(text):
        pos = _SPACE.match(text, pos).end()
        if text.startswith("\ufeff", pos):
            pos += 1
        elif text.startswith("<?", pos):
            pos = _after(text, "?>", pos)
        elif text.startswith("<!--", pos):
            pos = _after(text, "-->", pos)
        elif text.startswith("<!DOCTYPE", pos) and doctype is None:
            gt, bracket = text.find(">", pos), text.find("[", pos)
            if bracket != -1 and (gt == -1 or bracket < gt):  # an internal subset: ends at "]>"
                m = _DOCTYPE_END.search(text, bracket)
                end = m.end() if m else len(text)
            else:
                end = len(text) if gt == -1 else gt + 1
            doctype, pos = (pos, end), end
        else:
            break
    return pos, doctype


def root_name(text: str) -> str | None:
    """The local name of the root element of XML ``text`` (after its prolog), or
    None when no start tag follows the prolog. Reads only the markup; never raises."""
    pos, _ = _skip_prolog(text)
    m = _ROOT.match(text, pos)
    return m.group(1) if m else None


def _after(text: str, marker: str, pos: int) -> int:
    end = text.find(marker, pos)
    return len(text) if end == -1 else end + len(marker)


def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, max(index, 0)) + 1


def parse_html(markup: str) -> etree._Element | None:
    """Parse an HTML string (a ninjs body, a feed summary) into an element tree.

    The HTML parser never reads DTDs or entities from anywhere. Out: the document
    element, or None for markup lxml finds empty or cannot read; never raises.
    """
    if not markup.strip():
        return None
    parser = html.HTMLParser(encoding="utf-8", no_network=True, remove_comments=True, remove_pis=True)
    try:
        return html.document_fromstring(markup.encode("utf-8", errors="replace"), parser=parser)
    except (etree.LxmlError, ValueError):
        return None


def local_name(element: object) -> str:
    """An element's tag without its namespace; "" for comments, PIs and entities."""
    tag = getattr(element, "tag", None)
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def text_of(element: etree._Element | None) -> str:
    """The element's text (descendants included, HTML's named entities as their
    characters, other entity references left out) with runs of whitespace collapsed
    to one space; "" for None."""
    if element is None:
        return ""
    return _squash(gather_text(element))


def gather_text(element: etree._Element, skip: frozenset[str] = frozenset(), depth: int = 0) -> str:
    """Raw text of ``element`` and its descendants, leaving out comments, PIs, the
    subtrees whose local names are in ``skip`` and entity references other than
    HTML's named ones (see :func:`entity_text`); ``<br>`` becomes a newline. Stops
    descending 200 levels down."""
    parts = [element.text or ""]
    for child in element:
        name = local_name(child)
        if name == "br":
            parts.append("\n")
        elif name and name not in skip and depth < 200:
            parts.append(gather_text(child, skip, depth + 1))
        elif not name:
            parts.append(entity_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def entity_text(node: object) -> str:
    """The characters of an entity reference lxml kept unexpanded (``&eacute;`` in a
    document whose DTD is named but never loaded): HTML's named entities are what
    such DTDs (NITF, RSS 0.91) define them as; any other name, and any node that is
    no entity reference, gives ""."""
    if not isinstance(node, etree._Entity):
        return ""
    return _HTML5.get(f"{node.name};", "")


def story_markup(holder: etree._Element) -> etree._Element:
    """The element that holds the story in a wrapper of inline markup (NewsML-G2
    ``inlineXML``, NewsML 1.2 ``DataContent``): its ``<nitf>`` child, else the
    ``<body>`` of its ``<html>`` child (the ``<html>`` when it has none), else the
    wrapper itself, so that several sibling elements (``<p>``s side by side) are all
    read. Never raises."""
    children = [c for c in holder if local_name(c)]
    for name in ("nitf", "html"):
        if (found := next((c for c in children if local_name(c) == name), None)) is not None:
            body = found.find(".//{*}body") if name == "html" else None
            return body if body is not None else found
    return holder


def attr(element: etree._Element | None, name: str) -> str:
    """An attribute's value stripped, "" when the element or attribute is missing.
    ``name`` may be ``xml:lang``."""
    if element is None:
        return ""
    key = "{http://www.w3.org/XML/1998/namespace}lang" if name == "xml:lang" else name
    return (element.get(key) or "").strip()


def xpath_of(element: etree._Element) -> str:
    """An XPath-ish location of ``element`` by local names, e.g.
    ``/newsMessage/itemSet/newsItem[2]``, for error messages."""
    steps = []
    node = element
    while node is not None:
        name = local_name(node)
        parent = node.getparent()
        if parent is not None:
            same = [c for c in parent if local_name(c) == name]
            if len(same) > 1:
                name = f"{name}[{same.index(node) + 1}]"
        steps.append(name)
        node = parent
    return "/" + "/".join(reversed(steps))


# Elements whose text is one paragraph; any other element is a container whose
# children are looked at, or furniture (below) whose text is no part of the story.
_PARAGRAPHS = frozenset({"p", "li", "blockquote", "pre", "h2", "h3", "h4", "h5", "h6", "hl2", "dt", "dd", "tr"})
_FURNITURE = frozenset({"head", "title", "script", "style", "noscript", "template", "figure", "figcaption",
                        "media", "h1", "hl1", "nav", "iframe", "object", "img", "note"})
_BREAK = "\u2029"  # PARAGRAPH SEPARATOR, never collapsed as whitespace by _squash
_BLOCKS = frozenset({"div", "section", "article", "body", "table", "ul", "ol", "dl", "block", "body.content"})
# Elements inside a line of text (HTML's phrasing elements, NITF's inline markup): text
# beside paragraph elements runs on through them.
_INLINE = frozenset({
    "a", "abbr", "b", "bdi", "bdo", "big", "cite", "code", "data", "del", "dfn", "em", "font", "i", "ins", "kbd",
    "mark", "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup", "time", "tt", "u", "var", "wbr",
    "chron", "classifier", "copyrite", "event", "frac", "function", "lang", "location", "money", "num",
    "object.title", "org", "person", "postaddr", "pronounce", "virtloc", "city", "country", "region", "sublocation",
    "state", "alt-code", "delivery.point", "postcode", "numer", "denom", "frac-sep"})


def block_paragraphs(element: etree._Element) -> list[str]:
    """The paragraphs of a story body in XHTML, HTML or NITF markup, as plain text.

    In: the body element (``<body>``, ``<body.content>``, ``<section>``…).
    Out: one string per paragraph element (``p``, ``li``, ``blockquote``, NITF
    ``hl2``, a table row with its cells joined by " | "…) in document order, each
    with whitespace collapsed (a ``pre`` keeps its lines: see :func:`_preformatted`);
    text that sits beside paragraph elements, directly in a container (with its
    inline markup), is a paragraph of its own, split at ``<br>``. Headline repeats
    (``h1``/``hl1``), figures, captions, media and scripts are left out. A body with
    no paragraph elements at all is split at its block elements and line breaks
    instead. Never raises.
    """
    found: list[str] = []
    if local_name(element) in _PARAGRAPHS:
        if text := _paragraph_text(element):
            found.append(text)
        return found
    _, loose = _collect(element, found, 0)
    if not found:
        found = _split(loose)
    return found


def _collect(element: etree._Element, found: list[str], depth: int) -> tuple[bool, str]:
    """Append the paragraphs under ``element``, if its subtree holds any paragraph
    element; return whether it does, and its text with a break mark at every
    ``<br>`` and block boundary (what its parent reads when it does not).

    In a container that holds paragraph elements, the text outside them (its own
    text, its inline children, the tails of its children) is a paragraph of its own
    where it stands, split at breaks; other elements without paragraph elements in
    them stay out of it.
    """
    held = False
    loose = [element.text or ""]  # this element's text, breaks marked
    pending = [element.text or ""]  # the same since the last paragraph written
    for child in element:
        name = local_name(child)
        if name == "br":
            loose.append(_BREAK)
            pending.append(_BREAK)
        elif not name:
            loose.append(entity_text(child))
            pending.append(entity_text(child))
        elif name not in _FURNITURE and depth <= 200:
            inner: list[str] = []
            child_held, child_loose = _collect(child, inner, depth + 1)
            if name in _PARAGRAPHS and not child_held:
                text = _paragraph_text(child)
                inner = [text] if text else []
            loose.append(f"{_BREAK}{child_loose}{_BREAK}" if name in _BLOCKS or name in _PARAGRAPHS else child_loose)
            if child_held or name in _PARAGRAPHS:
                found += _split("".join(pending))
                found += inner
                pending = []
                held = True
            else:  # any other element without paragraph elements (a dateline box) stays out, as before
                pending.append(child_loose if name in _INLINE else _BREAK)
        loose.append(child.tail or "")
        pending.append(child.tail or "")
    if held:
        found += _split("".join(pending))
    return held, "".join(loose)


def _split(text: str) -> list[str]:
    """Text with break marks as its non-empty paragraphs, whitespace collapsed."""
    return [line for line in (_squash(part) for part in text.split(_BREAK)) if line]


def _paragraph_text(element: etree._Element) -> str:
    name = local_name(element)
    if name == "tr":
        cells = (_squash(gather_text(c, _FURNITURE)) for c in element if local_name(c) in ("td", "th"))
        return " | ".join(c for c in cells if c)
    if name == "pre":
        return _preformatted(gather_text(element, _FURNITURE))
    return _squash(gather_text(element, _FURNITURE))


def _preformatted(text: str) -> str:
    """Preformatted text (a results table) as one paragraph that keeps its lines and
    the spaces that align them, as the HTML reader keeps it: trailing blanks and blank
    lines left out, so it stays one paragraph of the body."""
    return "\n".join(line.rstrip() for line in _LINE_BREAK.split(text) if line.strip())


def _squash(text: str) -> str:
    # Only ASCII whitespace collapses: a no-break or thin space inside "25 000" stays.
    return _BLANKS.sub(" ", text).strip()


def text_paragraphs(text: str) -> list[str]:
    """Paragraphs of plain text: blocks separated by blank lines, or every line a
    paragraph when the text has no blank line. Whitespace collapsed; never raises."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if any(not line.strip() for line in lines[1:-1]):
        blocks, current = [], []
        for line in lines:
            if line.strip():
                current.append(line)
            elif current:
                blocks.append(" ".join(current))
                current = []
        if current:
            blocks.append(" ".join(current))
    else:
        blocks = lines
    return [p for p in (_squash(b) for b in blocks) if p]
