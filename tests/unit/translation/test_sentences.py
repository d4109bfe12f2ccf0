"""Sentences of a text unit: where one ends (abbreviations, initials, decimals,
quotes, scripts without spaces), how translations are joined again, and when an
engine's output is too short to be a whole translation."""
from __future__ import annotations

import pytest

from services.translation.sentences import finer_pieces, implausibly_short, join_sentences, split_sentences


@pytest.mark.parametrize("text, expected", [
    ("Dr. Smith met Gen. Lee at 3 p.m. in Washington, D.C. on Jan. 5. He left.",
     ["Dr. Smith met Gen. Lee at 3 p.m. in Washington, D.C. on Jan. 5.", "He left."]),
    ("The U.S. economy grew 5.5% in the year to March. Growth slowed.",
     ["The U.S. economy grew 5.5% in the year to March.", "Growth slowed."]),
    ("J. R. R. Tolkien wrote it in 1954. Others read it.", ["J. R. R. Tolkien wrote it in 1954.", "Others read it."]),
    ("Mr. and Mrs. Smith of St. Louis climbed Mt. Everest. See Fig. 3 and No. 4. It was cold.",
     ["Mr. and Mrs. Smith of St. Louis climbed Mt. Everest.", "See Fig. 3 and No. 4.", "It was cold."]),
    ('"We will not resign," she said. "Never." He agreed.',
     ['"We will not resign," she said.', '"Never."', "He agreed."]),
    ("“It is over.” Then he left. ‘Done.’ So was she.", ["“It is over.”", "Then he left.", "‘Done.’", "So was she."]),
    ("O prof. Carlos e a Sra. Silva chegaram. Saíram às 5 Mio. Euro.",
     ["O prof. Carlos e a Sra. Silva chegaram.", "Saíram às 5 Mio. Euro."]),
    ('He asked: "Why?" and left. Was it over? Yes! It was.',
     ['He asked: "Why?" and left.', "Was it over?", "Yes!", "It was."]),
    ("Prices rose (after the strike.) Fans left. Wait... what? Then it ended.",
     ["Prices rose (after the strike.)", "Fans left.", "Wait... what?", "Then it ended."]),
    ("1. Revenue rose 5% in 2024. 2025 looks weaker.", ["1. Revenue rose 5% in 2024.", "2025 looks weaker."]),
    ("这是第一句。这是第二句！第三句？", ["这是第一句。", "这是第二句！", "第三句？"]),
    ("「終わりです。」と述べた。次の文。", ["「終わりです。」と述べた。", "次の文。"]),
    ("यह पहला वाक्य है। यह दूसरा है।", ["यह पहला वाक्य है।", "यह दूसरा है।"]),
    ("هل انتهى؟ نعم.", ["هل انتهى؟", "نعم."]),
    ("북한이 파병했다. 러시아가 환영했다.", ["북한이 파병했다.", "러시아가 환영했다."]),
    ("A headline without a full stop", ["A headline without a full stop"]),
])
def test_sentences_end_at_their_marks_and_not_after_abbreviations_initials_or_decimals(text, expected):
    assert split_sentences(text) == expected


def test_a_run_of_marks_ends_one_sentence():
    assert split_sentences('He shouted "Stop!!!" Then he ran... Away?! No.') == [
        'He shouted "Stop!!!"', "Then he ran...", "Away?!", "No."]
    assert split_sentences("他走了。。。她来了！！」他说。") == ["他走了。。。", "她来了！！」他说。"]


