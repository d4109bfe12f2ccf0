"""The byline in a web page's text: trafilatura's author rule, read in one pass.

trafilatura finds an author by pruning the page of the places where a "by" is no
byline (comment sections, sidebars, dates, figures: ``AUTHOR_DISCARD_XPATHS``) and
then taking the first short text of the elements its ``AUTHOR_XPATHS`` select. Run
as XPath, those expressions call back into Python's ``re`` for every element of the
page (EXSLT ``re:test``), and the pruning is destructive, so the page had to be
copied first: together 11 % of Wirestream's extraction on the benchmark pages.

:func:`byline` applies the same predicates, the same regular expressions, to each
element in one walk of the unchanged tree and gives the same answer: an element
under a pruned one is skipped, and a candidate that would itself lose a pruned
descendant (its text then joins differently) is read the original way, on a copy,
as is the whole page when a <rel> child, whose text the rule compares with "me",
would lose one.
``tests/unit/formats/test_html_byline.py`` holds it to trafilatura's answer on every
benchmark page and wire sample. The expressions are transcribed from trafilatura
(pinned in pyproject.toml); a new version's rule needs this module read again.
"""
from __future__ import annotations

import re
from copy import deepcopy

from lxml import etree
from lxml.html import HtmlElement
from trafilatura.htmlprocessing import prune_unwanted_nodes
from trafilatura.metadata import extract_metainfo
from trafilatura.utils import trim
from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS, AUTHOR_XPATHS

LEN_LIMIT = 120  # as Wirestream has always asked trafilatura: 2 < len(byline) < 120

# AUTHOR_DISCARD_XPATHS[0] (".//*": the root itself is never pruned); [1] is //time|//figure
_DISCARD_TAGS = frozenset(("a", "div", "section", "span"))
_DISCARD_ID = re.compile(r"^comments|comment-?list|ProductReviews")
_DISCARD_CLASS = re.compile(
    r"^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram|article-(?:share|support)|"
    r"print|category|meta-date|meta-reviewer")
# AUTHOR_XPATHS, in their order
_FIRST_TAGS = frozenset(("a", "address", "div", "link", "p", "span", "strong"))
_FIRST_CLASS = re.compile(r"author-?name|AuthorName|authorName")
_SECOND_TAGS = frozenset(("a", "div", "h3", "h4", "p", "span"))
_SECOND_ID = re.compile(r"author|zuozhe|bianji|xiaobian")
_SECOND_CLASS = re.compile(r"author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name")
_THIRD_ID = re.compile(r"[Aa]uthor")
_THIRD_CLASS = re.compile(r"[Aa]uthor|screenname|writer|[Bb]yline")


def byline(tree: HtmlElement) -> str | None:
    """What trafilatura's author rule reads on ``tree`` (``extract_metainfo`` over
    ``AUTHOR_XPATHS`` after pruning ``AUTHOR_DISCARD_XPATHS``), without changing it."""
    root = tree.getroottree().getroot()
    if root is not tree:  # "//" means the whole document: the rule is not for a subtree
        return _by_xpath(tree)
    pruned: set[etree._Element] = set()  # pruned elements and everything under them
    loses_text: set[etree._Element] = set()  # ancestors of a pruned subtree's top
    candidates: tuple[list, list, list] = ([], [], [])
    # XPath rel='me' reads an element's <rel> children: found once, not per element
    rel_children = [rel for rel in root.iter("rel") if rel.getparent() is not None
                    and rel.getparent().tag in _FIRST_TAGS]
    rel_me = {rel.getparent() for rel in rel_children if rel.xpath("string()") == "me"}
    for element in root.iter(etree.Element):
        parent = element.getparent()
        if parent in pruned or (parent is not None and _discarded(element)):
            pruned.add(element)
            if parent not in pruned:
                loses_text.update(element.iterancestors())
            continue
        tag, attrs = element.tag, element.attrib
        cls, ident, itemprop = attrs.get("class"), attrs.get("id"), attrs.get("itemprop")
        if tag == "author" or tag in _FIRST_TAGS and (
                attrs.get("rel") == "author" or ident == "author" or cls == "author" or itemprop == "author name"
                or attrs.get("data-testid") in ("AuthorCard", "AuthorURL") or element in rel_me
                or cls is not None and _FIRST_CLASS.search(cls)):
            candidates[0].append(element)
        author_prop = itemprop is not None and "author" in itemprop
        if tag in _SECOND_TAGS and (
                cls in ("byline", "username", "byl", "BBL") or author_prop
                or ident is not None and _SECOND_ID.search(ident) or cls is not None and _SECOND_CLASS.search(cls)):
            candidates[1].append(element)
        if (author_prop or "Byline" in attrs.get("data-component", "")
                or ident is not None and _THIRD_ID.search(ident) or cls is not None and _THIRD_CLASS.search(cls)):
            candidates[2].append(element)
    if any(rel in loses_text for rel in rel_children):  # its text after the pruning decides
        return _by_xpath(tree)
    for found in candidates:
        for element in found:
            if element in loses_text:
                return _by_xpath(tree)
            content = trim(" ".join(element.itertext()))
            if content and 2 < len(content) < LEN_LIMIT:
                return content
    return None


def _discarded(element: etree._Element) -> bool:
    """AUTHOR_DISCARD_XPATHS: the first expression's predicate, or a <time> or <figure>."""
    tag = element.tag
    if tag in ("time", "figure"):
        return True
    if tag not in _DISCARD_TAGS:
        return False
    attrs = element.attrib
    cls, ident = attrs.get("class"), attrs.get("id")
    return (ident == "comments" or cls in ("comments", "title", "date")
            or ident is not None and _DISCARD_ID.search(ident) is not None
            or cls is not None and _DISCARD_CLASS.search(cls) is not None
            or "Figure" in attrs.get("data-component", ""))


def _by_xpath(tree: HtmlElement) -> str | None:
    """trafilatura's own way, on a copy (the pruning deletes)."""
    return extract_metainfo(prune_unwanted_nodes(deepcopy(tree), AUTHOR_DISCARD_XPATHS), AUTHOR_XPATHS,
                            len_limit=LEN_LIMIT)
