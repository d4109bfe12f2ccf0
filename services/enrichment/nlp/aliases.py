"""Short forms joined to the full entity, so each entity is listed once.

- people: a mention whose words are the first or last words of a longer name
  ("Zelensky", "Park") joins that name; if several names fit, the one mentioned
  nearest before it (else after it) wins; hyphens and spacing do not matter
  ("Kim Jong Un" = "Kim Jong-un");
- organisations: "Storm Corps (11th Corps)" makes the bracketed name an alias, an
  acronym joins the name whose initials it spells, and a name contained in a
  longer one ("Department of Defense" in "U.S. Department of Defense") joins it.
"""
from __future__ import annotations

from spacy.tokens import Doc

from services.enrichment.nlp.model import text_of

_SMALL = frozenset(("of", "the", "and", "for", "&", "de", "du", "la"))


def _words(name: str) -> list[str]:
    return name.replace("-", " ").replace("’", "'").casefold().split()


def _contains(longer: list[str], shorter: list[str]) -> bool:
    n = len(shorter)
    return any(longer[i:i + n] == shorter for i in range(len(longer) - n + 1))


def _absorb(into, other) -> None:
    into.mentions.extend(other.mentions)
    into.aliases |= other.aliases
    into.roles.extend(other.roles)
    into.media = into.media or other.media
    into.place = into.place or other.place


def _nearest(candidates, at: int):
    before = [(max(m.start for m in c.mentions if m.start < at), c) for c in candidates
              if any(m.start < at for m in c.mentions)]
    if before:
        return max(before, key=lambda pair: pair[0])[1]
    after = [(min(m.start for m in c.mentions), c) for c in candidates]
    return min(after, key=lambda pair: pair[0])[1]


def _merge_people(people: list) -> list:
    people = sorted(people, key=lambda e: -len(_words(e.name)))
    kept: list = []
    for entity in people:
        words = _words(entity.name)
        fits = [k for k in kept if len(_words(k.name)) > len(words)
                and (_words(k.name)[:len(words)] == words or _words(k.name)[-len(words):] == words)]
        if fits:
            _absorb(_nearest(fits, entity.first), entity)
        else:
            kept.append(entity)
    return kept


def _initials(name: str) -> str:
    return "".join(w[0] for w in name.replace("-", " ").split() if w.casefold() not in _SMALL and w[0].isalpha()).upper()


def _bracketed(doc: Doc, orgs: list) -> dict[int, object]:
    """Entity (by id) → the entity named right after it in brackets."""
    by_start = {m.start: e for e in orgs for m in e.mentions}
    pairs = {}
    text = text_of(doc)
    for entity in orgs:
        for m in entity.mentions:
            rest = text[m.end:m.end + 3]
            if rest.startswith(" (") or rest.startswith("("):
                start = m.end + rest.index("(") + 1
                other = by_start.get(start)
                if other is not None and other is not entity:
                    pairs[id(other)] = entity
    return pairs


def _merge_organisations(orgs: list, doc: Doc) -> list:
    brackets = _bracketed(doc, orgs)
    for entity in orgs:
        target = brackets.get(id(entity))
        if target is not None and id(target) not in brackets:
            _absorb(target, entity)
    orgs = [e for e in orgs if id(e) not in brackets or id(brackets[id(e)]) in brackets]
    kept: list = []
    for entity in sorted(orgs, key=lambda e: -len(_words(e.name))):
        words = _words(entity.name)
        target = None
        if len(words) == 1 and entity.name.replace(".", "").isupper() and len(entity.name) >= 2:
            target = next((k for k in kept if _initials(k.name) == entity.name.replace(".", "")), None)
        elif len(words) >= 2:
            target = next((k for k in kept if len(_words(k.name)) > len(words)
                           and _contains(_words(k.name), words)), None)
        if target is not None:
            _absorb(target, entity)
        else:
            kept.append(entity)
    return kept


def merge_short_forms(entities: list, doc: Doc) -> list:
    """``entities`` with short forms merged into their full entity."""
    people = [e for e in entities if e.kind == "person"]
    orgs = [e for e in entities if e.kind == "organisation"]
    rest = [e for e in entities if e.kind not in ("person", "organisation")]
    return _merge_people(people) + _merge_organisations(orgs, doc) + rest
