"""IPTC Media Topics of the second level (e.g. medtop:20000593 "government" under
medtop:11000000 "politics and government"), from IPTC's own vocabulary.

Each level-2 topic is matched on a lexicon made from the vocabulary itself
(``data/mediatopic-vocabulary.json``, IPTC, CC BY 4.0): its own name (weight 3) and the
names of every current concept below it (weight 2; "espionage and intelligence" gives
"espionage" and "intelligence", qualifiers in parentheses dropped). Nothing is written
by hand, so the lexicon follows IPTC's releases. Scores use the same stems and the same
Σ weight × (1 + ln count) as the top level.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import orjson

from services.enrichment.nlp.text import stems

OWN_NAME, DESCENDANT = 3.0, 2.0
_QUALIFIER = re.compile(r"\s*\([^)]*\)")
_SPLIT = re.compile(r",\s*|\s+(?:and|or|&)\s+|/")


@dataclass(frozen=True)
class Subtopic:
    code: str
    name: str
    parent: str
    terms: dict[tuple[str, ...], float]


@lru_cache(maxsize=1)
def vocabulary() -> dict[str, dict]:
    """The shipped vocabulary: ``{"topics": {code: {...}}, "deeper": {code: level-2 code}, "subjectcodes": {...}}``."""
    data = resources.files("services.enrichment.nlp").joinpath("data", "mediatopic-vocabulary.json").read_bytes()
    return orjson.loads(data)


@lru_cache(maxsize=1)
def subtopics() -> dict[str, list[Subtopic]]:
    """Level-1 code → its level-2 topics with their lexicons."""
    out: dict[str, list[Subtopic]] = {}
    for code, entry in vocabulary()["topics"].items():
        if entry["level"] != 2:
            continue
        terms: dict[tuple[str, ...], float] = {}
        for label, weight in [(entry["name"], OWN_NAME)] + [(n, DESCENDANT) for n in entry["labels"]]:
            for term in label_terms(label):
                terms[term] = max(terms.get(term, 0.0), weight)
        out.setdefault(entry["parent"], []).append(Subtopic(code, entry["name"], entry["parent"], terms))
    return out


def label_terms(label: str) -> list[tuple[str, ...]]:
    """Stem tuples of a vocabulary label: qualifiers dropped, split on "and"/"or"/commas."""
    parts = _SPLIT.split(_QUALIFIER.sub("", label).strip())
    out = []
    for part in parts:
        if words := stems(part):  # stopwords out, as in the article's n-grams
            out.append(tuple(words))
    return out


def score_subtopics(parent: str, counts: Counter) -> list[tuple[float, Subtopic, dict[str, int]]]:
    """Level-2 topics under ``parent`` that match ``counts`` (stem n-gram counts), best first."""
    scored = []
    for sub in subtopics().get(parent, []):
        hits = {t: counts[t] for t in sub.terms if counts.get(t)}
        score = sum(sub.terms[t] * (1 + math.log(c)) for t, c in hits.items())
        if score > 0:
            scored.append((score, sub, {" ".join(t): c for t, c in hits.items()}))
    scored.sort(key=lambda s: -s[0])
    return scored
