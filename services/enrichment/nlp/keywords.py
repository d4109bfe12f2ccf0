"""Keywords: the common-noun phrases an article keeps coming back to.

Candidates are single content words and runs of two or three of them (no stop
word or punctuation between), keyed by stem so "troop" and "troops" count
together. Proper names are left out (people, organisations and places have their
own fields): a word mostly written with a capital inside sentences is a name.
A candidate must occur at least twice; it scores count × length^1.5, so a
repeated phrase beats its words alone, and a word is dropped when a kept phrase
accounts for all its occurrences.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass

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
    counts: Counter = Counter()
    surfaces: dict[tuple[str, ...], Counter] = defaultdict(Counter)
    for run in runs:
        keys = [stem(w) for w in run]
        for n in range(1, MAX_WORDS + 1):
            for i in range(len(run) - n + 1):
                key = tuple(keys[i:i + n])
                if names.intersection(key):
                    continue
                counts[key] += 1
                surfaces[key][" ".join(run[i:i + n]).lower()] += 1
    candidates = sorted(((count * len(key) ** 1.5, key) for key, count in counts.items() if count >= 2),
                        key=lambda pair: (-pair[0], pair[1]))
    kept: list[tuple[float, tuple[str, ...]]] = []
    for score, key in candidates:
        if len(key) == 1 and any(key[0] in k and counts[k] >= counts[key] for _, k in kept):
            continue
        kept.append((score, key))
    return [Keyword(surfaces[key].most_common(1)[0][0], round(score, 2), counts[key]) for score, key in kept[:limit]]
