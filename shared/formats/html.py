"""A news web page (HTML) read into one ninjs-shaped :class:`Article`.

trafilatura finds the story; the steps around it fix what it gets wrong on news
pages, each recognised by shape and never by site, and each kept only because it
raised both precision and recall on the article-extraction benchmark:

- before extraction: story bodies split into several sibling containers (around ads)
  are merged, since trafilatura keeps only the first; embedded posts (tweets,
  Instagram) are lifted out of the "social"/"embed" wrappers that trafilatura
  discards, since the story quotes them; a link list under a "More"/"Related"
  label is removed.
- after extraction: the headline repeated at the top of the body, link-only lists
  and page furniture (share and follow prompts, newsletter pitches, "Read more:"
  lines, comment counters, "click here") are dropped.

trafilatura runs with ``favor_precision`` (stricter boilerplate pruning) and
``include_links`` (its link-density tests only see links that it keeps); links are
flattened to their text before the body is rendered. Nothing here touches the
network.
"""
from __future__ import annotations

import hashlib
import re
from itertools import islice
from dataclasses import dataclass

import trafilatura
from lxml import etree
from lxml.html import HtmlElement, fromstring
from trafilatura.utils import HTML_PARSER, decode_file, is_dubious_html, repair_faulty_html
from trafilatura.xml import xmltotxt

from shared.errors import ParseError
from shared.events import Article, TextBlock
from shared.formats.base import ParsedItem
from shared.formats.html_metadata import (absolute_url, declared_language, fill_author, page_headline,
                                          page_metadata, publication_date, published_timestamp)
from shared.formats.furniture import is_furniture

MAX_PAGE_BYTES = 20_000_000  # trafilatura's own MAX_FILE_SIZE: larger pages are refused, not truncated

_BODY_CLASS = re.compile(
    r"(?:entry|article|post|story|page|text)[-_]?(?:content|body|text)|article(?:-|__)?body|"
    r"body[-_]?text|story-?content|post-?entry|rich-?text", re.I)
_EMBED_CLASS = re.compile(r"twitter-tweet|instagram-media|tiktok-embed", re.I)
_RELATED_LABEL = re.compile(
    r"^(?:more|related|recommended|popular|trending|most read|top stories|latest|read next|read more|"
    r"read also|also read|you (?:may|might) also like|further reading|see also|don'?t miss|editor'?s picks)\b",
    re.I)
_MIN_BODY_WORDS = 3  # fewer is navigation debris ("Home"), not a story
_INERT = ("script", "style", "link", "meta")
_OUTSIDE_STORY = (*_INERT, "aside", "footer", "nav", "svg", "iframe", "noscript", "button", "input", "select")
_JSON_LD = "application/ld+json"
_ODD_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffd]")  # control characters but tab and line ends
_WORD = re.compile(r"\w+")
# What trafilatura's repair deletes (its INVALID_XML_CHARS) as UTF-8: control bytes, U+FFFE, U+FFFF.
_XML_INVALID_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
_XML_NONCHARACTERS = (b"\xef\xbf\xbe", b"\xef\xbf\xbf")
_FRAGMENT_TAG = re.compile(r"<(?:p|div|h[1-6]|article|section|ul|ol|blockquote|table)\b[^<>]*>", re.I)


@dataclass
class _Page:
    paragraphs: list[str]
    headline: str | None
    author: str | None
    published: str | None
    language: str | None
    canonical: str | None


def parse_html(payload: bytes, *, provider: str) -> list[ParsedItem]:
    """Read one news web page into a ninjs-shaped ``Article``.

    In: the page's bytes (any declared or detectable encoding) and the provider's
    name. Out: one :class:`ParsedItem` (source_format "html") with the main headline,
    one plain-text body (paragraphs joined by a blank line), ``by`` from the page's
    author metadata, ``contentCreated``/``firstCreated`` (RFC 3339) from its
    publication date, ``language`` only when the page declares one, and ``uri`` =
    the page's canonical URL, else ``urn:wirestream:{provider}:{hash}``.
    Raises :class:`ParseError` when the payload is empty, too large, not HTML, holds
    no article text, or the provider name is blank; never anything else.
    """
    slug = re.sub(r"\s+", "-", provider.strip().lower())
    if not slug:
        raise ParseError("provider name is empty", where="provider")
    page = _read_page(payload)
    headline = page.headline or ""
    uri = page.canonical or f"urn:wirestream:{slug}:{_digest(slug, headline, page.paragraphs[0])}"
    article = Article(
        uri=uri,
        type="text",
        language=page.language,
        by=page.author.replace("; ", ", ") if page.author else None,
        contentCreated=page.published,
        firstCreated=page.published,
        headlines=[TextBlock(role="main", value=headline)] if headline else [],
        bodies=[TextBlock(role="main", contentType="text/plain", value="\n\n".join(page.paragraphs))],
    )
    return [ParsedItem(article=article, source_format="html")]


