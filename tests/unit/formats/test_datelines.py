"""dateline_place, opening_dateline: a wire dateline (or a paragraph it opens) in, its place out."""
from __future__ import annotations

import pytest

from shared.formats.datelines import dateline_place, opening_dateline


@pytest.mark.parametrize("dateline, place", [
    ("MIAMI, Oct. 3 (Reuters) -", "MIAMI"),
    ("MIAMI, March 1", "MIAMI"),
    ("WASHINGTON, D.C., Jan 5", "WASHINGTON, D.C."),
    ("PARIS (AFP) -", "PARIS"),
    ("KYIV, Ukraine, March 1", "KYIV, Ukraine"),
    ("ST. LOUIS, Mo., Jan. 5 (AP) —", "ST. LOUIS, Mo."),
    ("NEW YORK — Jan. 5", "NEW YORK"),
    ("BERLIN, 3. März (dpa) -", "BERLIN"),
    ("MADRID, 3 de marzo (EFE).", "MADRID"),
    ("PARIS, 3 mars 2024", "PARIS"),
    ("PARIS, mardi 3 mars", "PARIS"),
    ("PARIS, le 3 mars (AFP) -", "PARIS"),
    ("BERLIN, am 3. März", "BERLIN"),
    ("LONDON, Tuesday", "LONDON"),
    ("OSLO, 2024-03-01", "OSLO"),
    ("STOCKHOLM, 1 mars (TT)", "STOCKHOLM"),
    ("GENEVA (Reuters)", "GENEVA"),
    ("HELSINKI", "HELSINKI"),
    ("MARCH AIR RESERVE BASE, Calif., May 1", "MARCH AIR RESERVE BASE, Calif."),
    ("SAN JUAN, Puerto Rico, May 5", "SAN JUAN, Puerto Rico"),
    ("  Unnao ,  ", "Unnao"),
    ("Oct. 3", ""),
    ("", ""),
])
def test_the_place_is_cut_from_date_and_agency(dateline, place):
    assert dateline_place(dateline) == place


def test_a_parenthesised_part_of_a_place_name_that_is_no_agency_stays():
    assert dateline_place("FRANKFURT (ODER), March 1") == "FRANKFURT (ODER)"


@pytest.mark.parametrize("paragraph, dateline, place", [
    ("ROTTERDAM, Netherlands (WS) — Dock workers.", "ROTTERDAM, Netherlands (WS) —", "ROTTERDAM, Netherlands"),
    ("ROTTERDAM, May 15 (Wirestream) - Dock workers went back.", "ROTTERDAM, May 15 (Wirestream) -", "ROTTERDAM"),
    ("WASHINGTON (AP) _ The Senate voted.", "WASHINGTON (AP) _", "WASHINGTON"),
    ("MIAMI, Oct. 3 (Reuters) -- The storm grew.", "MIAMI, Oct. 3 (Reuters) --", "MIAMI"),
    ("KYIV, Ukraine, March 1 (AP) — Drones hit.", "KYIV, Ukraine, March 1 (AP) —", "KYIV, Ukraine"),
    ("BERLIN, 3. März (dpa) - Die Regierung hat.", "BERLIN, 3. März (dpa) -", "BERLIN"),
    ("Berlin/Paris (dpa) - Die Minister trafen sich.", "Berlin/Paris (dpa) -", "Berlin/Paris"),
    ("Frankfurt am Main (dpa) – Die Börse.", "Frankfurt am Main (dpa) –", "Frankfurt am Main"),
    ("ST. LOUIS, Mo., Jan. 5 (AP) — Snow fell.", "ST. LOUIS, Mo., Jan. 5 (AP) —", "ST. LOUIS, Mo."),
    ("FRANKFURT (ODER), March 1 (dpa) - Text.", "FRANKFURT (ODER), March 1 (dpa) -", "FRANKFURT (ODER)"),
    ("FRANKFURT (ODER) (dpa) - Text.", "FRANKFURT (ODER) (dpa) -", "FRANKFURT (ODER)"),
], ids=lambda v: v[:24] if isinstance(v, str) else None)
def test_a_dateline_opening_a_paragraph_is_found(paragraph, dateline, place):
    assert opening_dateline(paragraph) == dateline and dateline_place(opening_dateline(paragraph)) == place


@pytest.mark.parametrize("paragraph", [
    "Dock workers (WS) — went back to work on Wednesday.",  # no place: a sentence
    "Shares of the company rose (AAPL) - sharply.",
    "ROTTERDAM, Netherlands — Dock workers went back.",  # no credit: a dash alone is no dateline
    "Oct. 3 (Reuters) - The storm grew.",  # a date, no place
    "ROTTERDAM, which the union called a disgrace (WS) — text.",
    "The minister (CDU) said so.",
    "",
])
def test_a_paragraph_without_an_opening_dateline(paragraph):
    assert opening_dateline(paragraph) == ""


@pytest.mark.parametrize("paragraph", [
    "Senator Jane Doe (D-Mass.) — who chairs the committee, disagreed.",  # a name and a party
    "Tesla Inc (TSLA.O) - Tesla said on Monday it would cut prices.",  # a company and its stock
    "IBM (IBM.N) - Shares rose 3%.",  # in capitals, but a stock's code is no credit
    "Apple (AAPL) — Shares fell 3%.",
    "UPDATE 2 (Adds quotes) - The storm grew.",  # a desk's slug
    "REFILE-UPDATE 1 (Adds detail) - The storm grew.",
    "BREAKING (AP) — The storm grew.",
    "St. Louis (WS) — Snow fell.",  # not in capitals, and WS is no agency
])
def test_a_name_or_slug_before_a_parenthesis_and_a_dash_is_no_dateline(paragraph):
    assert opening_dateline(paragraph) == ""


@pytest.mark.parametrize("paragraph, place", [
    ("McALLEN, Texas (WS) — A truck crashed.", "McALLEN, Texas"),  # capitals as AP writes them
    ("DeKALB, Ill. (WS) — Snow fell.", "DeKALB, Ill."),
    ("A CORUÑA (WS) — Llovió.", "A CORUÑA"),
    ("Paris, le 3 mars (AFP) - Le gouvernement a décidé.", "Paris"),  # any place before an agency
    ("Washington (CNN) — The Senate voted.", "Washington"),
])
def test_a_place_in_capitals_or_before_an_agency_is_a_dateline(paragraph, place):
    assert dateline_place(opening_dateline(paragraph)) == place
