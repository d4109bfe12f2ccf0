"""Editors' notes, keyword and slug lines are kept out of the body."""
from __future__ import annotations

import pytest

from shared.formats.desk_notes import split_desk_notes


@pytest.mark.parametrize("line", [
    "Eds: Adds quote in 3rd graf.", "EDITOR'S NOTE: Contains graphic language.", "Note to editors: photos at 1400.",
    "NOT FOR PUBLICATION", "(Not for publication: call the desk on +47 22 00 00 00)",
    "Ikke for publisering: bildet er tatt av NTB.", "Nicht zur Veröffentlichung - Sperrfrist beachten",
    "Ej för publicering.",
])
def test_editors_notes_go_to_the_note(line):
    desk = split_desk_notes(["The minister resigned on Friday.", line])
    assert desk.paragraphs == ["The minister resigned on Friday."] and desk.notes == [line]
    assert desk.ed_note("Declared") == f"Declared / {line}"


@pytest.mark.parametrize("line", [
    "Editors of three newspapers signed the letter.",     # "Editors" as a word of the story
    "The report was not published until Friday.",
    "Keywords matter less than clear headlines, the panel said.",
    "Eds: " + "a long paragraph that only starts like a note " * 20,
])
def test_story_text_that_looks_like_a_label_stays(line):
    assert split_desk_notes([line]).paragraphs == [line]


def test_keyword_and_slug_lines_are_metadata():
    desk = split_desk_notes(["KEYWORDS: Election, Norway; Storting", "SLUG: norway-election", "Text."])
    assert desk.keywords == ["Election", "Norway", "Storting"] and desk.slug == "norway-election"
    assert desk.paragraphs == ["Text."] and desk.ed_note() is None


@pytest.mark.parametrize("line", [
    "The memo, stamped not for publication, was later posted online by a former aide.",
    "El juez ordenó no publicar los nombres de los menores.",
    "Le tribunal a demandé aux journaux de ne pas publier la photo.",
    "Das Papier war nicht zur Veröffentlichung bestimmt, sagte der Sprecher.",
])
def test_not_for_publication_inside_a_sentence_is_story_text(line):
    desk = split_desk_notes([line])
    assert desk.paragraphs == [line] and desk.notes == []


@pytest.mark.parametrize("line", [
    "PHOTO NOT FOR PUBLICATION", "Embargoed - not for publication before 1400 GMT", "** No publicar **",
])
def test_a_short_notice_line_is_still_a_note(line):
    assert split_desk_notes([line]).notes == [line]
