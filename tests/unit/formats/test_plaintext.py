"""parse_plaintext: scraped page text in, one clean ninjs-shaped Article out."""
from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from shared.errors import ParseError
from shared.events import Article
from shared.formats.plaintext import parse_plaintext, parse_text
from shared.formats.plaintext.signals import is_furniture

ROOT = Path(__file__).resolve().parents[3]
FIXTURE = (ROOT / "tests/fixtures/korea-daily-2024-12-18.txt").read_text(encoding="utf-8")
SCHEMA = json.loads((ROOT / "shared/schemas/ninjs-schema_3.1.json").read_text(encoding="utf-8"))

HEADLINE = "North Korea expected to send second wave of troops to support Russia’s Ukraine invasion"
DECK = "North Korea’s second deployment to support Russia’s invasion of Ukraine imminent, experts suggest"
CAPTION_START = "A video released by Ukrainian President"
FURNITURE = ["65.7 F", "Los Angeles", "Wednesday, December 18, 2024", "- Advertisement -", "BY YOUNGNAM KIM", "\xa0"]

OTHER_SITE = """\
Share this article
Updated 10:32 a.m.

City council approves protected bike lanes on Main Street
Plan adds twelve miles of lanes across the city by 2026

By Jane Doe, Staff Writer

Cyclists ride along Main Street on Tuesday. (Photo: Reuters)

The city council voted 7-2 on Tuesday to build protected bike lanes along Main Street, the busiest road downtown.

Supporters said the lanes would cut collisions, while shop owners worried about losing parking spaces in front of their stores.

ADVERTISEMENT

Construction is expected to start in the spring and finish before the end of 2026, officials said.
Follow us on Facebook
Click here to subscribe
"""


def korea() -> Article:
    return parse_plaintext(FIXTURE, provider="Korea Daily")


def paragraphs(article: Article) -> list[str]:
    return article.body_text.split("\n\n")


def validate(article: Article) -> None:
    errors = [e.message for e in Draft202012Validator(SCHEMA).iter_errors(article.to_ninjs())]
    assert errors == []


# ---- the example page -------------------------------------------------------


def test_headline_keeps_curly_apostrophe() -> None:
    assert [(h.role, h.value) for h in korea().headlines] == [("main", HEADLINE)]


def test_deck_is_a_description() -> None:
    article = korea()
    assert [(d.role, d.contentType, d.value) for d in article.descriptions] == [("deck", "text/plain", DECK)]
    assert DECK not in article.body_text


def test_byline_and_author_email() -> None:
    article = korea()
    assert article.by == "Youngnam Kim"
    assert article.people == [{
        "name": "Youngnam Kim",
        "rel": "author",
        "contactInfo": [{"type": "email", "role": "work", "value": "kim.youngnam@koreadaily.com"}],
    }]


def test_caption_and_credit_outside_body() -> None:
    article = korea()
    [photo] = article.associations
    assert photo["name"] == "photo-1" and photo["rel"] == "photo" and photo["type"] == "picture"
    assert photo["uri"] == article.uri + "#photo-1"
    assert photo["by"] == "Zelensky’s Telegram screenshot"
    [caption] = photo["descriptions"]
    assert caption["role"] == "caption" and caption["contentType"] == "text/plain"
    assert caption["value"].startswith(CAPTION_START)
    assert caption["value"].endswith("fallen North Korean soldiers.")
    assert "[" not in caption["value"]
    assert CAPTION_START not in article.body_text and "screenshot" not in article.body_text


def test_body_is_the_nine_story_paragraphs_in_order() -> None:
    article = korea()
    assert len(article.bodies) == 1
    assert (article.bodies[0].role, article.bodies[0].contentType) == ("main", "text/plain")
    body = paragraphs(article)
    assert len(body) == 9
    assert body[0].startswith("Concerns are rising")
    assert body[1].startswith("This move suggests")
    assert body[-1].endswith("in the Kursk region.")
    expected_order = [line.strip() for line in FIXTURE.splitlines() if line.strip() in body]
    assert expected_order == body


def test_body_has_no_page_furniture() -> None:
    body = korea().body_text
    for junk in FURNITURE:
        assert junk not in body
    assert all(p.strip() for p in paragraphs(korea()))


def test_content_created_from_page_date_line() -> None:
    assert korea().contentCreated == "2024-12-18T00:00:00Z"


