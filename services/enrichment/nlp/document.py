"""The text enrichment reads from an article, and how offsets map back to fields.

The headline, decks, plain-text body, photo captions and credits are joined into
one text (blank lines between), so the model sees each name once in context;
every offset found in it is reported against the field it came from
(``bodies[0]``, ``associations[0].descriptions[0]``…). The body's closing credit
lines ("(Reporting by …; Editing by …)") are left out of it: the people they name
are the story's contributors, kept apart, not people it mentions.
"""
from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from services.enrichment.nlp.credits import Contributor, split_credits
from shared.events import Article

_TAG = re.compile(r"<[^<>]++>")  # a tag ends before the next "<": a run of "<" is read once
SEPARATOR = "\n\n"
# spaCy's tokenizer splits a run of punctuation one mark at a time, rescanning the rest
# each time: 10,000 "!" took 29 s, and a body of them would hold a worker for an hour.
# What the models read keeps such a run's first marks and spaces for the rest (same
# length, so every offset still maps back to its field).
_MARKS_KEPT = 32
_MARK_RUN = re.compile(rf"[^\w\s]{{{_MARKS_KEPT + 1},}}")


def _tame(text: str) -> str:
    return _MARK_RUN.sub(lambda m: m[0][:_MARKS_KEPT] + " " * (len(m[0]) - _MARKS_KEPT), text)


@dataclass(frozen=True)
class Segment:
    path: str  # the ninjs field, e.g. "bodies[0]"
    kind: str  # headline, deck, body, caption or credit
    start: int  # where it starts in the joined text
    text: str

    @property
    def end(self) -> int:
        return self.start + len(self.text)


@dataclass
class ArticleText:
    """The joined text of an article plus its segments."""

    text: str = ""
    segments: list[Segment] = field(default_factory=list)
    contributors: list[Contributor] = field(default_factory=list)  # from the body's credit lines
    _starts: list[int] | None = field(default=None, repr=False, compare=False)  # the segments' starts, once asked

    def add_all(self, fields: Iterable[tuple[str, str, str]]) -> None:
        """Append each (path, kind, value) with a blank line before it, the text joined
        once (appending to it field by field copied it whole each time: an article of
        100,000 captions cost seconds)."""
        pieces, length = [self.text], len(self.text)
        for path, kind, value in fields:
            value = _tame(value.strip())
            if not value:
                continue
            if length:
                pieces.append(SEPARATOR)
                length += len(SEPARATOR)
            self.segments.append(Segment(path, kind, length, value))
            pieces.append(value)
            length += len(value)
        self.text = "".join(pieces)
        self._starts = None

    def bound(self, chars: int) -> None:
        """Keep the first ``chars`` characters: of the joined text and of the segments
        (the body too: the language tools read it, and some are slower than linear)."""
        if len(self.text) <= chars:
            return
        self.text = self.text[:chars]
        self.segments = [s if s.end <= chars else Segment(s.path, s.kind, s.start, s.text[:chars - s.start])
                         for s in self.segments if s.start < chars]
        self._starts = None

    def segment_at(self, offset: int) -> Segment:
        if self._starts is None:  # once per text, not per offset asked (an entity or date each)
            self._starts = [s.start for s in self.segments]
        return self.segments[max(0, bisect.bisect_right(self._starts, offset) - 1)]

    def locate(self, start: int, end: int) -> dict:
        """``{"field", "start", "end"}`` of a joined-text span, relative to its field."""
        segment = self.segment_at(start)
        return {"field": segment.path, "start": start - segment.start, "end": end - segment.start}

    def of_kind(self, *kinds: str) -> list[Segment]:
        return [s for s in self.segments if s.kind in kinds]

    @property
    def body(self) -> str:
        return "\n\n".join(s.text for s in self.of_kind("body"))


def plain(value: str, content_type: str | None) -> str:
    """Text of a body block: HTML tags dropped for text/html, else as is."""
    if content_type and "html" in content_type:
        return re.sub(r"[ \t]+", " ", _TAG.sub(" ", value))
    return value


def article_text(article: Article) -> ArticleText:
    """The text enrichment analyses: headline, decks, the first body (without its
    closing credit lines, whose people go to ``contributors``), captions, credits."""
    doc = ArticleText()
    fields = [(f"headlines[{i}]", "headline", block.value) for i, block in enumerate(article.headlines)]
    fields += [(f"descriptions[{i}]", "deck", plain(block.value, block.contentType))
               for i, block in enumerate(article.descriptions) if block.role != "summary"]  # never our own summary
    bodies = [i for i, b in enumerate(article.bodies) if b.contentType in (None, "text/plain")] or \
        list(range(min(1, len(article.bodies))))
    for i in bodies[:1]:
        story, doc.contributors = split_credits(plain(article.bodies[i].value, article.bodies[i].contentType))
        fields.append((f"bodies[{i}]", "body", story))
    for a, association in enumerate(article.associations):
        for d, block in enumerate(association.get("descriptions") or []):
            if isinstance(block, dict) and isinstance(block.get("value"), str):
                fields.append((f"associations[{a}].descriptions[{d}]", "caption", block["value"]))
        if isinstance(association.get("by"), str):
            fields.append((f"associations[{a}].by", "credit", association["by"]))
    doc.add_all(fields)
    return doc
