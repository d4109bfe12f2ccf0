"""Keywords: the common-noun phrases an article keeps coming back to.

Candidates are single content words and runs of two or three of them (no stop
word or punctuation between), keyed by stem so "troop" and "troops" count
together. Proper names are left out (people, organisations and places have their
own fields): a word mostly written with a capital inside sentences is a name.
A candidate must occur at least twice; it scores count × length^1.5, so a
repeated phrase beats its words alone, and a word is dropped when a kept phrase
accounts for all its occurrences.

Thai is scored the same way over runs of newmm's content words (no stop word,
space or punctuation between), written without spaces as Thai writes them; Thai
has no capitals, so names are not told apart there.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Set
from dataclasses import dataclass

from services.enrichment.nlp import thai
from services.enrichment.nlp.text import STOPWORDS, stem

_TOKEN = re.compile(r"[^\W\d_][\w’'\-]*|[^\w\s]")
MAX_WORDS = 3


@dataclass
class Keyword:
    text: str
    score: float
    count: int


def _runs(text: str) -> tuple[list[list[str]], set[str]]:
    """Runs of content words, and the stems written as names (capitalised mid-sentence)."""
    runs: list[list[str]] = []
    capital, lower = Counter(), Counter()
    for paragraph in text.split("\n"):
        current: list[str] = []
        previous = "."
        for token in _TOKEN.findall(paragraph):
            word = token.strip("’'-")
            if word and word[0].isalpha():
                key = stem(word)
                if previous not in ".!?“\"":
                    (capital if word[0].isupper() else lower)[key] += 1
            if not word or not word[0].isalpha() or word.casefold() in STOPWORDS or len(word) < 3 \
                    or word.casefold().endswith("ly"):
                if current:
                    runs.append(current)
                current = []
            else:
                current.append(word)
            previous = token
        if current:
            runs.append(current)
    names = {k for k in capital if capital[k] >= lower[k]}
    return runs, names


def read_keywords(text: str, *, limit: int = 10) -> list[Keyword]:
    """The ``limit`` best keywords of ``text`` (lower case), best first."""
    runs, names = _runs(text)
    return _best(runs, key=stem, joiner=" ", names=names, limit=limit)


def read_thai_keywords(text: str, *, limit: int = 10) -> list[Keyword]:
    """The ``limit`` best keywords of Thai ``text``, best first: words and runs of two
    or three words (:func:`thai.content_runs`) that occur at least twice."""
    return _best(thai.content_runs(text), key=str, joiner="", names=frozenset(), limit=limit)


def _best(runs: list[list[str]], *, key: Callable[[str], str], joiner: str, names: Set[str],
          limit: int) -> list[Keyword]:
    """The best phrases of up to ``MAX_WORDS`` adjacent words of ``runs``, counted by
    their words' ``key`` (phrases with a key in ``names`` left out), each written as
    its most frequent surface (words joined by ``joiner``, lower case)."""
    counts: Counter = Counter()
    surfaces: dict[tuple[str, ...], Counter] = defaultdict(Counter)
    for run in runs:
        keys = [key(w) for w in run]
        for n in range(1, MAX_WORDS + 1):
            for i in range(len(run) - n + 1):
                phrase = tuple(keys[i:i + n])
                if names.isdisjoint(phrase):
                    counts[phrase] += 1
                    surfaces[phrase][joiner.join(run[i:i + n]).lower()] += 1
    candidates = sorted(((count * len(phrase) ** 1.5, phrase) for phrase, count in counts.items() if count >= 2),
                        key=lambda pair: (-pair[0], pair[1]))
    kept: list[tuple[float, tuple[str, ...]]] = []
    for score, phrase in candidates:
        if len(phrase) == 1 and any(phrase[0] in k and counts[k] >= counts[phrase] for _, k in kept):
            continue
        kept.append((score, phrase))
    return [Keyword(surfaces[p].most_common(1)[0][0], round(score, 2), counts[p]) for score, p in kept[:limit]]
