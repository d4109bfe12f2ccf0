"""Entity rules on texts other than the example: short forms, acronyms, media,
roles, places the gazetteer knows."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from services.enrichment.findings import read_article
from services.enrichment.nlp.gazetteer import gazetteer
from shared.events import Article, TextBlock
from tests.unit.enrichment.samples import NAMES, QUOTES


def read(text: str, headline: str = "Test"):
    article = Article(uri="urn:test:1", headlines=[TextBlock(role="main", value=headline)],
                      bodies=[TextBlock(contentType="text/plain", value=text)])
    return read_article(article, received_at=datetime(2025, 3, 3, tzinfo=timezone.utc))


@pytest.fixture(scope="module")
def names():
    return {(e.kind, e.name): e for e in read(NAMES).entities}


def test_a_surname_joins_the_full_name_and_titles_become_roles(names):
    starmer = names[("person", "Keir Starmer")]
    assert "Starmer" in starmer.aliases and len(starmer.mentions) == 3
    assert starmer.role().describe() == "Prime Minister of United Kingdom"
    assert names[("person", "Olaf Scholz")].role().describe() == "Chancellor of Germany"
    assert ("person", "Starmer") not in names


def test_spelling_variants_and_acronyms_are_one_entity(names):
    kim = [e for (kind, _), e in names.items() if kind == "person" and "Kim" in e.name]
    assert len(kim) == 1 and {"Kim Jong Un", "Kim Jong-un"} <= kim[0].aliases
    un = names[("organisation", "United Nations")]
    assert "UN" in un.aliases and ("organisation", "UN") not in names


def test_media_and_institutions(names):
    assert names[("organisation", "New York Times")].media
    assert names[("organisation", "Yonhap News Agency")].media
    assert ("organisation", "Ministry of Foreign Affairs") in names
    assert names[("place", "Berlin")].place.cc == "DE"


def test_a_name_with_a_media_word_is_never_a_person():
    found = read("According to Dong-a Ilbo, the talks failed. Chosun Ilbo reported the same on Monday.")
    kinds = {e.name: e.kind for e in found.entities}
    assert kinds.get("Dong-a Ilbo") == "organisation" and kinds.get("Chosun Ilbo") == "organisation"
    assert {s.name for s in found.sources} == {"Dong-a Ilbo", "Chosun Ilbo"}


def test_an_executive_title_in_lower_case():
    maria = next(e for e in read(QUOTES).entities if e.name == "Maria Lopez")
    assert maria.role().title == "Chief executive"


def test_gazetteer_lookups():
    gaz = gazetteer()
    assert gaz.lookup("U.S.").name == "United States" and gaz.lookup("the UK").cc == "GB"
    assert gaz.lookup("us") is None  # the pronoun is never a country
    assert gaz.country_of_demonym("North Korean").cc == "KP"
    assert gaz.lookup("Kyiv").cc == "UA" and gaz.lookup("Kiev").name == "Kyiv"
    assert len({p.cc for p in gaz.by_name.values() if p.kind == "country"}) >= 190


def test_an_agency_is_a_news_outlet_only_after_a_news_word():
    found = read("The International Atomic Energy Agency said inspectors had left the plant. The Environmental "
                 "Protection Agency said the water was safe. Xinhua News Agency said the talks had ended.")
    media = {e.name: e.media for e in found.entities if e.kind == "organisation"}
    assert media == {"International Atomic Energy Agency": False, "Environmental Protection Agency": False,
                     "Xinhua News Agency": True}
    assert [(s.name, s.cue) for s in found.sources] == [("Xinhua News Agency", "reported")]
