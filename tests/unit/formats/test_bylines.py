"""split_byline: a byline as written in, its authors and the agency they write for out."""
from __future__ import annotations

import pytest

from shared.formats.bylines import read_bylines, split_byline


@pytest.mark.parametrize("text, names, affiliations", [
    ("By Jane Doe and John Roe, Reuters", ["Jane Doe", "John Roe"], ["Reuters"]),
    ("By Jane Doe and John Roe", ["Jane Doe", "John Roe"], []),
    ("BY: Jane Doe & John Roe", ["Jane Doe", "John Roe"], []),
    ("Jane Doe; John Roe", ["Jane Doe", "John Roe"], []),
    ("Von Anna Schmidt und Max Müller, dpa", ["Anna Schmidt", "Max Müller"], ["dpa"]),
    ("Par Marie Dupont et Jean Martin (AFP)", ["Marie Dupont", "Jean Martin"], ["AFP"]),
    ("Por María López y Juan Pérez", ["María López", "Juan Pérez"], []),
    ("Door Jan de Vries", ["Jan de Vries"], []),
    ("Av Kari Nordmann, NTB", ["Kari Nordmann"], ["NTB"]),
    ("Di Mario Rossi", ["Mario Rossi"], []),
    ("JANE DOE, Associated Press", ["JANE DOE"], ["Associated Press"]),
    ("Jane Doe | AP", ["Jane Doe"], ["AP"]),
    ("Jane Doe, John Roe and Max Mustermann", ["Jane Doe", "John Roe", "Max Mustermann"], []),
    ("Jane Doe, John Roe, and Max Mustermann", ["Jane Doe", "John Roe", "Max Mustermann"], []),
    ("Jane Doe for The Associated Press", ["Jane Doe"], ["The Associated Press"]),
], ids=lambda v: v if isinstance(v, str) else None)
def test_authors_and_agency_are_split(text, names, affiliations):
    byline = split_byline(text)
    assert list(byline.names) == names and list(byline.affiliations) == affiliations


@pytest.mark.parametrize("text, names, affiliations, title", [
    ("By Jane Doe, Staff Writer", ["Jane Doe"], [], "Staff Writer"),
    ("JANE DOE, AP Business Writer", ["JANE DOE"], ["AP"], "AP Business Writer"),
    ("Jane Doe, Associated Press Writer", ["Jane Doe"], ["Associated Press"], "Associated Press Writer"),
    ("Reuters staff", [], ["Reuters"], "Reuters staff"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_a_trailing_job_title_is_no_author(text, names, affiliations, title):
    byline = split_byline(text)
    assert list(byline.names) == names and list(byline.affiliations) == affiliations and byline.title == title


@pytest.mark.parametrize("text", [
    "Smith, John",  # surname first: one person
    "José Ortega y Gasset",  # "y" joins a double surname
    "Ursula von der Leyen",
    "Von der Leyen",  # "Von" opening a surname is no "by"
    "Di Stefano",
    "Harbour Desk",
    "Anna-Lena Berg",
])
def test_a_single_name_stays_whole(text):
    assert list(split_byline(text).names) == [text]


def test_a_byline_of_agencies_alone_names_no_author():
    for text, agencies in (("NTB-AFP-DPA", ["NTB", "AFP", "DPA"]), ("By Reuters", ["Reuters"]),
                           ("AP and Reuters", ["AP", "Reuters"])):
        byline = split_byline(text)
        assert byline.names == () and list(byline.affiliations) == agencies


def test_the_text_loses_only_its_leading_by():
    assert split_byline("  By   Jane Doe and John Roe,  Reuters ").text == "Jane Doe and John Roe, Reuters"
    assert split_byline("Jane Doe").text == "Jane Doe"


def test_people_and_sources_in_ninjs_shape():
    byline = split_byline("By Jane Doe and John Roe, Reuters")
    assert byline.people() == [{"name": "Jane Doe", "rel": "author"}, {"name": "John Roe", "rel": "author"}]
    assert byline.people(rel="photographer")[0] == {"name": "Jane Doe", "rel": "photographer"}
    assert byline.info_sources() == [{"name": "Reuters", "role": "source"}]


def test_several_bylines_read_as_one():
    byline = read_bylines(["By Jane Doe, Reuters", "John Roe and Jane Doe", ""])
    assert byline.names == ("Jane Doe", "John Roe") and byline.affiliations == ("Reuters",)
    assert byline.text == "Jane Doe, Reuters and John Roe and Jane Doe"


def test_a_very_long_byline_is_not_split():
    text = "Jane Doe and " * 100 + "John Roe"
    assert split_byline(text).names == (text,)


@pytest.mark.parametrize("text, names, affiliations", [
    ("JOHN DOE and JANE ROE Associated Press Writers", ["JOHN DOE", "JANE ROE"], ["Associated Press"]),
    ("By Jane Doe, CNN", ["Jane Doe"], ["CNN"]),
    ("Jane Doe, The Washington Post", ["Jane Doe"], ["The Washington Post"]),
    ("Jane Doe, CBS News", ["Jane Doe"], ["CBS News"]),
    ("Jane Doe, Emily Post", ["Jane Doe", "Emily Post"], []),  # a person, though her name ends like a paper's
])
def test_newsrooms_are_known_by_name_or_shape(text, names, affiliations):
    byline = split_byline(text)
    assert list(byline.names) == names and list(byline.affiliations) == affiliations


def test_a_credit_line_names_its_reporters_not_its_editors():
    byline = split_byline("Reporting by Jane Doe and John Roe; Additional reporting by Max Mustermann; "
                          "Editing by Ed Itor")
    assert byline.names == ("Jane Doe", "John Roe", "Max Mustermann")


@pytest.mark.parametrize("text, by, names", [
    ("By MARTA OKONKWO", "Marta Okonkwo", ["Marta Okonkwo"]),
    ("By JANE DOE and JOHN ROE, AP", "Jane Doe and John Roe, AP", ["Jane Doe", "John Roe"]),
    ("JANE DOE AND JOHN ROE", "Jane Doe and John Roe", ["Jane Doe", "John Roe"]),
    ("Jane Doe and JOHN ROE", "Jane Doe and John Roe", ["Jane Doe", "John Roe"]),
    ("LUDWIG VAN BEETHOVEN", "Ludwig van Beethoven", ["Ludwig van Beethoven"]),
    ("SEAN O'NEIL & ANNA-LENA BERG", "Sean O'Neil & Anna-Lena Berg", ["Sean O'Neil", "Anna-Lena Berg"]),
    ("Jane Doe, CNN", "Jane Doe, CNN", ["Jane Doe"]),  # nothing in capitals: as it was
], ids=lambda v: v if isinstance(v, str) else None)
def test_names_set_in_capitals_read_in_title_case(text, by, names):
    byline = split_byline(text).title_cased()
    assert byline.text == by and list(byline.names) == names


def test_title_case_leaves_agencies_and_title_as_written():
    byline = split_byline("JANE DOE, AP Business Writer").title_cased()
    assert byline.affiliations == ("AP",) and byline.title == "AP Business Writer"
    assert split_byline("NTB-AFP-DPA").title_cased().affiliations == ("NTB", "AFP", "DPA")
