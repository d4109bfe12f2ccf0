"""Assemble the story of a scraped page: which blocks are body, which line is the
headline, and the byline, date line, deck and captions around them."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from shared.formats.plaintext import signals
from shared.formats.plaintext.blocks import Block, block_features, is_prose
from shared.formats.plaintext.classify import BlockModel, story_flags
from shared.formats.plaintext.headline import find_headline, is_deck, is_title_like

# Bylines and date lines sit this close to the story (a byline may close it, as in the
# example page); farther away they belong to other stories on the page.
SIGNAL_REACH = 6
_MID_SENTENCE = re.compile(r"[^\W\d_,]{2}$|,$")
# Zero-width characters and bidirectional marks (LRM, RLM, embeddings, overrides,
# isolates, the Arabic letter mark): they shape how a line shows, not what it says, and
# ".\u200f" still ends a sentence.
_INVISIBLE = str.maketrans("", "", "\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                                   "\u2066\u2067\u2068\u2069\u061c")


@dataclass
class Story:
    """What a scraped page holds; ``headline_line`` is 1-based (None: no headline)."""

    body: list[str] = field(default_factory=list)
    headline: str | None = None
    headline_line: int | None = None
    deck: str | None = None
    authors: list[str] = field(default_factory=list)
    agencies: list[str] = field(default_factory=list)  # the byline's ("By Jane Doe, Reuters")
    email: str | None = None
    captions: list[tuple[str, str]] = field(default_factory=list)
    created: str | None = None


def page_blocks(text: str) -> list[Block]:
    """Non-empty lines, whitespace collapsed, zero-width characters removed. A line that
    starts in lower case after one that stopped mid-sentence (hard-wrapped text) joins it."""
    blocks: list[Block] = []
    for number, raw in enumerate(text.splitlines(), 1):
        if not (line := " ".join(raw.translate(_INVISIBLE).split())):
            continue
        if blocks and line[0].islower() and _MID_SENTENCE.search(blocks[-1].text):
            blocks[-1] = Block(blocks[-1].line_no, f"{blocks[-1].text} {line}")
        else:
            blocks.append(Block(number, line))
    return blocks


def read_story(text: str, model: BlockModel | None = None) -> Story:
    """The story of a page's text. Never raises; an empty ``body`` means none was found.

    Each block is classified (features → linear model → smoothing), then the story is
    assembled around the blocks read as story (see :func:`assemble`).
    """
    text = re.sub("[\ud800-\udfff]", "\ufffd", text)  # lone surrogates cannot be encoded
    blocks = page_blocks(text)
    kinds = block_kinds(blocks)
    return assemble(blocks, kinds, story_flags(block_features(blocks), [k is None for k in kinds], model))


def block_kinds(blocks: list[Block]) -> list[str | None]:
    """Per block: "furniture", "date", "byline", "caption", or None for a candidate story line."""
    return [_kind(b.text) for b in blocks]


def assemble(blocks: list[Block], kinds: list[str | None], story: list[bool]) -> Story:
    """The story given each block's kind and whether the classifier read it as story.

    The headline is searched back from the first story block; the body is
    the story blocks after it, minus metadata lines, which are recovered instead.
    """
    flags = [f and kind is None for f, kind in zip(story, kinds)]
    if not any(flags):
        return Story()
    first = flags.index(True)
    last = len(flags) - 1 - flags[::-1].index(True)
    # Smoothing may reach back over the headline to a short line above it (a city, a
    # section name), so the headline is looked for above the first paragraph of prose.
    prose = next((j for j in range(first, last + 1) if flags[j] and is_prose(blocks[j].text)), first)
    head, deck = find_headline(blocks, prose, lambda j: kinds[j] is not None)
    result = Story()
    after = first - 1
    if head is not None:
        result.headline, result.headline_line = blocks[head].text, blocks[head].line_no
        after = max(head, deck if deck is not None else head)
    body = [j for j in range(after + 1, len(blocks)) if flags[j]]
    if head is not None and deck is None:
        deck = _deck_after(blocks, head, body, kinds)
        body = [j for j in body if j != deck]
    result.deck = blocks[deck].text if deck is not None else None
    result.body = [blocks[j].text for j in body]
    _recover_signals(result, blocks, kinds, head if head is not None else first, last)
    return result


def _kind(line: str) -> str | None:
    """Which metadata or furniture a line is, or None for a candidate story line."""
    if signals.date_line(line) is not None:  # before furniture: "2024-12-18" has no letters
        return "date"
    if signals.is_furniture(line):
        return "furniture"
    if signals.byline(line) is not None:
        return "byline"
    if signals.caption(line) is not None:
        return "caption"
    return None


def _deck_after(blocks: list[Block], head: int, body: list[int], kinds: list[str | None]) -> int | None:
    following = next((j for j in range(head + 1, len(blocks)) if kinds[j] is None), None)
    if following is None or (body and following > body[0]):
        return None
    rest = [blocks[j].text for j in body if j != following]
    text = blocks[following].text
    return following if rest and is_title_like(text) and is_deck(text, rest) else None


def _recover_signals(story: Story, blocks: list[Block], kinds: list[str | None], head: int, last: int) -> None:
    lo, hi = max(head - SIGNAL_REACH, 0), min(last + SIGNAL_REACH, len(blocks) - 1)
    dates: list[tuple[int, str]] = []
    for j in range(lo, hi + 1):
        line = blocks[j].text
        if kinds[j] == "date" and (found := signals.date_line(line)):
            dates.append((abs(j - head), found))
        elif kinds[j] == "byline" and (byline := signals.byline(line)):
            if not (story.authors or story.agencies):  # the first byline that names someone
                story.authors, story.agencies = byline.authors, list(byline.agencies)
            story.email = story.email or byline.email
        elif kinds[j] == "caption" and head < j <= last and (pair := signals.caption(line)):
            story.captions.append(pair)
    story.created = min(dates)[1] if dates else None
