"""parse_html / extract_article: real news pages in, one clean ninjs-shaped Article out;
plus the benchmark metric (``score``) and ``wire extract`` / ``wire eval``.

The three pages and their ground truth come from scrapinghub's article-extraction
benchmark (MIT, licence in tests/fixtures/html/LICENSE): a story split into several
body containers (Wired), one quoting embedded tweets (nj.com), and a Portuguese blog
post whose title carries the site's name.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
from functools import lru_cache
from pathlib import Path

import pytest

from services.cli.evaluate import main_eval, score
from services.cli.extract import extract_dir, main_extract
from shared.errors import ParseError
from shared.formats.base import ParsedItem
from shared.formats.html import extract_article, parse_html
from shared.ninjs import ninjs_errors

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "html"
TRUTH = json.loads((FIXTURES / "ground-truth.json").read_text(encoding="utf-8"))
WIRED = "2f42ef1d3ea0c96e56355d3db93d0e06b47e760b74f6f4261278b8cd1c246dd6"
NJ = "3f65af7b6b98b1c9ae9a3e0d8a09a85600cdc44e26e4b3a6db96a31f4b1767e3"
BLOG = "3252222e61fe78982cffe0b0bad2b089c27b32f65852d1c5d3951517f3c2e295"
HEADLINES = {
    WIRED: "The Future of Banking Is … You're Broke",
    NJ: "South Dakota doubles down on ‘Meth. We’re on it.’ They just might be.",
    BLOG: "A Fantástica Loja dos Materiais Educativos",  # "<title>… - Como Educar Seus Filhos"
}
LANGUAGES = {WIRED: "en", NJ: "en", BLOG: "pt-BR"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:Z|[+-]\d{2}:\d{2})$")
PROSE = [
    "The city council voted on Tuesday to build protected bike lanes along Main Street, "
    "the busiest road downtown, after a debate that lasted more than four hours.",
    "Supporters said the lanes would cut collisions, while shop owners worried about losing "
    "the parking spaces in front of their stores during the busy holiday season.",
    "Construction is expected to start in the spring and to finish before the end of 2026, "
    "officials said, with a first stretch opening to cyclists next summer.",
]


@lru_cache(maxsize=None)
def page(key: str) -> ParsedItem:
    (item,) = parse_html(gzip.decompress((FIXTURES / f"{key}.html.gz").read_bytes()), provider="Benchmark")
    return item


def html_page(*blocks: str, head: str = "", lang: str | None = None) -> bytes:
    lang_attr = f' lang="{lang}"' if lang else ""
    body = "".join(f"<p>{b}</p>" if not b.startswith("<") else b for b in blocks)
    return (f"<!DOCTYPE html><html{lang_attr}><head><title>Bike lanes approved - City Post</title>"
            f'<meta property="og:site_name" content="City Post">{head}</head>'
            f"<body><article><h1>Bike lanes approved</h1>{body}</article></body></html>").encode("utf-8")


@pytest.mark.parametrize("key", [WIRED, NJ, BLOG])
def test_headline_and_body_match_the_ground_truth(key):
    article = page(key).article
    assert article.headline == HEADLINES[key]
    result = score({key: {"articleBody": article.body_text}}, {key: TRUTH[key]})
    assert result["pages"][key]["f1"] >= 0.9


@pytest.mark.parametrize("key", [WIRED, NJ, BLOG])
def test_item_is_valid_ninjs_with_the_page_metadata(key):
    item = page(key)
    article = item.article
    assert item.source_format == "html"
    assert ninjs_errors(article.to_ninjs()) == []
    assert article.uri == TRUTH[key]["url"]  # the page's canonical URL
    assert article.language == LANGUAGES[key]
    assert RFC3339.match(article.contentCreated) and article.firstCreated == article.contentCreated
    assert article.by
    assert [(b.role, b.contentType) for b in article.bodies] == [("main", "text/plain")]


def test_chunked_body_and_embedded_tweets_are_kept():
    assert "A second problem is more serious." in page(WIRED).article.body_text  # last of three body chunks
    assert "More Great WIRED Stories" not in page(WIRED).article.body_text
    assert "on. meth. dot. com." in page(NJ).article.body_text  # a quoted tweet


def test_extract_article_returns_the_documented_fields():
    html = gzip.decompress((FIXTURES / f"{NJ}.html.gz").read_bytes())
    result = extract_article(html)
    assert set(result) == {"articleBody", "headline", "author", "datePublished"}
    assert result["headline"] == HEADLINES[NJ]
    assert result["datePublished"].startswith("2019-11-18")
    assert "Amy Kuperinsky" in result["author"]
    assert extract_article(html.decode("utf-8")) == result  # str and bytes read alike


def test_uri_falls_back_to_a_hash_without_a_canonical_url():
    article = parse_html(html_page(*PROSE), provider="City Post")[0].article
    digest = hashlib.sha256(f"city-post\nBike lanes approved\n{PROSE[0]}".encode()).hexdigest()[:32]
    assert article.uri == f"urn:wirestream:city-post:{digest}"
    assert article.headline == "Bike lanes approved"
    assert article.body_text == "\n\n".join(PROSE)  # the <h1> headline is not repeated in the body
    assert article.language is None and article.contentCreated is None and article.by is None
    assert ninjs_errors(article.to_ninjs()) == []


def test_canonical_url_language_and_date_come_from_the_page():
    head = ('<link rel="canonical" href="https://citypost.example/2024/bike-lanes">'
            '<meta property="article:published_time" content="2024-12-18T09:30:00+09:00">')
    article = parse_html(html_page(*PROSE, head=head, lang="de_de"), provider="City Post")[0].article
    assert article.uri == "https://citypost.example/2024/bike-lanes"
    assert article.language == "de-DE"
    assert article.contentCreated == "2024-12-18T09:30:00+09:00"


def test_page_furniture_is_dropped():
    furniture = ["Advertisement", "Like this story? Share it with a friend!",
                 "Sign up for our newsletter to get the news in your inbox.", "Read more: Council backs tram plan",
                 "Follow us on Facebook and Twitter", "12 Comments", "Click here to get the app",
                 "[button url=/subscribe]Get the app[/button]", "Filed under: Transport",
                 "© 2024 City Post. All rights reserved."]
    body = parse_html(html_page(PROSE[0], *furniture, *PROSE[1:]), provider="City Post")[0].article.body_text
    assert body == "\n\n".join(PROSE)


@pytest.mark.parametrize("kept", [
    "The council also mentioned its weekly newsletter, which residents can still sign up for online at no cost.",
    "\u201cJust click here and the money is yours,\u201d the fraudulent message told its victims, police said.",
    "Publishers said all rights reserved by authors under the old contracts would pass to the estates.",
])
def test_a_sentence_that_mentions_furniture_words_stays(kept):
    body = parse_html(html_page(PROSE[0], kept, *PROSE[1:]), provider="City Post")[0].article.body_text
    assert kept in body


@pytest.mark.parametrize("furniture", [
    "Get the magazine delivered every month. Click here for more information.",
    "Get the latest updates right in your inbox. Subscribe to our newsletters.",
    "City Post 2024 | All rights reserved",
])
def test_a_pitch_that_opens_a_sentence_or_a_short_line_is_furniture(furniture):
    body = parse_html(html_page(PROSE[0], furniture, *PROSE[1:]), provider="City Post")[0].article.body_text
    assert body == "\n\n".join(PROSE)


def test_a_bracketed_aside_that_is_no_shortcode_stays():
    kept = "The council [which met on Tuesday] backed the plan, its chair said in a statement [/link]."
    body = parse_html(html_page(PROSE[0], kept, *PROSE[1:]), provider="City Post")[0].article.body_text
    assert kept in body


def test_a_body_fragment_is_read_like_a_page():
    result = extract_article("".join(f"<p>{p}</p>" for p in PROSE[:1]))
    assert result["articleBody"] == PROSE[0]


@pytest.mark.parametrize("payload", [
    b"", b"  \n\t ", b"\x00\x01\x02\xff\xfe" * 200, os.urandom(4096), b"<<<>>>", b"<html></html>",
    b"<html><head><title>Nothing</title></head><body><nav><a href='/'>Home</a></nav></body></html>",
], ids=["empty", "blank", "binary", "random", "brackets", "empty-html", "no-text"])
def test_unreadable_or_empty_pages_raise_parse_error(payload):
    with pytest.raises(ParseError):
        parse_html(payload, provider="City Post")
    with pytest.raises(ParseError):
        extract_article(payload)


def test_blank_provider_raises_parse_error():
    with pytest.raises(ParseError, match="provider"):
        parse_html(html_page(*PROSE), provider="  ")


def test_score_perfect_disjoint_and_partial():
    truth = {"a": {"articleBody": "one two three four five six"}, "b": {"articleBody": "a b c d e"}}
    assert score(truth, truth)["f1"] == 1.0
    disjoint = score({"a": {"articleBody": "seven eight nine ten"}, "b": {"articleBody": "v w x y z"}}, truth)
    assert (disjoint["precision"], disjoint["recall"], disjoint["f1"]) == (0.0, 0.0, 0.0)
    # a: the 1 predicted shingle is right, 1 of 3 true ones found -> P 1, R 1/3
    # b: shingles "a b c d" and "b c d x" vs "a b c d" and "b c d e" -> P 1/2, R 1/2
    partial = score({"a": {"articleBody": "one two three four"}, "b": {"articleBody": "a b c d x"}}, truth)
    assert partial["pages"]["a"]["precision"] == 1.0 and partial["pages"]["a"]["recall"] == pytest.approx(1 / 3)
    assert partial["precision"] == pytest.approx(0.75)
    assert partial["recall"] == pytest.approx((1 / 3 + 1 / 2) / 2)
    assert partial["f1"] == pytest.approx(2 * 0.75 * (5 / 12) / (0.75 + 5 / 12))


def test_score_counts_repeats_and_missing_pages_like_the_benchmark():
    truth = {"a": {"articleBody": "x y z w x y z w"}, "b": {"articleBody": "p q r s"}}
    # "a" predicted once where the truth repeats it; "b" missing: it lowers recall, not precision
    result = score({"a": {"articleBody": "x y z w"}}, truth)
    assert result["pages"]["a"]["precision"] == 1.0 and result["pages"]["a"]["recall"] == pytest.approx(1 / 5)
    assert result["precision"] == 1.0
    assert result["recall"] == pytest.approx((1 / 5 + 0) / 2)


def test_extract_dir_writes_the_documented_json_shape(tmp_path, capsys):
    pages = extract_dir(FIXTURES)
    assert sorted(pages) == sorted(TRUTH)  # LICENSE and ground-truth.json are not pages
    for key, result in pages.items():
        assert set(result) == {"articleBody", "headline", "author", "datePublished"}
        assert result["headline"] == HEADLINES[key] and result["articleBody"]

    out = tmp_path / "extract.json"
    assert main_extract([str(FIXTURES), "--out", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8")) == pages
    assert "Fantástica" in out.read_text(encoding="utf-8")  # ensure_ascii=False
    capsys.readouterr()
    assert main_eval(["--pred", str(out), "--truth", str(FIXTURES / "ground-truth.json")]) == 0
    f1 = float(re.search(r"F1=([\d.]+)", capsys.readouterr().out)[1])
    assert f1 >= 0.9


def test_extract_dir_records_an_unreadable_page_and_goes_on(tmp_path):
    (tmp_path / "good.html").write_bytes(html_page(*PROSE))
    (tmp_path / "broken.html.gz").write_bytes(b"not gzip at all")
    (tmp_path / "empty.html").write_bytes(b"")
    (tmp_path / "notes.md").write_text("not a page")
    pages = extract_dir(tmp_path)
    assert sorted(pages) == ["broken", "empty", "good"]
    assert pages["good"]["articleBody"] == "\n\n".join(PROSE)
    for name in ("broken", "empty"):
        assert pages[name]["articleBody"] == "" and pages[name]["error"]
