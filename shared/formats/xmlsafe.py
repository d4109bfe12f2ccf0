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

import codecs
import re

from lxml import etree, html

from shared.errors import ParseError
from shared.formats.xmlbounds import bounded_tree

REFUSED = "XML declares entities (DOCTYPE/ENTITY); refused for safety"

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_NO_BOM = ((b"\x00\x00\x00<", "utf-32-be"), (b"<\x00\x00\x00", "utf-32-le"),
           (b"\x00<\x00", "utf-16-be"), (b"<\x00", "utf-16-le"))
_DECLARED = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']""")
_SPACE = re.compile(r"[ \t\r\n]*")
_DOCTYPE_END = re.compile(r"\]\s*>")
_ENTITY = re.compile(r"<!ENTITY", re.I)
_ROOT = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)(?=[\s/>])")
_BLANKS = re.compile(r"[ \t\r\n\f\v]+")


def parse_xml(payload: bytes) -> etree._Element:
    """Parse an XML payload safely and return its root element.

    In: the raw bytes (any encoding the document declares or its BOM shows).
    Out: the root element; entity references are left unexpanded.
    Raises :class:`ParseError` when a DOCTYPE declares an entity (``where`` = the
    line of the declaration), when the XML is not well-formed (``where`` = the
    line lxml reports) and (as ``TooComplex``) past the bounds of
    :mod:`shared.formats.xmlbounds`; never anything else.
    """
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


def decode_for_scan(payload: bytes) -> str:
    """The payload as text, decoded well enough to look at its markup: by BOM, by
    the UTF-16/32 byte pattern of ``<``, by the XML declaration, else as UTF-8.
    Undecodable bytes become U+FFFD; never raises."""
    codec = "utf-8"
    for bom, name in _BOMS:
        if payload.startswith(bom):
            codec = name
            break
    else:
        for prefix, name in _NO_BOM:
            if payload.startswith(prefix):
                codec = name
                break
        else:
            if m := _DECLARED.match(payload):
                try:
                    codec = codecs.lookup(m.group(1).decode("ascii")).name
                except LookupError:
                    codec = "utf-8"
    try:
        return payload.decode(codec, errors="replace")
    except LookupError:  # a codec Python knows by name but cannot use for bytes
        return payload.decode("utf-8", errors="replace")


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
    """The element's text (descendants included, entity references left out) with
    runs of whitespace collapsed to one space; "" for None."""
    if element is None:
        return ""
    return _squash(gather_text(element))


def gather_text(element: etree._Element, skip: frozenset[str] = frozenset(), depth: int = 0) -> str:
    """Raw text of ``element`` and its descendants, leaving out comments, PIs,
    unexpanded entity references and the subtrees whose local names are in ``skip``;
    ``<br>`` becomes a newline. Stops descending 200 levels down."""
    parts = [element.text or ""]
    for child in element:
        name = local_name(child)
        if name == "br":
            parts.append("\n")
        elif name and name not in skip and depth < 200:
            parts.append(gather_text(child, skip, depth + 1))
        parts.append(child.tail or "")
    return "".join(parts)


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


def block_paragraphs(element: etree._Element) -> list[str]:
    """The paragraphs of a story body in XHTML, HTML or NITF markup, as plain text.

    In: the body element (``<body>``, ``<body.content>``, ``<section>``…).
    Out: one string per paragraph element (``p``, ``li``, ``blockquote``, NITF
    ``hl2``, a table row with its cells joined by " | "…) in document order, each
    with whitespace collapsed. Headline repeats (``h1``/``hl1``), figures, captions,
    media and scripts are left out. A body with no paragraph elements at all is
    split at its block elements and line breaks instead. Linear in the size of the
    tree; never raises.
    """
    found: list[str] = []
    if local_name(element) in _PARAGRAPHS:
        if text := _paragraph_text(element):
            found.append(text)
    else:
        _collect(element, found, 0)
    if not found:
        found = [line for line in (_squash(part) for part in _loose_text(element, 0).split(_BREAK)) if line]
    return found


def _collect(element: etree._Element, found: list[str], depth: int) -> bool:
    """Append the paragraphs under ``element``; True when its subtree held any
    paragraph element (so an outer ``blockquote`` of ``p``s is a container)."""
    held = False
    for child in element:
        name = local_name(child)
        if not name or name in _FURNITURE or depth > 200:
            continue
        inner = _collect(child, found, depth + 1)
        if name in _PARAGRAPHS:
            if not inner and (text := _paragraph_text(child)):
                found.append(text)
            held = True
        held = held or inner
    return held


def _paragraph_text(element: etree._Element) -> str:
    if local_name(element) == "tr":
        cells = (_squash(gather_text(c, _FURNITURE)) for c in element if local_name(c) in ("td", "th"))
        return " | ".join(c for c in cells if c)
    return _squash(gather_text(element, _FURNITURE))


def _loose_text(element: etree._Element, depth: int) -> str:
    """Text with a break mark at every ``<br>`` and block boundary (a newline in the
    markup is only whitespace)."""
    parts = [element.text or ""]
    for child in element:
        name = local_name(child)
        if name == "br":
            parts.append(_BREAK)
        elif name and name not in _FURNITURE and depth < 200:
            text = _loose_text(child, depth + 1)
            parts.append(f"{_BREAK}{text}{_BREAK}" if name in _BLOCKS or name in _PARAGRAPHS else text)
        parts.append(child.tail or "")
    return "".join(parts)


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
