"""The example article (tests/fixtures/korea-daily-2024-12-18.txt) through the
enrichment handler: what a subscriber routing on who/what/where gets."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from services.enrichment.handlers import enrich
from shared.events import ArticleEvent, Envelope, article_id_for
from shared.formats.plaintext import parse_plaintext
from shared.ninjs import ninjs_errors
from shared.tracing import new_traceparent

FIXTURE = Path(__file__).parents[2] / "fixtures" / "korea-daily-2024-12-18.txt"


@pytest.fixture(scope="module")
async def enriched() -> ArticleEvent:
    article = parse_plaintext(FIXTURE.read_text(encoding="utf-8"), provider="local")
    envelope = Envelope(article_id=article_id_for(article.uri), provider="local",
                        received_at=datetime(2024, 12, 18, 9, 0, tzinfo=timezone.utc), source_format="text",
                        content_type="text/plain", traceparent=new_traceparent())
    return await enrich(ArticleEvent(envelope=envelope, article=article))


def _names(items: list[dict]) -> list[str]:
    return [i["name"] for i in items]


def test_people_are_listed_once_each_by_full_name(enriched):
    people = _names(enriched.article.people)
    for name in ("Volodymyr Zelensky", "Park Won-gon", "Kim Jong-un", "Andrei Belousov"):
        assert people.count(name) == 1, people
    assert "Zelensky" not in people and "Park" not in people
    assert "Segye Ilbo" not in people
    assert "Youngnam Kim" in people  # the byline's author is kept


def test_titles_are_roles_not_names(enriched):
    entities = {e["name"]: e for e in enriched.envelope.enrichment["entities"]}
    assert entities["Andrei Belousov"]["role"]["text"] == "Defense Minister of Russia"
    assert entities["Volodymyr Zelensky"]["role"]["text"] == "President of Ukraine"
    assert entities["Park Won-gon"]["role"]["title"] == "Professor"
    assert entities["Park Won-gon"]["role"]["affiliation"] == "Ewha Womans University"
    assert entities["Kim Jong-un"]["role"]["country"] == "North Korea"
    assert "Zelensky" in entities["Volodymyr Zelensky"]["aliases"]


def test_organisations(enriched):
    orgs = _names(enriched.article.organisations)
    for name in ("Ewha Womans University", "Storm Corps", "Korean Central Television",
                 "U.S. Department of Defense", "Ministry of Unification", "Segye Ilbo"):
        assert orgs.count(name) == 1, orgs
    assert "Defense" not in orgs and "Party" not in orgs and "11th Corps" not in orgs


def test_places_have_country_codes(enriched):
    places = {p["name"]: p for p in enriched.article.places}
    for name, code in (("North Korea", "KP"), ("Russia", "RU"), ("Ukraine", "UA"), ("South Korea", "KR"),
                       ("Pyongyang", "KP"), ("Kursk", "RU")):
        assert places[name]["contactInfo"][0]["address"]["country"] == code
    assert places["Russia"]["uri"] == "https://www.iso.org/obp/ui/#iso:code:3166:RU"
    assert places["Pyongyang"]["contactInfo"][0]["address"]["locality"] == "Pyongyang"


def test_cited_sources(enriched):
    sources = _names(enriched.article.infoSources)
    assert "Segye Ilbo" in sources and "Korean Central Television" in sources
    assert "Zelensky’s Telegram" in sources  # from the photo credit


def test_quotes_and_their_speakers(enriched):
    quotes = enriched.envelope.enrichment["quotes"]
    by_park = [q for q in quotes if q["speaker"] == {"name": "Park Won-gon", "type": "person"}]
    assert len(by_park) >= 2
    assert any(q["resolvedFrom"] == "he" for q in by_park)
    unnamed = [q for q in quotes if q["speaker"] and q["speaker"]["type"] == "unnamed"]
    assert {q["speaker"]["name"] for q in unnamed} == {"sources familiar with North Korean affairs"}
    first = quotes[0]
    body = enriched.article.bodies[0].value
    assert body[first["start"]:first["end"]] == first["text"] and first["field"] == "bodies[0]"
    park = next(p for p in enriched.article.people if p["name"] == "Park Won-gon")
    assert park["rel"] == "quoted"


def test_subjects_language_summary(enriched):
    article = enriched.article
    assert article.language == "en"
    uris = [s["uri"] for s in article.subjects]
    assert uris[0] == "http://cv.iptc.org/newscodes/mediatopic/16000000"
    assert "http://cv.iptc.org/newscodes/mediatopic/11000000" in uris
    assert all(0 <= s["confidence"] <= 100 for s in article.subjects)
    summary = [d for d in article.descriptions if d.role == "summary"]
    assert len(summary) == 1 and summary[0].value.startswith("Concerns are rising")
    assert 2 <= len(enriched.envelope.enrichment["summary"]) <= 3


def test_dates_are_normalised_against_the_article_date(enriched):
    dates = {(d["text"], d["value"]) for d in enriched.envelope.enrichment["datesMentioned"]}
    assert ("November 29", "2024-11-29") in dates
    assert ("December 17", "2024-12-17") in dates
    assert ("January", "2025-01") in dates  # "the coldest months of January and February approaching"


def test_counts_keywords_and_a_valid_ninjs_item(enriched):
    enrichment = enriched.envelope.enrichment
    assert 400 < enrichment["wordCount"] < 600
    assert enrichment["readingTimeSeconds"] == pytest.approx(enrichment["wordCount"] / 238 * 60, abs=5)
    keywords = [k["text"] for k in enrichment["keywords"]]
    assert "deployment" in keywords and "second wave" in keywords
    assert ninjs_errors(enriched.article.to_ninjs()) == []
