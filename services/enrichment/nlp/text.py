"""Small text helpers shared by the enrichment steps: words, stop words, stems."""
from __future__ import annotations

import math
import re
from functools import lru_cache

from spacy.lang.en.stop_words import STOP_WORDS

WORD = re.compile(r"[^\W_]+(?:[’'\-][^\W_]+)*")
# Silent reading speed of adult readers of non-fiction in English (Brysbaert 2019).
WORDS_PER_MINUTE = 238
STOPWORDS = frozenset(STOP_WORDS) | {"’s", "'s", "mr", "mrs", "ms", "also", "said", "says", "would", "could"}


def words(text: str) -> list[str]:
    """The words of ``text`` (letters/digits, with inner apostrophes and hyphens)."""
    return WORD.findall(text)


def word_count(text: str) -> int:
    return len(words(text))


def reading_time_seconds(count: int) -> int:
    """Seconds a reader needs for ``count`` words, rounded up to 5 s (at least 5)."""
    return max(5, int(math.ceil(count * 60 / WORDS_PER_MINUTE / 5.0)) * 5)


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """A light, consistent English stem: lower case, plural and common verb
    endings stripped ("troops" → "troop", "elections" → "election", "voted" → "vot").
    Lexicon terms go through the same function, so they always meet."""
    w = word.casefold().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    if len(w) <= 3:
        return w
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith("sses"):
        return w[:-2]
    if w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suffix in ("ing", "ed"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 4:
            w = w[: -len(suffix)]
            break
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    return w


def stems(text: str) -> list[str]:
    """Stems of the non-stop-words of ``text``, in order."""
    return [stem(w) for w in words(text) if w.casefold() not in STOPWORDS and not w.isdigit()]
