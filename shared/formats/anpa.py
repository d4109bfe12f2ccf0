"""ANPA-1312 text wire messages read into canonical ninjs :class:`Article`s.

An ANPA-1312 message, as the AP-style wires send it::

    SYN SYN SOH a0417 wsa                       service level, story number, selector
    r a BC-Harbour-Strike 1stLd-Writethru 05-15 0287    priority, category, keyword,
                                                version, filing date, word count
    STX ^Harbour strike ends after talks<       ^ header lines end in < (headline,
    ^By MARTA OKONKWO=                          Eds notes) or = (byline lines)
    TAB   ROTTERDAM, Netherlands (WS) _ Dock…   indented paragraphs
    (MORE) | (END)                              another take follows | story ends
    WS-NY-05-15-13 1412GMT<                     filing trailer: desk, date, time
    ETX

A payload may hold several messages, one after the other. The typewriter
conventions of the wire become typography: ``` `` ``` and ``''`` quotes become
“ ”, and `` _ `` (the wire's dash) becomes an em dash.
"""
from __future__ import annotations

import re
from datetime import datetime

from shared.errors import ParseError
from shared.events import Article, Signal, TextBlock
from shared.formats.base import ParsedItem
from shared.formats.bylines import agency_sources, read_bylines, split_byline
from shared.formats.datelines import dateline_place, opening_dateline
from shared.formats.ninjs_json import plain_body, provider_slug, story_uri

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_HEADER = re.compile(
    r"(?P<service>[a-z])(?P<number>\d{4})(?:\s*(?P<selector>[a-z][a-z0-9-]+))?\s+(?P<priority>[a-z])\s+"
    r"(?P<category>[a-z]{1,2})\s+(?P<keyword>\S+)(?P<version>(?:\s+\S+)*?)\s+(?P<date>\d{1,2}-\d{1,2})"
    r"\s+(?P<words>\d{1,5})", re.I)
_HEADER_END = re.compile(r"\d{1,2}-\d{1,2}\s+\d{1,5}\s*$")
_TRAILER = re.compile(r"(?P<desk>[A-Z]{2,5}-[A-Z]{2})-(?P<mm>\d\d)-(?P<dd>\d\d)-(?P<yy>\d\d)\s+"
                      r"(?P<hh>\d\d)(?P<mi>\d\d)\s*(?P<zone>[A-Z]{1,4})\s*<?")
_PRIORITY = {"f": 1, "b": 2, "u": 3, "r": 5, "d": 7}
_CATEGORY = {"a": "Domestic", "e": "Entertainment", "f": "Financial", "i": "International", "k": "Commentary",
             "l": "Lifestyle", "p": "Politics", "s": "Sports", "t": "Travel", "v": "Advisory", "w": "Washington"}
ZONES = {"GMT": "Z", "UTC": "Z", "UT": "Z", "Z": "Z", "EST": "-05:00", "EDT": "-04:00", "CST": "-06:00",
         "CDT": "-05:00", "MST": "-07:00", "MDT": "-06:00", "PST": "-08:00", "PDT": "-07:00",
         "CET": "+01:00", "MEZ": "+01:00", "CEST": "+02:00", "MESZ": "+02:00"}
_EDS = re.compile(r"^(?:eds?|editors?)\b[:.]?|^editor'?s note\b|\bphotos?\b|^with\b.*\bphotos?\b", re.I)