def test_uri_is_stable_hash_urn() -> None:
    article = korea()
    first = paragraphs(article)[0]
    digest = hashlib.sha256(f"korea-daily\n{HEADLINE}\n{first}".encode()).hexdigest()[:32]
    assert article.uri == f"urn:wirestream:korea-daily:{digest}"
    assert parse_plaintext(FIXTURE, provider="Korea Daily").uri == article.uri


def test_type_text_and_language_left_to_enrichment() -> None:
    article = korea()
    assert article.type == "text"
    assert article.language is None


def test_example_validates_as_ninjs_31() -> None:
    validate(korea())


def test_crlf_line_endings_parse_the_same() -> None:
    crlf = parse_plaintext(FIXTURE.replace("\n", "\r\n"), provider="Korea Daily")
    assert crlf.to_ninjs() == korea().to_ninjs()


# ---- another site, other furniture ------------------------------------------


def test_other_site_parses_sensibly() -> None:
    article = parse_plaintext(OTHER_SITE, provider="Metro Herald")
    assert article.uri.startswith("urn:wirestream:metro-herald:")
    assert article.headline == "City council approves protected bike lanes on Main Street"
    assert article.descriptions[0].value == "Plan adds twelve miles of lanes across the city by 2026"
    assert article.by == "Jane Doe"
    assert article.people == [{"name": "Jane Doe", "rel": "author"}]
    [photo] = article.associations
    assert photo["by"] == "Reuters"
    assert photo["descriptions"][0]["value"] == "Cyclists ride along Main Street on Tuesday."
    body = paragraphs(article)
    assert len(body) == 3
    assert body[0].startswith("The city council voted") and body[-1].startswith("Construction is expected")
    for junk in ("Share this", "Updated", "Jane Doe", "Photo", "ADVERTISEMENT", "Follow us", "Click here"):
        assert junk not in article.body_text
    assert article.contentCreated is None  # "Updated 10:32 a.m." names no date
    validate(article)


@pytest.mark.parametrize(("line", "by", "authors", "sources"), [
    ("By JANE DOE and JOHN ROE", "Jane Doe and John Roe", ["Jane Doe", "John Roe"], []),
    ("By Jane Doe, Reuters", "Jane Doe", ["Jane Doe"], ["Reuters"]),
    ("By Jane Doe, AP Business Writer", "Jane Doe", ["Jane Doe"], ["AP"]),
    ("By Reuters", "Reuters", [], ["Reuters"]),  # an agency is no author
    ("By Reuters Staff", "Reuters", [], ["Reuters"]),
])
def test_bylines_are_split_as_every_format_splits_them(line: str, by: str, authors: list[str],
                                                       sources: list[str]) -> None:
    article = parse_plaintext(OTHER_SITE.replace("By Jane Doe, Staff Writer", line), provider="x")
    assert article.by == by and [p["name"] for p in article.people] == authors
    assert article.infoSources == [{"name": s, "role": "source"} for s in sources]
    assert line not in article.body_text
    validate(article)


@pytest.mark.parametrize("line", ["Dec. 18, 2024", "2024-12-18", "Published: December 18, 2024 at 9:05 a.m.", "18 December 2024"])
def test_common_date_lines_set_content_created(line: str) -> None:
    text = f"{line}\nHeadline of a story\nA paragraph of the story, long enough to be body text."
    assert parse_plaintext(text, provider="x").contentCreated == "2024-12-18T00:00:00Z"


def test_update_stamp_is_dropped_but_not_the_creation_date() -> None:
    text = "Updated: Dec. 19, 2024 10:32 a.m.\nHeadline of a story\nA paragraph of the story, long enough."
    article = parse_plaintext(text, provider="x")
    assert article.contentCreated is None and "Updated" not in article.body_text


def test_a_sentence_that_opens_like_an_update_stamp_is_story_text() -> None:
    sentence = "Published in 1925, the novel has sold 20 million copies."
    assert not is_furniture(sentence)
    text = OTHER_SITE.replace("ADVERTISEMENT", sentence)
    assert sentence in paragraphs(parse_plaintext(text, provider="x"))


@pytest.mark.parametrize("line", ["Posted 2 hours ago", "Updated on Monday 14:05 GMT", "Last updated 18/12/2024",
                                  "Updated 10:32 a.m."])
def test_update_stamps_are_furniture(line: str) -> None:
    assert is_furniture(line)


