"""The headline and deck of a scraped page: the title-like lines nearest the start of
the story, not the page's first line (which is usually the site's name or menu)."""
from __future__ import annotations

import re
from collections.abc import Callable

from shared.formats.plaintext.blocks import Block, is_prose, word_count
from shared.formats.sentences import FULL_STOPS

# How far before the story a headline may sit (bylines, dates, ads, captions in between).
HEADLINE_WINDOW = 10
_NOT_A_TITLE_END = re.compile(rf"[{FULL_STOPS},;:،؛]$")


def is_title_like(text: str) -> bool:
    """A line of 3 to 30 words that does not end like a sentence: headline or deck
    material (two words are a place, a section or a name far more often than a headline)."""
    n = word_count(text)
    return 3 <= n <= 30 and len(text) <= 300 and not _NOT_A_TITLE_END.search(text) and not is_prose(text)


def find_headline(blocks: list[Block], start: int, skip: Callable[[int], bool]) -> tuple[int | None, int | None]:
    """(headline index, deck index) for a story whose first block is ``start``.

    Walks back from ``start`` over at most :data:`HEADLINE_WINDOW` lines, passing
    lines ``skip`` names (bylines, dates, ads, captions). The nearest title-like line
    is the headline, unless the title-like line just before it is a headline of its
    own (5+ words), in which case the nearer one is its deck. ``start`` itself counts
    when it is title-like (smoothing may have read a headline as story). Either index
    is None when nothing fits.
    """
    near = [j for j in range(start, max(start - HEADLINE_WINDOW, 0) - 1, -1) if not skip(j)]
    if near and near[0] == start and not is_title_like(blocks[start].text):
        near = near[1:]
    for k, j in enumerate(near):
        if is_title_like(blocks[j].text):
            before = near[k + 1] if k + 1 < len(near) else None
            if before is not None and is_title_like(blocks[before].text) and word_count(blocks[before].text) >= 5:
                return before, j
            return j, None
    return None, None


def is_deck(text: str, body: list[str]) -> bool:
    """A standfirst after the headline: a short line without a final period, shorter
    than the story's longest paragraph."""
    return bool(body) and len(text) <= 250 and not text.endswith(tuple(FULL_STOPS)) and len(text) < max(map(len, body))
