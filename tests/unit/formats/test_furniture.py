"""is_furniture: the lines of a web page or feed body that are no story text."""
from __future__ import annotations

import pytest

from shared.formats.furniture import is_furniture


@pytest.mark.parametrize("line", [
    "The post Quake hits coast appeared first on Wire.",
    "The post “Quake hits coast” appeared first on Example News Network",
    "Continue reading…",
    "Continue reading the main story",
    "Continue Reading →",
    "Read more: Council backs tram plan",  # the rules the HTML reader always had
    "Advertisement",
])
def test_feed_and_page_boilerplate_is_furniture(line):
    assert is_furniture(line)


@pytest.mark.parametrize("line", [
    "The report appeared first on the ministry's website, officials said.",
    "Continue reading the report, the minister told parliament, and you will see the figures are wrong.",
    "Students continue reading at the library after it closes, the council said.",
])
def test_story_sentences_with_the_same_words_stay(line):
    assert not is_furniture(line)
