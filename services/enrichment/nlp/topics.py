"""IPTC Media Topics (top level, then level 2) from transparent, weighted lexicons.

Each of the 17 top-level topics has a hand-written English lexicon
(``data/mediatopics.json``: term → weight 1–3). The article's words are stemmed
(:func:`text.stem`, the same function the lexicon goes through); a topic scores
Σ weight × (1 + ln count) over its terms found, phrases matched on consecutive
stems, with the headline counted twice. The best topic is kept when it scores at
least ``MIN_SCORE``; others when they reach ``SECONDARY`` of the best, three at most.
The best level-2 topic's score (see below) adds ``VOCABULARY_WEIGHT`` of itself to its
parent's. Confidence (0–100) is the topic's share of all topics' scores; relevance (0–100)
its score relative to the best. Every kept topic lists the terms that fired. Under
each, the best level-2 topic comes from IPTC's own vocabulary (:mod:`subtopics`).
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import orjson

from services.enrichment.nlp.subtopics import score_subtopics, vocabulary
from services.enrichment.nlp.text import stem, stems

MEDIATOPIC = "http://cv.iptc.org/newscodes/mediatopic/"
MIN_SCORE = 6.0
SECONDARY = 0.25
MAX_TOPICS = 3
MIN_SUBTOPIC_SCORE = 2.0
# The best level-2 score under a top-level topic adds this share to the topic's own score:
# IPTC's vocabulary catches stories the hand lexicon misses (on the benchmark's 78 English
# pages, those left with no topic fall from 6 to 3) without outvoting it.
VOCABULARY_WEIGHT = 0.5


@dataclass
class Topic:
    code: str
    name: str
    score: float
    confidence: int
    relevance: int
    evidence: dict[str, int]
    level: int = 1
    parent: str | None = None

    @property
    def uri(self) -> str:
        return MEDIATOPIC + self.code


@lru_cache(maxsize=1)
def lexicon() -> dict[str, tuple[str, dict[tuple[str, ...], float]]]:
    """code → (name, {stem tuple: weight})."""
    raw = orjson.loads(resources.files("services.enrichment.nlp").joinpath("data", "mediatopics.json").read_bytes())
    out = {}
    for code, entry in raw.items():
        if code.startswith("_"):
            continue
        terms: dict[tuple[str, ...], float] = {}
        for term, weight in entry["terms"].items():
            key = tuple(stem(w) for w in term.split())
            terms[key] = max(terms.get(key, 0.0), float(weight))
        iptc = vocabulary()["topics"].get(code)  # IPTC's own name where the vocabulary has it
        out[code] = (iptc["name"] if iptc else entry["name"], terms)
    return out


def _ngrams(tokens: list[str]) -> Counter:
    counts: Counter = Counter()
    for n in (1, 2, 3):
        counts.update(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
    return counts


def classify(headline: str, body: str) -> list[Topic]:
    """The media topics of an English article (may be empty): the top-level topics, best
    first, each followed by its best level-2 topic (``level`` 2, ``parent`` its code)
    when the IPTC vocabulary's lexicon finds one."""
    counts = _ngrams(stems(headline)) + _ngrams(stems(headline)) + _ngrams(stems(body))
    scored = []
    for code, (name, terms) in lexicon().items():
        hits = {term: counts[term] for term in terms if counts.get(term)}
        score = sum(terms[t] * (1 + math.log(c)) for t, c in hits.items())
        children = score_subtopics(code, counts)
        if children:  # IPTC's own vocabulary as further evidence for the parent
            score += VOCABULARY_WEIGHT * children[0][0]
        if score > 0:
            scored.append((score, code, name, hits))
    if not scored:
        return []
    scored.sort(reverse=True)
    best, total = scored[0][0], sum(s for s, *_ in scored)
    if best < MIN_SCORE:
        return []
    kept = [Topic(code, name, round(score, 2), round(100 * score / total), round(100 * score / best),
                  {" ".join(t): c for t, c in sorted(hits.items(), key=lambda kv: -kv[1])[:8]})
            for score, code, name, hits in scored[:MAX_TOPICS] if score >= max(MIN_SCORE, SECONDARY * best)]
    return [t for top in kept for t in (top, *_second_level(top, counts))]


def _second_level(top: Topic, counts: Counter) -> list[Topic]:
    """The best level-2 topic under ``top`` when its IPTC lexicon scores at least
    ``MIN_SUBTOPIC_SCORE``; confidence and relevance are the parent's, scaled by the
    subtopic's share of its siblings' scores (so a child never outranks its parent)."""
    scored = score_subtopics(top.code, counts)
    if not scored or scored[0][0] < MIN_SUBTOPIC_SCORE:
        return []
    score, sub, hits = scored[0]
    share = score / sum(s for s, *_ in scored)
    return [Topic(sub.code, sub.name, round(score, 2), max(1, round(top.confidence * share)),
                  max(1, round(top.relevance * share)),
                  dict(sorted(hits.items(), key=lambda kv: -kv[1])[:8]), level=2, parent=top.code)]
