"""Plain text scraped from a news web page, read into one ninjs-shaped :class:`Article`.

Scraped text carries the page around the story: weather widgets, the page's date
line, advertisement markers, share prompts. The rules below recognise that
furniture by shape, not by site, so a new site needs no code of its own. Each line
is one paragraph (scrapers emit one line per block element).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from shared.errors import ParseError
from shared.events import Article, TextBlock
from shared.formats.base import ParsedItem

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
    re.compile(r"^(?:updated|last updated|published|posted|modified)\b.{0,50}\d.{0,20}$", re.I),
]
_WEATHER = re.compile(r"^-?\d{1,3}(?:\.\d+)?\s*°?\s*[FC]$")
_CITY = re.compile(r"^[^\W\d_][\w.'’-]*(?:\s+[\w.'’-]+){0,3}$")
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
_INVISIBLE = str.maketrans("", "", "\u200b\u200c\u200d\u2060\ufeff")


@dataclass
class _Page:
    """What one pass over the lines found, before the story is assembled."""

    content: list[tuple[int, str]] = field(default_factory=list)
    captions: list[tuple[str, str]] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    email: str | None = None
    created: str | None = None


def parse_plaintext(text: str, *, provider: str) -> Article:
    """Read plain text scraped from one news page into a canonical ninjs ``Article``.

    In: the page text (one paragraph a line; blank and whitespace-only lines ignored)
    and the provider's name, used for the stable ``urn:wirestream:{provider}:{hash}`` uri.
    Out: headline, deck (``descriptions`` role "deck"), one plain-text body, byline and
    author (``by``, ``people``), photo captions as ``associations``, and
    ``contentCreated`` from the page's date line. Page furniture is dropped.
    Raises :class:`ParseError` (``where`` = "line N" or "provider") when the text is
    empty, holds only furniture, its first story line is too long for a headline, no
    body follows the headline, or the provider name is blank; never anything else.
    """
    text = re.sub("[\ud800-\udfff]", "\ufffd", text)  # lone surrogates cannot be encoded
    slug = re.sub(r"\s+", "-", provider.strip().lower())
    if not slug:
        raise ParseError("provider name is empty", where="provider")
    if not text.strip():
        raise ParseError("plain-text article is empty", where="line 1")
    page = _read_lines(text)
    if not page.content:
        raise ParseError("no headline: every line is page furniture", where=f"line {len(text.splitlines())}")
    (head_no, headline), rest = page.content[0], [p for _, p in page.content[1:]]
    if len(headline) > 300:
        raise ParseError(f"no headline: first story line is {len(headline)} characters long", where=f"line {head_no}")
    deck = rest.pop(0) if _is_deck(rest) else None
    if not rest:
        raise ParseError("no body paragraphs after the headline", where=f"line {head_no}")

    uri = f"urn:wirestream:{slug}:{_digest(slug, headline, rest[0])}"
    return Article(
        uri=uri,
        type="text",
        contentCreated=page.created,
        by=" and ".join(page.authors) or None,
        headlines=[TextBlock(role="main", value=headline)],
        descriptions=[TextBlock(role="deck", contentType="text/plain", value=deck)] if deck else [],
        bodies=[TextBlock(role="main", contentType="text/plain", value="\n\n".join(rest))],
        people=_people(page.authors, page.email),
        associations=[_photo(uri, n, caption, credit) for n, (caption, credit) in enumerate(page.captions, 1)],
    )


def _read_lines(text: str) -> _Page:
    page = _Page()
    after_weather = False
    for number, raw in enumerate(text.splitlines(), 1):
        line = " ".join(raw.translate(_INVISIBLE).split())
        if not line:
            continue
        widget_city = after_weather and len(line) <= 40 and _CITY.match(line) and line[0].isupper()
        after_weather = bool(_WEATHER.match(line))
        if after_weather or widget_city:
            continue
        if (found := _date_line(line)) is not None:
            page.created = page.created or found or None
        elif not any(c.isalpha() for c in line) or any(p.search(line) for p in _FURNITURE):
            continue
        elif not _take_byline(line, page) and not _take_caption(line, page):
            page.content.append((number, line))
    return page


def _date_line(line: str) -> str | None:
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


def _take_byline(line: str, page: _Page) -> bool:
    if len(line) > 200:  # a byline is short; the cap also keeps the patterns linear
        return False
    if m := _EMAIL_LINE.match(line):
        page.email = page.email or m["email"]
        return True
    m = _BY_LINE.match(line) or _NAME_TITLE.match(line)
    if not m or not _is_name(m["name"]):
        return False
    name = m["name"].title() if m["name"].isupper() else m["name"]
    if not page.authors:
        page.authors = [n for n in re.split(r"\s+(?:and|&)\s+", name, flags=re.I) if n]
    if m.groupdict().get("email"):
        page.email = page.email or m["email"]
    return True


def _is_name(text: str) -> bool:
    words = text.split()
    return 1 <= len(words) <= 8 and all(
        (w[0].isupper() or w.lower() in _NAME_PARTICLES) and re.fullmatch(r"[^\W\d_][\w.'’&-]*|&", w)
        for w in words
    )


def _take_caption(line: str, page: _Page) -> bool:
    for pattern in _CREDITS:
        if m := pattern.match(line):
            credit = _CREDIT_PREFIX.sub("", m["credit"].strip()).strip()
            if credit:
                page.captions.append((m["text"].strip(), credit))
                return True
    return False


def _is_deck(rest: list[str]) -> bool:
    """A standfirst: a short line without a final period, shorter than the body."""
    if len(rest) < 2:
        return False
    first = rest[0]
    return len(first) <= 250 and not first.endswith((".", "…")) and len(first) < max(len(p) for p in rest[1:])


def _digest(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:32]


def _people(authors: list[str], email: str | None) -> list[dict[str, Any]]:
    people: list[dict[str, Any]] = [{"name": name, "rel": "author"} for name in authors]
    if people and email:
        people[0]["contactInfo"] = [{"type": "email", "role": "work", "value": email}]
    return people


def _photo(article_uri: str, number: int, caption: str, credit: str) -> dict[str, Any]:
    photo: dict[str, Any] = {"name": f"photo-{number}", "rel": "photo", "type": "picture",
                             "uri": f"{article_uri}#photo-{number}", "by": credit}
    if caption:
        photo["descriptions"] = [{"role": "caption", "contentType": "text/plain", "value": caption}]
    return photo


def parse_text(payload: bytes, *, provider: str, charset: str | None = None) -> list[ParsedItem]:
    """Bytes of a scraped page → one ParsedItem. Raises ParseError for bytes that are
    not valid in ``charset`` (default UTF-8), naming the line and byte."""
    encoding = charset or "utf-8"
    try:
        text = payload.decode(encoding)
    except LookupError as exc:
        raise ParseError(f"unknown charset {encoding!r}", where="Content-Type") from exc
    except UnicodeDecodeError as exc:
        line = payload[: exc.start].count(b"\n") + 1
        raise ParseError(f"payload is not valid {encoding}: {exc.reason}",
                         where=f"line {line}, byte {exc.start}") from exc
    return [ParsedItem(article=parse_plaintext(text, provider=provider), source_format="text")]