def parse_anpa(payload: bytes, *, provider: str) -> list[ParsedItem]:
    """Read one or more ANPA-1312 messages into ninjs Articles.

    In: the raw bytes (ASCII / UTF-8, else read as Latin-1) and the provider name.
    Out: one ParsedItem per message: urgency from the priority (f 1, b 2, u 3,
    r 5, d 7), the category as a subject, slugline from the keyword, headline, byline
    (the "By" lines ending in "=", read by :func:`~shared.formats.bylines.read_bylines`,
    names in capitals in title case: ``by``, authors as ``people``, the agencies they or
    a title line such as "Associated Press Writer=" name as ``infoSources``), Eds notes
    (``edNote``), plain-text body, the place of the dateline opening it (``located``,
    :func:`~shared.formats.datelines.opening_dateline`; the dateline stays in the text)
    and the trailer's time as versionCreated (and firstCreated for a first version).
    The uri hashes provider, keyword, filing date and take ("1stAdd"), so every
    version of a take shares it; "NthLd"/"Writethru" give version N+1 and signal
    UPDATE, "Correction" CORRECTION, "Kill" KILL. A take ending in (MORE) is
    ``representationType`` "partial".
    An add take, which has no headline line, is headed by its keyword line.
    Raises :class:`ParseError` (``where`` = "line N") for a payload that does not
    start with SOH, a header that is not ANPA's, or a message with neither a
    headline nor text.
    """
    slug = provider_slug(provider)
    text = wire_text(payload)
    start = len(text) - len(text.lstrip("\x16 \t\r\n"))
    if not text.startswith("\x01", start):
        raise ParseError("ANPA message does not start with SOH (0x01)", where=f"line {text.count(chr(10), 0, start) + 1}")
    items, line = [], text.count("\n", 0, start) + 1
    for chunk in text[start + 1:].split("\x01"):
        items.append(_read_message(chunk, line, slug))
        line += chunk.count("\n")
    return items


