"""Ingest's composition root: wires the handler to the runner."""
from __future__ import annotations

import time

from aiokafka import ConsumerRecord

from services.ingest.handlers import ingest, received_from_record
from shared.bus import Outgoing, StageRunner
from shared.events import Stage
from shared.settings import WireSettings
from shared.stage import article_output, bind_article_context
from shared.topics import Topics

SERVICE = "ingest"


def build_runner(settings: WireSettings) -> StageRunner:
    topics = Topics(settings.topic_prefix)

    async def handle(record: ConsumerRecord) -> list[Outgoing]:
        started_at = time.time()
        event = await ingest(received_from_record(record))
        bind_article_context(event)
        return [article_output(event, stage=Stage.INGESTED, service=SERVICE, topic=topics.ingested, started_at=started_at)]

    return StageRunner(
        stage=SERVICE,
        topic=topics.inbound,
        group_id=topics.group(SERVICE),
        handle=handle,
        settings=settings,
    )