@pytest.mark.parametrize(("ending", "credit"), [("[Yonhap]", "Yonhap"), ("/ AP Photo", "AP Photo")])
def test_other_caption_credit_forms(ending: str, credit: str) -> None:
    text = f"Headline of a story\nThe minister speaks in Seoul on Monday. {ending}\nThe story's only paragraph, told at length."
    article = parse_plaintext(text, provider="x")
    assert article.associations[0]["by"] == credit
    assert paragraphs(article) == ["The story's only paragraph, told at length."]


CAFE = ("Café owners in Montréal call the new terrace rules “unfair”\n"
        "The city’s cafés must close their terraces at ten from next month, the council decided on Tuesday.\n"
        "Owners said the rule would cost them €2,000 a month – or more in a warm summer, they said.\n")


@pytest.mark.parametrize("payload", [
    CAFE.encode("cp1252"), CAFE.encode("utf-16"), b"\xef\xbb\xbf" + CAFE.encode("utf-8"), CAFE.encode("utf-8"),
], ids=["cp1252", "utf-16-bom", "utf-8-bom", "utf-8"])
def test_text_without_a_declared_charset_is_decoded(payload: bytes) -> None:
    [item] = parse_text(payload, provider="x")
    assert item.article.headline == "Café owners in Montréal call the new terrace rules “unfair”"
    assert "€2,000 a month – or more" in item.article.body_text


def test_a_declared_charset_is_held_to() -> None:
    with pytest.raises(ParseError, match="not valid utf-8") as caught:
        parse_text(CAFE.encode("cp1252"), provider="x", charset="utf-8")
    assert caught.value.where == "line 1, byte 3"


# ---- what cannot be read ----------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n\xa0\n\t\n"])
def test_empty_input_raises_parse_error(text: str) -> None:
    with pytest.raises(ParseError, match="empty"):
        parse_plaintext(text, provider="x")


def test_furniture_only_raises_parse_error_with_line() -> None:
    text = "65.7 F\nLos Angeles\nWednesday, December 18, 2024\n\n- Advertisement -\nShare this article\n"
    with pytest.raises(ParseError, match="no headline") as caught:
        parse_plaintext(text, provider="x")
    assert caught.value.where is not None and caught.value.where.startswith("line ")


def test_headline_without_body_raises_parse_error_at_headline() -> None:
    text = "Wednesday, December 18, 2024\nA lonely headline\n- Advertisement -\n"
    with pytest.raises(ParseError, match="no body") as caught:
        parse_plaintext(text, provider="x")
    assert caught.value.where == "line 2"


def test_random_text_gives_article_or_parse_error() -> None:
    rng = random.Random(20241218)
    alphabet = "abcXYZ 019.,:-[]()@/°F\n\n\xa0\t’“”\u200b\ud800ſé漢"
    pieces = FURNITURE + ["By Jane Doe", "Dec. 18, 2024", "(Photo: AP)", "[x]", "jo@a.io", "May 99, 2024"]
    for _ in range(400):
        chars = rng.choices(alphabet, k=rng.randint(0, 200))
        text = "".join(chars) + "\n".join(rng.choices(pieces, k=rng.randint(0, 5)))
        try:
            article = parse_plaintext(text, provider="Some Site")
        except ParseError:
            continue
        assert isinstance(article, Article) and article.headline and article.body_text


@pytest.mark.parametrize("charset", ["iso-8859-1", "latin1", "us-ascii", "windows-1252"])
def test_a_latin1_or_ascii_label_reads_windows_1252(charset: str) -> None:
    [item] = parse_text(CAFE.encode("cp1252"), provider="x", charset=charset)
    assert item.article.headline == "Café owners in Montréal call the new terrace rules “unfair”"
    assert "€2,000 a month – or more" in item.article.body_text


@pytest.mark.parametrize("charset", ["iso-8859-1", "windows-1252", "iso-8859-2"])
def test_utf8_bytes_under_a_single_byte_label_are_read_as_utf8(charset: str) -> None:
    [item] = parse_text(CAFE.encode("utf-8"), provider="x", charset=charset)
    assert item.article.headline == "Café owners in Montréal call the new terrace rules “unfair”"


def test_a_byte_order_mark_comes_before_the_declared_charset() -> None:
    [item] = parse_text(CAFE.encode("utf-16"), provider="x", charset="iso-8859-1")
    assert item.article.headline == "Café owners in Montréal call the new terrace rules “unfair”"
