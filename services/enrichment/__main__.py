"""Entry point: ``python -m services.enrichment`` runs the enrichment worker: both
steps in one faust app, or (``WIRE_ENRICHMENT_STEPS``) the read step alone on the
project's runner or the stories step alone in faust."""
from __future__ import annotations

import asyncio
import gc
import logging

import faust
import uvloop
from aiokafka.errors import KafkaError

from services.enrichment.app import SERVICE, create_app
from services.enrichment.settings import EnrichmentSettings
from shared.heartbeat import attach_to_faust
from shared.service import run_service
from shared.telemetry import configure_logging, serve_metrics
from shared.topics import Topics, ensure_topics

log = logging.getLogger(__name__)


async def prepare_kafka(settings: EnrichmentSettings, app: faust.App | None) -> None:
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


def faust_topics(settings: EnrichmentSettings, app: faust.App | None) -> dict[int, dict[str, dict[str, str]]]:
    """The stories topic and its DLQ, and faust's own topics when ``app`` is given
    (a read-only process has none), by partition count → name → topic configs."""
    topics = Topics(settings.topic_prefix)
    by_partitions: dict[int, dict[str, dict[str, str]]] = {1: {topics.stories: {}, Topics.dlq(topics.stories): {}}}
    if app is None:
        return by_partitions
    by_partitions[1][f"{app.conf.id}-__assignor-__leader"] = {}
    for table in app.tables.values():
        changelog = table.changelog_topic
        config = {"cleanup.policy": ",".join(p for p, on in (("compact", changelog.compacting),
                                                             ("delete", changelog.deleting)) if on)}
        if changelog.retention:
            config["retention.ms"] = str(int(changelog.retention * 1000))
        by_partitions.setdefault(changelog.partitions or 1, {})[changelog.get_topic_name()] = config
    return by_partitions


async def _create_topics(settings: EnrichmentSettings, app: faust.App | None) -> None:
    # a short request timeout: a dead broker is retried (prepare_kafka) rather than waited on
    common = dict(replication=settings.topic_replication, request_timeout_ms=10_000,
                  max_record_bytes=settings.max_record_bytes)
    await ensure_topics(settings.kafka_bootstrap, Topics(settings.topic_prefix),
                        partitions=settings.topic_partitions, **common)
    for partitions, wanted in faust_topics(settings, app).items():
        await ensure_topics(settings.kafka_bootstrap, wanted, partitions=partitions, **common)


def warm_up() -> None:
    """Load the English model (~0.3 s) and Korean's (~4 s of CPU) before the worker
    consumes anything. Not in a background thread: kiwipiepy holds the GIL while it
    loads, which froze the running worker (its Kafka heartbeats and the models) for
    the whole load — seconds on a busy machine, longer than a 3 s session timeout."""
    from services.enrichment.nlp import korean  # imported here: a stories-only process needs no models
    from services.enrichment.nlp.model import english

    english()(" ".join(["Warm-up text in Seoul."] * 3))
    korean.kiwi()
    # The models are loaded for the life of the process: out of the collector with them.
    # A full collection walked them for 0.5–0.7 s (measured on a busy machine), a stall
    # of the article in hand whenever the oldest generation's turn came.
    gc.freeze()


def run_read_step(settings: EnrichmentSettings) -> None:
    """The read step alone, on the project's runner like the other stages (no faust)."""
    from services.enrichment.read_step import read_runner

    async def serve(stop: asyncio.Event) -> None:
        await prepare_kafka(settings, None)
        warm_up()
        await read_runner(settings).run(stop)

    run_service(SERVICE, settings, serve)


def main() -> None:
    settings = EnrichmentSettings()
    if settings.enrichment_steps == "read":
        return run_read_step(settings)
    configure_logging(SERVICE, settings.log_level)
    uvloop.install()  # faust's loop too runs on uvloop, as every other service's (shared/service.py)
    app = create_app(settings)
    asyncio.run(prepare_kafka(settings, app))
    port = serve_metrics(settings.metrics_port, settings.metrics_host)
    if settings.enrichment_steps == "both":
        warm_up()
    attach_to_faust(app, SERVICE, settings, metrics_port=port)
    gc.freeze()  # as shared/service.py does for the other workers
    # override_logging=False: faust keeps the JSON lines configured above (as every
    # service writes them) instead of installing its own console handlers.
    worker = faust.Worker(app, loglevel=settings.log_level, quiet=True, redirect_stdouts=False,
                          override_logging=False)
    # faust drops its terminal spinner in the logging set-up skipped above; without
    # this it writes cursor escapes into the output, in front of a log line.
    worker.spinner = None
    worker.execute_from_commandline()


if __name__ == "__main__":
    main()
