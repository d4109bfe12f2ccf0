"""Translations as ninjs items of their own, linked both ways to their original.

A translation gets a uri derived from the original's and the language, its own
article id, the original's version and signal, and its provenance twice: for
people in ``edNote`` and ``infoSources`` (ninjs has no provenance field), for
machines in ``envelope.translation``. The link is ``rel: "translation"`` both
ways ("the associated item is another language version of this story", which is
what publishing reads to group a story's languages): the original lists each
translation, named "<lang> machine translation (<quality>)" with its headline;
each translation lists its original, named "original (<lang>)".
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.translation.engines.base import RULE_BASED_GIST, Provenance
from shared.events import Article, ArticleEvent, StageNote, TranslationInfo, TranslationLink, article_id_for
from shared.translation_uris import translation_uri

STAGE = "translation"
_QUALITY_WORDS = {RULE_BASED_GIST: "rule-based gist: for understanding, not for publication without editing"}


@dataclass
class Rendering:
    """One language version of an article, as the desk produced it."""

    target: str
    provenance: Provenance
    fields: dict[str, Any]                     # the translated ninjs fields
    segments: int = 0
    memory_hits: int = 0
    names_protected: list[str] = field(default_factory=list)
    names_lost: list[str] = field(default_factory=list)


def machine_note(provenance: Provenance, *, source: str, target: str, original_note: str | None) -> str:
    quality = _QUALITY_WORDS.get(provenance.quality, provenance.quality)
    note = (f"Machine translation ({quality}) from {source} to {target} by {provenance.label}, "
            f"model {provenance.model}; not checked by an editor.")
    return f"{note} Original note ({source}): {original_note}" if original_note else note


def _original_link(article: Article) -> dict[str, Any]:
    return {"name": f"original ({article.language})", "rel": "translation", "uri": article.uri,
            "type": article.type, "version": article.version, "language": article.language}


def translation_event(original: ArticleEvent, rendering: Rendering) -> ArticleEvent:
    """The ArticleEvent of one translation of ``original``."""
    source = original.article
    uri = translation_uri(source.uri, rendering.target)
    fields = dict(rendering.fields)
    fields.pop("altIds", None)  # they identify the original text, not this one
    fields.update(
        uri=uri, language=rendering.target,
        edNote=machine_note(rendering.provenance, source=source.language or "und", target=rendering.target,
                            original_note=source.edNote),
        infoSources=[*fields.get("infoSources", []),
                     {"name": rendering.provenance.label, "role": "machine-translation",
                      "literal": f"{rendering.provenance.model}; {rendering.provenance.quality}"}],
        associations=[*fields.get("associations", []), _original_link(source)],
    )
    notes = []
    if rendering.names_lost:
        notes.append(StageNote(stage=STAGE, code="names_lost",
                               detail=f"{rendering.provenance.engine} dropped: {', '.join(rendering.names_lost)}",
                               data={"names": rendering.names_lost}))
    envelope = original.envelope.model_copy(deep=True, update={
        "article_id": article_id_for(uri), "notes": notes,
        "translation": TranslationInfo(
            role="translation", of=source.uri, of_article_id=original.envelope.article_id,
            source_language=source.language, language=rendering.target,
            engine=rendering.provenance.engine, model=rendering.provenance.model,
            quality=rendering.provenance.quality, segments=rendering.segments,
            memory_hits=rendering.memory_hits, names_protected=rendering.names_protected,
            names_lost=rendering.names_lost,
        ),
    })
    return ArticleEvent(envelope=envelope, article=Article(**fields))


def withdrawn_translation(original: ArticleEvent, target: str) -> ArticleEvent:
    """The kill of ``original``'s translation into ``target``: canceled, no text."""
    source = original.article
    uri = translation_uri(source.uri, target)
    article = Article(uri=uri, type=source.type, version=source.version, pubStatus="canceled", language=target,
                      versionCreated=source.versionCreated, associations=[_original_link(source)],
                      edNote=f"Withdrawn together with its original {source.uri}.")
    envelope = original.envelope.model_copy(deep=True, update={
        "article_id": article_id_for(uri), "notes": [],
        "translation": TranslationInfo(role="translation", of=source.uri, of_article_id=original.envelope.article_id,
                                       source_language=source.language, language=target, withdrawn=True)})
    return ArticleEvent(envelope=envelope, article=article)


def link_original(original: ArticleEvent, translations: list[ArticleEvent],
                  untranslated: list[StageNote]) -> None:
    """Add to ``original`` an association per translation and the summary of what
    was (and was not) translated in ``envelope.translation``."""
    article = original.article
    for event in translations:
        item, info = event.article, event.envelope.translation or TranslationInfo()
        link = {"name": f"{item.language} machine translation ({info.quality or 'withdrawn'})",
                "rel": "translation", "uri": item.uri, "type": item.type, "version": item.version,
                "language": item.language}
        if item.headlines:
            link["headlines"] = [{"role": "main", "value": item.headline}]
        article.associations.append(link)
    original.envelope.notes.extend(untranslated)
    original.envelope.translation = TranslationInfo(
        role="original",
        translations=[TranslationLink(language=e.article.language, uri=e.article.uri, article_id=e.envelope.article_id,
                                      **{k: getattr(e.envelope.translation, k, None)
                                         for k in ("engine", "model", "quality")})
                      for e in translations],
        untranslated=[{"language": n.data.get("target"), "code": n.code, "detail": n.detail} for n in untranslated],
    )
