"""People, organisations and places of an English article.

spaCy's NER proposes spans; generic rules then correct and group them:

- titles and honorifics are split off names (see :mod:`roles`);
- names whose last word is a media word ("… Ilbo", "… Times", "… Television")
  are news organisations, never people; a word public bodies end with too
  ("Agency", "Network", "Channel") counts only after a news word ("Xinhua News
  Agency", not "International Atomic Energy Agency");
- a span the gazetteer knows is a place, whatever label the model gave it
  ("Kursk" as PRODUCT), and a place name the model missed is added;
- one-word department names that are part of a title ("Defense" in "Defense
  Minister") and bare generic words ("Party") are dropped;
- short forms join the full entity: a surname or given name to the full name,
  "X (Y)" and acronyms to their organisation, a contained name to the longer one.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from services.enrichment.nlp.aliases import merge_short_forms
from services.enrichment.nlp.gazetteer import Gazetteer, Place
from services.enrichment.nlp.model import english, on_renewal
from services.enrichment.nlp.roles import HONORIFICS, MODIFIERS, ROLE_NOUNS, Role, affiliation_right, role_left

MEDIA_WORDS = frozenset("""Ilbo Shimbun Times News Television TV Daily Post Journal Herald Broadcasting
Radio Tribune Gazette Telegraph Press Chronicle Newswire Sinmun Nippo Today""".split())
# Last words that news outlets share with public bodies and firms ("Environmental
# Protection Agency", "Rail Network"): media only right after a news word.
SHARED_MEDIA_WORDS = frozenset("Agency Network Channel Wire".split())
NEWS_WORDS = frozenset("News Press Presse Media Broadcasting Broadcast Television TV Radio".split())
GENERIC_ORG_WORDS = frozenset("""party government army navy police military ministry parliament congress court
council cabinet senate assembly administration state committee""".split())
PLACE_NOUNS = frozenset("region province city oblast county district state prefecture area border front".split())
LOCATIVE = frozenset("in at from to near into across toward towards around outside inside".split())
_POSSESSIVE = ("’s", "'s", "’", "'")
PERSON, ORGANISATION, PLACE = "person", "organisation", "place"


@dataclass
class Mention:
    start: int
    end: int
    text: str


@dataclass
class Entity:
    kind: str
    name: str
    mentions: list[Mention] = field(default_factory=list)
    aliases: set[str] = field(default_factory=set)
    roles: list[Role] = field(default_factory=list)
    place: Place | None = None
    media: bool = False
    source: str = "ner"

    @property
    def first(self) -> int:
        return min(m.start for m in self.mentions)

    def role(self) -> Role | None:
        """The most informative role seen (a title with a country or affiliation first)."""
        titled = [r for r in self.roles if r.title]
        if not titled:
            return None
        return max(titled, key=lambda r: (bool(r.country or r.affiliation), len(r.title or "")))

    def confidence(self) -> float:
        """A heuristic in [0, 1]: the model alone with one mention is 0.6; a gazetteer
        or rule confirmation, more mentions and a title each add to it."""
        score = {"ner": 0.6, "rule": 0.7, "gazetteer": 0.8}[self.source]
        if self.place is not None:
            score = max(score, 0.85)
        score += 0.05 * min(4, len(self.mentions) - 1) + (0.05 if self.role() else 0.0)
        return round(min(0.99, score), 2)


# gazetteer (by id) -> its place matcher, on the current model's vocabulary
_MATCHERS: dict[int, PhraseMatcher] = {}
on_renewal(_MATCHERS.clear)


def _place_matcher(gaz: Gazetteer) -> PhraseMatcher:
    """A phrase matcher for every gazetteer name, built once per gazetteer and model."""
    if id(gaz) not in _MATCHERS:
        nlp = english()
        matcher = PhraseMatcher(nlp.vocab, attr="ORTH")
        matcher.add("PLACE", list(nlp.tokenizer.pipe(gaz.names())))
        _MATCHERS[id(gaz)] = matcher
    return _MATCHERS[id(gaz)]


def _trim(span: Span) -> Span:
    """``span`` without a leading article, a trailing possessive or punctuation, and
    cut at an inner possessive ("Zelensky’s Telegram" → "Zelensky")."""
    start, end = span.start, span.end
    doc = span.doc
    while start < end and (doc[start].lower_ in ("the", "a", "an") or doc[start].is_punct):
        start += 1
    for i in range(start + 1, end):
        if doc[i].text in _POSSESSIVE:
            end = i
            break
    while end > start and (doc[end - 1].text in _POSSESSIVE or doc[end - 1].is_punct):
        end -= 1
    return doc[start:end]


def _strip_titles(span: Span) -> Span:
    """A person span without leading titles the model included ("President Joe Biden")."""
    doc, start = span.doc, span.start
    while start < span.end - 1 and (doc[start].lower_ in ROLE_NOUNS or doc[start].lower_ in HONORIFICS
                                    or doc[start].lower_ in MODIFIERS):
        start += 1
    return doc[start:span.end]


def is_media_name(span: Span) -> bool:
    """Whether a name of two or more words names a news outlet by its last word:
    a media word ("Chosun Ilbo"), or a shared one after a news word ("Yonhap News
    Agency", "Cable News Network")."""
    if len(span) < 2:
        return False
    last = span[-1].text
    return last in MEDIA_WORDS or (last in SHARED_MEDIA_WORDS and span[-2].text in NEWS_WORDS)


class EntityReader:
    """Reads the entities of one parsed article (``doc``) against a gazetteer."""

    def __init__(self, doc: Doc, gaz: Gazetteer) -> None:
        self.doc = doc
        self.gaz = gaz
        self.found: list[tuple[str, Span, Place | None, bool, str]] = []

    def read(self) -> list[Entity]:
        covered: set[int] = set()
        for ent in self.doc.ents:
            self._classify(ent)
            covered.update(range(ent.start, ent.end))
        self._missed_places(covered)
        return _group(self.found, self.doc, self.gaz)

    def _add(self, kind: str, span: Span, place: Place | None = None, media: bool = False,
             source: str = "ner") -> None:
        if span.text.strip() and any(ch.isalpha() for ch in span.text):
            self.found.append((kind, span, place, media, source))

    def _classify(self, ent: Span) -> None:
        label = ent.label_
        if label not in ("PERSON", "ORG", "GPE", "LOC", "FAC", "PRODUCT", "WORK_OF_ART", "EVENT", "LAW"):
            return
        span = _trim(ent)
        if len(span) == 0:
            return
        place = self.gaz.lookup(span.text)
        if label in ("GPE", "LOC", "FAC"):
            self._add(PLACE, span, place, source="gazetteer" if place else "ner")
        elif label in ("PRODUCT", "WORK_OF_ART", "EVENT", "LAW"):
            if place is not None:
                self._add(PLACE, span, place, source="gazetteer")
        elif is_media_name(span):
            self._add(ORGANISATION, span, media=True, source="rule")
        elif label == "PERSON":
            if place is not None and self._reads_as_place(span):
                self._add(PLACE, span, place, source="gazetteer")
            else:
                self._add(PERSON, _strip_titles(span))
        elif place is not None and place.kind in ("country", "city") and len(span) <= 3:
            self._add(PLACE, span, place, source="gazetteer")
        elif not self._is_title_part(span) and not (len(span) == 1 and span.text.casefold() in GENERIC_ORG_WORDS):
            self._add(ORGANISATION, self._without_demonym(span),
                      source="rule" if ent.ent_id_ == "institution" else "ner")

    def _reads_as_place(self, span: Span) -> bool:
        doc = self.doc
        after = doc[span.end].lower_ if span.end < len(doc) else ""
        before = doc[span.start - 1].lower_ if span.start > 0 else ""
        return after in PLACE_NOUNS or before in LOCATIVE

    def _is_title_part(self, span: Span) -> bool:
        """"Defense" in "Defense Minister": department words directly before a role noun."""
        nxt = self.doc[span.end].lower_ if span.end < len(self.doc) else ""
        return all(t.lower_ in MODIFIERS or t.lower_ in ROLE_NOUNS for t in span) and nxt in ROLE_NOUNS

    def _without_demonym(self, span: Span) -> Span:
        """"South Korean Ministry of Unification" → "Ministry of Unification": a leading
        demonym before an "X of Y" name is the country, not part of the name (a place
        name such as "U.S." in "U.S. Department of Defense" is kept)."""
        for i in range(span.start, span.end - 1):
            if self.doc[i + 1].lower_ == "of" and i > span.start:
                prefix = self.doc[span.start:i].text
                if self.gaz.country_of_demonym(prefix):
                    return self.doc[i:span.end]
                break
        return span

    def _missed_places(self, covered: set[int]) -> None:
        for _, start, end in _place_matcher(self.gaz)(self.doc):
            if covered.intersection(range(start, end)) or self.doc[start].is_sent_start:
                continue
            span = self.doc[start:end]
            if span[0].is_title or span[0].is_upper:
                self._add(PLACE, span, self.gaz.lookup(span.text), source="gazetteer")
                covered.update(range(start, end))


def read_entities(doc: Doc, gaz: Gazetteer) -> list[Entity]:
    """The people, organisations and places of ``doc``, each once, most mentioned first."""
    return EntityReader(doc, gaz).read()


def _key(name: str) -> str:
    return " ".join(name.replace("-", " ").replace("’", "'").casefold().split())


def _group(found, doc: Doc, gaz: Gazetteer) -> list[Entity]:
    entities: dict[tuple[str, str], Entity] = {}
    for kind, span, place, media, source in found:
        name = place.name if place is not None else span.text
        key = (kind, _key(name))
        entity = entities.get(key)
        if entity is None:
            entity = entities[key] = Entity(kind, name, place=place, media=media, source=source)
        entity.mentions.append(Mention(span.start_char, span.end_char, span.text))
        entity.aliases.add(span.text)
        entity.media = entity.media or media
        if kind == PERSON:
            entity.roles.append(_role_of(span, doc, gaz))
    merged = merge_short_forms(list(entities.values()), doc)
    return sorted(merged, key=lambda e: (-len(e.mentions), e.first))


def _role_of(span: Span, doc: Doc, gaz: Gazetteer) -> Role:
    left = role_left(doc, span.start, gaz)
    right = affiliation_right(doc, span)
    if left.title:
        left.affiliation = left.affiliation or right.affiliation
        return left
    return right
