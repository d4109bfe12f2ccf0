"""Entry point: ``python -m services.enrichment`` runs the faust worker."""
from __future__ import annotations

import asyncio
import logging.config

import faust
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from services.enrichment.agents import stories_topic
from services.enrichment.app import SERVICE, create_app
from services.enrichment.nlp import korean
from services.enrichment.nlp.model import english
from services.enrichment.settings import EnrichmentSettings
from shared.heartbeat import attach_to_faust
from shared.telemetry import serve_metrics
from shared.topics import Topics, ensure_topics


log = logging.getLogger(__name__)


def logging_config(level: str) -> dict:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "shared.telemetry.JsonLines"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": level.upper()},
    }


async def prepare_kafka(settings: EnrichmentSettings, app: faust.App) -> None:
    """The pipeline's topics, the single-partition stories topic and its DLQ, and
    faust's own topics (table changelogs, leader topic), retried until Kafka answers.

    faust creates a missing topic by asking the first broker it knows for the
    controller: right after a broker died that one may be the dead broker, and the
    worker crashed with NodeNotReadyError. faust skips topics that exist, so they
    are made here, where a broker that is down is waited for."""
    delay = 0.5
    while True:
        try:
            await _create_topics(settings, app)
            return
        except (KafkaError, OSError, asyncio.TimeoutError) as exc:
            log.warning("Kafka not ready for the enrichment topics, retrying",
                        extra={"error": repr(exc), "retry_in_s": delay})
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


async def _create_topics(settings: EnrichmentSettings, app: faust.App) -> None:
    await ensure_topics(settings.kafka_bootstrap, Topics(settings.topic_prefix),
                        partitions=settings.topic_partitions, replication=settings.topic_replication)
    wanted = [NewTopic(name, num_partitions=1, replication_factor=settings.topic_replication)
              for name in (stories_topic(settings), Topics.dlq(stories_topic(settings)))]
    for table in app.tables.values():
        changelog = table.changelog_topic
        config = {"cleanup.policy": ",".join(p for p, on in (("compact", changelog.compacting),
                                                             ("delete", changelog.deleting)) if on)}
        if changelog.retention:
            config["retention.ms"] = str(int(changelog.retention * 1000))
        wanted.append(NewTopic(changelog.get_topic_name(), num_partitions=changelog.partitions or 1,
                               replication_factor=settings.topic_replication, topic_configs=config))
    wanted.append(NewTopic(f"{app.conf.id}-__assignor-__leader", num_partitions=1,
                           replication_factor=settings.topic_replication))
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap, request_timeout_ms=10_000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [topic for topic in wanted if topic.name not in existing]
        if missing:
            try:
                await admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass
    finally:
        await admin.close()


def warm_up() -> None:
    """Load the English model (~0.3 s) and Korean's (~4 s of CPU) before the worker
    consumes anything. Not in a background thread: kiwipiepy holds the GIL while it
    loads, which froze the running worker (its Kafka heartbeats and the models) for
    the whole load — seconds on a busy machine, longer than a 3 s session timeout."""
    english()(" ".join(["Warm-up text in Seoul."] * 3))
    korean.kiwi()


def main() -> None:
    settings = EnrichmentSettings()
    logging.config.dictConfig(logging_config(settings.log_level))
    app = create_app(settings)
    asyncio.run(prepare_kafka(settings, app))
    port = serve_metrics(settings.metrics_port, settings.metrics_host)
    warm_up()
    attach_to_faust(app, SERVICE, settings, metrics_port=port)
    worker = faust.Worker(app, loglevel=settings.log_level, logging_config=logging_config(settings.log_level),
                          quiet=True, redirect_stdouts=False)
    worker.execute_from_commandline()


if __name__ == "__main__":
    main()
