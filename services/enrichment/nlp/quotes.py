"""Direct quotes and who said them.

A quote is text in quotation marks of at least four words: double (“…”, "…") or
single curly (‘…’, the British style). A ’ inside a word is an apostrophe
(don’t), as is one after a plural s before a lower-case word (the workers’ union),
and a straight " right after a digit is an inch or seconds mark (a 65" screen):
none of these opens or closes a quote.
Its speaker is found from a speech verb or an attribution ("according to") next to
it, in the same sentence:

- after it: “…,” *they added* / “…,” *said the ministry* / “…,” *according to Paul
  Dales*;
- before it: *Professor Park … explained,* “…” — the phrase before the verb, back
  to the clause boundary, is the speaker; *According to Paul Dales,* “…” — the phrase
  after the attribution, up to the clause boundary;
- a participle after a comma (*he raised doubts…, stating,* “…”) takes the subject
  that opens the sentence.

A speaker phrase holding a person (after any titles) is that person; one that
opens with an organisation is it; "he"/"she" ("him"/"her") is the person mentioned
last, "they" ("them") the group that spoke last ("the sources revealed…"); anything
else is an unnamed speaker ("sources familiar with North Korean affairs"), and a
shorter phrase ("the sources") joins the longer one whose words contain it.
"""
from __future__ import annotations

import bisect

import re
from dataclasses import dataclass

from spacy.tokens import Doc, Span

from services.enrichment.nlp.entities import Entity
from services.enrichment.nlp.model import text_of
from services.enrichment.nlp.roles import is_title_word

_QUOTE = re.compile(
    r"“([^“”\n]+)”"  # not across another opening mark: a run of them is read once
    r"|(?<!\d)\"((?:[^\"\n]|(?<=\d)\"(?=[ \t]*[^\W_]))+)\""
    r"|(?<![^\W_])‘(?=[^\W_])(?!\d\ds\b)((?:[^‘’\n]|’(?=[^\W_])|(?<=s)’(?=[ \t]+[a-z]))+)’(?![^\W_])"
)
SPEECH_VERBS = frozenset("""
say said says saying state stated states stating tell told tells telling add added adds adding explain
explained explains explaining claim claimed claims claiming note noted notes noting warn warned warns
warning argue argued argues arguing insist insisted insists insisting ask asked asks write wrote writes
writing announce announced announces reveal revealed reveals revealing stress stressed stresses stressing
emphasize emphasized emphasizes emphasise emphasised emphasises suggest suggested suggests speculate
speculated remark remarked reply replied replies comment commented acknowledge acknowledged admit admitted
admits declare declared declares tweet tweeted post posted recall recalled predict predicted confirm
confirmed deny denied urge urged urges vow vowed promise promised continue continued observe observed
conclude concluded describe described told report reported reports
""".split())
_SPEECH_VERB = re.compile(r"\b(?:" + "|".join(sorted(SPEECH_VERBS, key=len, reverse=True)) + r")\b", re.I)
_SKIP = frozenset("""have has had is was were are been be will would also reportedly later then further
previously recently again once not n't just already""".split())
# Phrases that attribute a quote as a speech verb does, naming the speaker after them.
ATTRIBUTIONS = (("according", "to"), ("in", "the", "words", "of"))
_BOUNDARY = frozenset(",;:—–()“”\"")
# Where a speaker named after a verb or attribution ends: "said the ministry in a statement".
_PHRASE_ENDS = frozenset(("in", "on", "at", "to"))
# How far back from a quote or a speech verb its speaker is looked for, in tokens: an
# attribution ("According to…, “…”", "…, the minister said") stands next to what it
# attributes. Walking back to the sentence's start cost the whole sentence per quote, and a
# text without full stops is one sentence: a crafted 6 KB body took 8.5 s, 100 KB ~40 min.
LOOK_BACK = 30
_DETERMINERS = ("the ", "a ", "an ", "some ", "several ", "two ", "three ")
_PERSON_PRONOUNS = frozenset(("he", "she"))
_GROUP_PRONOUNS = frozenset(("they", "we"))
_OBJECT_PRONOUNS = {"him": "he", "her": "she", "them": "they", "us": "we"}  # "according to her"


