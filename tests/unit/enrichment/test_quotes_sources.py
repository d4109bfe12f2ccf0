"""Quotes with their speakers, and cited sources, in the usual wire forms."""
from __future__ import annotations

from tests.unit.enrichment.samples import NAMES, QUOTES
from tests.unit.enrichment.test_entities import read


def test_speaker_after_before_and_by_pronoun():
    quotes = [(q.speaker.name if q.speaker else None, q.speaker.kind if q.speaker else None, q.via, q.text[:20])
              for q in read(QUOTES).quotes]
    assert quotes == [
        ("Maria Lopez", "person", None, "This is the best qua"),  # “…,” said chief executive Maria Lopez
        ("Maria Lopez", "person", "she", "We will open three n"),  # “…,” she said
        ("spokesperson for the union", "unnamed", None, "Workers deserve a fa"),  # X said: “…”
        ("one shopper", "unnamed", None, "It is a scary time,"),
    ]


def test_a_quote_attributed_with_told():
    quote = read(NAMES).quotes[0]
    assert quote.speaker.name == "Keir Starmer" and quote.text.startswith("We stand together")


def test_short_quotation_marks_are_not_quotes():
    assert read("The so-called \u201celite\u201d units moved north, officials said.").quotes == []


def test_sources_by_cue():
    found = read(NAMES + " The Guardian reported that talks would resume. Reuters said nothing new. "
                 "Officials told CNN the plan was dead, and they told the Ministry of Health nothing.")
    cues = {s.name: s.cue for s in found.sources}
    assert cues == {"New York Times": "according to", "Yonhap News Agency": "reported by",
                    "Guardian": "reported", "CNN": "told"}  # Reuters only "said"; a ministry is no outlet


def test_a_channel_of_a_person_is_a_source():
    found = read("Mayor Anna Berg posted the plan on Anna Berg\u2019s website on Friday, and the city "
                 "confirmed it.")
    assert [s.name for s in found.sources] == ["Anna Berg\u2019s website"]
    assert found.sources[0].entity.name == "Anna Berg"


def test_british_single_quotes_and_apostrophes_inside_them():
    quotes = read("\u2018We don\u2019t have enough beds for the workers\u2019 families who need one,\u2019 said "
                  "Dr Sarah Jones. It felt like the \u201890s again.").quotes
    assert [(q.text, q.speaker.name) for q in quotes] == [
        ("We don\u2019t have enough beds for the workers\u2019 families who need one,", "Sarah Jones")]


def test_an_inch_mark_after_a_digit_is_no_quotation_mark():
    quotes = read('Shops sold a 65" screen for less than $500 this week. "Prices will keep falling all year," '
                  'said analyst Tom Reed. "The 55" model sold out in a single day," he added.').quotes
    assert [(q.text, q.speaker.name) for q in quotes] == [
        ("Prices will keep falling all year,", "Tom Reed"), ('The 55" model sold out in a single day,', "Tom Reed")]


def test_according_to_names_the_speaker_after_or_before_the_quote():
    quotes = read("Mortgage rates rose again on Tuesday. "
                  "\u201cThe economy is weaker than the bank thinks it is,\u201d according to Paul Dales, an "
                  "economist at Capital Economics. "
                  "According to Maria Lopez, the chief executive of Northwind, \u201cprices will keep rising "
                  "for another year.\u201d "
                  "\u201cWe have not seen a winter like this one,\u201d according to her. "
                  "\"The rules were broken more than once,\" according to officials familiar with the plan. "
                  "\u201cNobody should have to wait that long for a bed,\u201d in the words of Tom Reed.").quotes
    assert [(q.speaker.name if q.speaker else None, q.speaker.kind if q.speaker else None, q.via) for q in quotes] == [
        ("Paul Dales", "person", None), ("Maria Lopez", "person", None), ("Maria Lopez", "person", "her"),
        ("officials familiar with the plan", "unnamed", None), ("Tom Reed", "person", None)]


def test_a_speech_verb_next_to_the_quote_wins_over_an_earlier_according_to():
    quotes = read("According to the report, prices rose, and Tom Reed said: \u201cNobody saw this "
                  "coming at all.\u201d").quotes
    assert [q.speaker.name for q in quotes] == ["Tom Reed"]
