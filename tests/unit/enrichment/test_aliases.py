"""Short forms joined to their full names by an index of the names' word runs, held
to the rule it replaced: every short form compared with every longer name kept (that
took 39 s for the 6,000 organisations a 100,000-character article can name)."""
from __future__ import annotations

import copy

import spacy
from hypothesis import given, settings
from hypothesis import strategies as st

from services.enrichment.nlp.aliases import INDEXED_WORDS, _initials, _nearest, merge_short_forms
from services.enrichment.nlp.entities import Entity, Mention

BLANK = spacy.blank("en")
WORDS = ["kim", "jong", "un", "park", "bank", "of", "the", "Korea", "KB", "K.B.", "Jong-un"]


def _reference(entities: list) -> list:
    """The pairwise rule, as aliases.py had it (brackets aside: no text here has any)."""
    def words(name):
        return name.replace("-", " ").replace("’", "'").casefold().split()

    def contains(longer, shorter):
        return any(longer[i:i + len(shorter)] == shorter for i in range(len(longer) - len(shorter) + 1))

    kept_people: list = []
    for entity in sorted((e for e in entities if e.kind == "person"), key=lambda e: -len(words(e.name))):
        w = words(entity.name)
        fits = [k for k in kept_people if len(words(k.name)) > len(w)
                and (words(k.name)[:len(w)] == w or words(k.name)[-len(w):] == w)]
        if fits:
            _absorb(_nearest(fits, entity.first), entity)
        else:
            kept_people.append(entity)
    kept_orgs: list = []
    for entity in sorted((e for e in entities if e.kind == "organisation"), key=lambda e: -len(words(e.name))):
        w = words(entity.name)
        target = None
        if len(w) == 1 and entity.name.replace(".", "").isupper() and len(entity.name) >= 2:
            target = next((k for k in kept_orgs if _initials(k.name) == entity.name.replace(".", "")), None)
        elif len(w) >= 2:
            target = next((k for k in kept_orgs if len(words(k.name)) > len(w) and contains(words(k.name), w)), None)
        if target is not None:
            _absorb(target, entity)
        else:
            kept_orgs.append(entity)
    return kept_people + kept_orgs


def _absorb(into, other) -> None:
    into.mentions.extend(other.mentions)
    into.aliases |= other.aliases


def _shape(entities: list) -> list:
    return [(e.kind, e.name, sorted(m.start for m in e.mentions)) for e in entities]


names = st.lists(st.sampled_from(WORDS), min_size=1, max_size=INDEXED_WORDS + 3).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["person", "organisation"]), names), max_size=25, unique=True))
def test_short_forms_join_the_same_full_names_as_comparing_every_pair(found):
    entities = [Entity(kind, name, mentions=[Mention(10 * i, 10 * i + 5, name)], aliases={name})
                for i, (kind, name) in enumerate(found)]
    doc = BLANK(" " * (10 * len(found) + 10))
    assert _shape(merge_short_forms(copy.deepcopy(entities), doc)) == _shape(_reference(copy.deepcopy(entities)))


def test_a_short_form_longer_than_the_index_still_joins_its_full_name():
    long_name = " ".join(f"w{i}" for i in range(INDEXED_WORDS + 4))
    short = " ".join(long_name.split()[:INDEXED_WORDS + 2])
    entities = [Entity("person", long_name, mentions=[Mention(0, 5, long_name)]),
                Entity("person", short, mentions=[Mention(50, 55, short)]),
                Entity("organisation", "Bank of " + long_name, mentions=[Mention(100, 105, "x")]),
                Entity("organisation", "of " + long_name, mentions=[Mention(150, 155, "y")])]
    merged = merge_short_forms(entities, BLANK(" " * 200))
    assert _shape(merged) == [("person", long_name, [0, 50]), ("organisation", "Bank of " + long_name, [100, 150])]
