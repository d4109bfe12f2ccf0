"""Small text helpers shared by the enrichment steps: words, sentences, stop words, stems."""
from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache

from spacy.lang.en.stop_words import STOP_WORDS

from services.enrichment.nlp import thai
from shared.formats.plaintext.blocks import combining_marks
from shared.formats.sentences import SENTENCE_MARKS

# Chinese characters and Japanese kana: scripts that put no space between words.
# Each character counts as a word, as Chinese and Japanese newsrooms count length
# (字数) and as word processors count these scripts. Hangul is written with spaces.
# Thai, also written without spaces between words, is cut into dictionary words
# (:mod:`thai`).
UNSPACED = "\u3005-\u3007\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f" \
           "\U00020000-\U0003134f"
_UNSPACED_CHARACTER = re.compile(rf"[{UNSPACED}]")
# Inside a word: apostrophes, hyphens, and a number's decimal or thousands separator
# ("0.48", "1,000" are one word).
_JOINER = r"(?:[’'\-]|(?<=\d)[.,](?=\d))"
# Combining marks (Indic vowel signs and viramas, Arabic harakat, Thai vowels, accents
# written apart) belong to the word they sit in, though \w leaves them out: "दिल्ली"
# is one word, not three. Letters and marks never overlap, so this cannot backtrack.
_MARKS = combining_marks()


def _run(letter: str) -> str:
    return rf"{letter}+(?:[{_MARKS}]+{letter}*)*"


_LETTERS = _run(r"[^\W_]")
WORD = re.compile(rf"{_LETTERS}(?:{_JOINER}{_LETTERS})*")
_SPACED_LETTERS = _run(rf"(?:(?![{UNSPACED}])[^\W_])")  # slower: used only on text with such characters
_WORD_BY_SCRIPT = re.compile(rf"[{UNSPACED}]|{_SPACED_LETTERS}(?:{_JOINER}{_SPACED_LETTERS})*")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# Sentence ends are the shared marks (Latin, Devanagari danda, Arabic question mark,
# Urdu, Ethiopic, full-width). A full-width mark ends a sentence with no space after it,
# but not inside a quotation it closes (「…です。」と述べた is one sentence); the others
# need a space after them ("2.5", "U.S.A"). The ellipsis is left out: in news copy it
# mostly stands for words cut from a quotation ("We will … fight on").
_FULL_WIDTH_ENDS = "".join(m for m in SENTENCE_MARKS if unicodedata.east_asian_width(m) in "WF") + "｡"
_SPACED_ENDS = "".join(m for m in SENTENCE_MARKS if m not in _FULL_WIDTH_ENDS and m != "…")
_SENTENCE_END = re.compile(rf"(?<=[{re.escape(_SPACED_ENDS)}])\s+"
                           rf"|(?<=[{re.escape(_FULL_WIDTH_ENDS)}])(?![」』）〕】”’\"'])\s*")
QUESTION_MARKS = ("?", "？", "؟")
# Silent reading speed of adult readers of non-fiction in English (Brysbaert 2019).
WORDS_PER_MINUTE = 238
STOPWORDS = frozenset(STOP_WORDS) | {"’s", "'s", "mr", "mrs", "ms", "also", "said", "says", "would", "could"}


def words(text: str) -> list[str]:
    """The words of ``text``: runs of letters/digits (with the combining marks inside
    them) with inner apostrophes and hyphens (and separators inside numbers), each
    Chinese character or Japanese kana on its own, and Thai as newmm segments it."""
    if not thai.has_thai(text):
        return _words_outside_thai(text)
    found, last = [], 0
    for run in thai.THAI_RUN.finditer(text):
        found += _words_outside_thai(text[last:run.start()]) + thai.words(run.group())
        last = run.end()
    return found + _words_outside_thai(text[last:])


def _words_outside_thai(text: str) -> list[str]:
    return (_WORD_BY_SCRIPT if _UNSPACED_CHARACTER.search(text) else WORD).findall(text)


def word_count(text: str) -> int:
    """How many words ``text`` has (see :func:`words`: Chinese and Japanese count by
    character, Thai by dictionary word)."""
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
