"""Dates mentioned, normalised against the article's date."""
from __future__ import annotations

from datetime import date

from services.enrichment.nlp.dates import read_dates

ARTICLE_DAY = date(2024, 12, 18)  # a Wednesday


def values(text: str, day: date = ARTICLE_DAY) -> list[tuple[str, str, str]]:
    return [(d.text, d.value, d.granularity) for d in read_dates(text, day)]


def test_days_without_a_year_take_the_nearest_sensible_year():
    assert values("On November 29 and on 3 January, and on December 18, 2023.") == [
        ("November 29", "2024-11-29", "day"),
        ("3 January", "2025-01-03", "day"),
        ("December 18, 2023", "2023-12-18", "day"),
    ]


def test_months_weekdays_and_relative_words():
    assert values("In October the plan failed; on Tuesday, yesterday and next Monday officials met. "
                  "Last week was calm, next month will not be.") == [
        ("October", "2024-10", "month"),
        ("Tuesday", "2024-12-17", "day"),
        ("yesterday", "2024-12-17", "day"),
        ("next Monday", "2024-12-23", "day"),
        ("Last week", "2024-W50", "week"),
        ("next month", "2025-01", "month"),
    ]


def test_years_iso_and_korean_dates():
    assert values("Since 2019 and in mid-2021; the 2024-06-01 report; 2024년 12월 18일과 11월 29일.") == [
        ("2019", "2019", "year"), ("2021", "2021", "year"), ("2024-06-01", "2024-06-01", "day"),
        ("2024년 12월 18일", "2024-12-18", "day"), ("11월 29일", "2024-11-29", "day"),
    ]


def test_impossible_dates_and_the_modal_may_are_ignored():
    assert values("Prices may rise by February 30 or in 1850.") == []


def test_a_month_ahead_beats_the_same_month_long_past():
    # "the coldest months of January and February approaching", written in December
    assert values("January and February") == [("January", "2025-01", "month"), ("February", "2025-02", "month")]


def test_a_number_that_counts_things_is_no_year():
    assert values("A crowd of 2000 people marched and the bill passed by 1999 votes.") == []
    assert values("In 2000 prices fell, but since 1998 profits have doubled; the mid-2019 models sold well.") == [
        ("2000", "2000", "year"), ("1998", "1998", "year"), ("2019", "2019", "year"),
    ]
