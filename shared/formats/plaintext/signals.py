"""Lines that carry metadata rather than story: date lines, bylines, e-mail lines,
photo captions with their credit, and generic page furniture (ad markers, share
prompts). Recognised by shape, in any site's wording of the same convention."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from shared.formats.bylines import split_byline
from shared.formats.sentences import ends_like_a_sentence

_MONTHS = "jan feb mar apr may jun jul aug sep oct nov dec".split()
_MONTH = r"(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DATES = (
    rf"{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})",  # Dec. 18, 2024
    rf"(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH},?\s+(?P<year>\d{{4}})",  # 18 December 2024
    r"(?P<year>\d{4})[-./](?P<num>\d{1,2})[-./](?P<day>\d{1,2})",  # 2024-12-18
)
_STAMP = r"(?:(?P<stamp>updated|last updated|published|posted|modified|date)\s*:?\s*)?"
_WEEKDAY = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
_TIME = r"(?:\s*(?:,|at|\||-|–)?\s*\d{1,2}[:.]\d{2}.{0,24})?"
_DATE_LINES = [re.compile(rf"^{_STAMP}{_WEEKDAY}{d}{_TIME}$", re.I) for d in _DATES]

_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_FURNITURE = [
    re.compile(r"^[\W_]*(?:story continues below )?(?:advertisement|advertising|sponsored(?: content)?|ad)[\W_]*$", re.I),
    re.compile(r"^(?:share(?: this| on| via|$)|follow us|follow (?:@|on )|click here|subscribe\b|sign up\b|"
               r"(?:get|download) (?:our|the) app|read more\b|email this|print this|copy link)", re.I),
    re.compile(r"^(?:facebook|twitter|x|linkedin|whatsapp|email|print)$", re.I),
    re.compile(r"^-?\d{1,3}(?:\.\d+)?\s*°?\s*[FC]$"),  # a weather widget's temperature
]
# An update stamp: the keyword, then at once a date or time ("Updated 10:32 a.m.",
# "Posted 2 hours ago", "Last updated 18/12/2024", "Posted on Oktober 27, 2015"), on a
# short line; "Published in 1925, the novel…" names no date.
_ANY_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_WHEN = "|".join((
    r"\d{1,2}[:.]\d{2}",  # a time
    r"\d{1,4}[-./]\d{1,2}[-./]\d{1,4}",  # a numeric date
    rf"\d{{1,2}}(?:st|nd|rd|th)?\s+{_ANY_MONTH}", rf"{_ANY_MONTH},?\s+\d{{1,4}}\b",
    r"[^\W\d_]{3,}\.?\s+\d{1,2},?\s+\d{4}\b", r"\d{1,2}\.?\s+[^\W\d_]{3,}\.?,?\s+\d{4}\b",  # any language's month
    r"(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\b", r"yesterday\b", r"today\b",
    r"(?:\d+|an?)\s*(?:[smhdw]|secs?|seconds?|mins?|minutes?|hrs?|hours?|days?|weeks?|months?)\s+ago\b",
))
_UPDATE_STAMP = re.compile(
    rf"^(?:updated|last updated|published|posted|modified)\b\s*[:\-–—|]?\s*(?:(?:on|at)\b\s*)?[:\-–—|]?\s*"
    rf"(?:{_WHEN}).{{0,60}}$", re.I)
_BY_LINE = re.compile(
    rf"^by[:\s]\s*(?P<name>[^\[\](),<>@|\d]+?)(?:\s*,\s*(?P<title>[^\[\](),<>@|\d.]{{1,40}}?))?"
    rf"(?:\s*[|,]?\s*[\[(<]?\s*(?P<email>{_EMAIL})\s*[\])>]?)?\s*$", re.I)
_NAME_TITLE = re.compile(
    r"^(?P<name>[^,@\d]{3,60}),\s*(?P<title>(?:[\w-]+\s+){0,2}"
    r"(?:reporter|writer|correspondent|editor|contributor|columnist|journalist)s?)\.?$", re.I)
_EMAIL_LINE = re.compile(rf"^[\[(<]?\s*(?P<email>{_EMAIL})\s*[\])>]?$")
_NAME_PARTICLES = {"de", "da", "del", "der", "van", "von", "la", "le", "bin", "al", "and"}
_CREDITS = [
    re.compile(r"^(?P<text>.*?)\s*\[(?P<credit>[^\[\]@]*[^\W\d_][^\[\]@]{0,80})\]$"),
    re.compile(r"^(?P<text>.*?)\s*\((?P<credit>(?:photos?|images?|pictures?|credit|courtesy|file)\b[^()]{0,80}|"
               r"[^()]{0,60}\b(?:photos?|images?|getty|reuters|ap|afp|epa|yonhap|xinhua|pool)\b[^()]{0,60})\)$", re.I),
    re.compile(r"^(?P<text>.*[.!?”\"’])\s+/\s*(?P<credit>[^/.]{2,60})$"),
]
_CREDIT_PREFIX = re.compile(r"^(?:photos?|images?|pictures?|credit)\s*(?:by\b|:)\s*", re.I)


@dataclass(frozen=True)
class Byline:
    authors: list[str]
    email: str | None
    agencies: tuple[str, ...] = ()  # the agencies the byline or its title names ("By Jane Doe, Reuters")


def is_furniture(line: str) -> bool:
    """A line with no letters, an ad marker, a share/follow prompt, an update stamp
    or a weather reading: never story text, on any site."""
    if not any(c.isalpha() for c in line) or any(p.search(line) for p in _FURNITURE):
        return True
    sentence = len(line.split()) >= 6 and ends_like_a_sentence(line)  # "Published in 1925, the novel…"
    return _UPDATE_STAMP.search(line) is not None and not sentence


def date_line(line: str) -> str | None:
    """RFC 3339 midnight of a date line's date; "" for a date line that sets no
    creation date (an update stamp, an impossible date); None for any other line."""
    for pattern in _DATE_LINES:
        if m := pattern.match(line):
            groups = m.groupdict()
            try:  # re.I lets look-alikes such as "ſ" match "s", so the month may be unknown
                month = int(groups["num"]) if groups.get("num") else _MONTHS.index(groups["mon"].lower()[:3]) + 1
                day = date(int(groups["year"]), month, int(groups["day"]))
            except ValueError:
                return ""
            stamp = (groups["stamp"] or "").lower()
            return "" if "updated" in stamp or stamp == "modified" else f"{day.isoformat()}T00:00:00Z"
    return None


def byline(line: str) -> Byline | None:
    """Authors, agencies and e-mail of a byline such as "By Jane Doe, Staff Writer
    [jd@x.com]" (names split and agencies told from people as every format's are, by
    :func:`~shared.formats.bylines.split_byline`; names in capitals in title case), or
    of an e-mail line alone (no authors); None when the line is not one."""
    if len(line) > 200:  # a byline is short; the cap also keeps the patterns linear
        return None
    if m := _EMAIL_LINE.match(line):
        return Byline([], m["email"])
    m = _BY_LINE.match(line) or _NAME_TITLE.match(line)
    if not m or not _is_name(m["name"]):
        return None
    said = split_byline(m["name"]).title_cased()
    titled = split_byline(title).affiliations if (title := m.groupdict().get("title")) else ()
    return Byline(list(said.names), m.groupdict().get("email"), tuple(dict.fromkeys(said.affiliations + titled)))


def _is_name(text: str) -> bool:
    words = text.split()
    return 1 <= len(words) <= 8 and all(
        (w[0].isupper() or w.lower() in _NAME_PARTICLES) and re.fullmatch(r"[^\W\d_][\w.'’&-]*|&", w)
        for w in words
    )


def caption(line: str) -> tuple[str, str] | None:
    """(caption, credit) of a photo caption that ends with its credit in brackets,
    parentheses or after a slash; None for any other line."""
    if not (line.rstrip("\n").endswith(("]", ")")) or "/" in line):
        return None  # what every pattern needs, checked before their backtracking over the line
    for pattern in _CREDITS:
        if m := pattern.match(line):
            credit = _CREDIT_PREFIX.sub("", m["credit"].strip()).strip()
            if credit:
                return m["text"].strip(), credit
    return None
