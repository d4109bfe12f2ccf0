"""Subscription filters over ninjs fields, and the subscription model's checks."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from shared.outbound.redact import url_reference
from shared.subscriptions import STORED, Outputs, Subscription, SubscriptionFilter, Webhook

CONFLICT = "http://cv.iptc.org/newscodes/mediatopic/16000000"
ITEM = {
    "uri": "urn:test:1", "language": "en-GB", "urgency": 3,
    "headlines": [{"role": "main", "value": "Troops deployed near the border"}],
    "bodies": [{"role": "main", "contentType": "text/plain", "value": "Park Won-gon said the second wave is due."}],
    "subjects": [{"name": "conflict, war and peace", "uri": CONFLICT}],
    "people": [{"name": "Park Won-gon"}],
    "organisations": [{"name": "Segye Ilbo", "uri": "https://www.wikidata.org/wiki/Q625960"}],
    "places": [{"name": "Seoul"}],
}


@pytest.mark.parametrize("spec", [
    {},
    {"languages": ["en"]},
    {"languages": ["EN-gb", "ko"]},
    {"subjects": [CONFLICT]},
    {"subjects": ["medtop:16000000"]},
    {"subjects": ["Conflict, War and Peace"]},
    {"people": ["park won-gon"]},
    {"organisations": ["https://www.wikidata.org/wiki/Q625960"]},
    {"places": ["Seoul", "Busan"]},
    {"providers": ["Korea-Daily"]},
    {"urgency": 3},
    {"keywords": ["second wave"]},
    {"keywords": ["troops"], "languages": ["en"], "subjects": [CONFLICT], "urgency": 5},
])
def test_matching_filters(spec):
    assert SubscriptionFilter(**spec).matches(ITEM, "korea-daily")


@pytest.mark.parametrize("spec", [
    {"languages": ["ko"]},
    {"languages": ["e"]},                       # a range matches whole subtags only
    {"subjects": ["medtop:15000000"]},          # sport
    {"people": ["Kim Jong-un"]},
    {"places": ["Busan"]},
    {"providers": ["reuters"]},
    {"urgency": 2},
    {"keywords": ["wav"]},                      # whole words only
    {"languages": ["en"], "subjects": ["medtop:15000000"]},  # every field must match
])
def test_filters_that_do_not_match(spec):
    assert not SubscriptionFilter(**spec).matches(ITEM, "korea-daily")


def test_an_item_without_the_field_does_not_match_a_filter_on_it():
    bare = {"uri": "urn:test:2", "headlines": [{"value": "x"}]}
    assert SubscriptionFilter().matches(bare)
    for spec in ({"languages": ["en"]}, {"subjects": [CONFLICT]}, {"urgency": 9}, {"providers": ["a"]}):
        assert not SubscriptionFilter(**spec).matches(bare)


def test_unknown_filter_fields_and_bad_urgency_are_refused():
    with pytest.raises(ValidationError):
        SubscriptionFilter(topics=["x"])
    with pytest.raises(ValidationError):
        SubscriptionFilter(urgency=0)


def test_a_filter_is_bounded_in_values_and_their_length():
    """Every item a list request scans is matched against the filter, on the gateway's
    event loop: a thousand keywords must be refused, not searched."""
    assert SubscriptionFilter(keywords=[f"k{i}" for i in range(20)], people=["p"] * 50)
    for spec in ({"keywords": [f"k{i}" for i in range(21)]}, {"people": ["p"] * 51}, {"places": ["x" * 201]},
                 {"keywords": ["x" * 201]}):
        with pytest.raises(ValidationError):
            SubscriptionFilter(**spec)


def test_keywords_match_whole_words_in_any_case_and_any_of_them_will_do():
    item = {"headlines": [{"value": "STRASSE closed"}], "bodies": [{"value": "The Ελλάδα talks, (c) 2026."}]}
    assert SubscriptionFilter(keywords=["nothing", "strasse"]).matches(item)
    assert SubscriptionFilter(keywords=["ελλάδα"]).matches(item)
    assert SubscriptionFilter(keywords=["Strasse Closed"]).matches(item)
    assert not SubscriptionFilter(keywords=["strass", "talk"]).matches(item)
    turkish = {"headlines": [{"value": "DIYARBAKIR and İZMİR"}]}
    for word in ("Diyarbakır", "İzmir", "izmir"):
        assert SubscriptionFilter(keywords=[word]).matches(turkish), word


# Letters (ASCII, accented, Greek, Cyrillic, CJK), digits, the underscore, spaces and
# punctuation: the characters on either side of a word boundary, and of none.
_CHARS = st.sampled_from(list("ab_1 .-#+é\n\t") + ["ß", "λ", "д", "中", "\u0301", "\u0307", "İ", "ı"])


@settings(max_examples=400, deadline=None)
@given(keyword=st.text(_CHARS, min_size=1, max_size=4), text=st.text(_CHARS, max_size=24))
def test_a_keyword_matches_where_a_word_boundary_regex_would_match_it(keyword, text):
    """The linear-time search finds a keyword exactly where ``re``'s ``\\b…\\b`` (over
    the case-folded texts) finds it, whatever characters stand around it."""
    keyword = keyword.strip()
    if not keyword:
        return
    item = {"headlines": [{"value": text}]}
    folded_keyword, folded_text = keyword.casefold(), text.casefold()
    folded_keyword = folded_keyword.replace("\u0307", "").replace("ı", "i").strip()
    folded_text = folded_text.replace("\u0307", "").replace("ı", "i")
    # a keyword that folds to nothing is found nowhere (it narrows, never widens, a slice)
    expected = folded_keyword and folded_keyword in folded_text and re.search(
        rf"\b{re.escape(folded_keyword)}\b", folded_text)
    assert SubscriptionFilter(keywords=[keyword]).matches(item) == bool(expected), (keyword, text)


def test_a_subscription_stored_before_the_bounds_still_loads():
    """The bounds hold for what a client submits; one saved before them is read back
    (publishing and the gateway keep working, the operator can replace or delete it)."""
    stored = Subscription.model_construct(name="old", filter=SubscriptionFilter.model_construct(
        keywords=[f"k{i}" for i in range(30)], people=["p" * 300]), outputs=Outputs.model_construct(
        topic=True, feeds=True, webhook=Webhook.model_construct(url="https://u:p@example.com/hook")))
    raw = stored.model_dump_json()
    with pytest.raises(ValidationError):
        Subscription.model_validate_json(raw)
    loaded = Subscription.model_validate_json(raw, context=STORED)
    assert len(loaded.filter.keywords) == 30 and loaded.outputs.webhook.url == "https://u:p@example.com/hook"


@pytest.mark.parametrize("name", ["conflict-en", "a", "sport_2"])
def test_good_names(name):
    assert Subscription(name=name).topic("t1.") == f"t1.published.{name}"


@pytest.mark.parametrize("name", ["", "Conflict", "has space", "dots.are.topics", "-lead", "x" * 64])
def test_bad_names(name):
    with pytest.raises(ValidationError):
        Subscription(name=name)


def test_webhook_needs_an_http_url_and_its_clear_secret_is_never_stored_or_shown():
    sub = Subscription(name="w", outputs={"webhook": {"url": "https://example.com/hook",
                                                      "secret": "the-clear-secret-value"}})
    assert "the-clear-secret-value" not in sub.model_dump_json()
    # the URL may hold the receiver's secret too: shown by its reference only
    assert sub.public()["outputs"]["webhook"] == {"url": url_reference("https://example.com/hook"),
                                                  "secret": "********"}
    with pytest.raises(ValidationError):
        Subscription(name="w", outputs={"webhook": {"url": "ftp://example.com/hook"}})
    with pytest.raises(ValidationError):
        Subscription(name="w", outputs={"webhook": {"url": "https://example.com/h", "secret": "short"}})
    for with_credentials in ("https://user:pass@example.com/hook", "https://token@example.com/hook"):
        with pytest.raises(ValidationError, match="credentials|pattern"):
            Subscription(name="w", outputs={"webhook": {"url": with_credentials}})


def test_a_types_filter_keeps_only_items_of_those_types():
    photos = SubscriptionFilter(types=["picture", "graphic"])
    assert photos.matches({"uri": "urn:x:1", "type": "picture"})
    assert not photos.matches({"uri": "urn:x:2", "type": "composite"})
    assert not photos.matches({"uri": "urn:x:3"})  # no type: a text item
    assert SubscriptionFilter(types=["text"]).matches({"uri": "urn:x:3"})


def test_a_misspelt_type_is_refused():
    with pytest.raises(ValidationError):
        SubscriptionFilter(types=["photo"])
