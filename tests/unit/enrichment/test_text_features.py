"""Keywords, the extractive summary, word count and reading time."""
from __future__ import annotations

from services.enrichment.nlp.keywords import read_keywords
from services.enrichment.nlp.summary import summarise
from services.enrichment.nlp.text import reading_time_seconds, stem, word_count


def test_keywords_are_repeated_common_noun_phrases_not_names():
    text = ("Flood defences failed in Riverton. The flood defences were old, officials said. "
            "Residents asked why flood defences in Riverton were never repaired. The river rose again.")
    keywords = [k.text for k in read_keywords(text)]
    assert keywords[0] == "flood defences"
    assert "riverton" not in keywords and "Riverton" not in keywords
    assert all(k.count >= 2 for k in read_keywords(text))


def test_summary_takes_lead_sentences_in_order_and_skips_quotes_and_questions():
    sentences = [
        "The city council approved a new budget for schools and hospitals on Monday.",
        "\u201cThis is a great day for every family in the city,\u201d the mayor said.",
        "Is the budget enough?",
        "The budget adds money for schools, teachers and hospital staff across the city.",
        "Opposition members voted against it.",
    ]
    chosen = summarise(sentences)
    assert chosen[0] == sentences[0] and len(chosen) == 2
    assert sentences[1] not in chosen and sentences[2] not in chosen


def test_counts_and_stems():
    assert word_count("North Korea’s troops — 11th Corps — moved on Dec. 18.") == 9
    assert reading_time_seconds(238) == 60 and reading_time_seconds(1) == 5
    assert stem("troops") == stem("troop") and stem("casualties") == "casualty"


def test_chinese_and_japanese_count_a_word_per_character():
    assert word_count("東京都は新しい計画を発表した。") == 14
    assert word_count("国务院18日召开会议") == 9
    assert word_count("북한이 러시아에 파병했다") == 3  # Korean is written with spaces


def test_summary_of_sentences_written_without_spaces():
    sentences = [
        "政府は18日の臨時閣議で、一般会計の総額が過去最大となる115兆円余りの来年度予算案を決定し、防衛費や少子化対策の費用が大きく膨らみました。",
        "本当に必要な予算なのでしょうか？",
        "財務大臣は記者会見で、財政の健全化も同時に進めていくと述べました。",
    ]
    assert summarise(sentences) == [sentences[0], sentences[2]]


def test_a_number_with_separators_is_one_word():
    assert word_count("Emerging market stocks rose 0.48% to 1,052 points.") == 8