def wire_text(payload: bytes) -> str:
    """A text wire payload as text: UTF-8 when it is valid UTF-8, else Latin-1
    (every byte is a character); CR LF and lone CR become LF. Never raises."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        text = payload.decode("latin-1")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def indented_paragraphs(lines: list[str]) -> list[str]:
    """Paragraphs of a wire body: a line indented by a tab or two spaces, or one
    after a blank line, starts a paragraph; other lines continue the one before."""
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if not line.strip():
            if current:
                paragraphs.append(" ".join(current))
                current = []
            continue
        if line.startswith(("\t", "  ")) and current:
            paragraphs.append(" ".join(current))
            current = []
        current.append(" ".join(line.split()))
    if current:
        paragraphs.append(" ".join(current))
    return paragraphs


def _read_message(chunk: str, first_line: int, slug: str) -> ParsedItem:
    message, _, after = chunk.partition("\x03")
    head, stx, body = message.partition("\x02")
    head_lines = head.split("\n")
    end = next((n for n, line in enumerate(head_lines[:3]) if _HEADER_END.search(line[-40:])), None)
    header = " ".join(_CONTROL.sub(" ", "\n".join(head_lines[: (end or 0) + 1])).split())
    m = _HEADER.match(header) if end is not None and len(header) <= 300 else None
    if not m:
        raise ParseError("ANPA header is not 'priority category keyword [version] mm-dd words'",
                         where=f"line {first_line}")
    if not stx:  # no STX: the text starts on the line after the header
        body, head = "\n".join(head_lines[end + 1:]), "\n".join(head_lines[: end + 1])
    text_line = first_line + head.count("\n")
    lines = [_CONTROL.sub("", line).rstrip() for line in (body + "\n" + after).split("\n")]
    story = _Story()
    for line in lines:
        story.read(line, m["keyword"])
    version_words = m["version"].strip()
    paragraphs = [_typography(p) for p in indented_paragraphs(story.body)]
    if not story.headline and not paragraphs:
        raise ParseError("ANPA message has neither a headline line (^…<) nor text", where=f"line {text_line}")
    # An add take has no headline of its own: its keyword line names it.
    headline = story.headline or story.repeat or f"{m['keyword']} {version_words}".strip()
    keyword = re.sub(r"^(?:am|pm|bc|ap)-", "", m["keyword"], flags=re.I)
    add = re.search(r"(\d{1,4})(?:st|nd|rd|th)\s*-?\s*Add", version_words, re.I)
    uri = story_uri(slug, "anpa", keyword.lower(), m["date"], story.year, add.group(1) if add else "")
    lead = re.search(r"(\d{1,4})(?:st|nd|rd|th)\s*-?\s*(?:Ld|Lead|Writethru|Sub)", version_words, re.I)
    signal = _signal(version_words)
    place = dateline_place(opening_dateline(paragraphs[0])) if paragraphs else ""
    byline = read_bylines(story.bylines).title_cased()
    category = m["category"].lower()
    article = Article(
        uri=uri,
        version=str(int(lead.group(1)) + 1) if lead else "1",
        representationType="partial" if story.more else "full",
        firstCreated=story.filed if not lead else None,
        versionCreated=story.filed,
        pubStatus="canceled" if signal is Signal.KILL else "usable",
        urgency=_PRIORITY.get(m["priority"].lower()),
        edNote=" ".join(story.notes) or None,
        by=byline.text or None,
        slugline=keyword,
        located=place or None,
        headlines=[TextBlock(role="main", value=_typography(headline))],
        descriptions=[TextBlock(role="summary", contentType="text/plain", value=_typography(s)) for s in story.summary],
        bodies=plain_body(paragraphs),
        people=byline.people(),
        infoSources=agency_sources([*byline.affiliations, *story.agencies]),
        subjects=[{"literal": category, **({"name": _CATEGORY[category]} if category in _CATEGORY else {})}],
        altIds=[{"role": "anpa-story-number", "value": m["service"] + m["number"]}],
    )
    return ParsedItem(article=article, source_format="anpa", signal=signal)


class _Story:
    """What the lines after STX say, read one line at a time."""

    def __init__(self) -> None:
        self.headline, self.repeat = "", ""
        self.bylines: list[str] = []
        self.agencies: list[str] = []  # named by byline title lines
        self.summary: list[str] = []
        self.notes: list[str] = []
        self.body: list[str] = []
        self.more, self.ended = False, False
        self.filed: str | None = None
        self.year = ""

    def read(self, line: str, keyword: str) -> None:
        bare = line.strip()
        if trailer := _TRAILER.fullmatch(bare):
            self.filed, self.year = _filed(trailer), trailer["yy"]
        elif bare in ("(MORE)", "(END)"):
            self.more, self.ended = bare == "(MORE)", True
        elif self.ended or (bare and set(bare) <= {"_", " "}):  # after (END), or a "___" rule
            return
        elif bare.startswith("^") and not self.body:
            self._header_line(bare.lstrip("^").rstrip("<=").strip(), bare.endswith("="), keyword)
        else:
            self.body.append(line)

    def _header_line(self, value: str, byline: bool, keyword: str) -> None:
        if not value:
            return
        if value.upper().startswith(keyword.upper()) or re.match(r"[A-Z]{2}-[A-Z]{2,}-", value):
            self.repeat = self.repeat or re.sub(r",\s*\d{1,5}$", "", value)  # "^BC-Storm-Coast, 1st Add,98<"
            return
        if byline:
            if re.match(r"by\b", value, re.I):
                self.bylines.append(value)
            else:  # a byline's title line ("Associated Press Writer"): only its agency counts
                self.agencies += split_byline(value).affiliations
        elif not self.headline:
            self.headline = value
        elif _EDS.search(value):
            self.notes.append(value)
        else:
            self.summary.append(value)


def _filed(trailer: re.Match[str]) -> str | None:
    zone = ZONES.get(trailer["zone"])
    try:
        moment = datetime(2000 + int(trailer["yy"]), int(trailer["mm"]), int(trailer["dd"]),
                          int(trailer["hh"]), int(trailer["mi"]))
    except ValueError:
        return None
    return f"{moment:%Y-%m-%dT%H:%M:%S}{zone}" if zone else None


def _signal(version_words: str) -> Signal | None:
    words = version_words.lower()
    if re.search(r"kill|elimination|withdraw", words):
        return Signal.KILL
    if "correct" in words:
        return Signal.CORRECTION
    if re.search(r"ld\b|lead|writethru|sub\b|update", words):
        return Signal.UPDATE
    return None


def _typography(text: str) -> str:
    return text.replace("``", "“").replace("''", "”").replace(" _ ", " — ")
