"""IPTC Media Topics of the second level, from the shipped IPTC vocabulary."""
from __future__ import annotations

from importlib import resources

from services.enrichment.nlp.evaluate_topics import gold_codes, labelled_pages
from services.enrichment.nlp.subtopics import label_terms, subtopics, vocabulary
from services.enrichment.nlp.text import stem
from services.enrichment.nlp.topics import MEDIATOPIC, classify
from tests.unit.enrichment.samples import TOPICS


def test_vocabulary_has_the_iptc_levels_one_and_two() -> None:
    topics = vocabulary()["topics"]
    tops = {code for code, t in topics.items() if t["level"] == 1}
    assert len(tops) == 17 and "11000000" in tops and topics["11000000"]["name"] == "politics and government"
    seconds = {code: t for code, t in topics.items() if t["level"] == 2}
    assert len(seconds) > 100
    assert all(len(code) == 8 and code.isdigit() for code in topics)
    assert all(t["parent"] in tops for t in seconds.values())
    assert seconds["20000593"]["name"] == "government" and seconds["20000593"]["parent"] == "11000000"


def test_vocabulary_ships_with_its_source_and_licence() -> None:
    source = resources.files("services.enrichment.nlp").joinpath("data", "mediatopic-vocabulary.SOURCE.md").read_text()
    assert "CC BY 4.0" in source and "IPTC" in source


def test_iptc_subject_codes_map_to_media_topics() -> None:
    # IPTC's own mapping: Subject Code 11006000 "government" is Media Topic 20000593
    assert vocabulary()["subjectcodes"]["11006000"] == "20000593"
    assert gold_codes([{"uri": "http://cv.iptc.org/newscodes/subjectcode/11006000"}]) == ({"11000000"}, {"20000593"})


def test_a_deeper_code_counts_for_its_level_two_ancestor() -> None:
    deeper = next(code for code, owner in vocabulary()["deeper"].items() if owner == "20000593")
    assert gold_codes([{"uri": MEDIATOPIC + deeper}]) == ({"11000000"}, {"20000593"})


def test_label_terms_split_and_drop_qualifiers() -> None:
    assert label_terms("espionage and intelligence") == [(stem("espionage"),), (stem("intelligence"),)]
    assert label_terms("constitution (law)") == [(stem("constitution"),)]
    assert label_terms("head of state") == [(stem("head"), stem("state"))]  # stopwords out, as in articles


def test_every_level_two_topic_has_a_lexicon() -> None:
    assert all(sub.terms for subs in subtopics().values() for sub in subs)


def test_level_two_follows_its_parent_and_never_outranks_it() -> None:
    headline, body = TOPICS["11000000"]
    found = classify(headline, body)
    assert found[0].code == "11000000" and found[0].level == 1
    [election] = [t for t in found if t.level == 2]
    assert election.code == "20000574" and election.name == "election" and election.parent == "11000000"
    assert election.uri == MEDIATOPIC + "20000574"
    assert 0 < election.confidence <= found[0].confidence and election.relevance <= found[0].relevance
    assert election.evidence


def test_each_level_two_topic_sits_under_the_topic_before_it() -> None:
    for headline, body in TOPICS.values():
        found = classify(headline, body)
        for before, topic in zip(found, found[1:]):
            if topic.level == 2:
                assert topic.parent == before.code and before.level == 1


def test_pages_are_labelled_by_their_site_section() -> None:
    truth = {"a": {"url": "https://example.com/sports/nfl/some-story", "articleBody": "x"},
             "b": {"url": "https://example.com/2019/11/some-story", "articleBody": "x"}}
    assert labelled_pages(truth) == [("", "x", {"15000000"}, set())]
