"""What enrichment learns from one article's text, before it is written anywhere.

:func:`read_article` runs the steps of :mod:`services.enrichment.nlp` that fit the
article's language: the full English set (entities, quotes, sources, topics,
keywords, summary, dates); for Korean, kiwipiepy's sentences and untyped proper
nouns; for Thai, newmm's words for keywords and a summary (no entities: no Thai
NER model is installed); for other languages what needs no language model
(counts, a summary).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from services.enrichment.nlp import korean, thai
from services.enrichment.nlp.dates import DateMention, read_dates
from services.enrichment.nlp.document import ArticleText, article_text
from services.enrichment.nlp.entities import Entity, read_entities
from services.enrichment.nlp.gazetteer import gazetteer
from services.enrichment.nlp.keywords import Keyword, read_keywords, read_thai_keywords
from services.enrichment.nlp.language import identify
from services.enrichment.nlp.model import english, renew_if_grown
from services.enrichment.nlp.quotes import Quote, read_quotes
from services.enrichment.nlp.sources import Source, read_sources
from services.enrichment.nlp.summary import summarise
from services.enrichment.nlp.text import sentences, word_count
from services.enrichment.nlp.topics import Topic, classify
from shared.events import Article

# Beyond this the text is cut: the cost of NER grows with length, and the first
# 100k characters of an article hold what a subscriber routes on.
MAX_CHARS = 100_000


@dataclass
class Findings:
    text: ArticleText
    language: str | None = None
    language_score: float | None = None
    entities: list[Entity] = field(default_factory=list)
    untyped: list[korean.ProperNoun] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    dates: list[DateMention] = field(default_factory=list)
    topics: list[Topic] = field(default_factory=list)
    keywords: list[Keyword] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    word_count: int = 0
    notes: list[str] = field(default_factory=list)


def article_date(article: Article, fallback: datetime) -> date:
    """The date the article speaks from: when its content was created, else first
    created, else this version, else when the pipeline received it."""
    for value in (article.contentCreated, article.firstCreated, article.versionCreated):
        if value:
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
            except ValueError:
                continue
    return fallback.date()


def primary_language(tag: str | None) -> str:
    """The primary subtag of a language tag, lower case ("en" for "en-GB", and for
    the POSIX-locale spelling "en_GB" some providers send); "" for none."""
    return (tag or "").replace("_", "-").split("-")[0].strip().lower()


def read_article(article: Article, *, received_at: datetime) -> Findings:
    """Everything enrichment finds in ``article``. Pure: reads the article only.

    Raises nothing for odd text (an empty article gives empty findings); errors
    from the models themselves propagate (the agent dead-letters the article)."""
    text = article_text(article)
    text.bound(MAX_CHARS)  # what is read, the word count included
    findings = Findings(text=text, word_count=word_count(text.body or text.text))
    detected = identify(text.text)
    if detected:
        findings.language, findings.language_score = detected
    language = primary_language(article.language or findings.language)
    day = article_date(article, received_at)
    if language == "en" or (not language and text.text):
        _english(findings, day)
        renew_if_grown()
    elif language == "ko":
        _korean(findings, day)
    elif language == "th":
        _thai(findings)
    else:
        findings.notes.append(f"no entity model for language {language or 'und'}")
        findings.summary = summarise(sentences(text.body))
    return findings


def _english(findings: Findings, day: date) -> None:
    text = findings.text
    doc = english()(text.text)
    findings.entities = read_entities(doc, gazetteer())
    findings.quotes = read_quotes(doc, findings.entities)
    credits = [(s.start, s.text) for s in text.of_kind("credit")]
    findings.sources = read_sources(doc, findings.entities, credits)
    findings.dates = [d for d in read_dates(text.text, day) if text.segment_at(d.start).kind != "credit"]
    headline = " ".join(s.text for s in text.of_kind("headline"))
    findings.topics = classify(headline, text.body)
    findings.keywords = read_keywords(f"{headline}\n{text.body}")
    body = [s for s in text.of_kind("body")]
    if body:
        start, end = body[0].start, body[-1].end
        findings.summary = summarise([s.text for s in doc.sents if start <= s.start_char < end])


def _korean(findings: Findings, day: date) -> None:
    body = findings.text.body or findings.text.text
    findings.untyped = korean.proper_nouns(findings.text.text)
    findings.keywords = [Keyword(w, float(c), c) for w, c in korean.keywords(body)]
    findings.summary = summarise(korean.sentences(body), bag=korean.noun_stems, min_words=3)
    findings.dates = read_dates(findings.text.text, day)
    findings.notes.append("Korean proper nouns are untyped: no typed Korean NER model is installed")


def _thai(findings: Findings) -> None:
    text = findings.text
    headline = " ".join(s.text for s in text.of_kind("headline"))
    body = text.body or text.text
    findings.keywords = read_thai_keywords(f"{headline}\n{body}")
    findings.summary = summarise(thai.sentences(body), bag=thai.content_words)
    findings.notes.append("no entity model for language th")
