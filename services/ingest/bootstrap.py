"""Ingest's composition root: wires the handler to the runner and Redis."""
from __future__ import annotations

import logging
import time

from aiokafka import ConsumerRecord
from redis.asyncio import Redis

from services.ingest.handlers import ingest
from services.ingest.metrics import IGNORED
from shared.batching import PerRecord
from shared.bus import Outgoing, dead_letter
from shared.cache import Keys
from shared.events import Stage
from shared.identity import StoryRegistry
from shared.inbound import Parse, parse_here, received_from_record
from shared.runner import StageRunner
from shared.parsed_payload import PayloadSeal
from shared.settings import WireSettings
from shared.stage import article_output, bind_article_context
from shared.topics import Topics
from shared.withdrawals import Withdrawals

SERVICE = "ingest"
log = logging.getLogger(__name__)


def build_runner(settings: WireSettings, redis: Redis, *, parse_with: Parse = parse_here) -> StageRunner:
    topics = Topics(settings.topic_prefix)
    registry = StoryRegistry(redis, Keys(settings.topic_prefix), settings.uri_owners)
    withdrawals = Withdrawals(redis, settings.topic_prefix)
    seal = PayloadSeal(settings.secret_key, max_record_bytes=settings.max_record_bytes)

    async def handle(record: ConsumerRecord) -> list[Outgoing]:
        started_at = time.time()
        outputs = []
        received = received_from_record(record)
        if not await withdrawals.claim(received.event_id):
            # The gateway answered 503 for it: the sender was told to send it again.
            IGNORED.labels("withdrawn").inc()
            log.info("dropped a submission the gateway withdrew", extra={"event_id": received.event_id})
            return []
        # What the gateway parsed, when its seal holds for this very payload; else None: parsed here.
        parsed = seal.open(record.headers, received.payload, received.content_type, received.provider)
        events, refusal = await ingest(received, registry=registry, acts_for=settings.acts_for(received.provider),
                                       parse_with=parse_with, parsed=parsed)
        if refusal is not None:  # the record goes to the DLQ with the reason (not-owner, a uri); the rest flows
            outputs.append(dead_letter(record, refusal, stage=SERVICE, attempts=1, max_bytes=settings.max_record_bytes))
        for event in events:
            bind_article_context(event)
            outputs.append(article_output(event, stage=Stage.INGESTED, service=SERVICE,
                                          topic=topics.ingested, started_at=started_at))
        return outputs

    return StageRunner(stage=SERVICE, topic=topics.inbound, group_id=topics.group(SERVICE),
                       handle=handle, settings=settings, strategy=PerRecord())
