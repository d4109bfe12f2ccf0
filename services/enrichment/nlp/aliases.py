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


# A short form is looked up in an index of the word runs (of at most this many words)
# of the names kept so far; a longer one by its first and last runs of this length.
# Merging n names costs about n lookups, where comparing every pair cost n²: 6,000
# organisations in an article's 100,000 characters took 39 s of the worker.
INDEXED_WORDS = 8


def _words(name: str) -> tuple[str, ...]:
    return tuple(name.replace("-", " ").replace("’", "'").casefold().split())


def _contains(longer: tuple[str, ...], shorter: tuple[str, ...]) -> bool:
    n = len(shorter)
    return any(longer[i:i + n] == shorter for i in range(len(longer) - n + 1))


def _ends(longer: tuple[str, ...], shorter: tuple[str, ...]) -> bool:
    return longer[:len(shorter)] == shorter or longer[-len(shorter):] == shorter


def _end_runs(words: tuple[str, ...]):
    for n in range(1, min(len(words) - 1, INDEXED_WORDS) + 1):
        yield words[:n]
        yield words[-n:]


def _inner_runs(words: tuple[str, ...]):
    for n in range(1, min(len(words) - 1, INDEXED_WORDS) + 1):
        for i in range(len(words) - n + 1):
            yield words[i:i + n]


class _Kept:
    """The names kept so far, longest first, and the shorter forms that would match
    them: ``runs`` gives a name's word runs a short form may equal, ``fits`` the same
    rule for a short form too long to be indexed."""

    def __init__(self, runs, fits) -> None:
        self.entities: list = []
        self._words: list[tuple[str, ...]] = []
        self._index: dict[tuple[str, ...], list[int]] = {}
        self._runs, self._fits = runs, fits

    def add(self, entity, words: tuple[str, ...]) -> None:
        at = len(self.entities)
        self.entities.append(entity)
        self._words.append(words)
        for run in self._runs(words):
            holders = self._index.setdefault(run, [])
            if not holders or holders[-1] != at:
                holders.append(at)

    def fitting(self, words: tuple[str, ...]) -> list:
        """The kept names longer than ``words`` that it fits, in the order kept."""
        if len(words) <= INDEXED_WORDS:
            found = self._index.get(words, ())
        else:  # a name it fits holds its first or its last INDEXED_WORDS words as a run
            runs = (words[:INDEXED_WORDS], words[-INDEXED_WORDS:])
            found = [i for i in sorted({i for run in runs for i in self._index.get(run, ())})
                     if self._fits(self._words[i], words)]
        return [self.entities[i] for i in found if len(self._words[i]) > len(words)]


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
    kept = _Kept(_end_runs, _ends)
    for words, entity in sorted(((_words(e.name), e) for e in people), key=lambda pair: -len(pair[0])):
        fits = kept.fitting(words)
        if fits:
            _absorb(_nearest(fits, entity.first), entity)
        else:
            kept.add(entity, words)
    return kept.entities


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
    kept = _Kept(_inner_runs, _contains)
    by_initials: dict[str, object] = {}
    for words, entity in sorted(((_words(e.name), e) for e in orgs), key=lambda pair: -len(pair[0])):
        target = None
        if len(words) == 1 and entity.name.replace(".", "").isupper() and len(entity.name) >= 2:
            target = by_initials.get(entity.name.replace(".", ""))
        elif len(words) >= 2:
            target = next(iter(kept.fitting(words)), None)
        if target is not None:
            _absorb(target, entity)
        else:
            kept.add(entity, words)
            by_initials.setdefault(_initials(entity.name), entity)
    return kept.entities


def merge_short_forms(entities: list, doc: Doc) -> list:
    """``entities`` with short forms merged into their full entity."""
    people = [e for e in entities if e.kind == "person"]
    orgs = [e for e in entities if e.kind == "organisation"]
    rest = [e for e in entities if e.kind not in ("person", "organisation")]
    return _merge_people(people) + _merge_organisations(orgs, doc) + rest
