"""The shortcuts the HTML extractor takes around trafilatura (issue 14) read pages
exactly as trafilatura's own functions do."""
from __future__ import annotations

import gzip
from copy import deepcopy
from pathlib import Path

import pytest
from lxml.html import document_fromstring, tostring
from trafilatura.metadata import extract_metadata
from trafilatura.settings import MANUALLY_CLEANED, MANUALLY_STRIPPED, set_date_params
from trafilatura.utils import load_html

from shared.formats.html import _OUTSIDE_STORY, _drop_outside_story, _parse
from shared.formats.html_metadata import fill_author, page_metadata

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "html"
PAGES = sorted(FIXTURES.glob("*.html.gz"))
LINES = "\n".join(f"<p>line {n}</p>" for n in range(6))


@pytest.mark.parametrize("text", [
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n'
    f"<html><body>{LINES}<p>bell\x07 and tab\x0b</p></body></html>",
    f"<?xml version='1.0'?>\n<html xmlns='http://www.w3.org/1999/xhtml'/>\n<body>{LINES}</body>",
    f"<!doctype html>\n<html>\n<body>\n{LINES}<p>non-character \ufffe here</p></body></html>",
    "<html><body><div>one long line, no break, a form feed \x0c inside</div></body></html>",
    "<p>a fragment only</p>",
    "just words, no markup at all",
    "<html><head><title>Ünïcödé ✓</title></head><body><p>ção 中文 🙂</p></body></html>",
])
def test_parse_gives_trafilaturas_tree(text):
    ours, theirs = _parse(text), load_html(text)
    assert (ours is None) == (theirs is None)
    if theirs is not None:
        assert tostring(ours) == tostring(theirs)


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name[:8])
def test_parse_gives_trafilaturas_tree_on_real_pages(path):
    text = gzip.decompress(path.read_bytes()).decode("utf-8")
    assert tostring(_parse(text)) == tostring(load_html(text))


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name[:8])
def test_page_metadata_and_byline_match_trafilaturas_reader(path):
    tree = load_html(gzip.decompress(path.read_bytes()))
    theirs = extract_metadata(deepcopy(tree), None, set_date_params(extensive=False))
    ours = page_metadata(tree)
    fill_author(tree, ours)
    for field in ("title", "sitename", "url", "date", "author"):
        assert getattr(ours, field) == getattr(theirs, field), field


def test_a_byline_in_the_page_is_found_when_the_metadata_has_none():
    tree = document_fromstring("<html><head><title>Storm</title></head><body><article><h1>Storm</h1>"
                               '<div class="byline">Jane Doe</div><p>Rain all day.</p></article></body></html>')
    metadata = page_metadata(tree)
    assert metadata.author is None
    fill_author(tree, metadata)
    assert metadata.author == "Jane Doe"


def test_only_what_trafilatura_deletes_with_its_content_is_dropped_before_it_runs():
    # meta has no content and is stripped by trafilatura; every other tag is deleted with its content
    assert all(tag in MANUALLY_CLEANED or (tag == "meta" and tag in MANUALLY_STRIPPED) for tag in _OUTSIDE_STORY)


def test_dropping_keeps_tails_story_text_and_json_ld():
    tree = document_fromstring(
        '<html><head><script type="application/ld+json">{"@type": "NewsArticle"}</script>'
        "<style>p {}</style><meta name='x' content='y'></head><body>"
        "<nav>Home</nav>before<script>track()</script> after"
        '<footer>Contact<script type="application/ld+json">{"@type": "DiscussionForumPosting"}</script></footer>'
        "<article><p>Story <button>Share</button>goes on.</p><aside>Related</aside>end</article>"
        '<nav><div>Menu<script type="application/ld+json">{"@type": "BreadcrumbList"}</script></div></nav>'
        "</body></html>")
    _drop_outside_story(tree)
    assert tostring(tree, encoding="unicode") == (
        '<html><head><script type="application/ld+json">{"@type": "NewsArticle"}</script></head><body>'
        "before after"
        '<footer>Contact<script type="application/ld+json">{"@type": "DiscussionForumPosting"}</script></footer>'
        "<article><p>Story goes on.</p>end</article>"
        '<nav><div>Menu<script type="application/ld+json">{"@type": "BreadcrumbList"}</script></div></nav>'
        "</body></html>")
