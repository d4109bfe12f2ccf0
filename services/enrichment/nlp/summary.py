"""An extractive summary: two or three sentences of the article, in its order.

Each body sentence scores the mean weight of its content stems (stem frequency
in the article, relative to the most frequent) blended with a lead prior
(1/√(position+1)): news puts the essentials first. Sentences that are too short
or too long (in words; a Chinese or Japanese character is half a word),
questions, or mostly direct quotation are skipped, and a sentence sharing over
half its stems with one already chosen is skipped as redundant.
Three sentences for a body of eight or more, else two.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable

from services.enrichment.nlp.text import QUESTION_MARKS, stems, unspaced_characters, word_count

MIN_WORDS, MAX_WORDS = 6, 60
# Chinese and Japanese count a word per character but say in about two characters
# what English says in one word (Chinese words average 1.5-2 characters): sentence
# length limits are in English words.
CHARACTERS_PER_WORD = 2
LEAD_WEIGHT = 0.5
_QUOTED = re.compile(r"“[^”]*(?:”|$)|\"[^\"]*(?:\"|$)")


def _quoted_share(sentence: str) -> float:
    """How much of ``sentence`` is inside quotation marks (an open quote runs to the end)."""
    quoted = sum(len(m.group(0)) for m in _QUOTED.finditer(sentence))
    return quoted / max(1, len(sentence))


def summarise(sentences: list[str], *, bag: Callable[[str], list[str]] = stems,
              min_words: int = MIN_WORDS) -> list[str]:
    """The chosen sentences (2–3) of ``sentences`` (the body's, in order); fewer
    when the body has fewer usable sentences. ``bag`` gives a sentence's content
    terms (English stems by default; Korean nouns for Korean, Thai content
    words for Thai)."""
    bags = [bag(s) for s in sentences]
    freq = Counter(term for terms in bags for term in terms)
    top = max(freq.values(), default=1)
    scored = []
    for i, (sentence, terms) in enumerate(zip(sentences, bags)):
        n = word_count(sentence) - unspaced_characters(sentence) * (1 - 1 / CHARACTERS_PER_WORD)
        if not terms or n < min_words or n > MAX_WORDS or sentence.rstrip().endswith(QUESTION_MARKS) \
                or _quoted_share(sentence) > 0.5:
            continue
        content = sum(freq[s] for s in set(terms)) / len(set(terms)) / top
        scored.append(((1 - LEAD_WEIGHT) * content + LEAD_WEIGHT / math.sqrt(i + 1), i))
    want = 3 if len(sentences) >= 8 else 2
    chosen: list[int] = []
    for _, i in sorted(scored, reverse=True):
        if all(len(set(bags[i]) & set(bags[j])) <= 0.5 * len(set(bags[i])) for j in chosen):
            chosen.append(i)
        if len(chosen) == want:
            break
    return [sentences[i].strip() for i in sorted(chosen)]