def extract_article(html: str | bytes) -> dict[str, str | None]:
    """The story of one web page as ``{"articleBody", "headline", "author", "datePublished"}``.

    ``articleBody`` is the plain text (paragraphs joined by a blank line); the others
    are None when the page does not say (``author`` may name several, "; "-separated;
    ``datePublished`` is RFC 3339). Raises :class:`ParseError` as :func:`parse_html` does.
    """
    page = _read_page(html)
    return {"articleBody": "\n\n".join(page.paragraphs), "headline": page.headline,
            "author": page.author, "datePublished": page.published}


def _read_page(html: str | bytes) -> _Page:
    if not isinstance(html, (str, bytes)):
        raise ParseError(f"expected the page as str or bytes, got {type(html).__name__}", where="payload")
    if not html.strip():
        raise ParseError("HTML page is empty", where="payload")
    if len(html) > MAX_PAGE_BYTES:
        raise ParseError(f"HTML page is {len(html)} long, over the limit of {MAX_PAGE_BYTES}", where="payload")
    try:
        return _extract(html)
    except ParseError:
        raise
    except Exception as exc:  # trafilatura and lxml raise many types on hostile input: one bad page is one ParseError
        raise ParseError(f"HTML page could not be read: {type(exc).__name__}: {exc}", where="payload") from exc


def _extract(html: str | bytes) -> _Page:
    text = decode_file(html) if isinstance(html, bytes) else html
    if _is_binary(text[:4096]):
        raise ParseError("payload is binary data, not an HTML document", where="payload")
    tree = _parse(text)
    if tree is None and _FRAGMENT_TAG.search(text):  # a body fragment: trafilatura wants a whole document
        tree = _parse(f"<html><body><div>{text}</div></body></html>")
    if tree is None:
        raise ParseError("payload is not an HTML document", where="payload")
    language, exact_date = declared_language(tree), published_timestamp(tree)
    _merge_body_chunks(tree)
    _lift_social_embeds(tree)
    _drop_related_link_lists(tree)
    metadata = page_metadata(tree)
    fill_author(tree, metadata)  # before the pruning: a byline may sit outside the story (a header, an aside)
    _drop_outside_story(tree)
    # Metadata read here, not by trafilatura: it would also resolve every link against
    # the page's URL (links are flattened to their text below) and read categories,
    # tags and licence. "txt" leaves the body as a tree without rendering it as text.
    doc = trafilatura.bare_extraction(tree, include_comments=False, favor_precision=True, include_tables=True,
                                      include_links=True, output_format="txt")
    if doc is None or doc.body is None:
        raise ParseError("no article text found in the HTML page", where="body")
    headline = page_headline(metadata.title, metadata.sitename)
    paragraphs = _paragraphs(doc.body, {_words(t) for t in (metadata.title, headline) if t})
    if len(list(islice(_WORD.finditer(" ".join(paragraphs)), _MIN_BODY_WORDS))) < _MIN_BODY_WORDS:
        raise ParseError("no article text found in the HTML page", where="body")
    return _Page(paragraphs=paragraphs, headline=headline, author=metadata.author or None,
                 published=publication_date(metadata.date, exact_date), language=language,
                 canonical=absolute_url(metadata.url))


def _parse(text: str) -> HtmlElement | None:
    """The page as trafilatura's ``load_html`` reads it (same repairs, same parser, same
    refusal of a document that is not HTML), but faster: parsed from UTF-8 bytes,
    trafilatura's own fallback (lxml reads a str of non-ASCII text as UCS-4: twice the
    time on the benchmark pages, same trees), and its repairs applied to the first
    lines only when the page holds no character they would delete (the others only
    touch the DOCTYPE line and a self-closing <html/> in the first four lines; scanning
    the whole page for control characters was 4 % of the extraction). None when it is
    not HTML."""
    beginning = text[:50].lower()
    data = text.encode("utf-8", "surrogatepass")
    if len(data.translate(None, _XML_INVALID_BYTES)) != len(data) or any(c in data for c in _XML_NONCHARACTERS):
        data = repair_faulty_html(text, beginning).encode("utf-8", "surrogatepass")
    else:
        cut = _end_of_line(text, 4)
        data = repair_faulty_html(text[:cut], beginning).encode("utf-8", "surrogatepass") \
            + data[len(text[:cut].encode("utf-8", "surrogatepass")):]
    try:
        tree = fromstring(data, parser=HTML_PARSER)
    except Exception:  # noqa: BLE001 - lxml's many errors on hostile bytes mean the same: not HTML
        return None
    if tree is not None and is_dubious_html(beginning) and len(tree) < 2:
        return None
    return tree


def _end_of_line(text: str, count: int) -> int:
    """The index just past the ``count``-th line break of ``text`` (its length if fewer)."""
    end = -1
    for _ in range(count):
        end = text.find("\n", end + 1)
        if end < 0:
            return len(text)
    return end + 1


def _is_binary(sample: str) -> bool:
    """Control characters or undecodable bytes in more than 1 in 20 characters."""
    return len(_ODD_CHARACTER.findall(sample)) > len(sample) / 20


# Before extraction: repair the page's structure.

