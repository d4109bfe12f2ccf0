"""The place of a wire dateline.

A dateline says where and when a story was filed, and often for whom: "MIAMI, Oct. 3
(Reuters) -", "BERLIN, 3. März (dpa) -", "PARIS (AFP) -", "WASHINGTON, D.C., Jan 5".
ninjs ``located`` is the place alone. The place is what comes before the first comma
or dash that a date follows (a month name or abbreviation in the wires' languages, a
day number, a weekday, a numeric date), or before a parenthesised agency. Text wires
(ANPA, IPTC 7901) have no dateline field: the story's first paragraph opens with it
("ROTTERDAM, Netherlands (WS) — Dock workers…"), and :func:`opening_dateline` finds it.
"""
from __future__ import annotations

import re

from shared.formats.bylines import is_agency

_MONTHS = "|".join((
    # en
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?"
    r"|nov(?:ember)?|dec(?:ember)?",
    # de, nl, no/da, sv
    r"j[äa]n(?:ner)?|januar[iy]?|februar[iy]?|m[äa]rz|maerz|maart|marts?|mars|mai|maj|mei|juni|juli|augusti?"
    r"|augustus|okt(?:ober)?|dez(?:ember)?|desember|december",
    # fr
    r"janv(?:ier)?|f[ée]vr?(?:ier)?|avr(?:il)?|juin|juil(?:let)?|ao[uû]t|sept(?:embre)?|oct(?:obre)?|nov(?:embre)?"
    r"|d[ée]c(?:embre)?",
    # es, pt, it
    r"enero|febrero|marzo|abril|mayo|junio|julio|agosto|se(?:p|t)tiembre|octubre|noviembre|diciembre|janeiro"
    r"|fevereiro|março|maio|junho|julho|setembro|outubro|novembro|dezembro|gennaio|febbraio|aprile|maggio"
    r"|giugno|luglio|settembre|ottobre|dicembre",
))
_WEEKDAYS = "|".join((
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)\.",
    r"montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonnabend|sonntag",
    r"lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche",
    r"lunes|martes|mi[ée]rcoles|jueves|viernes|s[áa]bado|domingo|segunda-feira|ter[çc]a-feira|quarta-feira"
    r"|quinta-feira|sexta-feira|luned[iì]|marted[iì]|mercoled[iì]|gioved[iì]|venerd[iì]",
    r"mandag|tirsdag|onsdag|torsdag|fredag|l[øö]rdag|s[øö]ndag|måndag|tisdag",
))
_DATE = (rf"(?:(?:{_MONTHS})\.?\s+\d"  # Oct. 3, March 1
         # 3. März, le 3 mars, 3 de marzo
         rf"|(?:(?:le|el|den|am|the)\s+)?\d{{1,2}}(?:st|nd|rd|th|er|º)?\.?\s+(?:de\s+)?(?:{_MONTHS})\b"
         rf"|\d{{1,4}}[./-]\d{{1,2}}\b"  # 2024-03-01, 3.1.
         rf"|(?:{_WEEKDAYS})(?!\w))")
