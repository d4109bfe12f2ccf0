"""Faust agents of the enrichment service."""
from __future__ import annotations

import asyncio

import faust

from services.enrichment.handlers import enrich
from services.enrichment.settings import EnrichmentSettings
from shared.bus import process_record
from shared.events import Stage
from shared.stage import article_handler
from shared.topics import Topics

STAGE = "enrichment"


def register_agents(app: faust.App, settings: EnrichmentSettings) -> None:
    topics = Topics(settings.topic_prefix)
    source = app.topic(topics.ingested, key_serializer="raw", value_serializer="raw")
    handle = article_handler(stage=Stage.ENRICHED, service=STAGE, out_topic=topics.enriched, transform=enrich)
    never = asyncio.Event()  # faust owns shutdown; retries run to their limit

    @app.agent(source, name="enrich-articles")
    async def enrich_articles(stream: faust.StreamT) -> None:
        """Each ingested article → enriched (or its DLQ). The outputs are acknowledged
        by Kafka before faust acks the input, so its offset commits never run ahead."""
        async for event in stream.events():
            outputs = await process_record(event.message, handle, stage=STAGE, settings=settings, stop=never)
            for out in outputs:
                await app.producer.send_and_wait(out.topic, out.key, out.value, None, None, out.headers)
