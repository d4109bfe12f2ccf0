"""Entry point: ``python -m services.enrichment`` runs the faust worker."""
from __future__ import annotations

import asyncio
import logging.config
import threading

import faust
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from services.enrichment.agents import stories_topic
from services.enrichment.app import SERVICE, create_app
from services.enrichment.nlp import korean
from services.enrichment.nlp.model import english
from services.enrichment.settings import EnrichmentSettings
from shared.heartbeat import attach_to_faust
from shared.telemetry import serve_metrics
from shared.topics import Topics, ensure_topics


def logging_config(level: str) -> dict:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "shared.telemetry.JsonLines"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": level.upper()},
    }


async def prepare_kafka(settings: EnrichmentSettings) -> None:
    """The pipeline's topics, plus the single-partition stories topic and its DLQ."""
    await ensure_topics(settings.kafka_bootstrap, Topics(settings.topic_prefix),
                        partitions=settings.topic_partitions, replication=settings.topic_replication)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [NewTopic(name, num_partitions=1, replication_factor=settings.topic_replication)
                  for name in (stories_topic(settings), Topics.dlq(stories_topic(settings))) if name not in existing]
        if wanted:
            try:
                await admin.create_topics(wanted)
            except TopicAlreadyExistsError:
                pass
    finally:
        await admin.close()


def warm_up() -> None:
    """Load the English model now (~0.3 s) and Korean's in the background (~2 s):
    the worker is ready before Kiwi is, and a Korean article waits for it."""
    english()(" ".join(["Warm-up text in Seoul."] * 3))
    threading.Thread(target=korean.kiwi, name="kiwi-load", daemon=True).start()


def main() -> None:
    settings = EnrichmentSettings()
    logging.config.dictConfig(logging_config(settings.log_level))
    asyncio.run(prepare_kafka(settings))
    port = serve_metrics(settings.metrics_port, settings.metrics_host)
    warm_up()
    app = create_app(settings)
    attach_to_faust(app, SERVICE, settings, metrics_port=port)
    worker = faust.Worker(app, loglevel=settings.log_level, logging_config=logging_config(settings.log_level),
                          quiet=True, redirect_stdouts=False)
    worker.execute_from_commandline()


if __name__ == "__main__":
    main()
