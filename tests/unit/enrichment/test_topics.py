"""IPTC media topics from the lexicon: the right top-level topic per kind of news."""
from __future__ import annotations

import pytest

from services.enrichment.nlp.topics import MEDIATOPIC, classify, lexicon
from tests.unit.enrichment.samples import TOPICS


@pytest.mark.parametrize("code", sorted(TOPICS))
def test_the_top_topic_is_right(code):
    headline, body = TOPICS[code]
    topics = classify(headline, body)
    assert topics[0].code == code
    assert topics[0].uri == MEDIATOPIC + code
    assert topics[0].relevance == 100 and 0 < topics[0].confidence <= 100
    assert topics[0].evidence  # the terms that fired are kept for explanation


def test_text_without_topic_words_gets_no_subject():
    assert classify("Notice", "The item number 42 is listed below with the others.") == []


def test_every_top_level_topic_has_a_lexicon():
    assert len(lexicon()) == 17
    assert all(terms for _, terms in lexicon().values())
