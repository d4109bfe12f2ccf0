"""Features of each text block of a scraped page that carry across sites.

A block is one line of the scraped text (scrapers emit one line per HTML block). Its
features describe the block's own shape (length, sentences, punctuation, stopwords,
capitals, digits) and its place in the page (inside or near the densest run of prose,
repeated elsewhere, what its neighbours look like), so a classifier trained on some
sites reads pages of others. Nothing here knows a site or a word of any one page.
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from shared.formats.sentences import CLOSERS, SENTENCE_MARKS


@lru_cache(maxsize=1)
def combining_marks() -> str:
    """The combining marks of the Basic Multilingual Plane (Indic vowel signs, Arabic and
    Hebrew points, accents written apart) as the ranges of a character class. ``\\w``
    leaves them out, which would cut "दिल्ली" into three words."""
    ranges: list[list[int]] = []
    for code in range(0x300, 0x10000):
        if unicodedata.category(chr(code)).startswith("M"):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    return "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges)


_WORD = re.compile(rf"[\w{combining_marks()}]+")
_SENTENCE_END = re.compile(rf"[{SENTENCE_MARKS}][{CLOSERS}]*(?=\s|$)")
_TERMINAL = re.compile(rf"[{SENTENCE_MARKS}:;][{CLOSERS}]*$")
_SYMBOLS = re.compile(r"[|•»«›‹>/\\©®™#@+=*_~^<]")
# Scripts written without spaces: a "word" is a run of several characters there.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\u0e00-\u0e7f]")

FEATURES = (
    "log_words", "log_chars", "terminal", "log_sentences", "stopwords", "stopwords_vs_page",
    "capitals", "digits", "symbols", "commas", "repeated", "prose", "in_run", "run_distance",
    "position", "neighbours_prose", "neighbours_words", "short_title", "before_run", "after_run",
    "prose_streak", "title_neighbours",
)


@dataclass(frozen=True)
class Block:
    """One non-empty line of the page with its 1-based line number."""

    line_no: int
    text: str


def words_of(text: str) -> list[str]:
    return _WORD.findall(text)


def word_count(text: str) -> int:
    """Words of a block; text in scripts without spaces counts 1 word per 3 characters."""
    return _count(text, words_of(text))


def _count(text: str, words: list[str]) -> int:
    unspaced = len(_UNSPACED.findall(text))
    return len(words) + unspaced // 3 if unspaced > len(text) / 4 else len(words)


def is_prose(text: str) -> bool:
    """The three-line rule: a block of 12+ words that ends like a sentence."""
    return _prose(text, word_count(text))


def _prose(text: str, count: int) -> bool:
    return count >= 12 and bool(_TERMINAL.search(text))


@dataclass(frozen=True)
class _Reading:
    """What the features ask of one block's text, worked out once per page."""

    words: list[str]
    count: int
    prose: bool


def _read(text: str) -> _Reading:
    words = words_of(text)
    count = _count(text, words)
    return _Reading(words, count, _prose(text, count))


@lru_cache(maxsize=1)
def _stoplists_of_word() -> tuple[list[frozenset[str]], dict[str, list[int]]]:
    """jusText's stoplists (100 languages, they come with trafilatura) in name order, and
    for each stopword the indexes of the lists holding it."""
    import justext

    lists = [frozenset(justext.get_stoplist(name)) for name in sorted(justext.get_stoplists())]
    holders: dict[str, list[int]] = {}
    for i, stoplist in enumerate(lists):
        for word in stoplist:
            holders.setdefault(word, []).append(i)
    return lists, holders


def page_stopwords(blocks: list[Block]) -> frozenset[str]:
    """The stoplist of the language whose stopwords cover most of the page's prose."""
    return _page_stopwords([_read(b.text) for b in blocks])