@dataclass
class Speaker:
    name: str
    kind: str  # person, organisation, unnamed
    entity: Entity | None = None
    plural: bool = False


@dataclass
class Quote:
    text: str
    start: int
    end: int
    speaker: Speaker | None
    via: str | None = None  # the pronoun or phrase the speaker was resolved from


class QuoteReader:
    def __init__(self, doc: Doc, entities: list[Entity]) -> None:
        self.doc = doc
        self.text = text_of(doc)
        self.spans = sorted((m.start, m.end, e) for e in entities for m in e.mentions)
        self.people = sorted((m.start, e) for e in entities if e.kind == "person" for m in e.mentions)
        self.unnamed: list[Speaker] = []
        self.spoke: list[tuple[int, Speaker]] = []  # who spoke (quoted or reported) and where

    def read(self) -> list[Quote]:
        self._reported_speech()
        quotes = []
        for match in _QUOTE.finditer(self.text):
            group = match.lastindex
            inner = match.group(group)
            if len(inner.split()) < 4:
                continue
            span = self.doc.char_span(match.start(), match.end(), alignment_mode="expand")
            if span is None:
                continue
            speaker, via = self._speaker_after(span) or self._speaker_before(span) or (None, None)
            if speaker is not None:
                self.spoke.append((match.start(), speaker))
            quotes.append(Quote(inner.strip(), match.start(group), match.end(group), speaker, via))
        for quote in quotes:
            if quote.speaker is not None and quote.speaker.kind == "unnamed":
                full = self._fullest(quote.speaker)
                if full is not quote.speaker:
                    quote.via, quote.speaker = quote.via or quote.speaker.name, full
        return quotes

    def _fullest(self, speaker: Speaker) -> Speaker:
        """The longest unnamed speaker whose words contain this one's ("the sources" →
        "sources familiar with North Korean affairs")."""
        words = set(speaker.name.casefold().split())
        fits = [s for s in self.unnamed if words <= set(s.name.casefold().split())]
        return max(fits, key=lambda s: len(s.name.split()), default=speaker)

    def _reported_speech(self) -> None:
        """Register who speaks without quotation marks ("The sources revealed that…"),
        so a later "they added" can find them."""
        text = self.text
        quoted = [(m.start(), m.end()) for m in _QUOTE.finditer(text)]  # in order, disjoint
        starts = [start for start, _ in quoted]
        for match in _SPEECH_VERB.finditer(text):
            at = bisect.bisect_right(starts, match.start()) - 1
            if at >= 0 and match.start() < quoted[at][1]:  # inside a quote
                continue
            span = self.doc.char_span(match.start(), match.end())
            if span is None or span[0].is_sent_start:
                continue
            phrase = self._phrase_before(span.start)
            if phrase is not None and len(phrase) <= 8:
                speaker, _ = self._resolve(phrase)
                if speaker is not None and speaker.kind == "unnamed":
                    self.spoke.append((match.start(), speaker))

    def _speaker_after(self, span: Span):
        doc, i = self.doc, span.end
        while i < len(doc) and doc[i].is_punct and doc[i].text not in (".", "!", "?"):
            i += 1
        window = [t for t in doc[i:min(len(doc), i + 10)] if not t.is_sent_start or t.i == i]
        if not window:
            return None
        named_from = self._attribution_end(i) or (i + 1 if window[0].lower_ in SPEECH_VERBS else None)
        if named_from is not None:  # “…,” said the ministry / “…,” according to Paul Dales
            return self._phrase_after(named_from, window[-1].i + 1)
        for t in window[1:6]:
            if t.lower_ in SPEECH_VERBS:  # “…,” they added
                return self._resolve(doc[i:t.i])
        return None

    def _speaker_before(self, span: Span):
        doc = self.doc
        lowest = max(0, span.start - LOOK_BACK)
        sent_start = next((j for j in range(span.start, lowest - 1, -1) if doc[j].is_sent_start), lowest)
        verb = None
        for j in range(span.start - 1, sent_start - 1, -1):  # the nearest cue wins
            if doc[j].lower_ in SPEECH_VERBS:
                verb = j
                break
            named_from = self._attribution_end(j)
            if named_from is not None:  # According to Paul Dales, “…”
                return self._phrase_after(named_from, span.start)
        if verb is None:
            return None
        if doc[verb].lower_.endswith("ing") and verb > 0 and doc[verb - 1].text == ",":
            subject = next((t for t in doc[sent_start:verb] if t.ent_type_ in ("PERSON", "ORG")
                            or t.lower_ in _PERSON_PRONOUNS | _GROUP_PRONOUNS), None)
            return self._resolve(doc[subject.i:subject.i + 1]) if subject is not None else None
        phrase = self._phrase_before(verb)
        return self._resolve(phrase) if phrase is not None else None

    def _attribution_end(self, i: int) -> int | None:
        """Where the speaker's name starts when an attribution ("according to") starts at token ``i``."""
        for cue in ATTRIBUTIONS:
            if tuple(t.lower_ for t in self.doc[i:i + len(cue)]) == cue:
                return i + len(cue)
        return None

    def _phrase_after(self, start: int, limit: int):
        """The speaker named from token ``start`` to the first boundary (before ``limit``)."""
        doc = self.doc
        end = next((j for j in range(start, limit) if doc[j].is_punct or doc[j].lower_ in _PHRASE_ENDS
                    or (j > start and doc[j].is_sent_start)), limit)
        return self._resolve(doc[start:end]) if end > start else None

    def _phrase_before(self, verb: int) -> Span | None:
        doc = self.doc
        lowest = max(0, verb - LOOK_BACK)
        end = verb
        while end > lowest and doc[end - 1].lower_ in _SKIP:
            end -= 1
        start = end
        while start > lowest and doc[start - 1].text not in _BOUNDARY and not doc[start].is_sent_start \
                and doc[start - 1].lower_ not in ("that", "and", "but", "while"):
            start -= 1
        return doc[start:end] if end > start else None

    def _resolve(self, phrase: Span) -> tuple[Speaker | None, str | None]:
        """The speaker a phrase names, and the phrase when it had to be resolved."""
        tokens = [t for t in phrase if not t.is_punct]
        if not tokens:
            return None, None
        head = next((t for t in tokens if not is_title_word(t) and t.ent_type_ not in ("NORP", "GPE")), tokens[0])
        entity = self._entity_at(head.idx)
        if entity is not None and (entity.kind == "person" or head.i == tokens[0].i or head.lower_ == "the"):
            return Speaker(entity.name, entity.kind, entity), None
        word = _OBJECT_PRONOUNS.get(tokens[0].lower_, tokens[0].lower_)
        if len(tokens) == 1 and word in _PERSON_PRONOUNS:
            person = self._last_person(tokens[0].idx)
            return (Speaker(person.name, "person", person), tokens[0].text) if person else (None, None)
        if len(tokens) == 1 and word in _GROUP_PRONOUNS:
            earlier = [(at, s) for at, s in self.spoke if at < tokens[0].idx and s.plural]
            if not earlier:
                return None, None
            return self._fullest(max(earlier, key=lambda pair: pair[0])[1]), tokens[0].text
        if len(tokens) == 1 and word in ("it", "i", "you"):
            return None, None
        return self._unnamed(phrase)

    def _entity_at(self, offset: int) -> Entity | None:
        """The entity with a mention covering character ``offset``."""
        return next((e for start, end, e in self.spans if start <= offset < end), None)

    def _last_person(self, before: int) -> Entity | None:
        candidates = [e for at, e in self.people if at < before]
        return candidates[-1] if candidates else None

    def _unnamed(self, phrase: Span) -> tuple[Speaker, str | None]:
        text = phrase.text.strip(" ,")
        lowered = text[:1].lower() + text[1:]
        for article in _DETERMINERS:
            if lowered.startswith(article):
                lowered = lowered[len(article):]
                break
        for known in self.unnamed:
            if known.name.casefold() == lowered.casefold():
                return known, None
        first = lowered.split()[0] if lowered.split() else lowered
        speaker = Speaker(lowered, "unnamed", None, plural=first.endswith("s") and not first.endswith("ss"))
        self.unnamed.append(speaker)
        return speaker, None


def read_quotes(doc: Doc, entities: list[Entity]) -> list[Quote]:
    """The direct quotes of ``doc`` with their speakers (None when no rule finds one)."""
    return QuoteReader(doc, entities).read()