# A provider's text sized so that judging each boundary from the start of its sentence, or
# retrying a run of marks from each of its marks, takes minutes (quadratic: 28 s for 40,000
# full stops): read once, each takes milliseconds. No time is asserted; a regression shows
# as a test that runs into pytest's timeout.
@pytest.mark.parametrize("text, keep, expected", [
    ("Rates rose" + "!" * 200_000 + "x. Then they fell.", (),
     ["Rates rose" + "!" * 200_000 + "x.", "Then they fell."]),
    ("字" + "。" * 200_000 + "」と述べた。次の文。", (), ["字" + "。" * 200_000 + "」と述べた。", "次の文。"]),
    ("Mr. A " * 60_000 + "left.", (), ["Mr. A " * 60_000 + "left."]),
    ("1. " * 70_000, (), ["1. " * 69_999 + "1."]),
    ("Yahoo! Japan rose. " * 40_000, ("Yahoo! Japan",), ["Yahoo! Japan rose."] * 40_000),
], ids=["marks-without-space", "full-width-marks-before-a-closer", "titles", "numbers", "protected-names"])
def test_a_hostile_text_is_split_in_one_pass(text, keep, expected):
    assert split_sentences(text, keep) == expected


def test_a_hostile_segment_is_cut_in_one_pass():
    text = "a" + "." * 200_000 + "b"
    assert finer_pieces(text) == [text]


def test_a_protected_name_is_never_split():
    text = "Shares of Yahoo! Japan rose. Others fell."
    assert split_sentences(text) == ["Shares of Yahoo!", "Japan rose.", "Others fell."]
    assert split_sentences(text, keep=["Yahoo! Japan"]) == ["Shares of Yahoo! Japan rose.", "Others fell."]


def test_translations_are_joined_with_a_space_except_after_chinese_or_japanese():
    assert join_sentences(["Choveu.", "Os rios subiram."]) == "Choveu. Os rios subiram."
    assert join_sentences(["下雨了。", "河水上涨。"]) == "下雨了。河水上涨。"
    assert join_sentences(["비가 왔다.", "강이 불었다."]) == "비가 왔다. 강이 불었다."


@pytest.mark.parametrize("source, output, short", [
    ("Markets in Europe fell sharply after the announcement.", "", True),
    ("The central bank raised rates. Inflation stayed above target. Markets in Europe fell sharply.",
     "O banco central elevou as taxas.", True),
    ("Markets in Europe fell sharply after the announcement.", "Os mercados da Europa caíram acentuadamente.", False),
    ("The markets in Europe fell sharply on Tuesday.", "欧洲市场周二大幅下跌。", False),  # characters weigh more
    ("Yes.", "Sim.", False),
    ("United States.", "EUA.", False),  # too short to judge
    ("---", "", False),
])
def test_an_output_far_shorter_than_its_source_is_implausible(source, output, short):
    assert implausibly_short(source, output) is short


def test_a_segment_is_retried_in_sentences_whatever_the_abbreviations_then_in_clauses():
    assert finer_pieces("They moved to the U.S. The next day it rained.") == [
        "They moved to the U.S.", "The next day it rained."]
    assert finer_pieces("The minister said no; the unions said yes; nobody moved.") == [
        "The minister said no;", "the unions said yes;", "nobody moved."]
    assert finer_pieces("One sentence, one clause.") == ["One sentence, one clause."]


def test_a_line_of_many_sentences_is_joined_in_one_pass():
    """The space between two sentences was decided by searching the whole line built so
    far: a line of 5 MiB of short sentences took hours (108 KB: 4.5 s)."""
    sentences = [f"Ab cd{i}." for i in range(100_000)]
    assert join_sentences(sentences) == " ".join(sentences)
    assert join_sentences(["東京に行った。", "", " Then home. ", "帰った。", "Done."]) == "東京に行った。Then home. 帰った。Done."


def test_names_holding_marks_keep_their_cuts_out_however_they_overlap():
    keep = ["J. R. Smith", "R. Smith Ltd. Co", "A. Jones"]
    text = "They met J. R. Smith Ltd. Co at noon. A. Jones was late. Then they left."
    assert split_sentences(text, keep) == ["They met J. R. Smith Ltd. Co at noon.", "A. Jones was late.",
                                           "Then they left."]
