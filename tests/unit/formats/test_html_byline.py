"""The one-pass byline reader gives trafilatura's answer (its author rule on a pruned
copy of the page) on real pages and on generated ones built from the very classes,
ids and tags the rule looks at, and leaves the page unchanged."""
from __future__ import annotations

import gzip
from copy import deepcopy
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml.html import document_fromstring, tostring
from trafilatura.htmlprocessing import prune_unwanted_nodes
from trafilatura.metadata import extract_metainfo
from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS, AUTHOR_XPATHS

from shared.formats.html import _parse
from shared.formats.html_byline import LEN_LIMIT, byline

ROOT = Path(__file__).resolve().parents[3]
PAGES = sorted((ROOT / "tests" / "fixtures" / "html").glob("*.html.gz"))
# the extraction benchmark's 88 pages, where the machine has them (../shared/data)
BENCHMARK_PAGES = sorted((ROOT.parent / "shared" / "data" / "extraction-benchmark" / "html").glob("*.html*"))


def trafilaturas_byline(tree):
    return extract_metainfo(prune_unwanted_nodes(deepcopy(tree), AUTHOR_DISCARD_XPATHS), AUTHOR_XPATHS,
                            len_limit=LEN_LIMIT)


def read(path: Path) -> str:
    data = path.read_bytes()
    return (gzip.decompress(data) if path.name.endswith(".gz") else data).decode("utf-8", "replace")


@pytest.mark.parametrize("path", PAGES + BENCHMARK_PAGES, ids=lambda p: p.name[:12])
def test_same_byline_as_trafilatura_on_real_pages(path):
    tree = _parse(read(path))
    before = tostring(tree)
    assert byline(tree) == trafilaturas_byline(tree)
    assert tostring(tree) == before


@pytest.mark.parametrize("body, expected", [
    ('<div class="byline">By Jane Doe</div><p>Story.</p>', "By Jane Doe"),
    # a "by" in the comments is no byline; the one after it is
    ('<div id="comments"><span class="author">Troll</span></div><span class="author">Ann Lee</span>', "Ann Lee"),
    # a byline holding a date: the date is pruned and its tail joins the text before it
    ('<p class="byline">By Ann Lee<time>May 1</time>, Reuters</p>', "By Ann Lee, Reuters"),
    ('<p class="byline">By <b>Ann Lee</b><figure>x</figure>and Bo Li</p>', "By Ann Lee and Bo Li"),
    # the first expression's only match is too long, the second's is taken
    (f'<span class="author-name">{"x" * 130}</span><h3 class="byl">Bo Li</h3>', "Bo Li"),
    ('<a><rel>me</rel>Cy Ho</a>', "me Cy Ho"),
    # <rel> reads "me" only once the date in it is pruned
    ('<a><rel>me<span class="date">1 May</span></rel>Jane Doe</a><span class="author">Bob Roe</span>', "me Jane Doe"),
    ('<a><rel>me<time>1 May</time></rel>Jane Doe</a>', "me Jane Doe"),
    ('<a><rel>m<time>1 May</time>e</rel>Jane Doe</a>', "me Jane Doe"),
    ('<author>Di Wu</author>', "Di Wu"),
    ('<div data-component="Byline">Ed Fox</div>', "Ed Fox"),
    ('<p>No byline anywhere.</p>', None),
])
def test_bylines_by_the_rule(body, expected):
    tree = document_fromstring(f"<html><body>{body}</body></html>")
    assert byline(tree) == expected == trafilaturas_byline(tree)


# every alternative of the rule's patterns, as an attribute that holds it
DISCARDED = ([f'div class="{c}"' for c in ("comments", "title", "date", "Comments-area", "commentlist", "comments-list",
                                            "left sidebar", "is-hidden", "pull quote", "embedly-instagram",
                                            "article-share", "article-support", "print-only", "category",
                                            "meta-date", "meta-reviewer")]
             + [f'span id="{i}"' for i in ("comments", "comments-1", "comment-list", "commentlist", "ProductReviews")]
             + ['section data-component="Figure"', "time", "figure"])
BYLINES = ([f'span class="{c}"' for c in ("author", "authorname", "author-name", "AuthorName", "authorName", "byline",
                                          "username", "byl", "BBL", "channel-name", "zuozhe", "bianji", "xiaobian",
                                          "submitted-by", "posted-by", "journalist-name", "Author", "screenname",
                                          "writer", "Byline")]
           + [f'a {a}' for a in ('rel="author"', 'id="author"', 'itemprop="author name"', 'itemprop="author"',
                                 'data-testid="AuthorCard"', 'data-testid="AuthorURL"', 'id="the-author"',
                                 'id="zuozhe"', 'id="bianji"', 'id="xiaobian"', 'id="Author"')]
           + ['em data-component="Byline"', 'em class="byline-box"', 'em itemprop="author"'])


@pytest.mark.parametrize("holder", BYLINES)
@pytest.mark.parametrize("pruned", DISCARDED)
def test_every_pattern_of_the_rule(pruned, holder):
    opening, closing = pruned, pruned.split()[0]
    tag = holder.split()[0]
    tree = document_fromstring(f"<html><body><{opening}><{holder}>Ann Lee</{tag}></{closing}>"
                               f"<{holder}>Bo Li</{tag}></body></html>")
    assert byline(tree) == "Bo Li" == trafilaturas_byline(tree)


TAGS = ["div", "span", "a", "p", "section", "h3", "strong", "address", "time", "figure", "author", "rel", "b"]
CLASSES = [None, "author", "byline", "Byline", "author-name", "byl", "comments", "commentlist", "sidebar", "quote",
           "print", "title", "date", "meta-date", "writer", "screenname", "posted-by", "x", "article-share"]
IDS = [None, "author", "comments", "comment-list", "Author", "bianji", "main"]
ITEMPROPS = [None, "author", "author name", "name"]
WORDS = st.sampled_from(["", " ", "By", "Ann Lee", "me", "and", " Bo ", "x" * 60, "\n"])


def elements(children):
    def build(parts):
        tag, cls, ident, itemprop, component, text, tail, kids = parts
        attrs = "".join(f' {name}="{value}"' for name, value in
                        (("class", cls), ("id", ident), ("itemprop", itemprop), ("data-component", component))
                        if value is not None)
        return f"<{tag}{attrs}>{text}{''.join(kids)}</{tag}>{tail}"
    return st.tuples(st.sampled_from(TAGS), st.sampled_from(CLASSES), st.sampled_from(IDS),
                     st.sampled_from(ITEMPROPS), st.sampled_from([None, "Byline", "Figure"]), WORDS, WORDS,
                     st.lists(children, max_size=3)).map(build)


PAGE_BODIES = st.recursive(st.just(""), elements, max_leaves=12).map(lambda html: html or "<p>empty</p>")


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(PAGE_BODIES, min_size=1, max_size=4))
def test_same_byline_as_trafilatura_on_generated_pages(bodies):
    tree = _parse(f"<html><body>{''.join(bodies)}</body></html>")
    before = tostring(tree)
    assert byline(tree) == trafilaturas_byline(tree)
    assert tostring(tree) == before
