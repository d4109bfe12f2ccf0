"""Small text helpers shared by the enrichment steps: words, sentences, stop words, stems."""
from __future__ import annotations

import math
import re
from functools import lru_cache

from spacy.lang.en.stop_words import STOP_WORDS

# Chinese characters and Japanese kana: scripts that put no space between words.
# Each character counts as a word, as Chinese and Japanese newsrooms count length
# (字数) and as word processors count these scripts. Hangul is written with spaces.
_UNSPACED = "\u3005-\u3007\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f" \
            "\U00020000-\U0003134f"
_UNSPACED_CHARACTER = re.compile(rf"[{_UNSPACED}]")
# Inside a word: apostrophes, hyphens, and a number's decimal or thousands separator
# ("0.48", "1,000" are one word).
_JOINER = r"(?:[’'\-]|(?<=\d)[.,](?=\d))"
WORD = re.compile(rf"[^\W_]+(?:{_JOINER}[^\W_]+)*")
_LETTERS = rf"(?:(?![{_UNSPACED}])[^\W_])+"  # slower: used only on text with such characters
_WORD_BY_SCRIPT = re.compile(rf"[{_UNSPACED}]|{_LETTERS}(?:{_JOINER}{_LETTERS})*")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# A sentence ends at . ! ? followed by a space, or at the full-width 。！？, which
# need none; not inside a quotation it closes (「…です。」と述べた is one sentence).
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？｡])(?![」』）〕】”’\"'])\s*")
# Silent reading speed of adult readers of non-fiction in English (Brysbaert 2019).
WORDS_PER_MINUTE = 238
STOPWORDS = frozenset(STOP_WORDS) | {"’s", "'s", "mr", "mrs", "ms", "also", "said", "says", "would", "could"}


def words(text: str) -> list[str]:
    """The words of ``text``: runs of letters/digits with inner apostrophes and
    hyphens (and separators inside numbers), and each Chinese character or Japanese
    kana on its own."""
    return (_WORD_BY_SCRIPT if _UNSPACED_CHARACTER.search(text) else WORD).findall(text)


def word_count(text: str) -> int:
    """How many words ``text`` has (see :func:`words`: Chinese and Japanese count by character)."""
    return len(words(text))


def unspaced_characters(text: str) -> int:
    """How many of ``text``'s words are Chinese characters or Japanese kana."""
    return len(_UNSPACED_CHARACTER.findall(text))


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` in order, without empty ones. A cheap splitter for
    languages without a sentence model: it also cuts after abbreviations ("Dec.")."""
    return [s for s in _SENTENCE_END.split(text) if s.strip()]


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
    return [stem(w) for w in words(text) if w.casefold() not in STOPWORDS and not _NUMBER.fullmatch(w)]
