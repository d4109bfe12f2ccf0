"""Korean text with kiwipiepy's bundled model: sentences, nouns, proper nouns.

kiwipiepy tags proper nouns (NNP) but does not say whether one is a person, an
organisation or a place, and no typed Korean NER model is installed: proper
nouns are reported untyped rather than guessed.
"""
from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass

_LOCK = threading.Lock()
_KIWI = None


def kiwi():
    """The Kiwi analyser, loaded once (~1 s, plus ~1 s on first use)."""
    global _KIWI
    with _LOCK:
        if _KIWI is None:
            from kiwipiepy import Kiwi

            _KIWI = Kiwi()
            _KIWI.tokenize("준비.")  # the first call builds lazy tables
        return _KIWI


@dataclass
class ProperNoun:
    text: str
    offsets: list[tuple[int, int]]


def sentences(text: str) -> list[str]:
    return [s.text for s in kiwi().split_into_sents(text)]


def proper_nouns(text: str) -> list[ProperNoun]:
    """Proper nouns (NNP) of ``text`` with every occurrence, most frequent first."""
    found: dict[str, ProperNoun] = {}
    for token in kiwi().tokenize(text):
        if token.tag == "NNP" and len(token.form) > 1:
            found.setdefault(token.form, ProperNoun(token.form, [])).offsets.append(
                (token.start, token.start + token.len))
    return sorted(found.values(), key=lambda p: (-len(p.offsets), p.offsets[0][0]))


def noun_stems(text: str) -> list[str]:
    """Common and proper nouns of ``text`` in order (for keywords and summaries)."""
    return [t.form for t in kiwi().tokenize(text) if t.tag in ("NNG", "NNP") and len(t.form) > 1]


def keywords(text: str, limit: int = 10) -> list[tuple[str, int]]:
    """The most frequent common nouns (proper nouns are entities, not keywords)."""
    counts = Counter(t.form for t in kiwi().tokenize(text) if t.tag == "NNG" and len(t.form) > 1)
    return [(w, c) for w, c in counts.most_common(limit) if c >= 2]
