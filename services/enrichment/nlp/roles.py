"""Titles and roles around a person's name, kept apart from the name.

"Russian Defense Minister Andrei Belousov" → role "Defense Minister", country
Russia; "Professor Park Won-gon of Ewha Womans University" → role "Professor",
affiliation Ewha Womans University; "Park Won-gon, a professor at X," likewise.
Generic word lists, no names.
"""
from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Doc, Span

from services.enrichment.nlp.gazetteer import Gazetteer

ROLE_NOUNS = frozenset("""
president minister professor leader secretary chancellor premier governor mayor senator ambassador envoy
spokesperson spokesman spokeswoman chairman chairwoman chair chairperson ceo cfo coo director commander
general admiral marshal king queen prince princess emperor pope cardinal bishop archbishop rabbi imam
ayatollah sheikh emir judge justice coach captain manager founder chief head lawmaker representative
congressman congresswoman mp official officer analyst researcher economist expert scientist editor
correspondent diplomat negotiator prosecutor attorney lawyer commissioner dean rector principal treasurer
administrator president-elect vice-president deputy superintendent colonel lieutenant major sergeant
dr. dr prof. prof sen. rep. gov. gen. lt. col. maj. capt. sgt. adm. lt.-gen.
""".split())
MODIFIERS = frozenset("""
defense defence foreign finance interior home health justice trade economy economic education unification
culture agriculture energy environment labor labour transport security prime vice first chief supreme
senior top former acting interim executive managing general state military party opposition associate
assistant national presidential press deputy assembly house parliamentary science technology industry
affairs and of
""".split())
HONORIFICS = frozenset("mr mr. mrs mrs. ms ms. miss sir dame lord lady".split())
_OF = frozenset(("of", "at", "for", "from"))
_ARTICLES = frozenset(("a", "an", "the"))


@dataclass
class Role:
    title: str | None = None  # "Defense Minister"
    country: str | None = None  # "Russia", from a demonym or a possessive place
    affiliation: str | None = None  # an organisation or place after "of"/"at"

    def describe(self) -> str | None:
        """"Defense Minister of Russia", "Professor, Ewha Womans University"…"""
        if not self.title:
            return None
        where = self.country or self.affiliation
        return f"{self.title} of {where}" if self.country else (f"{self.title}, {where}" if where else self.title)


def _word(token) -> str:
    return token.text.casefold()


def is_title_word(token) -> bool:
    w = _word(token)
    return w in ROLE_NOUNS or w in HONORIFICS or (w in MODIFIERS and w not in ("and", "of"))


def _country_left(doc: Doc, j: int, gaz: Gazetteer) -> str | None:
    """The country named just left of index ``j`` (inclusive): a demonym ("Russian"),
    a place ("Russia"), or a place's possessive ("Russia’s")."""
    if j < 0:
        return None
    if doc[j].text in ("’s", "'s") and j > 0:
        j -= 1
    token = doc[j]
    if token.ent_type_ in ("NORP", "GPE"):
        start = j
        while start > 0 and doc[start - 1].ent_iob_ == "I" and doc[start - 1].ent_type_ == token.ent_type_:
            start -= 1
        if token.ent_iob_ == "I":
            start = next((k for k in range(j, -1, -1) if doc[k].ent_iob_ == "B"), start)
        name = doc[start:j + 1].text
        place = gaz.country_of_demonym(name) or gaz.lookup(name)
        return place.name if place else None
    return None


def role_left(doc: Doc, start: int, gaz: Gazetteer) -> Role:
    """The title written before the name that starts at token ``start``."""
    j = start - 1
    taken: list = []
    while j >= 0 and is_title_word(doc[j]) and doc[j].ent_type_ not in ("PERSON", "GPE", "NORP"):
        taken.insert(0, doc[j])
        j -= 1
    words = [t for t in taken if _word(t) not in HONORIFICS]
    while words and _word(words[0]) in ("and", "of"):
        words.pop(0)
    if not any(_word(t) in ROLE_NOUNS for t in words):
        return Role()
    title = " ".join(t.text for t in words)
    if title.islower():
        title = title[:1].upper() + title[1:]
    return Role(title=title, country=_country_left(doc, j, gaz))


def affiliation_right(doc: Doc, span: Span) -> Role:
    """What follows the name: "of <Org/Place>", or ", a professor at <Org>,"."""
    k = span.end
    if k < len(doc) and _word(doc[k]) in _OF:
        org = _entity_at(doc, k + 1)
        if org is not None:
            return Role(affiliation=org.text)
    if k < len(doc) and doc[k].text == ",":
        j = k + 1
        if j < len(doc) and _word(doc[j]) in _ARTICLES:
            j += 1
        taken = []
        while j < len(doc) and is_title_word(doc[j]):
            taken.append(doc[j])
            j += 1
        if taken and any(_word(t) in ROLE_NOUNS for t in taken):
            title = " ".join(t.text for t in taken)
            role = Role(title=title[:1].upper() + title[1:])
            if j < len(doc) and _word(doc[j]) in _OF and (org := _entity_at(doc, j + 1)) is not None:
                role.affiliation = org.text
            return role
    return Role()


def _entity_at(doc: Doc, i: int) -> Span | None:
    if i < len(doc) and _word(doc[i]) == "the":
        i += 1
    if i >= len(doc) or doc[i].ent_iob_ != "B" or doc[i].ent_type_ not in ("ORG", "GPE", "LOC", "FAC"):
        return None
    end = i + 1
    while end < len(doc) and doc[end].ent_iob_ == "I":
        end += 1
    return doc[i:end]
