"""Enrichment's read handler: :func:`enrich` (the read step, parallel over
``articles.ingested`` partitions) reads the article with the language models and
writes what it found into the ninjs fields and the envelope. What the stories step
does with it is in :mod:`clustering` (no models there, so a stories-only process
does not load them)."""
from __future__ import annotations

import asyncio

from services.enrichment.annotations import envelope_enrichment, write_ninjs
from services.enrichment.findings import read_article
from shared.events import ArticleEvent


async def enrich(event: ArticleEvent) -> ArticleEvent:
    """Add what can be learnt from the text itself: language (kept when the source
    declared one), people, organisations, places, info sources, subjects and a
    summary in ninjs; quotes, roles, offsets, confidences, dates, keywords, word
    count and reading time in ``envelope.enrichment``.

    The language models run in a worker thread so the event loop (Kafka
    heartbeats) stays responsive on long articles. Model errors propagate."""
    findings = await asyncio.to_thread(read_article, event.article, received_at=event.envelope.received_at)
    write_ninjs(findings, event.article)
    event.envelope.enrichment = {**event.envelope.enrichment, **envelope_enrichment(findings)}
    return event
