"""Enrichment's pure handler."""
from __future__ import annotations

from services.enrichment.nlp.language import detect_language
from shared.events import ArticleEvent


async def enrich(event: ArticleEvent) -> ArticleEvent:
    """Add what can be learnt from the text itself: for now the language (BCP 47),
    kept when the source already declared one."""
    article = event.article
    if not article.language:
        article.language = detect_language(f"{article.headline}\n{article.body_text}")
    return event
