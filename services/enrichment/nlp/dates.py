"""Dates an article mentions, normalised against the article's own date.

"December 18" in a story dated 2024-12-18 is 2024-12-18; "November 29" is the
past one (2024-11-29); "January" in December is next January (2025-01): without a
year, the reading nearest the article date wins, a past one counting half as far
as a future one (news mostly reports what happened). Weekdays are the last such
day on or before the article date ("next Monday": the one after). Also ISO dates,
"today/yesterday/tomorrow", "last/this/next week|month|year", "in 2023", and the
Korean forms "2024년 12월 18일", "12월 18일". A four-digit number after a cue ("of",
"by", "in"…) is no year when a plural or counted noun follows it inside a clause
("a crowd of 2000 people", "won by 1999 votes"); opening a clause it still is
("In 2023 sales rose", "but since 2020 prices have doubled").
"""
from __future__ import annotations

import bisect

import re
from dataclasses import dataclass
from datetime import date, timedelta

from services.enrichment.nlp.text import STOPWORDS

MONTHS = {m: i + 1 for i, m in enumerate(
    "january february march april may june july august september october november december".split())}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())} | {"sept": 9})
WEEKDAYS = {d: i for i, d in enumerate("monday tuesday wednesday thursday friday saturday sunday".split())}
_MONTH = r"(?P<month>January|February|March|April|May|June|July|August|September|October|November|December|" \
         r"Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?)"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_PATTERNS = [
    ("iso", re.compile(r"\b(?P<y>(?:19|20)\d\d)-(?P<m>\d\d)-(?P<d>\d\d)\b")),
    ("month_day", re.compile(_MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+" + _YEAR + r"\b)?")),
    ("day_month", re.compile(r"\b(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r"\b(?:,?\s+" + _YEAR + r"\b)?")),
    ("month_year", re.compile(_MONTH + r"\s+(?:of\s+)?" + _YEAR + r"\b")),
    ("month", re.compile(r"\b(?P<month>January|February|March|April|June|July|August|September|October|November|"
                         r"December)\b")),
    ("weekday", re.compile(r"\b(?:(?P<rel>next|last|this)\s+)?(?P<weekday>Monday|Tuesday|Wednesday|Thursday|Friday|"
                           r"Saturday|Sunday)\b")),
    ("relative_day", re.compile(r"\b(?P<word>today|yesterday|tomorrow)\b", re.I)),
    ("relative_span", re.compile(r"\b(?P<rel>last|this|next)\s+(?P<unit>week|month|year)\b", re.I)),
    ("year", re.compile(r"\b(?i:mid-|(?:in|since|by|until|of|from|before|after|during|early|late|mid)\s+)" + _YEAR + r"\b")),
    ("ko_date", re.compile(r"(?:(?P<year>(?:19|20)\d\d)년\s*)?(?P<m>\d{1,2})월\s*(?P<d>\d{1,2})일")),
]
# Nouns a count takes that are no regular plural: irregular plurals and units.
COUNTED = frozenset("""people men women children police staff personnel cattle livestock feet
km kg mm cm ft lb lbs mph kph mw kw gw mwh gwh""".split())
_NEXT_WORD = re.compile(r"\s+(?P<word>[a-z]+)\b")
_LAST_WORD = re.compile(r"\w+$")
_CLAUSE_PUNCT = frozenset(".!?;:,([“\"—–")
_TIME_CUES = frozenset(("mid", "early", "late"))  # "mid-2019 models": never a count
_CLAUSE_OPENERS = frozenset("and but or so yet that while whereas when as because where which".split())


@dataclass
class DateMention:
    text: str
    start: int
    end: int
    value: str  # ISO 8601: 2024-12-18, 2025-01, 2024, 2024-W51
    granularity: str  # day, week, month, year


def _nearest_year(article: date, month: int, day: int | None) -> int:
    def cost(year: int) -> float:
        try:
            when = date(year, month, day or 15)
        except ValueError:
            return float("inf")
        delta = (when - article).days
        return -delta / 2 if delta < 0 else delta

    return min((article.year - 1, article.year, article.year + 1), key=cost)


def _resolve(kind: str, m: re.Match, article: date) -> tuple[str, str] | None:
    g = m.groupdict()
    month = MONTHS.get((g.get("month") or "").rstrip(".").casefold())
    if kind in ("iso", "ko_date"):
        year = int(g.get("y") or g.get("year") or 0) or _nearest_year(article, int(g["m"]), int(g["d"]))
        day = date(year, int(g["m"]), int(g["d"]))
        return day.isoformat(), "day"
    if kind in ("month_day", "day_month"):
        day_of = int(g["day"])
        year = int(g["year"]) if g.get("year") else _nearest_year(article, month, day_of)
        return date(year, month, day_of).isoformat(), "day"
    if kind in ("month_year", "month"):
        year = int(g["year"]) if g.get("year") else _nearest_year(article, month, None)
        return f"{year:04d}-{month:02d}", "month"
    if kind == "weekday":
        back = (article.weekday() - WEEKDAYS[g["weekday"].casefold()]) % 7
        when = article - timedelta(days=back)
        if g.get("rel") == "next":
            when += timedelta(days=7 if back == 0 else 7)
        elif g.get("rel") == "last" and back == 0:
            when -= timedelta(days=7)
        return when.isoformat(), "day"
    if kind == "relative_day":
        shift = {"today": 0, "yesterday": -1, "tomorrow": 1}[g["word"].casefold()]
        return (article + timedelta(days=shift)).isoformat(), "day"
    if kind == "relative_span":
        step = {"last": -1, "this": 0, "next": 1}[g["rel"].casefold()]
        unit = g["unit"].casefold()
        if unit == "week":
            year, week, _ = (article + timedelta(weeks=step)).isocalendar()
            return f"{year}-W{week:02d}", "week"
        if unit == "month":
            index = article.year * 12 + article.month - 1 + step
            return f"{index // 12:04d}-{index % 12 + 1:02d}", "month"
        return f"{article.year + step:04d}", "year"
    if kind == "year":
        return g["year"], "year"
    return None


def _is_count(text: str, m: re.Match) -> bool:
    """Whether the number of a cued "year" match counts things: a plural or counted
    noun follows it, and its cue does not open a clause."""
    following = _NEXT_WORD.match(text, m.end())
    word = following.group("word") if following else ""
    plural = len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is"))
    cue = m.group(0)[:m.start("year") - m.start()].rstrip(" -")
    if not (word in COUNTED or plural) or word in STOPWORDS or cue[:1].isupper() or cue in _TIME_CUES:
        return False
    before = text[max(0, m.start() - 40):m.start()].rstrip()
    if not before or before[-1] in _CLAUSE_PUNCT:
        return False
    last = _LAST_WORD.search(before)
    return not (last and last.group(0).casefold() in _CLAUSE_OPENERS)


def read_dates(text: str, article: date) -> list[DateMention]:
    """Every date mention of ``text`` in order, normalised against ``article``
    (the article's date). Impossible dates ("February 30") are skipped."""
    # the spans taken so far, disjoint, sorted: a new one is checked against its two
    # neighbours (bisect), not against all of them (a text of thousands of dates)
    starts: list[int] = []
    ends: list[int] = []
    found: list[DateMention] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            start = m.start("year") if kind == "year" else m.start()
            at = bisect.bisect_right(starts, start)
            if (at > 0 and ends[at - 1] > start) or (at < len(starts) and starts[at] < m.end()) \
                    or (kind == "year" and _is_count(text, m)):
                continue
            starts.insert(at, start)  # an impossible "February 30" is not "February" either
            ends.insert(at, m.end())
            try:
                resolved = _resolve(kind, m, article)
            except (ValueError, KeyError, TypeError, OverflowError):  # overflow: "tomorrow" of 9999-12-31
                continue
            if resolved is not None:
                found.append(DateMention(text[start:m.end()], start, m.end(), *resolved))
    return sorted(found, key=lambda d: d.start)