def _merge_body_chunks(tree: HtmlElement) -> None:
    """Move the content of later story-body containers (same tag and class, same <article>,
    no headline of their own) into the first, so the whole story is one subtree."""
    groups: dict[tuple[str, str], list[HtmlElement]] = {}
    for element in tree.iter("div", "section"):
        cls = element.get("class")
        if cls and _BODY_CLASS.search(cls):
            groups.setdefault((element.tag, cls), []).append(element)
    for members in groups.values():
        outer = [e for e in members if not any(a in members for a in e.iterancestors())]
        if len(outer) < 2:
            continue
        first, story = outer[0], next(outer[0].iterancestors("article"), None)
        for chunk in outer[1:]:
            if next(chunk.iterancestors("article"), None) is story and chunk.find(".//p") is not None \
                    and chunk.find(".//h1") is None:
                first.extend(list(chunk))


def _drop_outside_story(tree: HtmlElement) -> None:
    """Remove, once the metadata has been read, what trafilatura deletes with its content
    from its own copy of the page before it looks for the story (its MANUALLY_CLEANED
    tags; <meta> it strips, and it has no content), so that trafilatura copies and walks
    a smaller tree: its XPath passes and copies are most of its time. Tails stay. Kept:
    an element holding JSON-LD (trafilatura reads it to recognise a forum thread).

    Only readability, trafilatura's fallback, saw these elements until now; it drops
    scripts and styles itself, and never takes a navigation bar or footer for the story
    when the page has one (output unchanged on the benchmark's 88 pages)."""
    holders = {a for script in tree.iter("script") if script.get("type") == _JSON_LD for a in script.iterancestors()}
    for element in list(tree.iter(*_OUTSIDE_STORY)):
        if element.getparent() is None or element.get("type") == _JSON_LD:
            continue
        if element.tag in _INERT or element not in holders:
            element.drop_tree()


def _lift_social_embeds(tree: HtmlElement) -> None:
    """Replace each wrapper that holds nothing but an embedded post with the post's <blockquote>."""
    for quote_element in [q for q in tree.iter("blockquote") if _EMBED_CLASS.search(q.get("class") or "")]:
        own_text, wrapper = _words(quote_element.text_content()), quote_element
        while (parent := wrapper.getparent()) is not None and parent.tag not in ("body", "article", "main") \
                and _words(parent.text_content()) == own_text:
            wrapper = parent
        del quote_element.attrib["class"]
        if wrapper is not quote_element:
            quote_element.tail = None  # whitespace: the wrapper held no other text
            wrapper.addprevious(quote_element)
            wrapper.drop_tree()  # its tail moves onto the quote


def _drop_related_link_lists(tree: HtmlElement) -> None:
    """Remove a list of links that follows a short "More …"/"Related …" label, and the label."""
    for link_list in list(tree.iter("ul", "ol")):
        label = link_list.getprevious()
        if label is None or link_list.getparent() is None:
            continue
        text = " ".join(label.text_content().split())
        items = link_list.findall("li")
        if not text or len(text) > 80 or not _RELATED_LABEL.search(text) or not items \
                or any(item.find(".//a") is None for item in items):
            continue
        label.drop_tree()  # drop_tree keeps the tail text in the page
        link_list.drop_tree()


# After extraction: the body's blocks into paragraphs.

def _paragraphs(body: etree._Element, titles: set[str]) -> list[str]:
    _split_tails(body)
    paragraphs: list[str] = []
    seen_h1 = False
    for index, block in enumerate(list(body)):
        is_h1 = block.tag == "head" and block.get("rend") == "h1"
        if (is_h1 and not seen_h1) or (index == 0 and _words(_plain(block)) in titles):
            seen_h1 = seen_h1 or is_h1  # the headline repeated above the story
            continue
        if block.tag in ("p", "head") and is_furniture(_plain(block)):
            continue
        if block.tag == "list":
            if _is_link_list(block):
                continue
            for item in [i for i in block if is_furniture(_plain(i))]:
                block.remove(item)
        if block.tag == "ref":  # a bare link at the top level of the body: keep its text only
            block.tag = "p"
            block.attrib.clear()
        etree.strip_tags(block, "ref")
        text = xmltotxt(block, False).strip()
        if text:
            paragraphs.append(text)
    return paragraphs


def _split_tails(body: etree._Element) -> None:
    """Make text that trails a block (``<head>…</head>text``) a paragraph of its own, so
    dropping the block never drops the text after it."""
    for block in list(body):
        if block.tail and block.tail.strip():
            paragraph = etree.Element("p")
            paragraph.text, block.tail = block.tail.strip(), None
            block.addnext(paragraph)


def _is_link_list(block: etree._Element) -> bool:
    """A list of two or more items that are (almost) only link text: navigation, not story."""
    items = [i for i in block if i.tag == "item"]
    if len(items) < 2:
        return False
    for item in items:
        total = len(_plain(item))
        linked = sum(len(_plain(ref)) for ref in item.iter("ref"))
        if not total or linked < 0.8 * total:
            return False
    return True


def _plain(element: etree._Element) -> str:
    return " ".join(" ".join(element.itertext()).split())


def _words(text: str | None) -> str:
    return " ".join(re.findall(r"\w+", (text or "").lower()))


def _digest(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:32]
