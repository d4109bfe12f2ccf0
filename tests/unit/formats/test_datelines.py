"""dateline_place: a wire dateline in, the place it was filed from out."""
from __future__ import annotations

import pytest

from shared.formats.datelines import dateline_place


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
