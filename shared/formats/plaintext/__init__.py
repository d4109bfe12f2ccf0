"""Plain text scraped from a news web page, read into one ninjs-shaped :class:`Article`.

Scraped text carries the page around the story: site name, navigation, widgets, date
lines, advertisement markers, share prompts, related links, footers. Each line is one
block (scrapers emit one line per block element); each block is classified as story or
furniture from features that carry across sites (``blocks``), by a linear model
smoothed by context (``classify``); the headline is the title-like line nearest the
start of the story (``headline``); bylines, date lines and captions are recovered
around it (``signals``, ``story``). Nothing is written for one site.
"""
from __future__ import annotations

import hashlib
import re
from typing import Any

from shared.errors import ParseError
from shared.events import Article, TextBlock
from shared.formats.base import ParsedItem
from shared.formats.bylines import agency_sources
from shared.formats.plaintext.story import Story, read_story
from shared.formats.encoding import bom_codec, codec_for, decode

__all__ = ["parse_plaintext", "parse_text", "read_story", "Story"]


def parse_plaintext(text: str, *, provider: str) -> Article:
    """Read plain text scraped from one news page into a canonical ninjs ``Article``.

    In: the page text (one paragraph a line; blank and whitespace-only lines ignored)
    and the provider's name, used for the stable ``urn:wirestream:{provider}:{hash}`` uri.
    Out: headline, deck (``descriptions`` role "deck"), one plain-text body, byline
    (``by``: its authors, else its agencies), authors (``people``), the agencies it names
    (``infoSources`` role "source"), photo captions as ``associations``, and
    ``contentCreated`` from the date line nearest the headline. Page furniture is dropped.
    Raises :class:`ParseError` (``where`` = "line N" or "provider") when the text is
    empty, holds only furniture, has no title-like line before its story, or no body
    follows the headline, or the provider name is blank; never anything else.
    """
    slug = re.sub(r"\s+", "-", provider.strip().lower())
    if not slug:
        raise ParseError("provider name is empty", where="provider")
    if not text.strip():
        raise ParseError("plain-text article is empty", where="line 1")
    story = read_story(text)
    last_line = f"line {max(len(text.splitlines()), 1)}"
    if story.headline is None:
        if not story.body:
            raise ParseError("no headline: every line is page furniture", where=last_line)
        raise ParseError("no headline: no title-like line before the story", where=last_line)
    if not story.body:
        raise ParseError("no body paragraphs after the headline", where=f"line {story.headline_line}")

    uri = f"urn:wirestream:{slug}:{_digest(slug, story.headline, story.body[0])}"
    return Article(
        uri=uri,
        type="text",
        contentCreated=story.created,
        by=" and ".join(story.authors or story.agencies) or None,
        headlines=[TextBlock(role="main", value=story.headline)],
        descriptions=[TextBlock(role="deck", contentType="text/plain", value=story.deck)] if story.deck else [],
        bodies=[TextBlock(role="main", contentType="text/plain", value="\n\n".join(story.body))],
        people=_people(story.authors, story.email),
        infoSources=agency_sources(story.agencies),
        associations=[_photo(uri, n, caption, credit) for n, (caption, credit) in enumerate(story.captions, 1)],
    )


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
    """Bytes of a scraped page → one ParsedItem.

    The bytes are decoded in the encoding a byte-order mark names, else in ``charset``
    when one is declared (read as :func:`shared.formats.encoding.codec_for` reads it:
    Latin-1 and ASCII as windows-1252, a single-byte charset on UTF-8 bytes as
    UTF-8), and must be valid in it. Without either: as UTF-8, else in the encoding
    charset detection finds likeliest (cp1252 or Latin-1 text from an older site).
    Raises :class:`ParseError` for bytes not valid in the declared charset or,
    without one, not text in any encoding (naming the line and byte where UTF-8 failed),
    for an unknown charset (``where`` = "Content-Type"), and as :func:`parse_plaintext` does.
    """
    text = _decode(payload, charset)
    return [ParsedItem(article=parse_plaintext(text, provider=provider), source_format="text")]


def _decode(payload: bytes, charset: str | None) -> str:
    try:
        encoding = bom_codec(payload) or (codec_for(charset, payload) if charset else "utf-8")
        return decode(payload, encoding)
    except LookupError as exc:
        raise ParseError(f"unknown charset {charset!r}", where="Content-Type") from exc
    except UnicodeDecodeError as exc:
        if charset is None and encoding == "utf-8" and (detected := _detected(payload)) is not None:
            return detected
        line = payload[: exc.start].count(b"\n") + 1
        raise ParseError(f"payload is not valid {encoding}: {exc.reason}",
                         where=f"line {line}, byte {exc.start}") from exc


def _detected(payload: bytes) -> str | None:
    """The payload decoded in the encoding charset_normalizer (trafilatura's detector)
    finds likeliest; None when it finds the bytes no text."""
    from charset_normalizer import from_bytes  # loaded only for the pages that need it

    best = from_bytes(payload).best()
    return str(best) if best is not None else None
