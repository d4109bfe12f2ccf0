"""Where a sentence ends, in the scripts the wires and scraped pages are written in.

One definition for every reader that asks whether a line is a sentence (the plain-text
cleaner's features, furniture and desk-note rules, a NITF lead taken as headline).
"""
from __future__ import annotations

import re

# Full stops: Latin (and the ellipsis), CJK full-width, Devanagari danda and double
# danda, Urdu, Ethiopic. A headline may end with a question or exclamation mark, not these.
FULL_STOPS = ".…。।॥۔።"
# Every sentence-final mark: the full stops, and question and exclamation marks (Latin,
# full-width, Arabic).
SENTENCE_MARKS = FULL_STOPS + "!?！？؟"
# What may close a sentence after its mark: quotes, brackets.
CLOSERS = "\"”’'»)\\]"
_ENDS_LIKE_A_SENTENCE = re.compile(f"[{SENTENCE_MARKS}][{CLOSERS}]*$")


def ends_like_a_sentence(text: str) -> bool:
    """True when ``text`` (stripped of trailing whitespace) ends with a sentence-final mark,
    perhaps followed by closing quotes or brackets."""
    return _ENDS_LIKE_A_SENTENCE.search(text.rstrip()) is not None
