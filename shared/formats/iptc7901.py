"""IPTC 7901 text wire messages read into canonical ninjs :class:`Article`s.

An IPTC 7901 message, as agencies still send it over serial and file feeds::

    ZCZC                                   start of message
    WSA0417 3 eco 0214 ...                 source + message number, priority (1-6),
                                           subject category, word count, optional info
    HARBOUR-STRIKE/                        keyword (slug) line
    (Achtung: embargo 1400 GMT)            notes to editors, in parentheses
    Port workers end strike after deal =   headline, ended by " ="
       ROTTERDAM, May 15 (WS) - Dock…      body, paragraphs indented or blank-separated
    wsa mo/jd                              signature: desk and editors' initials
    151412 GMT May 13                      day, time, zone, month, year
    NNNN                                   end of message

A payload may hold several messages. A message without its NNNN is read to the
end of the payload.
"""
from __future__ import annotations

import re
from datetime import datetime

from shared.errors import ParseError
from shared.events import Article, TextBlock
from shared.formats.anpa import ZONES, indented_paragraphs, wire_text
from shared.formats.base import ParsedItem
from shared.formats.datelines import dateline_place, opening_dateline
from shared.formats.ninjs_json import plain_body, provider_slug, story_uri

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_START = re.compile(r"^[ \t]*ZCZC", re.M)
_HEADER = re.compile(r"(?P<source>[A-Za-z]{1,6})(?P<number>\d{1,5})\s+(?P<priority>[1-6])\s+"
                     r"(?P<category>[A-Za-z]{1,3})\s+(?P<words>\d{1,5})(?:\s+(?P<info>.{0,200}))?")
_STAMP = re.compile(r"(?P<dd>\d\d)(?P<hh>\d\d)(?P<mi>\d\d)\s+(?P<zone>[A-Z]{1,4})\s+(?P<mon>[A-Za-z]{3})\s+(?P<yy>\d\d)")
_SIGNATURE = re.compile(r"[a-z]{1,5}(?:\s+[a-z]{1,5})*(?:/[a-z]{1,5})+")
_MONTHS = "jan feb mar apr may jun jul aug sep oct nov dec".split()


def parse_iptc7901(payload: bytes, *, provider: str) -> list[ParsedItem]:
    """Read one or more IPTC 7901 messages (ZCZC … NNNN) into ninjs Articles.

    In: the raw bytes (UTF-8, else read as Latin-1) and the provider name. Out: one
    ParsedItem per message: urgency from the priority digit, the subject category
    as a subject, slugline from the keyword line, edNote from parenthesised notes,
    headline, plain-text body, the place of the dateline opening the body as ``located``
    (:func:`~shared.formats.datelines.opening_dateline`; the dateline stays in the text)
    and the closing time stamp as firstCreated/versionCreated; the source and message
    number go to ``altIds``.
    The uri hashes provider, keyword (else headline) and date, so a repeat of a
    story keeps it. 7901 says nothing of updates: the signal is None.
    Raises :class:`ParseError` (``where`` = "line N") when the payload does not
    start with ZCZC, a header line is not 7901's, or a message has no headline.
    """
    slug = provider_slug(provider)
    text = _CONTROL.sub("", wire_text(payload))
    starts = list(_START.finditer(text))
    if not starts or text[: starts[0].start()].strip():
        raise ParseError("IPTC 7901 message does not start with ZCZC", where="line 1")
    items = []
    for n, start in enumerate(starts):
        end = starts[n + 1].start() if n + 1 < len(starts) else len(text)
        message = text[start.end(): end].split("\nNNNN")[0]
        items.append(_read_message(message, text.count("\n", 0, start.start()) + 1, slug))
    return items


def _read_message(message: str, zczc_line: int, slug: str) -> ParsedItem:
    lines = message.split("\n")
    if not lines[0].strip():  # the header follows ZCZC on its own line (it may share ZCZC's)
        lines, zczc_line = lines[1:], zczc_line + 1
    header_line = zczc_line
    m = _HEADER.fullmatch(" ".join(lines[0].split())) if lines and len(lines[0]) <= 300 else None
    if not m:
        raise ParseError("IPTC 7901 header is not 'SOURCE0000 priority category words'", where=f"line {header_line}")
    rest = lines[1:]
    while rest and not rest[0].strip():
        rest.pop(0)
    keyword = ""
    if rest and (rest[0].rstrip().endswith("/") or len(rest[0].split()) == 1 and len(rest[0]) <= 40):
        keyword = rest.pop(0).strip().rstrip("/").strip()
    notes = []
    while rest and (not rest[0].strip() or re.fullmatch(r"\s*\(.*\)\s*", rest[0])):
        if note := rest.pop(0).strip()[1:-1].strip():
            notes.append(note)
    headline_lines = _headline(rest)
    headline = " ".join(" ".join(headline_lines).rstrip(" =").split())
    if not headline:
        raise ParseError("IPTC 7901 message has no headline", where=f"line {header_line + 1}")
    body, stamp = _closing(rest[len(headline_lines):])
    paragraphs = indented_paragraphs(body)
    place = dateline_place(opening_dateline(paragraphs[0])) if paragraphs else ""
    category = m["category"].lower()
    article = Article(
        uri=story_uri(slug, "iptc7901", (keyword or headline).lower(), stamp[:10] if stamp else ""),
        firstCreated=stamp,
        versionCreated=stamp,
        urgency=int(m["priority"]),
        edNote="; ".join(notes) or None,
        slugline=keyword or None,
        located=place or None,
        headlines=[TextBlock(role="main", value=headline)],
        bodies=plain_body(paragraphs),
        subjects=[{"literal": category}],
        altIds=[{"role": "iptc7901-message", "value": m["source"] + m["number"]}],
    )
    return ParsedItem(article=article, source_format="iptc7901", signal=None)


def _headline(lines: list[str]) -> list[str]:
    """The headline's lines: up to the one ending in "=" (within three lines), else
    the first line."""
    for n, line in enumerate(lines[:3]):
        if not line.strip():
            break
        if line.rstrip().endswith("="):
            return lines[: n + 1]
    return lines[:1]


def _closing(lines: list[str]) -> tuple[list[str], str | None]:
    """The body without the closing signature and time stamp lines, and that time."""
    stamp, end = None, len(lines)
    while end and (not lines[end - 1].strip() or len(lines[end - 1]) < 80 and (
            _SIGNATURE.fullmatch(lines[end - 1].strip()) or _STAMP.fullmatch(lines[end - 1].strip()))):
        if m := _STAMP.fullmatch(lines[end - 1].strip()):
            stamp = stamp or _stamp(m)
        end -= 1
    return lines[:end], stamp


def _stamp(m: re.Match[str]) -> str | None:
    zone, month = ZONES.get(m["zone"]), m["mon"].lower()
    if zone is None or month not in _MONTHS:
        return None
    try:
        moment = datetime(2000 + int(m["yy"]), _MONTHS.index(month) + 1, int(m["dd"]), int(m["hh"]), int(m["mi"]))
    except ValueError:
        return None
    return f"{moment:%Y-%m-%dT%H:%M:%S}{zone}"
