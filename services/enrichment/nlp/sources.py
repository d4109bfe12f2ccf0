"""The sources an article cites (ninjs ``infoSources``).

A named organisation or person becomes a source when the text cites it:
"according to X", "(as) reported by X", "X reported/broadcast…" for a media
organisation, "told X" / "in an interview with X" for one, and "X’s Telegram /
website / statement / account…" (also in photo credits, "[Zelensky’s Telegram
screenshot]"). Unnamed sources ("according to the sources") are left to quotes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.tokens import Doc

from services.enrichment.nlp.entities import Entity
from services.enrichment.nlp.model import ORG_HEADS, text_of

MEDIA_CHANNELS = ("Telegram", "website", "web site", "statement", "Twitter", "X account", "Facebook", "Instagram",
                  "YouTube", "TikTok", "Weibo", "blog", "channel", "account", "press release", "newsletter",
                  "podcast", "report", "broadcast", "feed", "page", "social media")
# The owner starts a word and each of its words is taken whole (possessive ``*+``): the
# words of a run of capitals could otherwise be split in every way (time ~ length⁵).
_CHANNEL = re.compile(r"(?<![\w.\-])(?P<owner>(?:[A-Z][\w.\-]*+\s?){1,4}?)[’']s\s+(?:official\s+|own\s+)?(?P<channel>"
                      + "|".join(re.escape(c) for c in MEDIA_CHANNELS) + r")\b")
_CUES = (
    ("according to", re.compile(r"\baccording to\s+(?:the\s+)?", re.I)),
    ("reported by", re.compile(r"\b(?:as\s+)?(?:reported|broadcast|published|aired|announced) by\s+(?:the\s+)?", re.I)),
    ("told", re.compile(r"\b(?:told|in an interview with|speaking to|said to)\s+(?:the\s+)?", re.I)),
    ("quoted by", re.compile(r"\b(?:quoted by|cited by|citing)\s+(?:the\s+)?", re.I)),
)
_REPORTED = re.compile(r"^\s+(?:has\s+|have\s+|also\s+|first\s+)?(?P<verb>reported|reports|broadcast|aired|published|"
                       r"said|says)\b")


def _newsroom(entity: Entity) -> bool:
    """Whether one can be "told" something as a news outlet: media, or an
    organisation whose name is no institution ("Reuters", "CNN", not "the Ministry")."""
    return entity.media or (entity.kind == "organisation" and not set(entity.name.split()) & set(ORG_HEADS))


@dataclass
class Source:
    name: str
    cue: str  # how the article cites it: "according to", "reported by", "channel", "credit"…
    start: int
    end: int
    entity: Entity | None = None


def read_sources(doc: Doc, entities: list[Entity], credits: list[tuple[int, str]]) -> list[Source]:
    """The cited sources of ``doc`` in order of first citation, each once.
    ``credits`` are (offset, text) of photo credits in the joined text."""
    text = text_of(doc)
    mentions = sorted((m.start, m.end, e) for e in entities for m in e.mentions
                      if e.kind in ("organisation", "person"))
    starting = {start: (end, e) for start, end, e in mentions}
    found: list[Source] = []
    for cue, pattern in _CUES:
        for match in pattern.finditer(text):
            hit = starting.get(match.end())
            if hit is not None and (cue != "told" or _newsroom(hit[1])):
                found.append(Source(hit[1].name, cue, match.end(), hit[0], hit[1]))
    for start, end, entity in mentions:
        verb = _REPORTED.match(text[end:end + 30])
        # Any organisation that "reported" is a news source; one that merely "said" only if it is media.
        if verb and entity.kind == "organisation" and (entity.media or verb.group("verb") not in ("said", "says")):
            found.append(Source(entity.name, "reported", start, end, entity))
    for match in _CHANNEL.finditer(text):
        owner_start = match.start("owner")
        owner = next(((s, end, e) for s, end, e in mentions if owner_start <= s < match.end("owner")), None)
        if owner is not None:
            name = f"{text[owner[0]:owner[1]]}’s {match.group('channel')}"
            found.append(Source(name, "channel", owner[0], match.end(), owner[2]))
    for offset, credit in credits:
        for start, end, entity in mentions:
            if offset <= start < offset + len(credit) and entity.media:
                found.append(Source(entity.name, "credit", start, end, entity))
    found.sort(key=lambda s: s.start)
    unique: dict[str, Source] = {}
    for source in found:
        unique.setdefault(source.name.casefold(), source)
    return list(unique.values())