# A comma or dash with a date after it: where the place ends.
_DATE_CUT = re.compile(rf"(?:\s*,|\s+[-–—]|[-–—]\s)\s*(?={_DATE})", re.I)
_STARTS_WITH_DATE = re.compile(_DATE, re.I)
# A parenthesised credit: an agency anywhere, anything at the end of the line.
_PARENTHESES = re.compile(r"\s*\(([^()]{1,60})\)")
_EDGES = " ,;:-–—"  # a full stop stays: it ends an abbreviation ("WASHINGTON, D.C.", "ST. LOUIS, Mo.")
# A dateline opening a paragraph: up to 80 characters, a parenthesised credit and a dash
# ("-", "--", "–", "—", or ANPA's "_"). Without the credit a sentence opening with a name
# and a dash ("NASA — the agency said") would read as one.
_OPENING = re.compile(r"(?P<head>[^\W\d_][^\n]{0,80}?)\s*\((?P<credit>[^()\n]{1,40})\)\s*[-–—_]{1,2}(?=\s|$)")
_DATE_WORDS = 5  # "le 3 mars 2024": the most words a date between place and credit takes
# Before a credit that is no agency, only a place in capitals is one: "Senator Jane Doe
# (D-Mass.) —", "Tesla Inc (TSLA.O) -" open sentences. A stock's code ("TSLA.O", "BP.L") is
# no credit, and a desk's slug ("UPDATE 2 (Adds quotes) -", "BREAKING (AP) —") no place.
_STOCK_CODE = re.compile(r"[A-Z0-9]{1,8}\.[A-Z]{1,3}")
_SLUGS = frozenset("""UPDATE UPDATED REFILE RPT REPEAT CORRECTED CORRECTION CLARIFIED EXCLUSIVE BREAKING URGENT
    FLASH BULLETIN ADVISORY DEVELOPING ANALYSIS FACTBOX PREVIEW WRAPUP TIMELINE""".split())


def dateline_place(dateline: str) -> str:
    """The place of a dateline ("MIAMI, Oct. 3 (Reuters) -" → "MIAMI", "KYIV, Ukraine,
    March 1" → "KYIV, Ukraine", "PARIS (AFP) -" → "PARIS"); "" when it names no place
    (a date alone). Never raises."""
    text = " ".join(dateline.split())[:400]  # a dateline is short; the cap keeps the search linear
    if _STARTS_WITH_DATE.match(text):
        return ""
    for found in _PARENTHESES.finditer(text):
        at_end = not text[found.end():].strip(_EDGES + ".")
        if at_end or is_agency(found.group(1)):
            text = text[:found.start()]
            break
    if found := _DATE_CUT.search(text):
        text = text[:found.start()]
    return text.strip(_EDGES)


def opening_dateline(paragraph: str) -> str:
    """The dateline a story's first paragraph opens with, as text wires send it, up to
    and including its dash ("ROTTERDAM, Netherlands (WS) — Dock workers…" →
    "ROTTERDAM, Netherlands (WS) —"; "BERLIN, 3. März (dpa) - Die…"); "" when the
    paragraph opens with none. A dateline is a place (capitalised words; short lower-case
    ones such as "am", "de" between them; its first word in capitals unless an agency is
    credited: "Berlin (dpa) -" but "ROTTERDAM (WS) —"), maybe a date, a parenthesised
    credit and a dash; no desk's slug ("UPDATE 2") nor a stock's code ("(TSLA.O)"). Its
    place is :func:`dateline_place`; the story's text starts after it. Never raises.
    """
    found = _OPENING.match(paragraph[:200])
    if found is None or _STOCK_CODE.fullmatch(found["credit"].strip()):
        return ""
    head = " ".join(found["head"].split())
    place = dateline_place(found.group(0))  # with its credit, so "FRANKFURT (ODER) (dpa)" keeps "(ODER)"
    date = head[len(place):].strip(_EDGES)
    words = place.replace(",", " ").split()
    if not (place[:1].isupper() and len(words) <= 6 and all(not w[:1].islower() or len(w) <= 3 for w in words)):
        return ""
    if _SLUGS.intersection(re.split(r"[-/]", words[0])):
        return ""
    if not (_in_capitals(words[0]) or is_agency(found["credit"])):
        return ""
    if date and not (_STARTS_WITH_DATE.match(date) and len(date.split()) <= _DATE_WORDS):
        return ""
    return found.group(0)


def _in_capitals(word: str) -> bool:
    """True for a word written in capitals as wire datelines are ("ROTTERDAM", "ST.",
    "O'HARE"), one lower-case letter allowed inside ("McALLEN", "DeKALB")."""
    letters = [c for c in word if c.isalpha()]
    return bool(letters) and letters[0].isupper() and letters[-1].isupper() \
        and sum(c.islower() for c in letters) <= 1
