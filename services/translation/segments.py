"""The text of an article as translation segments, and the article rebuilt from
their translations.

Translated: every plain-text headline, description (deck, summary, caption…) and
body, at the top level and inside associations (a photo's caption), paragraph by
paragraph: a block's paragraphs are split on blank lines, each becomes one
segment with its whitespace folded (an engine may drop text after a line break),
and the translation joins them again with a blank line, so the paragraph
structure is kept. Blocks that are not plain text (HTML, NITF) cannot be
translated segment-wise and are left out of the translation, never copied.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from services.translation.memory import normalise
from shared.events import Article

TEXT_FIELDS = ("headlines", "descriptions", "bodies")
PLAIN = (None, "text/plain")
# Links to other language versions: a translation never inherits its original's.
LINK_RELS = ("translation",)
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def paragraphs(value: str) -> list[str]:
    """The normalised, non-empty paragraphs of a text block."""
    return [p for p in (normalise(part) for part in _PARAGRAPH_BREAK.split(value)) if p]


def source_segments(article: Article) -> list[str]:
    """Every distinct segment of ``article`` to translate, in reading order."""
    seen: dict[str, None] = {}

    def record(segment: str) -> str:
        seen[segment] = None
        return segment

    translated_fields(article, record)
    return list(seen)


def translated_fields(article: Article, translate: Callable[[str], str]) -> dict[str, Any]:
    """``article`` as a ninjs dict whose text is ``translate(segment)`` per segment,
    non-plain blocks dropped and this stage's links removed."""
    data = article.model_dump(mode="json", exclude_none=True)
    data["associations"] = [a for a in data.get("associations", []) if a.get("rel") not in LINK_RELS]
    return rewrite(data, translate)


def rewrite(item: dict[str, Any], translate: Callable[[str], str]) -> dict[str, Any]:
    """Replace, in place, the text blocks of ``item`` and of its associations."""
    for name in TEXT_FIELDS:
        blocks = []
        for block in item.get(name) or []:
            if block.get("contentType") not in PLAIN:
                continue
            parts = [translate(p) for p in paragraphs(block.get("value", ""))]
            if parts:
                blocks.append({**block, "value": "\n\n".join(parts)})
        if name in item:
            item[name] = blocks
    for association in item.get("associations") or []:
        if isinstance(association, dict):
            rewrite(association, translate)
    return item