def _page_stopwords(readings: list[_Reading]) -> frozenset[str]:
    prose = [w.lower() for r in readings if r.prose for w in r.words]
    prose = prose or [w.lower() for r in readings for w in r.words]
    lists, holders = _stoplists_of_word()
    hits = [0] * len(lists)
    for word, n in Counter(prose).items():
        for i in holders.get(word, ()):
            hits[i] += n
    best, best_hits = frozenset(), 0
    for stoplist, count in zip(lists, hits):  # the first of the lists with most hits
        if count > best_hits:
            best, best_hits = stoplist, count
    return best


def densest_run(blocks: list[Block]) -> tuple[int, int]:
    """Index range [start, end] of the run of blocks with the most prose, where prose
    words count for and every other block against (a maximum-sum subarray)."""
    return _densest_run([_read(b.text) for b in blocks])


def _densest_run(readings: list[_Reading]) -> tuple[int, int]:
    best, best_span, total, start = -math.inf, (0, max(len(readings) - 1, 0)), 0.0, 0
    for i, reading in enumerate(readings):
        gain = reading.count if reading.prose else -4.0
        if total <= 0:
            total, start = gain, i
        else:
            total += gain
        if total > best:
            best, best_span = total, (start, i)
    return best_span


def block_features(blocks: list[Block]) -> list[list[float]]:
    """One row of :data:`FEATURES` per block, in page order."""
    if not blocks:
        return []
    readings = [_read(b.text) for b in blocks]
    stop = _page_stopwords(readings)
    run_start, run_end = _densest_run(readings)
    repeats = Counter(b.text.lower() for b in blocks)
    prose = [1.0 if r.prose else 0.0 for r in readings]
    counts = [r.count for r in readings]
    densities = [_stop_density(r.words, stop) for r in readings]
    prose_density = [d for d, p in zip(densities, prose) if p] or densities
    page_density = sorted(prose_density)[len(prose_density) // 2]
    titles = [1.0 if 3 <= n <= 25 and not _TERMINAL.search(b.text) else 0.0 for n, b in zip(counts, blocks)]
    streaks = _streaks(prose)
    rows = []
    for i, block in enumerate(blocks):
        text, words = block.text, readings[i].words
        n_words = counts[i]
        distance = 0 if run_start <= i <= run_end else min(abs(i - run_start), abs(i - run_end))
        near = [j for j in (i - 2, i - 1, i + 1, i + 2) if 0 <= j < len(blocks)]
        capitals = sum(1 for w in words if w[0].isupper()) / len(words) if words else 0.0
        rows.append([
            math.log1p(n_words),
            math.log1p(len(text)),
            1.0 if _TERMINAL.search(text) else 0.0,
            math.log1p(len(_SENTENCE_END.findall(text))),
            densities[i],
            densities[i] - page_density,
            capitals,
            sum(map(str.isdigit, text)) / len(text),
            len(_SYMBOLS.findall(text)) / len(text),
            text.count(",") / max(n_words, 1),
            1.0 if repeats[text.lower()] > 1 else 0.0,
            prose[i],
            1.0 if distance == 0 else 0.0,
            math.log1p(distance),
            i / len(blocks),
            sum(prose[j] for j in near) / len(near) if near else 0.0,
            sum(math.log1p(counts[j]) for j in near) / len(near) if near else 0.0,
            titles[i],
            1.0 if i < run_start else 0.0,
            1.0 if i > run_end else 0.0,
            math.log1p(streaks[i]),
            sum(titles[j] for j in (i - 1, i + 1) if 0 <= j < len(blocks)) / 2,
        ])
    return rows


def _streaks(prose: list[float]) -> list[int]:
    """For each prose block, how many prose blocks follow one another where it stands
    (a story's paragraphs come in long streaks; teasers and comments in short ones)."""
    out = [0] * len(prose)
    i = 0
    while i < len(prose):
        j = i
        while j < len(prose) and prose[j]:
            j += 1
        for k in range(i, j):
            out[k] = j - i
        i = max(j, i + 1)
    return out


def _stop_density(words: list[str], stop: frozenset[str]) -> float:
    return sum(1 for w in words if w.lower() in stop) / len(words) if words else 0.0
